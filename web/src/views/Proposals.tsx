/** Proposals with their tally against the decision's policy, each party's vote, and deadlines. */
import type { GovernanceData, GovernanceState } from '../data/governance.js'
import { formatAbsolute, formatInt, formatPercent, formatDuration, plural, shortHex } from '../format.js'
import type { GovParty, GovPolicy, GovProposal, ProposalState } from '../rpc/types.js'
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
  return (
<GovernanceGate gov={gov}>{(data) => <ProposalLists data={data} now={now} />}</GovernanceGate>
  )
}

function ProposalLists({ data, now }: { data: GovernanceData; now: number }) {
  const open = data.proposals.filter((p) => p.state === 'open').sort((a, b) => a.deadline - b.deadline)
  const closed = data.proposals.filter((p) => p.state !== 'open').sort((a, b) => b.deadline - a.deadline)
  const parties = new Map(data.parties.map((p) => [p.id, p]))
  const policies = new Map(data.policies.map((p) => [p.decision, p]))
  return (
    <>
      <Section plain title="Open proposals" description="Waiting for votes, soonest deadline first.">
        {open.length === 0 ? <Empty>No proposal is open for voting.</Empty> : <ProposalList proposals={open} parties={parties} policies={policies} data={data} now={now} />}
      </Section>
      <Section plain title="Decided proposals" description="Approved, rejected, expired or failed, newest first.">
        {closed.length === 0 ? <Empty>No proposal has been decided yet.</Empty> : <ProposalList proposals={closed} parties={parties} policies={policies} data={data} now={now} />}
      </Section>
    </>
  )
}

function ProposalList(props: { proposals: GovProposal[]; parties: Map<string, GovParty>; policies: Map<string, GovPolicy>; data: GovernanceData; now: number }) {
  return (
    <ol className="proposals">
      {props.proposals.map((p) => (
        <li key={String(p.id)}>
          <ProposalCard proposal={p} parties={props.parties} policy={props.policies.get(p.decision)} data={props.data} now={props.now} />
        </li>
      ))}
    </ol>
  )
}

/** The rule a proposal is decided by: its own when the node reports it, else its decision's current policy. */
function ruleOf(p: GovProposal, policy: GovPolicy | undefined): Pick<GovPolicy, 'thresholdPercent' | 'comparator' | 'vetoParties'> | undefined {
  const thresholdPercent = p.thresholdPercent ?? policy?.thresholdPercent
  if (thresholdPercent === undefined) return undefined
  return { thresholdPercent, comparator: p.comparator ?? policy?.comparator ?? '>=', vetoParties: p.vetoParties ?? policy?.vetoParties ?? [] }
}

function ProposalCard({ proposal: p, parties, policy: current, data, now }: { proposal: GovProposal; parties: Map<string, GovParty>; policy: GovPolicy | undefined; data: GovernanceData; now: number }) {
  const policy = ruleOf(p, current)
  const state = STATE[p.state]
  const partyName = (id: string) => parties.get(id)?.name ?? id
  const titleId = `proposal-${String(p.id)}`
  const voted = new Set(p.votes.map((v) => v.party))
  // Who may still vote: active parties that vote (observers do not) and have not voted.
  const pending = p.state === 'open' ? data.parties.filter((x) => x.status === 'active' && x.kind !== 'observer' && !voted.has(x.id)) : []
  const total = Math.max(p.votingParties, p.yes + p.no, 1)
  const vetoes = policy ? p.votes.filter((v) => !v.support && policy.vetoParties.includes(v.party)) : []
  const deadlineMs = p.deadline * 1000
  return (
    <article className={`card proposal proposal--${p.state}`} aria-labelledby={titleId}>
      <header className="card__header">
        <div>
          <h3 id={titleId} className="card__title">
            <span className="muted">#{String(p.id)}</span> {humanDecision(p.decision)}
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
      <ArgList args={p.args} />

      <div className="tally" aria-label={`Tally: ${p.yes} yes, ${p.no} no, of ${p.votingParties} voting parties`}>
        <div className="tally__bar" aria-hidden="true">
          <span className="tally__yes" style={{ width: `${(p.yes / total) * 100}%` }} />
          <span className="tally__no" style={{ width: `${(p.no / total) * 100}%` }} />
          {policy && <span className="tally__threshold" style={{ left: `${policy.thresholdPercent}%` }} />}
        </div>
        <div className="tally__text">
          <strong>{formatInt(p.yes)} yes</strong> · <strong>{formatInt(p.no)} no</strong> · {formatInt(Math.max(0, p.votingParties - p.yes - p.no))} not voted, of{' '}
          {plural(p.votingParties, 'voting party', 'voting parties')}
          {policy && (
            <span className="muted">
              {' '}
              — needs {policy.comparator === '>' ? 'more than' : 'at least'} {formatPercent(policy.thresholdPercent / 100)} yes
              {policy.vetoParties.length > 0 && `; veto: ${policy.vetoParties.map(partyName).join(', ')}`}
            </span>
          )}
        </div>
        {vetoes.length > 0 && <p className="inline-warning">Vetoed by {vetoes.map((v) => partyName(v.party)).join(', ')}.</p>}
      </div>

      <div className="proposal__deadline">
        {p.state === 'open' ? (
          deadlineMs > now ? (
            <>
              Voting closes <RelativeTime at={deadlineMs} now={now} />
              <span className="muted"> ({formatAbsolute(deadlineMs)})</span>
            </>
          ) : (
            <>
              Deadline passed <RelativeTime at={deadlineMs} now={now} /> — settles with the next vote or block
            </>
          )
        ) : (
          <>
            Deadline was {formatAbsolute(deadlineMs)}
            {current && <span className="muted"> · voting period {formatDuration(current.votingPeriodSeconds)}</span>}
          </>
        )}
      </div>

        </div>
      <table className="table table--compact votes">
        <caption className="visually-hidden">Votes on proposal {String(p.id)}</caption>
        <thead>
          <tr>
            <th scope="col">Party</th>
            <th scope="col">Vote</th>
            <th scope="col">Voter</th>
          </tr>
        </thead>
        <tbody>
          {p.votes.map((v) => (
            <tr key={v.party}>
              <td>{partyName(v.party)}</td>
              <td>{v.support ? <StatusBadge tone="ok">Yes</StatusBadge> : <StatusBadge tone="bad">No</StatusBadge>}</td>
              <td>
                {v.voter ? (
                  <span className="mono" title={v.voter}>
                    {shortHex(v.voter)}
                  </span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
          {pending.map((x) => (
            <tr key={x.id}>
              <td>{x.name}</td>
              <td>
                <StatusBadge tone="neutral">Not voted</StatusBadge>
              </td>
              <td className="muted">—</td>
            </tr>
          ))}
          {p.votes.length === 0 && pending.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                No votes were cast.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      </div>
    </article>
  )
}

function ArgList({ args }: { args: Record<string, unknown> }) {
  const entries = Object.entries(args)
  if (entries.length === 0) return null
  return (
    <dl className="args">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
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
