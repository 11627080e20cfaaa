/**
 * A real node process whose pool is full of large transactions (130 KB each, all behind a nonce
 * gap so no block takes them): txpool_content answers within its byte budget instead of building
 * one huge answer (the finding: 1,325 such transactions and one call killed a node), says where
 * to go on, and txpool_contentPage walks the whole pool. The node keeps serving throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { randomBytes } from 'node:crypto'
import { createChainCommon } from '../../src/chain/common.js'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, startNodeProcess, type DevChain, type NodeProcess } from '../helpers/node-process.js'

const CONTENT_MAX_BYTES = 4 * 1024 * 1024
const DATA_BYTES = 130_000

let tmp: Awaited<ReturnType<typeof tempDir>>
let chain: DevChain
let node: NodeProcess | undefined

beforeAll(async () => {
  tmp = await tempDir()
  // Defaults for the pool (64 MiB, 4 MiB per content answer); blocks every 200 ms.
  chain = await initDevChain(tmp.dir)
})

afterAll(async () => {
  await node?.kill()
  await tmp.cleanup()
})

interface RpcReply<T> {
  result?: T
  error?: { code: number; message: string }
}

/** One call, returning the reply and the size of its body. */
async function call<T>(url: string, method: string, params: unknown[] = []): Promise<{ reply: RpcReply<T>; bytes: number }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const text = await res.text()
  return { reply: JSON.parse(text) as RpcReply<T>, bytes: Buffer.byteLength(text) }
}

type Content = Record<string, Record<string, { hash: string }>>
interface Page {
  pending: Content
  queued: Content
  next?: string | null
}

const hashesOf = (p: Page): string[] => [...Object.values(p.pending), ...Object.values(p.queued)].flatMap((byNonce) => Object.values(byNonce).map((tx) => tx.hash))

describe('txpool_content on a full pool of large transactions', () => {
  it('answers within its byte budget, points to the rest, and txpool_contentPage walks the whole pool', async () => {
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    const url = node.rpcUrl
    const common = createChainCommon(1337n, 50_000_000n)
    const gasLimit = 21_000n + 16n * BigInt(DATA_BYTES)

    // Fill the pool until it refuses: nonces from 1 on (nonce 0 never comes), 10 senders.
    const sent: string[] = []
    let full: RpcReply<string>['error']
    for (let nonce = 1n; nonce <= 64n && !full; nonce++) {
      const replies = await Promise.all(
        chain.accounts.map((acc) => {
          const data = randomBytes(DATA_BYTES)
          data[0] = 1
          const tx = createFeeMarket1559Tx({ nonce, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, gasLimit, to: chain.accounts[0]!.address, data }, { common }).sign(hexToBytes(acc.privateKey))
          return call<string>(url, 'eth_sendRawTransaction', [bytesToHex(tx.serialize())])
        }),
      )
      for (const { reply } of replies) {
        if (reply.result) sent.push(reply.result)
        else full ??= reply.error
      }
    }
    expect(full?.code).toBe(-32005)
    expect(full?.message).toMatch(/^txpool is full/)
    // 64 MiB of 130 KB transactions.
    expect(sent.length).toBeGreaterThan(450)
    const status = (await call<{ pending: string; queued: string }>(url, 'txpool_status')).reply.result!
    expect(Number(status.pending) + Number(status.queued)).toBe(sent.length)

    // One txpool_content: bounded, geth's shape, and a cursor to the rest.
    const first = await call<Page>(url, 'txpool_content')
    expect(first.reply.error).toBeUndefined()
    expect(first.bytes).toBeLessThanOrEqual(CONTENT_MAX_BYTES)
    const firstPage = first.reply.result!
    expect(Object.keys(firstPage).sort()).toEqual(['next', 'pending', 'queued'])
    expect(hashesOf(firstPage).length).toBeGreaterThan(0)
    expect(typeof firstPage.next).toBe('string')

    // Walk the pool with txpool_contentPage from the cursor: every transaction, once.
    const seen = new Set(hashesOf(firstPage))
    let cursor: string | null | undefined = firstPage.next
    let pages = 1
    while (cursor) {
      const { reply, bytes } = await call<Page>(url, 'txpool_contentPage', [cursor, 1000])
      expect(reply.error).toBeUndefined()
      expect(bytes).toBeLessThanOrEqual(CONTENT_MAX_BYTES)
      for (const h of hashesOf(reply.result!)) {
        expect(seen.has(h)).toBe(false)
        seen.add(h)
      }
      cursor = reply.result!.next
      pages++
      expect(pages).toBeLessThan(1000)
    }
    expect(seen).toEqual(new Set(sent))

    // A page by count, and one sender's transactions (geth's txpool_contentFrom).
    const small = (await call<Page>(url, 'txpool_contentPage', [null, '0x3'])).reply.result!
    expect(hashesOf(small)).toHaveLength(3)
    const sender = chain.accounts[3]!.address.toLowerCase()
    const from = (await call<{ pending: Record<string, unknown>; queued: Record<string, unknown>; next?: string }>(url, 'txpool_contentFrom', [sender])).reply.result!
    expect(Object.keys(from.queued).length).toBeGreaterThan(0)
    expect(Object.keys(from.queued).every((n) => /^[0-9]+$/.test(n))).toBe(true)
    const badLimit = (await call(url, 'txpool_contentPage', [null, 5000])).reply
    expect(badLimit.error?.code).toBe(-32602)

    // Still serving.
    const head = (await call<string>(url, 'eth_blockNumber')).reply
    expect(head.result).toMatch(/^0x/)
  }, 180_000)
})
