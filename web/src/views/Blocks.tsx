/** Recent blocks and the transactions in them (final when shown: QBFT does not fork). */
import { addressBook, type AddressLabel } from '../data/derived.js'
import type { GovernanceState } from '../data/governance.js'
import type { ChainState } from '../data/store.js'
import { formatBlockNumber, formatEther, formatInt, hexToNumber } from '../format.js'
import { AddressCell, Empty, Mono, RelativeTime, Section } from '../components/ui.js'

const TX_SHOWN = 25

export function Blocks({ chain, gov, now }: { chain: ChainState; gov: GovernanceState; now: number }) {
  const names = addressBook(gov)
  const txs = chain.blocks.flatMap((b) => b.transactions.map((tx) => ({ tx, block: b })).reverse()).slice(0, TX_SHOWN)
  const txCount = chain.blocks.reduce((n, b) => n + b.transactions.length, 0)
  return (
    <>
      <Section title="Recent blocks" description={`The last ${formatInt(chain.blocks.length)} blocks on this node, newest first. Each is final when shown.`}>
        {chain.blocks.length === 0 ? (
          <Empty>No blocks yet.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Block</th>
                  <th scope="col">Age</th>
                  <th scope="col">Hash</th>
                  <th scope="col">Proposer</th>
                  <th scope="col" className="num">Transactions</th>
                  <th scope="col" className="num">Gas used</th>
                </tr>
              </thead>
              <tbody>
                {chain.blocks.map((b) => {
                  const n = hexToNumber(b.number) ?? 0
                  const who = names(b.miner)
                  return (
                    <tr key={b.hash}>
                      <td className="strong">{formatBlockNumber(n)}</td>
                      <td>{n === 0 ? 'genesis' : <RelativeTime at={(hexToNumber(b.timestamp) ?? 0) * 1000} now={now} />}</td>
                      <td>
                        <Mono value={b.hash} short />
                      </td>
                      <td>{n === 0 ? <span className="muted">—</span> : <AddressCell address={b.miner} short {...(who.party ? { name: who.party.name } : {})} />}</td>
                      <td className="num">{b.transactions.length === 0 ? <span className="muted">0</span> : formatInt(b.transactions.length)}</td>
                      <td className="num">{formatInt(hexToNumber(b.gasUsed) ?? 0)}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section
        title="Recent transactions"
        description={txCount > TX_SHOWN ? `The newest ${TX_SHOWN} of ${formatInt(txCount)} transactions in these blocks.` : 'Transactions in the blocks above, newest first.'}
      >
        {txs.length === 0 ? (
          <Empty>No transactions in the last {formatInt(chain.blocks.length)} blocks.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Transaction</th>
                  <th scope="col">Block</th>
                  <th scope="col">Age</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col" className="num">Value (ETH)</th>
                </tr>
              </thead>
              <tbody>
                {txs.map(({ tx, block }) => (
                  <tr key={tx.hash}>
                    <td>
                      <Mono value={tx.hash} short />
                    </td>
                    <td>{formatBlockNumber(hexToNumber(block.number) ?? 0)}</td>
                    <td>
                      <RelativeTime at={(hexToNumber(block.timestamp) ?? 0) * 1000} now={now} />
                    </td>
                    <td>
                      <Party address={tx.from} names={names} />
                    </td>
                    <td>{tx.to ? <Party address={tx.to} names={names} /> : <span className="tag">contract creation</span>}</td>
                    <td className="num">{formatEther(tx.value)}</td>
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

/** A short address under the name of the party it belongs to, when governance knows it. */
function Party({ address, names }: { address: string; names: (address: string) => AddressLabel }) {
  const who = names(address)
  return <AddressCell address={address} short {...(who.party ? { name: who.party.name } : {})} />
}
