/** Network overview: height, block time, finality latency, validators and their sealing, peers. */
import { addressBook, averageBlockTime, finalityLatency, sameAddress } from '../data/derived.js'
import type { GovernanceState } from '../data/governance.js'
import type { ChainState } from '../data/store.js'
import { formatBlockNumber, formatBytes, formatDuration, formatInt, hexToNumber, plural } from '../format.js'
import { lagThreshold, validatorHealth, type ValidatorHealth } from '../health.js'
import { AddressCell, Empty, RelativeTime, Section, Stat, StatusBadge } from '../components/ui.js'

export function Overview({ chain, gov, now }: { chain: ChainState; gov: GovernanceState; now: number }) {
  const head = chain.head ?? 0
  const health = validatorHealth(chain.validators, chain.metrics, chain.metricsTo, chain.metricsFrom)
  const sealing = health.filter((v) => v.state === 'sealing').length
  const notSealing = health.filter((v) => v.state === 'not-sealing').length
  const blockTime = averageBlockTime(chain.blocks)
  const latency = finalityLatency(chain.arrivals)
  const headArrival = chain.arrivals.find((a) => a.number === head)
  const headTimestamp = head > 0 ? hexToNumber(chain.blocks[0]?.timestamp) : undefined
  const lastBlockAt = headArrival?.receivedAt ?? (headTimestamp !== undefined ? headTimestamp * 1000 : undefined)
  const consensus = chain.nodeInfo?.consensus
  const names = addressBook(gov)
  // Empty blocks may be minutes apart by configuration: only a gap well beyond the usual one is a stall.
  const stallMs = Math.max(30_000, 3 * 1000 * (blockTime?.seconds ?? 0))
  const stalled = lastBlockAt !== undefined && now - lastBlockAt > stallMs
  const quorum = Math.ceil((2 * chain.validators.length) / 3)

  return (
    <>
      <div className="stats" aria-label="Network status" role="region">
        <Stat
          label="Block height"
          value={<span data-testid="height">{formatBlockNumber(head)}</span>}
          detail={lastBlockAt !== undefined ? <>last block <RelativeTime at={lastBlockAt} now={now} /></> : 'only the genesis block'}
          tone={stalled ? 'warn' : undefined}
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
          label="Validators sealing"
          value={`${sealing} of ${chain.validators.length}`}
          detail={notSealing > 0 ? `${plural(notSealing, 'validator')} not sealing · quorum ${quorum}` : `quorum ${quorum}`}
          tone={notSealing > 0 ? (sealing >= quorum ? 'warn' : 'bad') : sealing === chain.validators.length && sealing > 0 ? 'ok' : undefined}
        />
        <Stat label="Peers" value={formatInt(chain.peers.length)} detail={peerDetail(chain)} tone={chain.peers.length === 0 ? 'warn' : undefined} />
        <Stat
          label="Consensus"
          value={consensus ? `round ${consensus.round}` : '—'}
          detail={consensus ? `${plural(consensus.roundChanges, 'round change')} since start` : 'not a consensus participant'}
          tone={consensus && consensus.round > 0 ? 'warn' : undefined}
        />
      </div>
      {stalled && (
        <p className="inline-warning" role="status">
          No new block for <RelativeTime at={lastBlockAt} now={now} />: {sealing < quorum ? `only ${sealing} validators are sealing and ${quorum} are needed.` : 'the validators may be changing rounds.'}
        </p>
      )}

      <Section
        title="Validators"
        description={`${
          chain.metricsTo >= chain.metricsFrom && chain.metricsTo > 0
            ? `Seals and proposals over blocks ${formatBlockNumber(chain.metricsFrom)}–${formatBlockNumber(chain.metricsTo)}.`
            : 'Seals and proposals show once blocks are made.'
        } A validator that neither sealed nor proposed any of the last ${lagThreshold(chain.validators.length)} blocks is marked not sealing.`}
      >
        {health.length === 0 ? (
          <Empty>No validators known yet.</Empty>
        ) : (
          <div className="table-wrap">
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
                {health.map((v) => {
                  const who = names(v.address)
                  return (
                    <tr key={v.address} data-address={v.address.toLowerCase()} className={v.state === 'not-sealing' ? 'row--bad' : undefined}>
                      <td>
                        <AddressCell address={v.address} {...(who.party ? { name: who.party.name } : {})} />
                      </td>
                      <td>
                        <SealingBadge v={v} />
                      </td>
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
          <div className="table-wrap">
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
    </>
  )
}

function peerDetail(chain: ChainState): string {
  const inbound = chain.peers.filter((p) => p.network.inbound).length
  return chain.peers.length === 0 ? 'no connections' : `${formatInt(inbound)} inbound · ${formatInt(chain.peers.length - inbound)} outbound`
}

export function SealingBadge({ v }: { v: ValidatorHealth }) {
  switch (v.state) {
    case 'sealing':
      return <StatusBadge tone="ok">Sealing</StatusBadge>
    case 'not-sealing':
      return (
        <StatusBadge tone="bad" title={v.idle !== undefined ? `no seal or proposal for ${v.idle} blocks` : 'no seal or proposal in the window'}>
          Not sealing
        </StatusBadge>
      )
    case 'waiting':
      return <StatusBadge tone="neutral">Waiting for blocks</StatusBadge>
  }
}

function BlockAgo({ n, behind }: { n: number; behind: number }) {
  return (
    <span>
      {formatBlockNumber(n)} <span className="muted">{behind <= 0 ? '(head)' : `(${plural(behind, 'block')} ago)`}</span>
    </span>
  )
}

export function LinkBadge({ chain, address }: { chain: ChainState; address: string }) {
  if (sameAddress(chain.nodeInfo?.id, address)) return <StatusBadge tone="info">This node</StatusBadge>
  return chain.peers.some((p) => sameAddress(p.id, address)) ? <StatusBadge tone="ok">Connected</StatusBadge> : <StatusBadge tone="warn">Not connected</StatusBadge>
}
