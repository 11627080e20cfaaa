/** Badges and the quorum banner of the fleet view (the node's ops_getFleet report). */
import type { ChainState } from '../data/store.js'
import { sameAddress } from '../data/derived.js'
import { formatBlockNumber, formatDuration } from '../format.js'
import type { FleetNode, FleetReport } from '../rpc/types.js'
import { RelativeTime, StatusBadge } from './ui.js'

/** Up is green only while the chain makes blocks: in a halted chain a running node is nothing to show as fine. */
export function FleetStateBadge({ node, stale, halted = false }: { node: FleetNode; stale: boolean; halted?: boolean }) {
  const label = node.state === 'up' ? 'Up' : node.state === 'behind' ? 'Behind' : 'Down'
  const tone = stale ? 'neutral' : node.state === 'up' ? (halted ? 'neutral' : 'ok') : node.state === 'behind' ? 'warn' : 'bad'
  return <StatusBadge tone={tone}>{stale ? `${label} (last known)` : label}</StatusBadge>
}

const SEALING = {
  sealing: { tone: 'ok', label: 'Sealing', title: 'sealed or proposed a recent block' },
  idle: { tone: 'warn', label: 'Idle', title: 'reachable, but no seal or proposal in the recent blocks' },
  stalled: { tone: 'bad', label: 'Halted', title: 'reachable, but the chain makes no blocks' },
  down: { tone: 'bad', label: 'Not sealing', title: 'unreachable: neither connected nor sealing' },
} as const

export function SealingStateBadge({ node, stale }: { node: FleetNode; stale: boolean }) {
  if (!node.sealing) return null
  const s = SEALING[node.sealing]
  return (
    <StatusBadge tone={stale ? 'neutral' : s.tone} title={s.title}>
      {s.label}
    </StatusBadge>
  )
}

/** This node's link to a node; grey while the serving node does not answer (the links are then last known). */
export function LinkBadge({ chain, address }: { chain: ChainState; address: string }) {
  const stale = chain.unreachable !== undefined
  if (sameAddress(chain.nodeInfo?.id, address)) return <StatusBadge tone={stale ? 'neutral' : 'info'}>This node</StatusBadge>
  // The fleet report's link, when there is one, so a row never says "Connected" beside "Down".
  const f = fleetNodeOf(chain.fleet, address)
  const connected = f ? f.connected : chain.peers.some((p) => sameAddress(p.id, address))
  return connected ? (
    <StatusBadge tone={stale ? 'neutral' : 'ok'}>Connected</StatusBadge>
  ) : (
    <StatusBadge tone={stale ? 'neutral' : 'warn'}>Not connected</StatusBadge>
  )
}

export function fleetNodeOf(fleet: FleetReport | undefined, address: string): FleetNode | undefined {
  return fleet?.nodes.find((n) => sameAddress(n.address, address))
}

/** The quorum in words, as the node states it; grey and marked as last known while the node does not answer. */
export function QuorumBanner({ fleet, stale, updatedAt, now }: { fleet: FleetReport; stale: boolean; updatedAt: number | undefined; now: number }) {
  const q = fleet.quorum
  const tone = stale ? 'neutral' : q.tone
  return (
    <div className={`notice notice--${tone} quorum`} role="status" aria-label="Quorum" data-state={stale ? 'stale' : q.state}>
      <div className="notice__title">
        {stale && <span className="stale-tag">Last known · stale: </span>}
        {q.summary}
      </div>
      <div className="notice__body">
        {q.validators > 0 && (
          <>
            {q.reachable} of {q.validators} validators reachable · quorum {q.quorum} · fault budget {q.faultBudget} · head {formatBlockNumber(q.head)}, last block{' '}
            {formatDuration(q.headAgeMs / 1000)} before this report
          </>
        )}
        {stale && updatedAt !== undefined && (
          <>
            {' '}
            · reported <RelativeTime at={updatedAt} now={now} /> by the node serving this page, which does not answer now
          </>
        )}
      </div>
    </div>
  )
}
