/**
 * Search by block number, block hash, transaction hash or address. The query lives in the URL
 * (`#/search?q=…`) so a result can be linked and the back button works. Logs and calls of the
 * chain's own contracts are decoded (data/decode.ts). An address shows its balance, nonce, code,
 * who it belongs to, and the logs it emitted over the last LOG_BLOCKS blocks.
 */
import { useEffect, useState, type FormEvent } from 'react'
import { addressBook } from '../data/derived.js'
import { decodeCall, decodeLog, knownContract, type Decoded } from '../data/decode.js'
import type { GovernanceState } from '../data/governance.js'
import { formatBlockNumber, formatEther, formatInt, hexToNumber } from '../format.js'
import type { RpcClient } from '../rpc/client.js'
import type { Address, Hex, RpcBlock, RpcLog, RpcReceipt, RpcTransaction } from '../rpc/types.js'
import { AddressCell, Empty, Mono, RelativeTime, Section, StatusBadge } from '../components/ui.js'

/** Blocks back from the head searched for an address's logs (eth_getLogs allows 10,000). */
const LOG_BLOCKS = 5000

type Result =
  | { kind: 'block'; block: RpcBlock }
  | { kind: 'tx'; tx: RpcTransaction; receipt: RpcReceipt | null }
  | { kind: 'address'; address: Address; balance: Hex; nonce: Hex; code: Hex; logs: RpcLog[]; from: number; to: number }
  | { kind: 'none'; message: string }

export function parseQuery(q: string): { kind: 'number'; n: number } | { kind: 'hash'; hash: Hex } | { kind: 'address'; address: Address } | undefined {
  const s = q.trim().replace(/^#/, '')
  if (/^\d{1,15}$/.test(s)) return { kind: 'number', n: Number(s) }
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) return { kind: 'hash', hash: s.toLowerCase() as Hex }
  if (/^0x[0-9a-fA-F]{40}$/.test(s)) return { kind: 'address', address: s.toLowerCase() as Address }
  return undefined
}

function queryFromHash(): string {
  const i = window.location.hash.indexOf('?')
  return i < 0 ? '' : (new URLSearchParams(window.location.hash.slice(i + 1)).get('q') ?? '')
}

export const searchHref = (q: string) => `#/search?q=${encodeURIComponent(q)}`

async function run(rpc: RpcClient, q: string): Promise<Result> {
  const parsed = parseQuery(q)
  if (!parsed) return { kind: 'none', message: 'Enter a block number (123 or #123), a 32-byte hash (0x + 64 hex digits) or an address (0x + 40 hex digits).' }
  if (parsed.kind === 'number') {
    const block = await rpc.call<RpcBlock | null>('eth_getBlockByNumber', [`0x${parsed.n.toString(16)}`, true])
    return block ? { kind: 'block', block } : { kind: 'none', message: `No block ${formatBlockNumber(parsed.n)} on this node yet.` }
  }
  if (parsed.kind === 'hash') {
    const tx = await rpc.call<RpcTransaction | null>('eth_getTransactionByHash', [parsed.hash])
    if (tx) return { kind: 'tx', tx, receipt: await rpc.call<RpcReceipt | null>('eth_getTransactionReceipt', [parsed.hash]) }
    const block = await rpc.call<RpcBlock | null>('eth_getBlockByHash', [parsed.hash, true])
    return block ? { kind: 'block', block } : { kind: 'none', message: 'No transaction or block with this hash on this node.' }
  }
  const headHex = await rpc.call<Hex>('eth_blockNumber')
  const head = hexToNumber(headHex) ?? 0
  const from = Math.max(0, head - LOG_BLOCKS + 1)
  const [balance, nonce, code, logs] = await Promise.all([
    rpc.call<Hex>('eth_getBalance', [parsed.address, headHex]),
    rpc.call<Hex>('eth_getTransactionCount', [parsed.address, headHex]),
    rpc.call<Hex>('eth_getCode', [parsed.address, headHex]),
    rpc.call<RpcLog[]>('eth_getLogs', [{ address: parsed.address, fromBlock: `0x${from.toString(16)}`, toBlock: headHex }]),
  ])
  return { kind: 'address', address: parsed.address, balance, nonce, code, logs, from, to: head }
}

