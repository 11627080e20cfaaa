/** Active alerts from the operator's Alertmanager or Prometheus, read through the node (ops_getAlerts). */
import { usePolledRpc } from '../data/hooks.js'
import type { RpcClient } from '../rpc/client.js'
import type { AlertsAnswer } from '../rpc/types.js'
import { Empty, RelativeTime, Section, StatusBadge, type Tone } from '../components/ui.js'

const POLL_MS = 15_000

export function AlertsSection({ rpc, now }: { rpc: RpcClient; now: number }) {
  const state = usePolledRpc<AlertsAnswer>(rpc, 'ops_getAlerts', POLL_MS)
  if (state.status !== 'ready') return null
  const answer = state.value
  const failed = state.error
  if (answer.source === 'none') {
    return (
      <Section title="Active alerts" description="From Alertmanager or Prometheus, read by this node.">
        <Empty>No Alertmanager or Prometheus is configured on this node (dashboard.alertmanagerUrl or dashboard.prometheusUrl in its config).</Empty>
      </Section>
    )
  }
  const from = answer.source === 'alertmanager' ? 'Alertmanager' : 'Prometheus'
  return (
    <Section title="Active alerts" description={`From ${from} at ${answer.url ?? ''}, read by this node every ${POLL_MS / 1000} s.`}>
      {(answer.error ?? failed) !== undefined && (
        <p className="inline-warning" role="status">
          {failed ? `Last known alerts: ${failed}` : `Alerts unknown: ${answer.error}`}
        </p>
      )}
      {answer.alerts.length === 0 ? (
        !answer.error && <Empty>No alert is firing.</Empty>
      ) : (
        <ul className="alert-list" aria-label="Firing alerts">
          {answer.alerts.map((a, i) => (
            <li key={`${a.name}-${a.instance ?? ''}-${i}`} className="alert-list__item" data-state={a.state}>
              {/* Pending: the rule's condition holds but its `for:` has not run out; nobody was paged yet. */}
              <StatusBadge tone={a.state === 'pending' ? 'neutral' : severityTone(a.severity)}>{a.severity ?? 'alert'}</StatusBadge>
              <span className="alert-list__name">{a.name}</span>
              {a.state === 'pending' && (
                <StatusBadge tone="neutral" title="the condition holds, but not yet for the rule's `for:` duration">
                  pending
                </StatusBadge>
              )}
              {a.instance && <span className="mono muted">{a.instance}</span>}
              {a.summary && <span className="alert-list__summary">{a.summary}</span>}
              {a.since && (
                <span className="muted">
                  since <RelativeTime at={Date.parse(a.since)} now={now} />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  )
}

function severityTone(s: string | null): Tone {
  return s === 'critical' ? 'bad' : s === 'warning' ? 'warn' : 'info'
}
