/** Proposals with their tally against the rule they are decided by, each party's vote, and deadlines. */
import type { GovernanceData, GovernanceState } from '../data/governance.js'
import { formatAbsolute, formatDuration, formatInt, formatPercent, plural } from '../format.js'
import type { GovParty, GovProposal, ProposalState } from '../rpc/types.js'
import { Empty, RelativeTime, Section, StatusBadge, type Tone } from '../components/ui.js'
import { GovernanceGate } from './GovernanceGate.js'

const STATE: Record<ProposalState, { tone: Tone; label: string }> = {
  open: { tone: 'info', label: 'Open' },
  approved: { tone: 'ok', label: 'Approved' },
  rejected: { tone: 'bad', label: 'Rejected' },
  expired: { tone: 'neutral', label: 'Expired' },
  failed: { tone: 'warn', label: 'Failed' },
}

export function Proposals({ gov, now }: { gov: GovernanceState; now: number }) {
  return <GovernanceGate gov={gov}>{(data) => <ProposalLists data={data} now={now} />}</GovernanceGate>
}

function ProposalLists({ data, now }: { data: GovernanceData; now: number }) {
  const open = data.proposals.filter((p) => p.state === 'open').sort((a, b) => a.deadline - b.deadline)
  const closed = data.proposals.filter((p) => p.state !== 'open').sort((a, b) => b.id - a.id)
  const parties = new Map(data.parties.map((p) => [p.id, p]))
  return (
    <>
      <Section plain title="Open proposals" description="Waiting for votes, soonest deadline first.">
        {open.length === 0 ? <Empty>No proposal is open for voting.</Empty> : <ProposalList proposals={open} parties={parties} data={data} now={now} />}
      </Section>
      <Section plain title="Decided proposals" description="Approved, rejected, expired or failed, newest first.">
        {closed.length === 0 ? <Empty>No proposal has been decided yet.</Empty> : <ProposalList proposals={closed} parties={parties} data={data} now={now} />}
      </Section>
    </>
  )
}

function ProposalList(props: { proposals: GovProposal[]; parties: Map<string, GovParty>; data: GovernanceData; now: number }) {
  return (
    <ol className="proposals">
      {props.proposals.map((p) => (
        <li key={p.id}>
          <ProposalCard proposal={p} parties={props.parties} data={props.data} now={props.now} />
        </li>
      ))}
    </ol>
  )
}

