/** Network overview: the quorum in words, the fleet of nodes, height, block time, validators, peers, alerts and history. */
import { addressBook, averageBlockTime, finalityLatency, sameAddress } from '../data/derived.js'
import type { GovernanceState } from '../data/governance.js'
import type { ChainState } from '../data/store.js'
import { formatBlockNumber, formatBytes, formatDuration, formatInt, hexToNumber, plural } from '../format.js'
import { validatorActivity } from '../health.js'
import type { RpcClient } from '../rpc/client.js'
import type { FleetReport } from '../rpc/types.js'
import { AddressCell, Empty, RelativeTime, Section, Stat } from '../components/ui.js'
import { FleetStateBadge, LinkBadge, QuorumBanner, SealingStateBadge, fleetNodeOf } from '../components/fleet.js'
import { AlertsSection } from './Alerts.js'
import { HistorySection } from './History.js'

export function Overview({ chain, gov, now, rpc }: { chain: ChainState; gov: GovernanceState; now: number; rpc: RpcClient }) {
  const head = chain.head ?? 0
  const stale = chain.unreachable !== undefined
  const activity = validatorActivity(chain.validators, chain.metrics)
  const fleet = chain.fleet
  const q = fleet?.quorum
  const blockTime = averageBlockTime(chain.blocks)
  const latency = finalityLatency(chain.arrivals)
  const headArrival = chain.arrivals.find((a) => a.number === head)
  const headTimestamp = head > 0 ? hexToNumber(chain.blocks[0]?.timestamp) : undefined
  const lastBlockAt = headArrival?.receivedAt ?? (headTimestamp !== undefined ? headTimestamp * 1000 : undefined)
  const consensus = chain.nodeInfo?.consensus
  const names = addressBook(gov)

  return (
    <>
      {fleet && <QuorumBanner fleet={fleet} stale={stale} updatedAt={chain.updatedAt} now={now} />}
      <div className={`stats${stale ? ' stale' : ''}`} aria-label="Network status" role="region">
        <Stat
          label="Block height"
          value={<span data-testid="height">{formatBlockNumber(head)}</span>}
          detail={lastBlockAt !== undefined ? <>last block <RelativeTime at={lastBlockAt} now={now} /></> : 'only the genesis block'}
          tone={stale ? 'neutral' : q?.stalled ? 'bad' : undefined}
        />
        <Stat
          label="Block time"
          value={blockTime ? formatDuration(blockTime.seconds) : '—'}
          detail={blockTime ? `average of the last ${plural(blockTime.over, 'block')}` : 'needs two blocks'}
          hint="Mean time between the recent blocks, from their timestamps (whole seconds)."
        />
        <Stat
          label="Finality latency"
          value={latency ? formatDuration(latency.seconds) : '—'}
          detail={latency ? `timestamp to final here, last ${plural(latency.over, 'block')}` : 'measured from live blocks'}
          hint="Time from a block's timestamp to its arrival here as a final block (QBFT blocks are final once committed). Timestamps are whole seconds, so each sample may read up to 1 s high."
        />
        <Stat
          label="Validators reachable"
          value={q ? `${q.reachable} of ${q.validators}` : '—'}
          detail={q ? `${q.sealing} sealing · quorum ${q.quorum} · fault budget ${q.faultBudget}${stale ? ' · last known' : ''}` : 'the node has no fleet view'}
          tone={!q || stale ? 'neutral' : q.tone}
        />
        <Stat label="Peers" value={formatInt(chain.peers.length)} detail={peerDetail(chain)} tone={stale ? 'neutral' : chain.peers.length === 0 ? 'warn' : undefined} />
        <Stat
          label="Consensus"
          value={consensus ? `round ${consensus.round}` : '—'}
          detail={consensus ? `${plural(consensus.roundChanges, 'round change')} since start` : 'not a consensus participant'}
          tone={stale ? 'neutral' : consensus && consensus.round > 0 ? 'warn' : undefined}
        />
      </div>

      {fleet && <FleetSection fleet={fleet} chain={chain} gov={gov} stale={stale} now={now} />}

      <Section
        title="Validators"
        description={`${
          chain.metricsTo >= chain.metricsFrom && chain.metricsTo > 0
            ? `Seals and proposals over blocks ${formatBlockNumber(chain.metricsFrom)}–${formatBlockNumber(chain.metricsTo)}.`
            : 'Seals and proposals show once blocks are made.'
        } Status is the node's fleet view: a validator is sealing only while it is reachable, sealed or proposed a recent block, and the chain makes blocks.`}
      >
        {activity.length === 0 ? (
          <Empty>No validators known yet.</Empty>
        ) : (
          <div className={`table-wrap${stale ? ' stale' : ''}`}>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Validator</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">Sealed</th>
                  <th scope="col" className="num">Proposed</th>
                  <th scope="col">Last sealed</th>
                  <th scope="col">Last proposed</th>
                  <th scope="col">Link from this node</th>
                </tr>
              </thead>
              <tbody>
                {activity.map((v) => {
                  const who = names(v.address)
                  const f = fleetNodeOf(fleet, v.address)
                  return (
                    <tr key={v.address} data-address={v.address.toLowerCase()} className={f?.sealing === 'down' ? 'row--bad' : undefined}>
                      <td>
                        <AddressCell address={v.address} {...(who.party ? { name: who.party.name } : {})} />
                      </td>
                      <td>{f ? <SealingStateBadge node={f} stale={stale} /> : <span className="muted">unknown</span>}</td>
                      <td className="num">{formatInt(v.sealed)}</td>
                      <td className="num">{formatInt(v.proposed)}</td>
                      <td className="nowrap">{v.lastSealed !== undefined ? <BlockAgo n={v.lastSealed} behind={chain.metricsTo - v.lastSealed} /> : <span className="muted">none in window</span>}</td>
                      <td className="nowrap">{v.lastProposed !== undefined ? <BlockAgo n={v.lastProposed} behind={chain.metricsTo - v.lastProposed} /> : <span className="muted">none in window</span>}</td>
                      <td>
                        <LinkBadge chain={chain} address={v.address} />
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section title="Peers" description="Nodes this node is connected to over P2P.">
        {chain.peers.length === 0 ? (
          <Empty>This node has no peers. Check its P2P settings and that the other nodes are running.</Empty>
        ) : (
          <div className={`table-wrap${stale ? ' stale' : ''}`}>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Peer</th>
                  <th scope="col">Direction</th>
                  <th scope="col">Remote address</th>
                  <th scope="col">Connected</th>
                  <th scope="col" className="num">Messages in / out</th>
                  <th scope="col" className="num">Traffic in / out</th>
                  <th scope="col" className="num">Score</th>
                </tr>
              </thead>
              <tbody>
                {chain.peers.map((p) => {
                  const who = names(p.id)
                  const validator = chain.validators.some((v) => sameAddress(v, p.id))
                  return (
                    <tr key={p.id} data-address={p.id.toLowerCase()}>
                      <td>
                        <AddressCell address={p.id} {...(who.party ? { name: who.party.name } : {})} sub={validator ? 'validator' : 'not a validator'} />
                      </td>
                      <td>{p.network.inbound ? 'inbound' : 'outbound'}</td>
                      <td className="mono">{p.network.url ?? p.network.remoteAddress}</td>
                      <td>
                        <RelativeTime at={Date.parse(p.connectedAt)} now={now} />
                      </td>
                      <td className="num">
                        {formatInt(p.messagesIn)} / {formatInt(p.messagesOut)}
                      </td>
                      <td className="num">
                        {formatBytes(p.bytesIn)} / {formatBytes(p.bytesOut)}
                      </td>
                      <td className="num">{formatInt(p.score)}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <AlertsSection rpc={rpc} now={now} />
      <HistorySection rpc={rpc} />
    </>
  )
}

function peerDetail(chain: ChainState): string {
  const inbound = chain.peers.filter((p) => p.network.inbound).length
  return chain.peers.length === 0 ? 'no connections' : `${formatInt(inbound)} inbound · ${formatInt(chain.peers.length - inbound)} outbound`
}

function BlockAgo({ n, behind }: { n: number; behind: number }) {
  return (
    <span>
      {formatBlockNumber(n)} <span className="muted">{behind <= 0 ? '(head)' : `(${plural(behind, 'block')} ago)`}</span>
    </span>
  )
}

/** Every node of the consortium: governance's list, the validator set, and the peers this node has had. */
function FleetSection({ fleet, chain, gov, stale, now }: { fleet: FleetReport; chain: ChainState; gov: GovernanceState; stale: boolean; now: number }) {
  const names = addressBook(gov)
  const down = fleet.nodes.filter((n) => n.state === 'down').length
  return (
    <Section
      title="Fleet"
      description={`Every node governance lists or this node has seen, each with its own view of the height (the head it last announced). Up: this node or connected; behind: connected but more than 2 blocks below; down: not connected and no recent seal shows otherwise${down ? ` (${down} now)` : ''}.`}
    >
      <div className={`table-wrap${stale ? ' stale' : ''}`}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">State</th>
              <th scope="col">Its height</th>
              <th scope="col">Role</th>
              <th scope="col">Sealing</th>
              <th scope="col">Link from this node</th>
            </tr>
          </thead>
          <tbody>
            {fleet.nodes.map((n) => {
              const who = names(n.address)
              // Named by its party, as in the validators table; the serving node also by its own name.
              const own = chain.nodeInfo?.name
              const name = who.party?.name ?? (n.self ? (own ?? 'this node') : undefined)
              const sub = n.self ? `serving this page${who.party && own ? ` (${own})` : ''}` : undefined
              return (
                <tr key={n.address} data-address={n.address.toLowerCase()} data-state={n.state} className={n.state === 'down' ? 'row--bad' : undefined}>
                  <td>
                    <AddressCell address={n.address} short {...(name !== undefined ? { name } : {})} {...(sub !== undefined ? { sub } : {})} />
                  </td>
                  <td>
                    <FleetStateBadge node={n} stale={stale} halted={fleet.quorum.stalled || fleet.quorum.state === 'lost'} />
                  </td>
                  <td className="nowrap">
                    {n.head !== undefined ? (
                      <>
                        {formatBlockNumber(n.head)}{' '}
                        {!n.self && n.head < fleet.head && <span className="muted">({plural(fleet.head - n.head, 'block')} below)</span>}
                        {n.state === 'down' && <span className="muted"> (when last connected)</span>}
                      </>
                    ) : (
                      <span className="muted">{n.state === 'down' ? 'unknown' : 'not announced yet'}</span>
                    )}
                  </td>
                  <td>{n.validator ? 'validator' : 'node'}</td>
                  <td>{n.validator ? <SealingStateBadge node={n} stale={stale} /> : <span className="muted">—</span>}</td>
                  <td>
                    <LinkBadge chain={chain} address={n.address} />
                    {!n.self && !n.connected && n.lastSeenAt !== undefined && (
                      <span className="muted">
                        {' '}
                        last seen <RelativeTime at={n.lastSeenAt} now={now} />
                      </span>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </Section>
  )
}
