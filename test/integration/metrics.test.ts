/**
 * Metrics, alert rules and readiness on a real network of 4 validator processes:
 * - /metrics answers on the JSON-RPC port and the height rises between scrapes;
 * - after one validator is killed, its last-sealed-block gauge stops while the height goes on, and
 *   the shipped QuorateValidatorNotSealing rule fires for it (and for no one else), evaluated by
 *   promtool on the series scraped here;
 * - /ready of a node whose peers are all stopped answers 503 and says why;
 * - JSON-RPC calls, errors and latency by method (an unknown method counted as "other") after real
 *   calls; peer connects by direction and disconnects by reason after real connections and stops;
 * - the separate metrics listener (config metrics.port) answers /metrics and /health, and a node
 *   with metrics.onRpcPort false answers 404 on its JSON-RPC port;
 * - sync progress: the killed validator, started again, imports the blocks it missed from node 1
 *   (quorate_sync_blocks_imported_total) and ends 0 blocks behind.
 *
 * Why promtool on scraped series rather than a small evaluator written here: it runs the rule
 * exactly as shipped in alerts.yml (its PromQL, its label matching, its `for:` and annotations)
 * with Prometheus' own engine, so a change that breaks the rule breaks this test; an evaluator
 * written for one expression shape would only check our reading of it. Scrape i becomes the sample
 * at i × 30 s, so `for: 2m` spans five scrapes; the expression compares values of one scrape with
 * each other, so compressing time changes nothing else. promtool is the same tool
 * `npm run check:alerts` needs (Debian package `prometheus`).
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { CONFIG_FILE } from '../../src/node/config.js'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { freePort, rpc } from '../../bench/lib/quorate-node.js'
import { TestNetwork } from '../helpers/network.js'
import { waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'
import { parsePromText, samples, valueOf, type Sample } from '../unit/ops/prom-text.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const RULES = join(ROOT, 'ops/prometheus/alerts.yml')
const ALERT = 'QuorateValidatorNotSealing'
const STEP_S = 30
const SCRAPED = 0
const KILLED = 2
/** Serves /metrics only on its own metrics listener, not on the JSON-RPC port. */
const OFF_RPC = 1

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let metricsPort: number

/** Adds `metrics` to a node's config.json before it starts. */
async function configureMetrics(i: number, metrics: Record<string, unknown>): Promise<void> {
  const file = join(net.nodes[i]!.dataDir, CONFIG_FILE)
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  await writeFile(file, JSON.stringify({ ...config, metrics }, null, 2))
}

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 4, blockPeriodMs: 100, emptyBlockPeriodMs: 200 })
  metricsPort = await freePort()
  await configureMetrics(SCRAPED, { port: metricsPort })
  await configureMetrics(OFF_RPC, { port: await freePort(), onRpcPort: false })
  await net.start()
})

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

async function get(i: number, path: string): Promise<Response> {
  return fetch(new URL(path, net.url(i)))
}

async function scrape(i: number): Promise<Sample[]> {
  const res = await get(i, '/metrics')
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  return parsePromText(await res.text())
}

