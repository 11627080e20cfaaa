/** The soak's closing report: counts, worst recoveries and the broken invariants. */
import { worst, type Recovery } from './invariants.js'
import type { SoakResult } from './soak.js'

const seconds = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`)
const which = (r: Recovery | undefined): string => (r ? ` (fault ${r.seq}: ${r.kind} ${r.nodes.map((n) => `node-${n + 1}`).join(',')})` : '')

export function formatReport(r: SoakResult): string {
  const faults = Object.entries(r.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  const total = Object.values(r.faults).reduce((a, b) => a + b, 0)
  const live = worst(r.recoveries, 'livenessMs')
  const caught = worst(r.recoveries, 'catchUpMs')
  const lostHashes = new Set(r.lost.map((l) => l.hash)).size
  const lines = [
    `soak: ${r.validators} validators, seed ${r.seed}, ${(r.durationMs / 60_000).toFixed(1)} min, final height ${r.height}`,
    `faults injected: ${total} (${faults})`,
    `transactions: ${r.acknowledged} acknowledged, ${lostHashes} lost (${r.submitted} submitted, ${r.resent} re-sent after a fault)`,
    `forks: ${r.forks.length}`,
    `worst recovery: new block ${seconds(live?.livenessMs)}${which(live)}; faulted node caught up ${seconds(caught?.catchUpMs)}${which(caught)}`,
    `limits: new block within ${r.limits.livenessMs / 1000} s of a heal, caught up within ${r.limits.catchUpMs / 1000} s`,
    `incidents: ${r.incidents.length}`,
  ]
  if (r.violations.length === 0) lines.push('result: PASS (no fork, no lost transaction, liveness within limits)')
  else lines.push(`result: FAIL, ${r.violations.length} broken invariant(s):`, ...r.violations.map((v) => `  - ${v}`))
  if (r.files) lines.push(`node data and logs: ${r.files}`)
  return lines.join('\n')
}

export function formatJson(r: SoakResult): string {
  return JSON.stringify({ ...r, lost: r.lost.length, lostHashes: [...new Set(r.lost.map((l) => l.hash))] }, null, 2)
}
