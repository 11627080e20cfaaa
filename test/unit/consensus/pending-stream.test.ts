/**
 * pendingUntil, the candidates of a block built while its period runs: the pool's executable
 * transactions, then each one that becomes executable, each once, until the due time or an abort.
 * A pool with a real EventEmitter and real signed transactions; real timers (the waits are tens of ms).
 */
import { EventEmitter } from 'node:events'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { pendingUntil } from '../../../src/consensus/pending-stream.js'
import { devAccounts } from '../../../src/crypto/dev-accounts.js'

const common = createChainCommon(1337n, 30_000_000n)
const key = hexToBytes(devAccounts(1)[0]!.privateKey)
const tx = (nonce: number): TypedTransaction => createLegacyTx({ nonce, gasLimit: 21_000n, gasPrice: 1n, to: `0x${'22'.repeat(20)}` }, { common }).sign(key)

class Pool extends EventEmitter<{ pending: [TypedTransaction] }> {
  constructor(public ready: TypedTransaction[] = []) {
    super()
  }
  pending(): TypedTransaction[] {
    return this.ready
  }
  announce(t: TypedTransaction): void {
    this.emit('pending', t)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Reads the stream to its end, with the time each candidate came (ms after the start). */
async function drain(stream: AsyncIterable<TypedTransaction>): Promise<{ nonces: number[]; at: number[] }> {
  const start = Date.now()
  const nonces: number[] = []
  const at: number[] = []
  for await (const t of stream) {
    nonces.push(Number(t.nonce))
    at.push(Date.now() - start)
  }
  return { nonces, at }
}

describe('pendingUntil', () => {
  it('gives the pool\'s executable transactions, then those that arrive before the due time, and ends at the due time', async () => {
    const pool = new Pool([tx(0), tx(1)])
    const due = Date.now() + 150
    const read = drain(pendingUntil(pool, 30_000_000n, due, new AbortController().signal))
    await sleep(30)
    pool.announce(tx(2))
    await sleep(30)
    pool.announce(tx(3))
    const { nonces, at } = await read
    expect(nonces).toEqual([0, 1, 2, 3])
    // The arrivals were given as they came, before the due time, not at it.
    expect(at[2]).toBeLessThan(140)
    expect(at[3]).toBeLessThan(140)
    // The stream ended once the block was due, not before.
    expect(Date.now()).toBeGreaterThanOrEqual(due)
    expect(pool.listenerCount('pending')).toBe(0)
  })

  it('gives a transaction once, though the pool announces one it already gave', async () => {
    const first = tx(0)
    const pool = new Pool([first])
    const due = Date.now() + 40
    const stream = pendingUntil(pool, 30_000_000n, due, new AbortController().signal)
    const read = drain(stream)
    pool.announce(first)
    pool.announce(tx(1))
    expect((await read).nonces).toEqual([0, 1])
  })

  it('ends at once on abort, while waiting for arrivals', async () => {
    const pool = new Pool([tx(0)])
    const abort = new AbortController()
    const read = drain(pendingUntil(pool, 30_000_000n, Date.now() + 60_000, abort.signal))
    await sleep(20)
    abort.abort()
    const started = Date.now()
    expect((await read).nonces).toEqual([0])
    expect(Date.now() - started).toBeLessThan(1000)
    expect(pool.listenerCount('pending')).toBe(0)
  })

  it('past the due time gives what is there and ends without waiting', async () => {
    const pool = new Pool([tx(0), tx(1), tx(2)])
    const { nonces } = await drain(pendingUntil(pool, 30_000_000n, Date.now() - 1, new AbortController().signal))
    expect(nonces).toEqual([0, 1, 2])
    expect(pool.listenerCount('pending')).toBe(0)
  })

  it('stops listening when the build stops reading early (block full)', async () => {
    const pool = new Pool([tx(0), tx(1), tx(2)])
    for await (const t of pendingUntil(pool, 30_000_000n, Date.now() + 60_000, new AbortController().signal)) {
      if (t.nonce === 1n) break
    }
    expect(pool.listenerCount('pending')).toBe(0)
  })
})
