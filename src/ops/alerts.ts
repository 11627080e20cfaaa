/**
 * Active alerts read from the operator's Alertmanager (`GET /api/v2/alerts`) or Prometheus
 * (`GET /api/v1/alerts`), for the dashboard: the node makes the request so the browser needs no
 * CORS and no route to the monitoring host. It owns the two reads and their normal form; an
 * unreachable or malformed source is an answer (`error`), not an exception, because the page
 * shows it as a state of the monitoring.
 */
import { z } from 'zod'
import { errorMessage } from '../errors.js'

export interface AlertSourceConfig {
  alertmanagerUrl?: string | undefined
  prometheusUrl?: string | undefined
}

export interface ActiveAlert {
  name: string
  severity: string | null
  /** Prometheus: firing, or pending (its condition holds, its `for:` has not yet run out); Alertmanager: active. */
  state: string
  since: string | null
  summary: string | null
  /** The `instance` or `node` label, when there is one. */
  instance: string | null
}

export interface AlertsAnswer {
  source: 'alertmanager' | 'prometheus' | 'none'
  /** The URL asked, when one is configured. */
  url?: string
  alerts: ActiveAlert[]
  /** Why the source could not be read; the alerts list is then empty. */
  error?: string
}

const labels = z.record(z.string(), z.string()).default({})
const annotations = z.record(z.string(), z.string()).default({})

const alertmanagerAlerts = z.array(
  z.object({
    labels,
    annotations,
    startsAt: z.string().optional(),
    status: z.object({ state: z.string() }).optional(),
  }),
)

const prometheusAlerts = z.object({
  status: z.literal('success'),
  data: z.object({ alerts: z.array(z.object({ labels, annotations, state: z.string(), activeAt: z.string().optional() })) }),
})

const TIMEOUT_MS = 3000

export async function activeAlerts(config: AlertSourceConfig, fetchImpl: typeof fetch = fetch): Promise<AlertsAnswer> {
  const am = config.alertmanagerUrl
  const prom = config.prometheusUrl
  if (!am && !prom) return { source: 'none', alerts: [] }
  const source = am ? 'alertmanager' : 'prometheus'
  const url = am ? `${am.replace(/\/+$/, '')}/api/v2/alerts?active=true&silenced=false&inhibited=false` : `${prom!.replace(/\/+$/, '')}/api/v1/alerts`
  try {
    const res = await fetchImpl(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) })
    if (!res.ok) return { source, url, alerts: [], error: `${source} answered HTTP ${res.status}` }
    const body: unknown = await res.json()
    const alerts = source === 'alertmanager' ? fromAlertmanager(body) : fromPrometheus(body)
    // Pending ones (not alerts yet) after the firing ones, each part critical first.
    alerts.sort((a, b) => Number(a.state === 'pending') - Number(b.state === 'pending') || severityRank(a.severity) - severityRank(b.severity) || a.name.localeCompare(b.name))
    return { source, url, alerts }
  } catch (err) {
    return { source, url, alerts: [], error: `cannot read ${source}: ${errorMessage(err)}` }
  }
}

function fromAlertmanager(body: unknown): ActiveAlert[] {
  return alertmanagerAlerts.parse(body).map((a) => normal(a.labels, a.annotations, a.status?.state ?? 'active', a.startsAt))
}

function fromPrometheus(body: unknown): ActiveAlert[] {
  return prometheusAlerts
    .parse(body)
    .data.alerts.map((a) => normal(a.labels, a.annotations, a.state, a.activeAt))
}

function normal(l: Record<string, string>, ann: Record<string, string>, state: string, since: string | undefined): ActiveAlert {
  return {
    name: l.alertname ?? '(unnamed)',
    severity: l.severity ?? null,
    state,
    since: since ?? null,
    summary: ann.summary ?? ann.description ?? null,
    instance: l.node ?? l.instance ?? null,
  }
}

function severityRank(s: string | null): number {
  return s === 'critical' ? 0 : s === 'warning' ? 1 : 2
}