export function Search({ rpc, gov, now }: { rpc: RpcClient; gov: GovernanceState; now: number }) {
  const [q, setQ] = useState(queryFromHash)
  const [input, setInput] = useState(q)
  const [state, setState] = useState<{ status: 'idle' } | { status: 'running' } | { status: 'done'; result: Result } | { status: 'error'; message: string }>({ status: 'idle' })

  useEffect(() => {
    const onHash = () => {
      const next = queryFromHash()
      setQ(next)
      setInput(next)
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])

  useEffect(() => {
    if (!q.trim()) {
      setState({ status: 'idle' })
      return
    }
    let stale = false
    setState({ status: 'running' })
    run(rpc, q).then(
      (result) => !stale && setState({ status: 'done', result }),
      (err: unknown) => !stale && setState({ status: 'error', message: err instanceof Error ? err.message : String(err) }),
    )
    return () => {
      stale = true
    }
  }, [rpc, q])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    window.location.hash = searchHref(input.trim())
  }

  return (
    <>
      <form className="search" role="search" aria-label="Search the chain" onSubmit={submit}>
        <label htmlFor="search-q" className="search__label">
          Block number, block or transaction hash, or address
        </label>
        <div className="search__row">
          <input id="search-q" className="search__input mono" type="search" value={input} onChange={(e) => setInput(e.target.value)} placeholder="123 · 0x… (hash) · 0x… (address)" autoComplete="off" spellCheck={false} />
          <button type="submit" className="button">
            Search
          </button>
        </div>
      </form>
      <div aria-live="polite" aria-busy={state.status === 'running'} role="region" aria-label="Search result">
        {state.status === 'running' && <p className="muted">Searching…</p>}
        {state.status === 'error' && (
          <p className="inline-warning" role="alert">
            The search failed: {state.message}
          </p>
        )}
        {state.status === 'done' && <ResultView result={state.result} gov={gov} now={now} />}
      </div>
    </>
  )
}