const validators = (): string[] => net.nodes.map((n) => n.address.toLowerCase())
const height = (s: Sample[]): number => valueOf(s, 'ethereum_blockchain_height')!
const lastSealed = (s: Sample[], v: string): number | undefined => valueOf(s, 'quorate_validator_last_sealed_block', { validator: v })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('metrics of a 4-validator network', () => {
  const series: Sample[][] = []
  let killedAt = -1

  it('serves /metrics with a height that rises between scrapes, peers and validators', async () => {
    await waitFor('all peers connected', async () => valueOf(await scrape(SCRAPED), 'ethereum_peer_count') === 3)
    const first = await scrape(SCRAPED)
    // A block carries the first quorum of seals only, so under load a validator may miss a few blocks.
    await waitFor('three more blocks, each validator in the seals of one', async () => {
      const now = await scrape(SCRAPED)
      return height(now) >= height(first) + 3 && validators().every((v) => (lastSealed(now, v) ?? 0) > 0)
    }, 30_000)
    const second = await scrape(SCRAPED)
    expect(height(second)).toBeGreaterThanOrEqual(height(first) + 3)
    expect(valueOf(second, 'quorate_consensus_validators')).toBe(4)
    expect(valueOf(second, 'quorate_consensus_is_validator')).toBe(1)
    for (const v of validators()) expect(lastSealed(second, v), v).toBeGreaterThan(0)
    for (const peer of validators().filter((_, i) => i !== SCRAPED)) {
      expect(valueOf(second, 'quorate_p2p_peer_bytes_total', { peer, direction: 'in' }), peer).toBeGreaterThan(0)
      expect(valueOf(second, 'quorate_p2p_peer_messages_total', { peer, direction: 'out' }), peer).toBeGreaterThan(0)
    }
    expect(valueOf(second, 'quorate_block_time_seconds_count')).toBeGreaterThan(0)
    expect(valueOf(second, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect((await get(SCRAPED, '/health')).status).toBe(200)
    await waitFor('node 1 ready', async () => (await get(SCRAPED, '/ready')).status === 200)
  })

  it('counts JSON-RPC calls, errors and latency by method, with unknown methods as "other"', async () => {
    const before = await scrape(SCRAPED)
    const count = (s: Sample[], name: string, labels: Record<string, string>): number => valueOf(s, name, labels) ?? 0
    for (let i = 0; i < 3; i++) await rpc(net.url(SCRAPED), 'eth_blockNumber')
    await expect(rpc(net.url(SCRAPED), 'made_upMethod')).rejects.toThrow(/made_upMethod/)
    await expect(rpc(net.url(SCRAPED), 'eth_getBlockByNumber', ['not a block'])).rejects.toThrow()
    const after = await scrape(SCRAPED)
    const delta = (name: string, labels: Record<string, string>): number => count(after, name, labels) - count(before, name, labels)
    expect(delta('quorate_rpc_requests_total', { method: 'eth_blockNumber' })).toBe(3)
    expect(delta('quorate_rpc_request_duration_seconds_count', { method: 'eth_blockNumber' })).toBe(3)
    expect(delta('quorate_rpc_errors_total', { method: 'eth_blockNumber' })).toBe(0)
    expect(delta('quorate_rpc_requests_total', { method: 'other' })).toBe(1)
    expect(delta('quorate_rpc_errors_total', { method: 'other', code: '-32601' })).toBe(1)
    expect(delta('quorate_rpc_errors_total', { method: 'eth_getBlockByNumber', code: '-32602' })).toBe(1)
    // The invented name is not a label value.
    expect(after.some((x) => Object.values(x.labels).includes('made_upMethod'))).toBe(false)
  })

  it('counts peer connections by direction, shows the peer limit and no blocks behind', async () => {
    const s = await scrape(SCRAPED)
    const connects = samples(s, 'quorate_p2p_peer_connects_total').reduce((sum, x) => sum + x.value, 0)
    expect(connects).toBeGreaterThanOrEqual(3)
    for (const x of samples(s, 'quorate_p2p_peer_connects_total')) expect(['inbound', 'outbound']).toContain(x.labels.direction)
    expect(valueOf(s, 'quorate_p2p_max_peers')).toBe(64)
    expect(valueOf(s, 'quorate_chain_empty_block_period_seconds')).toBe(0.2)
    // A peer's new head is announced a moment before this node imports it: 1 behind for that moment.
    await waitFor('the node to be no blocks behind', async () => valueOf(await scrape(SCRAPED), 'quorate_sync_blocks_behind') === 0, 10_000)
  })

  it('serves /metrics and /health on the separate metrics listener; none on the RPC port when onRpcPort is false', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    expect(res.status).toBe(200)
    expect(valueOf(parsePromText(await res.text()), 'quorate_consensus_validators')).toBe(4)
    expect((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status).toBe(200)
    // Nothing else: not JSON-RPC.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`, { method: 'POST', body: '{}' })).status).toBe(404)
    // The default: still on the JSON-RPC port too.
    expect((await get(SCRAPED, '/metrics')).status).toBe(200)
    expect((await get(OFF_RPC, '/metrics')).status).toBe(404)
  })

  it('shows a killed validator\'s last sealed block stop while the height rises, and the not-sealing alert fire for it', async () => {
    for (let i = 0; i < 3; i++) {
      series.push(await scrape(SCRAPED))
      await sleep(300)
    }
    killedAt = series.length
    await net.kill(KILLED)
    const killed = validators()[KILLED]!
    // Scrape until the rule's condition has held long enough for its `for:` (five scrapes at 30 s).
    const deadline = Date.now() + 40_000
    let held = 0
    while (held < 6) {
      if (Date.now() > deadline) throw new Error(`the killed validator's lag stayed at ${height(series.at(-1)!) - lastSealed(series.at(-1)!, killed)!} blocks`)
      await sleep(500)
      const s = await scrape(SCRAPED)
      series.push(s)
      held = height(s) - lastSealed(s, killed)! > 10 ? held + 1 : 0
    }

    const after = series.slice(killedAt + 1)
    const frozen = lastSealed(after[0]!, killed)!
    for (const s of after) expect(lastSealed(s, killed)).toBe(frozen)
    const last = series.at(-1)!
    expect(height(last)).toBeGreaterThan(frozen + 10)
    // With 3 of 4 validators left and a quorum of 3, each of them seals every block.
    for (const v of validators().filter((_, i) => i !== KILLED)) expect(lastSealed(last, v), v).toBe(height(last))

    const result = await promtoolTest(series, [
      { evalIndex: killedAt - 1, firing: [] },
      { evalIndex: series.length - 1, firing: [{ validator: killed, lag: height(last) - frozen }] },
    ])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
  })

  it('answers /ready 503 with the reason on a node whose peers are all stopped, and counts their disconnects by reason', async () => {
    const before = await scrape(SCRAPED)
    // The validator killed above went without a word: its socket closed (or stopped answering pings).
    const silent = (s: Sample[]): number => (valueOf(s, 'quorate_p2p_peer_disconnects_total', { reason: 'CLOSED' }) ?? 0) + (valueOf(s, 'quorate_p2p_peer_disconnects_total', { reason: 'PING_TIMEOUT' }) ?? 0)
    expect(silent(before)).toBeGreaterThanOrEqual(1)
    const shutdowns = (s: Sample[]): number => valueOf(s, 'quorate_p2p_peer_disconnects_total', { reason: 'REMOTE_SHUTDOWN' }) ?? 0
    await Promise.all([1, 3].map((i) => net.stop(i)))
    await waitFor('no peers left', async () => valueOf(await scrape(SCRAPED), 'ethereum_peer_count') === 0)
    // Stopped nodes close their connections saying SHUTDOWN.
    expect(shutdowns(await scrape(SCRAPED)) - shutdowns(before)).toBe(2)
    const res = await get(SCRAPED, '/ready')
    expect(res.status).toBe(503)
    const body = (await res.json()) as { status: string; checks: { name: string; ok: boolean; reason?: string }[] }
    expect(body.status).toBe('not ready')
    const peered = body.checks.find((c) => c.name === 'peered')!
    expect(peered.ok).toBe(false)
    expect(peered.reason).toMatch(/^0 peers connected, at least 1 needed: the network has 3 other nodes/)
    expect(body.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['peered'])
    expect(await (await get(SCRAPED, '/health')).json()).toEqual({ status: 'ok', checks: [{ name: 'disk', ok: true, value: 0, threshold: 0 }] })
  })

  it('counts the blocks a restarted validator imports by sync, and shows it 0 blocks behind once caught up', async () => {
    // Nodes 2 and 4 are stopped: node 1's head no longer moves, so the killed validator catches up to a fixed target.
    const target = await net.height(SCRAPED)
    expect(target - lastSealed(series.at(-1)!, validators()[KILLED]!)!).toBeGreaterThan(10)
    await net.start(KILLED)
    await waitFor('the restarted validator at node 1\'s head', async () => (await net.height(KILLED)) === target, 30_000)
    const s = await scrape(KILLED)
    expect(height(s)).toBe(target)
    // With 2 of 4 validators running there is no quorum: every block it took since its start came by sync.
    expect(valueOf(s, 'quorate_sync_blocks_imported_total')).toBeGreaterThan(0)
    // Its peers kept each block's state changes: it entered every synced block from them.
    expect(valueOf(s, 'quorate_sync_blocks_applied_total')).toBe(valueOf(s, 'quorate_sync_blocks_imported_total'))
    expect(valueOf(s, 'quorate_sync_blocks_behind')).toBe(0)
    expect(valueOf(s, 'ethereum_best_known_block_number')).toBe(target)
  })
})

interface Expectation {
  evalIndex: number
  firing: { validator: string; lag: number }[]
}

/** Writes the scrapes as promtool input series (scrape i at i × 30 s) and runs the shipped rule on them. */
async function promtoolTest(scrapes: Sample[][], expectations: Expectation[]): Promise<{ code: number; output: string }> {
  const rule = (parse(await readFile(RULES, 'utf8')) as { groups: { rules: { alert?: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] }).groups
    .flatMap((g) => g.rules)
    .find((r) => r.alert === ALERT)
  if (!rule) throw new Error(`${ALERT} is not in alerts.yml`)
  const instance = 'node-1'
  const job = 'quorate'
  const values = (pick: (s: Sample[]) => number | undefined): string => scrapes.map((s) => pick(s) ?? '_').join(' ')
  const input_series = [
    { series: `ethereum_blockchain_height{instance="${instance}",job="${job}"}`, values: values(height) },
    ...validators().map((v) => ({
      series: `quorate_validator_last_sealed_block{instance="${instance}",job="${job}",validator="${v}"}`,
      values: values((s) => lastSealed(s, v)),
    })),
  ]
  const render = (template: string, labels: Record<string, string>, value: number): string => {
    const out = template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_m, k: string) => labels[k] ?? '').replace(/\{\{\s*\$value\s*\}\}/g, String(value))
    if (out.includes('{{')) throw new Error(`the test cannot render this annotation template: ${template}`)
    return out
  }
  const test = {
    rule_files: [RULES],
    evaluation_interval: `${STEP_S}s`,
    tests: [
      {
        name: 'scraped from a 4-validator network with one validator killed',
        interval: `${STEP_S}s`,
        input_series,
        alert_rule_test: expectations.map((e) => ({
          eval_time: `${e.evalIndex * STEP_S}s`,
          alertname: ALERT,
          exp_alerts: e.firing.map(({ validator, lag }) => {
            const labels = { ...rule.labels, instance, job, validator }
            return {
              exp_labels: labels,
              exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, t]) => [k, render(t, labels, lag)])),
            }
          }),
        })),
      },
    ],
  }
  const file = join(tmp.dir, 'scraped.test.yml')
  await writeFile(file, stringify(test))
  try {
    const { stdout, stderr } = await promisify(execFile)('promtool', ['test', 'rules', file])
    return { code: 0, output: stdout + stderr }
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string }
    if (e.code === 'ENOENT') throw new Error('promtool is not installed: install Prometheus (Debian package `prometheus`) to run this test')
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}\n${file}` }
  }
}
