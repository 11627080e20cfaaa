/**
 * The shipped operations files agree with ops/metrics.ts: every metric name the alert rules and the
 * Grafana dashboard query exists in the registry, every rule carries `for`, a severity, a summary
 * and a description, every alert has a firing case in the promtool tests and a section in
 * docs/operations.md, and every metric is described there. (promtool itself runs in
 * `npm run check:alerts` and in the metrics integration test.)
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { parse } from 'yaml'
import { createMetrics } from '../../../src/ops/metrics.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const read = (path: string): Promise<string> => readFile(resolve(ROOT, path), 'utf8')

interface Rule {
  alert?: string
  record?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

const registry = new Registry()
createMetrics(registry)
const metrics = new Map(registry.getMetricsAsArray().map((m) => [m.name, m]))

/** Whether `name` is a series the registry exposes (a histogram adds _bucket, _sum and _count). */
function exposed(name: string): boolean {
  if (metrics.has(name)) return true
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return base !== name && (metrics.get(base) as { constructor: { name: string } } | undefined)?.constructor.name === 'Histogram'
}

function namesIn(expr: string, prefixes = ['quorate_', 'ethereum_']): string[] {
  const re = new RegExp(`\\b((?:${prefixes.join('|')})[a-zA-Z0-9_]*)`, 'g')
  return [...expr.matchAll(re)].map((m) => m[1]!)
}

async function rules(): Promise<Rule[]> {
  const doc = parse(await read('ops/prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }
  return doc.groups.flatMap((g) => g.rules)
}

/** Every string under an `expr`, `query` or `definition` key anywhere in the dashboard. */
function dashboardQueries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) dashboardQueries(item, out)
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'query' || key === 'definition') && typeof value === 'string') out.push(value)
      else dashboardQueries(value, out)
    }
  }
  return out
}

describe('alert rules', () => {
  it('query only metrics that ops/metrics.ts declares', async () => {
    const used = new Set((await rules()).flatMap((r) => namesIn(r.expr)))
    expect(used.size).toBeGreaterThanOrEqual(10)
    for (const name of used) expect(exposed(name), `${name} in alerts.yml`).toBe(true)
  })

  it('each have a for, a severity, a summary and a description', async () => {
    const all = await rules()
    expect(all.length).toBeGreaterThanOrEqual(10)
    for (const r of all) {
      expect(r.alert, 'only alerting rules').toBeDefined()
      expect(r.for, `${r.alert} for`).toMatch(/^\d+[smh]$/)
      expect(['critical', 'warning'], `${r.alert} severity`).toContain(r.labels?.severity)
      expect(r.annotations?.summary?.length, `${r.alert} summary`).toBeGreaterThan(10)
      expect(r.annotations?.description?.length, `${r.alert} description`).toBeGreaterThan(40)
    }
  })

  it('each fire in a promtool test case and have a section in docs/operations.md', async () => {
    const tests = parse(await read('ops/prometheus/alerts.test.yml')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[]
    }
    const firing = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname)))
    const docs = await read('docs/operations.md')
    for (const r of await rules()) {
      expect(firing.has(r.alert!), `${r.alert} has a firing test case`).toBe(true)
      expect(docs, `${r.alert} documented`).toMatch(new RegExp(`^#+ .*\\b${r.alert}\\b`, 'm'))
    }
  })
})

describe('Grafana dashboard', () => {
  it('parses and queries only metrics that ops/metrics.ts declares (process metrics included)', async () => {
    const dashboard = JSON.parse(await read('ops/grafana/quorate-dashboard.json')) as { panels: unknown[]; uid: string }
    expect(dashboard.uid).toBe('quorate-node')
    const queries = dashboardQueries(dashboard)
    expect(queries.length).toBeGreaterThanOrEqual(30)
    const used = new Set(queries.flatMap((q) => namesIn(q, ['quorate_', 'ethereum_', 'process_', 'nodejs_'])))
    expect(used.size).toBeGreaterThanOrEqual(25)
    for (const name of used) expect(exposed(name), `${name} in the dashboard`).toBe(true)
  })
})