function ResultView({ result, gov, now }: { result: Result; gov: GovernanceState; now: number }) {
  const names = addressBook(gov)
  const who = (a: string | null) => {
    if (!a) return undefined
    const known = knownContract(a)
    if (known) return known
    const l = names(a)
    return l.party ? `${l.party.name}${l.node ? ' (node)' : ''}` : undefined
  }
  const Addr = ({ a }: { a: string | null }) => {
    if (!a) return <span className="muted">contract creation</span>
    const name = who(a)
    return (
      <a href={searchHref(a)} className="link">
        <AddressCell address={a} short {...(name ? { name } : {})} />
      </a>
    )
  }
  switch (result.kind) {
    case 'none':
      return <Empty>{result.message}</Empty>
    case 'block': {
      const b = result.block
      const n = hexToNumber(b.number) ?? 0
      return (
        <Section title={`Block ${formatBlockNumber(n)}`}>
          <dl className="facts facts--wide">
            <Fact label="Hash">
              <Mono value={b.hash} />
            </Fact>
            <Fact label="Time">{n === 0 ? 'genesis' : <RelativeTime at={(hexToNumber(b.timestamp) ?? 0) * 1000} now={now} />}</Fact>
            <Fact label="Proposer">{n === 0 ? '—' : <Addr a={b.miner} />}</Fact>
            <Fact label="Parent">
              <a href={searchHref(b.parentHash)} className="link mono">
                {b.parentHash}
              </a>
            </Fact>
            <Fact label="Gas used">
              {formatInt(hexToNumber(b.gasUsed) ?? 0)} of {formatInt(hexToNumber(b.gasLimit) ?? 0)}
            </Fact>
            <Fact label="Transactions">{formatInt(b.transactions.length)}</Fact>
          </dl>
          {b.transactions.length > 0 && <TxTable txs={b.transactions} Addr={Addr} />}
        </Section>
      )
    }
    case 'tx': {
      const { tx, receipt } = result
      const call = decodeCall(tx.to, tx.input)
      const ok = receipt ? receipt.status === '0x1' : undefined
      return (
        <Section title="Transaction">
          <dl className="facts facts--wide">
            <Fact label="Hash">
              <Mono value={tx.hash} />
            </Fact>
            <Fact label="Status">{ok === undefined ? <StatusBadge tone="neutral">Pending</StatusBadge> : ok ? <StatusBadge tone="ok">Succeeded</StatusBadge> : <StatusBadge tone="bad">Reverted</StatusBadge>}</Fact>
            <Fact label="Block">
              {tx.blockNumber ? (
                <a href={searchHref(String(hexToNumber(tx.blockNumber)))} className="link">
                  {formatBlockNumber(hexToNumber(tx.blockNumber) ?? 0)}
                </a>
              ) : (
                'not in a block yet'
              )}
            </Fact>
            <Fact label="From">
              <Addr a={tx.from} />
            </Fact>
            <Fact label="To">
              <Addr a={tx.to ?? receipt?.contractAddress ?? null} />
            </Fact>
            <Fact label="Value">{formatEther(tx.value)} ETH</Fact>
            {receipt && <Fact label="Gas used">{formatInt(hexToNumber(receipt.gasUsed) ?? 0)}</Fact>}
            <Fact label="Call">{call ? <DecodedView d={call} named /> : tx.input === '0x' ? <span className="muted">none (a transfer)</span> : <span className="muted">{formatInt((tx.input.length - 2) / 2)} bytes, not a known contract call</span>}</Fact>
          </dl>
          {receipt && <LogList logs={receipt.logs} />}
        </Section>
      )
    }
    case 'address': {
      const name = who(result.address)
      const contract = result.code !== '0x'
      return (
        <Section title={name ? `${name}` : contract ? 'Contract' : 'Account'}>
          <dl className="facts facts--wide">
            <Fact label="Address">
              <Mono value={result.address} />
            </Fact>
            <Fact label="Kind">{contract ? `contract (${formatInt((result.code.length - 2) / 2)} bytes of code)` : 'account'}</Fact>
            <Fact label="Balance">{formatEther(result.balance)} ETH</Fact>
            <Fact label="Nonce">{formatInt(hexToNumber(result.nonce) ?? 0)}</Fact>
          </dl>
          <h3 className="subhead">
            Logs emitted, blocks {formatBlockNumber(result.from)}–{formatBlockNumber(result.to)}
          </h3>
          <LogList logs={[...result.logs].reverse()} />
        </Section>
      )
    }
  }
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

function TxTable({ txs, Addr }: { txs: RpcTransaction[]; Addr: (p: { a: string | null }) => React.ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Transaction</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Call</th>
            <th scope="col" className="num">Value (ETH)</th>
          </tr>
        </thead>
        <tbody>
          {txs.map((tx) => {
            const call = decodeCall(tx.to, tx.input)
            return (
              <tr key={tx.hash}>
                <td>
                  <a href={searchHref(tx.hash)} className="link mono" title={tx.hash}>
                    {tx.hash.slice(0, 10)}…{tx.hash.slice(-6)}
                  </a>
                </td>
                <td>
                  <Addr a={tx.from} />
                </td>
                <td>
                  <Addr a={tx.to} />
                </td>
                <td>{call ? `${call.contract}.${call.name}` : <span className="muted">—</span>}</td>
                <td className="num">{formatEther(tx.value)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

function LogList({ logs }: { logs: RpcLog[] }) {
  if (logs.length === 0) return <Empty>No logs.</Empty>
  return (
    <ol className="log-list" aria-label="Logs">
      {logs.map((log) => {
        const d = decodeLog(log)
        return (
          <li key={`${log.transactionHash}-${log.logIndex}`} className="log-list__item">
            <div className="log-list__head">
              {d ? <strong>{`${d.contract}.${d.name}`}</strong> : <span className="muted">not decoded (unknown ABI)</span>}{' '}
              <span className="muted">
                block{' '}
                <a href={searchHref(String(hexToNumber(log.blockNumber)))} className="link">
                  {formatBlockNumber(hexToNumber(log.blockNumber) ?? 0)}
                </a>{' '}
                · tx{' '}
                <a href={searchHref(log.transactionHash)} className="link mono">
                  {log.transactionHash.slice(0, 10)}…
                </a>
              </span>
            </div>
            {d ? (
              <DecodedView d={d} />
            ) : (
              <div className="mono small">
                {log.topics.join(' ')} {log.data}
              </div>
            )}
          </li>
        )
      })}
    </ol>
  )
}

function DecodedView({ d, named = false }: { d: Decoded; named?: boolean }) {
  return (
    <>
      {named && <strong>{`${d.contract}.${d.name}`}</strong>}
      <DecodedArgs d={d} />
    </>
  )
}

function DecodedArgs({ d }: { d: Decoded }) {
  return (
    <dl className="decoded" aria-label={`${d.contract}.${d.name}`}>
      {d.args.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="mono">{v}</dd>
        </div>
      ))}
    </dl>
  )
}