function ProposalCard({ proposal: p, parties, data, now }: { proposal: GovProposal; parties: Map<string, GovParty>; data: GovernanceData; now: number }) {
  const state = STATE[p.state]
  const partyName = (id: string) => parties.get(id)?.name ?? id
  const titleId = `proposal-${p.id}`
  const voted = new Set(p.votes.map((v) => v.party))
  // Who may still vote: active parties that vote (observers do not) and have not voted.
  const pending = p.state === 'open' ? data.parties.filter((x) => x.status === 'active' && x.kind !== 'observer' && !voted.has(x.id)) : []
  const total = Math.max(p.votingParties, p.yes + p.no, 1)
  const vetoes = p.votes.filter((v) => !v.support && p.vetoParties.includes(v.party))
  const deadlineMs = p.deadline * 1000
  const period = formatDuration(p.deadline - p.createdAt)
  return (
    <article className={`card proposal proposal--${p.state}`} aria-labelledby={titleId} data-proposal={p.id}>
      <header className="card__header">
        <div>
          <h3 id={titleId} className="card__title">
            <span className="muted">#{p.id}</span> {humanDecision(p.decision)}
          </h3>
          <div className="card__sub">
            Proposed by {partyName(p.proposer)} · <RelativeTime at={p.createdAt * 1000} now={now} />
          </div>
        </div>
        <StatusBadge tone={state.tone}>{state.label}</StatusBadge>
      </header>
      <div className="proposal__body">
        <div className="proposal__info">
          {p.description && <p className="proposal__description">{p.description}</p>}
          <ArgList args={p.args} partyName={partyName} />

          <div className="tally" role="group" aria-label="Tally">
            <div className="tally__bar" aria-hidden="true">
              <span className="tally__yes" style={{ width: `${(p.yes / total) * 100}%` }} />
              <span className="tally__no" style={{ width: `${(p.no / total) * 100}%` }} />
              <span className="tally__threshold" style={{ left: `${p.thresholdPercent}%` }} title={`threshold ${p.thresholdPercent} %`} />
            </div>
            <div className="tally__text">
              <strong>{formatInt(p.yes)} yes</strong> · <strong>{formatInt(p.no)} no</strong> · {formatInt(Math.max(0, p.votingParties - p.yes - p.no))} not voted, of{' '}
              {plural(p.votingParties, 'voting party', 'voting parties')}
            </div>
            <div className="tally__rule">
              Needs {p.comparator === '>' ? 'more than' : 'at least'} {formatPercent(p.thresholdPercent / 100)} yes
              {p.vetoParties.length > 0 && <> · veto: {p.vetoParties.map(partyName).join(', ')}</>}
            </div>
            {vetoes.length > 0 && <p className="inline-warning">Vetoed by {vetoes.map((v) => partyName(v.party)).join(', ')}.</p>}
          </div>

          <div className="proposal__deadline">
            {p.state === 'open' ? (
              deadlineMs > now ? (
                <>
                  Voting closes <RelativeTime at={deadlineMs} now={now} />
                  <span className="muted">
                    {' '}
                    ({formatAbsolute(deadlineMs)}; voting period {period})
                  </span>
                </>
              ) : (
                <>
                  Deadline passed <RelativeTime at={deadlineMs} now={now} /> — anyone may now mark it expired
                </>
              )
            ) : (
              <>
                Voting {deadlineMs > now ? 'would have closed' : 'closed'} {formatAbsolute(deadlineMs)}
                <span className="muted"> · voting period {period}</span>
              </>
            )}
          </div>
        </div>
        <div className="proposal__votes">
          <table className="table table--compact votes">
            <caption className="visually-hidden">Votes on proposal {p.id}</caption>
            <thead>
              <tr>
                <th scope="col">Party</th>
                <th scope="col">Vote</th>
              </tr>
            </thead>
            <tbody>
              {p.votes.map((v) => (
                <tr key={v.party} data-party={v.party}>
                  <td>
                    {partyName(v.party)}
                    {p.vetoParties.includes(v.party) && <span className="muted"> · may veto</span>}
                  </td>
                  <td>{v.support ? <StatusBadge tone="ok">Yes</StatusBadge> : <StatusBadge tone="bad">No</StatusBadge>}</td>
                </tr>
              ))}
              {pending.map((x) => (
                <tr key={x.id} data-party={x.id}>
                  <td>
                    {x.name}
                    {p.vetoParties.includes(x.id) && <span className="muted"> · may veto</span>}
                  </td>
                  <td>
                    <StatusBadge tone="neutral">Not voted</StatusBadge>
                  </td>
                </tr>
              ))}
              {p.votes.length === 0 && pending.length === 0 && (
                <tr>
                  <td colSpan={2} className="muted">
                    No votes were cast.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
    </article>
  )
}

/** Argument names of the decisions, for people; any other name is shown as the node sent it. */
const ARG_LABEL: Record<string, string> = {
  id: 'Party id',
  name: 'Name',
  kind: 'Kind',
  admins: 'Admins',
  node: 'Node',
  party: 'Party',
  endpoint: 'Endpoint',
  validator: 'Validator',
  encryptionKey: 'Encryption key',
  codeHash: 'Code hash',
  proxy: 'Proxy',
  implementation: 'Implementation',
  target: 'Decision',
  thresholdPercent: 'Threshold %',
  comparator: 'Comparator',
  votingPeriodSeconds: 'Voting period',
  vetoParties: 'Veto',
  account: 'Account',
  permissions: 'Permissions',
  controller: 'Controller',
  retentionSeconds: 'Retention',
  members: 'Members',
  grants: 'Grants',
}

function ArgList({ args, partyName }: { args: Record<string, unknown>; partyName: (id: string) => string }) {
  // `decision` repeats the card title.
  const entries = Object.entries(args).filter(([k]) => k !== 'decision')
  if (entries.length === 0) return null
  const show = (k: string, v: unknown): string => {
    if ((k === 'votingPeriodSeconds' || k === 'retentionSeconds') && typeof v === 'number') return formatDuration(v)
    if (k === 'party' && typeof v === 'string') return partyName(v)
    if (k === 'target' && typeof v === 'string') return humanDecision(v)
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length === 0 ? 'none' : v.join(', ')
    return typeof v === 'string' ? v : JSON.stringify(v)
  }
  return (
    <dl className="args">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{ARG_LABEL[k] ?? k}</dt>
          <dd className="mono">{show(k, v)}</dd>
        </div>
      ))}
    </dl>
  )
}

/** "AddValidator" → "Add validator" */
export function humanDecision(decision: string): string {
  const words = decision.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
