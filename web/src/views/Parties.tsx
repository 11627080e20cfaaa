/** Parties of the consortium with their admins, nodes (and how each node is doing) and accounts. */
import type { GovernanceState, GovernanceData } from '../data/governance.js'
import type { ChainState } from '../data/store.js'
import { formatInt, plural, shortHex } from '../format.js'
import type { GovParty, PartyKind, PartyStatus } from '../rpc/types.js'
import { Empty, StatusBadge, type Tone } from '../components/ui.js'
import { GovernanceGate } from './GovernanceGate.js'
import { FleetStateBadge, LinkBadge, SealingStateBadge, fleetNodeOf } from '../components/fleet.js'

const KIND_LABEL: Record<PartyKind, string> = { member: 'Member', regulator: 'Regulator', observer: 'Observer' }
const STATUS: Record<PartyStatus, { tone: Tone; label: string }> = {
  active: { tone: 'ok', label: 'Active' },
  suspended: { tone: 'warn', label: 'Suspended' },
  removed: { tone: 'neutral', label: 'Removed' },
  none: { tone: 'neutral', label: 'Unknown' },
}

export function Parties({ chain, gov }: { chain: ChainState; gov: GovernanceState }) {
  return <GovernanceGate gov={gov}>{(data) => <PartyList data={data} chain={chain} />}</GovernanceGate>
}

function PartyList({ data, chain }: { data: GovernanceData; chain: ChainState }) {
  const stale = chain.unreachable !== undefined
  const activeNodes = data.nodes.filter((n) => n.status === 'active')
  const order = (p: GovParty) => ({ active: 0, suspended: 1, removed: 2, none: 3 })[p.status]
  const parties = [...data.parties].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name))
  if (parties.length === 0) return <Empty>No parties are recorded on the chain.</Empty>
  return (
    <>
      <p className="summary">
        {plural(data.parties.filter((p) => p.status === 'active').length, 'active party', 'active parties')} · {plural(activeNodes.length, 'node')} (
        {plural(activeNodes.filter((n) => n.validator).length, 'validator')}) · {plural(data.accounts.length, 'account')}
      </p>
      <div className="cards">
        {parties.map((p) => {
          const nodes = data.nodes.filter((n) => n.party === p.id)
          const accounts = data.accounts.filter((a) => a.party === p.id)
          const status = STATUS[p.status]
          return (
            <article key={p.id} className={`card party party--${p.status}`} aria-labelledby={`party-${p.id}`}>
              <header className="card__header">
                <div>
                  <h3 id={`party-${p.id}`} className="card__title">
                    {p.name}
                  </h3>
                  <div className="card__sub">
                    <span className="mono">{p.id}</span> · {KIND_LABEL[p.kind]}
                  </div>
                </div>
                <StatusBadge tone={status.tone}>{status.label}</StatusBadge>
              </header>

              <dl className="facts">
                <div>
                  <dt>Admins</dt>
                  <dd>
                    {(p.admins ?? []).length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      (p.admins ?? []).map((a) => (
                        <span key={a} className="mono chip" title={a}>
                          {shortHex(a)}
                        </span>
                      ))
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Accounts</dt>
                  <dd>{accounts.length === 0 ? <span className="muted">none</span> : permissionSummary(accounts.map((a) => a.permissions ?? []))}</dd>
                </div>
              </dl>

              {nodes.length === 0 ? (
                <Empty>No nodes.</Empty>
              ) : (
                <ul className="node-list" aria-label={`Nodes of ${p.name}`}>
                  {nodes.map((n) => {
                    const f = fleetNodeOf(chain.fleet, n.address)
                    return (
                      <li key={n.address} className="node-list__item" data-address={n.address.toLowerCase()}>
                        <div className="node-list__id">
                          <span className="mono" title={n.address}>
                            {shortHex(n.address, 8, 6)}
                          </span>
                          {n.status === 'removed' ? (
                            <StatusBadge tone="neutral">Removed</StatusBadge>
                          ) : n.validator ? (
                            <span className="tag tag--strong">Validator</span>
                          ) : (
                            <span className="tag">Node</span>
                          )}
                        </div>
                        <div className="node-list__status">
                          {n.status === 'active' && f && <FleetStateBadge node={f} stale={stale} halted={chain.fleet?.quorum.stalled === true || chain.fleet?.quorum.state === 'lost'} />}
                          {n.status === 'active' && <LinkBadge chain={chain} address={n.address} />}
                          {n.status === 'active' && f && <SealingStateBadge node={f} stale={stale} />}
                        </div>
                        <div className="node-list__endpoint mono" title={n.endpoint}>
                          {n.endpoint || 'no endpoint: dials out only'}
                        </div>
                      </li>
                    )
                  })}
                </ul>
              )}
            </article>
          )
        })}
      </div>
    </>
  )
}

function permissionSummary(perms: string[][]): string {
  const counts = new Map<string, number>()
  for (const list of perms) for (const p of list) counts.set(p, (counts.get(p) ?? 0) + 1)
  const parts = ['transact', 'deploy', 'call'].filter((p) => counts.has(p)).map((p) => `${formatInt(counts.get(p)!)} ${p}`)
  return `${plural(perms.length, 'account')}${parts.length ? ` (${parts.join(', ')})` : ''}`
}