interface DashboardJson {
  __inputs?: { name: string; type: string; pluginId: string }[]
  templating: { list: { name: string; type: string; current?: { value?: string } }[] }
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string; legendFormat?: string; datasource?: { uid: string } }[] }[]
}

describe('Grafana dashboard, per node and importable', () => {
  const load = async (): Promise<DashboardJson> => JSON.parse(await read('ops/grafana/quorate-dashboard.json')) as DashboardJson

  it('asks for the Prometheus data source at import and uses it through the data-source variable', async () => {
    const d = await load()
    expect(d.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })])
    const variable = d.templating.list.find((v) => v.type === 'datasource')
    expect(variable?.name).toBe('datasource')
    expect(variable?.current?.value).toBe('${DS_PROMETHEUS}')
    for (const p of d.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}')
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${datasource}')
    }
  })

  it('never sums one quantity over the scraping nodes', async () => {
    const d = await load()
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        // Every node stores the same blocks: a sum by validator counts each seal once per scraping node.
        for (const m of t.expr.matchAll(/\bsum by \(([^)]*)\)/g)) expect(m[1]!.split(',').map((x) => x.trim()), `${p.title}: ${t.expr}`).toContain('instance')
      }
    }
    const perValidator = d.panels.flatMap((p) => p.targets ?? []).filter((t) => /quorate_validator_(seals|proposals)_total/.test(t.expr))
    expect(perValidator).toHaveLength(2)
    for (const t of perValidator) expect(t.expr).toMatch(/^max by \(validator\)/)
  })

  it('keeps a dead node in the overview stats: each reads its last value of the past hour, or shows the node down', async () => {
    const d = await load()
    const start = d.panels.findIndex((p) => p.type === 'row' && p.title === 'Overview')
    const end = d.panels.findIndex((p, i) => i > start && p.type === 'row')
    const stats = d.panels.slice(start + 1, end).filter((p) => p.type === 'stat')
    expect(stats.length).toBeGreaterThanOrEqual(5)
    // A plain gauge query has no sample for a node that stopped answering: the panel would drop it.
    for (const p of stats) for (const t of p.targets ?? []) expect(t.expr, p.title).toMatch(/last_over_time\(\w+\{[^}]*\}\[1h\]\)|or on\(instance\) \(up\{job="quorate"[^}]*\} == 0\)/)
  })

  it('shows each node\'s up in a stat panel, the firing alerts, and the JSON-RPC, peer and sync metrics', async () => {
    const d = await load()
    const up = d.panels.find((p) => p.type === 'stat' && p.targets?.some((t) => /^up\{job="quorate"/.test(t.expr)))
    expect(up?.targets?.[0]?.legendFormat).toBe('{{instance}}')
    const queries = d.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr)
    expect(queries.some((q) => q.includes('ALERTS{'))).toBe(true)
    for (const name of [
      'quorate_rpc_requests_total',
      'quorate_rpc_errors_total',
      'quorate_rpc_request_duration_seconds_bucket',
      'quorate_p2p_peer_connects_total',
      'quorate_p2p_peer_disconnects_total',
      'quorate_p2p_max_peers',
      'quorate_sync_blocks_behind',
      'quorate_sync_blocks_imported_total',
    ]) {
      expect(queries.some((q) => q.includes(name)), name).toBe(true)
    }
  })
})

describe('docs/operations.md', () => {
  it('describes every quorate_ and ethereum_ metric', async () => {
    const docs = await read('docs/operations.md')
    for (const name of metrics.keys()) {
      if (!name.startsWith('quorate_') && !name.startsWith('ethereum_')) continue
      expect(docs.includes(`\`${name}\``) || docs.includes(`\`${name}{`), `${name} documented`).toBe(true)
    }
  })
})
