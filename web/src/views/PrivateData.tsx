/** Private data: the erasure status of one record per member node, and this node's owed confirmations. */
import { useState, type FormEvent } from 'react'
import { lookupErasure, memberStatusText, type ErasureLookup, type ErasureStatus } from '../data/erasure.js'
import { formatAbsolute, shortHex } from '../format.js'
import type { RpcClient } from '../rpc/client.js'
import { Empty, Notice, Section, StatusBadge, type Tone } from '../components/ui.js'

const TONE: Record<string, Tone> = { confirmed: 'ok', pending: 'warn', 'not requested': 'neutral' }

export function PrivateData({ rpc }: { rpc: RpcClient }) {
  const [collection, setCollection] = useState('')
  const [key, setKey] = useState('')
  const [result, setResult] = useState<ErasureLookup>({ status: 'idle' })

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!collection.trim() || !key.trim()) return
    setResult({ status: 'loading' })
    void lookupErasure(rpc, collection.trim(), key.trim()).then(setResult)
  }

  return (
    <>
      <Section title="Erasure status" description="Name a collection and a record key to see, per member node, whether its deletion is confirmed on chain.">
        <form className="lookup" aria-label="Erasure status lookup" onSubmit={submit}>
          <label>
            Collection <input name="collection" value={collection} onChange={(e) => setCollection(e.target.value)} placeholder="patients" />
          </label>
          <label>
            Record key <input name="key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="t-1" />
          </label>
          <button type="submit" disabled={result.status === 'loading'}>
            Show status
          </button>
        </form>
      </Section>
      <Outcome result={result} />
    </>
  )
}

function Outcome({ result }: { result: ErasureLookup }) {
  switch (result.status) {
    case 'idle':
      return null
    case 'loading':
      return <p className="muted">Asking the node…</p>
    case 'not-enabled':
      return <Notice tone="info" title="Private data is not available on this node">The node does not serve the priv_ methods (no encryption key, or the module is off).</Notice>
    case 'not-member':
      return (
        <Notice tone="warn" title="This node is not a member of this collection">
          {result.message}. Ask a member's node: only members hold the collection secret that finds the record.
        </Notice>
      )
    case 'error':
      return <Notice tone="bad" title="The node could not answer">{result.message}</Notice>
    case 'ready':
      return <StatusTable data={result.data} />
  }
}

function StatusTable({ data }: { data: ErasureStatus }) {
  const erased = data.anchor.erasedAt > 0
  return (
    <>
      <Section title="Members" description={erased ? `Erasure request #${data.anchor.erasureRequest}, made ${formatAbsolute(data.anchor.erasedAt * 1000)}.` : 'No erasure was requested for this record.'}>
        {data.members.length === 0 ? (
          <Empty>The collection has no member nodes.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Erasure status per member">
              <thead>
                <tr>
                  <th>Party</th>
                  <th>Node</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {data.members.map((m) => (
                  <tr key={m.node} data-address={m.node.toLowerCase()} data-status={m.status}>
                    <td>{m.party}</td>
                    <td className="mono" title={m.node}>
                      {shortHex(m.node, 8, 6)}
                    </td>
                    <td>
                      <StatusBadge tone={TONE[m.status] ?? 'neutral'}>{memberStatusText(m, formatAbsolute)}</StatusBadge>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="This node's confirmations" description="Deletion confirmations this node still owes for the record; each is retried until it is on chain.">
        {data.thisNode.length === 0 ? (
          <Empty>This node owes no confirmation for this record.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Confirmations owed by this node">
              <thead>
                <tr>
                  <th>Request</th>
                  <th>Pending since</th>
                  <th>Attempts</th>
                  <th>Next attempt</th>
                  <th>Last error</th>
                </tr>
              </thead>
              <tbody>
                {data.thisNode.map((o) => (
                  <tr key={o.request} data-request={o.request}>
                    <td>#{o.request}</td>
                    <td>{formatAbsolute(o.since * 1000)}</td>
                    <td>{o.attempts}</td>
                    <td>{o.nextAttemptAt > 0 ? formatAbsolute(o.nextAttemptAt) : '—'}</td>
                    <td>{o.lastError ?? <span className="muted">none</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  )
}
