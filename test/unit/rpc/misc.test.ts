/**
 * The txpool_ content methods over a real TxPool: bounded by the byte budget, paged by cursor, and
 * documented in docs/rpc.md (every txpool_ method named there exists, and the reverse).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { createChainCommon } from '../../../src/chain/common.js'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { TxPool } from '../../../src/execution/txpool.js'
import { miscMethods } from '../../../src/rpc/misc.js'
import type { RpcMethods } from '../../../src/rpc/types.js'

const common = createChainCommon(1337n, 30_000_000n)

async function setup(contentMaxBytes: number) {
  const pool = new TxPool({ common, blockGasLimit: 30_000_000n }, { getAccount: async () => ({ nonce: 0n, balance: 0n }) })
  const keys = [generatePrivateKey(), generatePrivateKey()]
  for (const key of keys) {
    for (const nonce of [0n, 1n, 2n, 5n]) {
      const data = new Uint8Array(1000).fill(1)
      await pool.add(createFeeMarket1559Tx({ nonce, gasLimit: 21_000n + 16_000n, to: privateKeyToAddress(key), data }, { common }).sign(key))
    }
  }
  const methods = miscMethods({ chainId: 1337n, pool }, { peerCount: () => 0 }, { contentMaxBytes })
  return { pool, methods, senders: keys.map(privateKeyToAddress) }
}

async function call<T>(methods: RpcMethods, name: string, params: unknown[] = []): Promise<T> {
  const m = methods[name]!
  return (await m.handler(m.params.parse(params), { transport: 'http' })) as T
}

type Content = Record<string, Record<string, { hash: string; nonce: string }>>
interface Page {
  pending: Content
  queued: Content
  next?: string | null
}
const count = (p: Page): number => [...Object.values(p.pending), ...Object.values(p.queued)].reduce((n, byNonce) => n + Object.keys(byNonce).length, 0)

describe('txpool_ content methods', () => {
  it('txpool_content answers everything in geth shape when it fits, without `next`', async () => {
    const { methods, senders } = await setup(4 * 1024 * 1024)
    const all = await call<Page>(methods, 'txpool_content')
    expect(Object.keys(all).sort()).toEqual(['pending', 'queued'])
    expect(count(all)).toBe(8)
    expect(Object.keys(all.pending[senders[0]!]!)).toEqual(['0', '1', '2'])
    expect(Object.keys(all.queued[senders[0]!]!)).toEqual(['5'])
  })

  it('cuts at the byte budget with a cursor, and txpool_contentPage resumes from it to the end', async () => {
    // ~4 KB per transaction of 1 KB (3 × size + 1 KiB): a 10 KB budget holds two.
    const { methods, senders } = await setup(10_000)
    const first = await call<Page>(methods, 'txpool_content')
    expect(count(first)).toBe(2)
    expect(first.next).toMatch(/^0x[0-9a-f]{40}:[0-9]+$/)
    let total = count(first)
    let cursor = first.next
    while (cursor) {
      const page = await call<Page>(methods, 'txpool_contentPage', [cursor])
      total += count(page)
      expect(page).toHaveProperty('next')
      cursor = page.next
    }
    expect(total).toBe(8)
    const from = await call<{ pending: Record<string, unknown>; queued: Record<string, unknown>; next?: string }>(methods, 'txpool_contentFrom', [senders[1]])
    expect(Object.keys(from.pending)).toEqual(['0', '1'])
    expect(from.next).toBe(`${senders[1]}:2`)
    const limited = await call<Page>(methods, 'txpool_contentPage', [null, '0x1'])
    expect(count(limited)).toBe(1)
  })

  it('refuses a malformed cursor or a limit out of range', async () => {
    const { methods } = await setup(4 * 1024 * 1024)
    const params = methods['txpool_contentPage']!.params
    expect(params.safeParse(['nonsense']).success).toBe(false)
    expect(params.safeParse([null, 0]).success).toBe(false)
    expect(params.safeParse([null, 1001]).success).toBe(false)
    expect(params.safeParse([]).success).toBe(true)
  })

  it('docs/rpc.md names exactly the txpool_ methods that exist', async () => {
    const { methods } = await setup(1)
    const docs = await readFile(join(import.meta.dirname, '../../../docs/rpc.md'), 'utf8')
    const named = new Set([...docs.matchAll(/`(txpool_[a-zA-Z]+)/g)].map((m) => m[1]!))
    expect([...named].sort()).toEqual(Object.keys(methods).filter((n) => n.startsWith('txpool_')).sort())
  })
})
