/**
 * The proposer of round 0 builds while the block period runs: with transactions pending it starts
 * building at once, runs each transaction that arrives before the due time as it comes, and proposes
 * at the due time, not before. The real producer, QBFT machine (one validator) and BlockExecutor on
 * a chain in a temporary LevelDB; the pool is a small stand-in that announces transactions as the
 * TxPool does. Real timers: the period is 400 ms.
 */
import { EventEmitter } from 'node:events'
import type { Block } from '@ethereumjs/block'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { afterEach, describe, expect, it } from 'vitest'
import { GENESIS_PROTOCOL, type ChainParams } from '../../../src/chain/params.js'
import type { BlockRecord } from '../../../src/chain/store.js'
import { QbftProducer } from '../../../src/consensus/qbft-producer.js'
import type { ProposalExecutor } from '../../../src/consensus/qbft-producer.js'
import { silentLogger } from '../../../src/ops/logger.js'
import { common, genesis, openChain, SENDER_KEY, VALIDATOR, VALIDATOR_KEY, type TestChain } from '../../helpers/sync-chain.js'
import { tempDir } from '../../helpers/tmp.js'

const PERIOD_MS = 400
const PARAMS: ChainParams = { blockPeriodMs: PERIOD_MS, emptyBlockPeriodMs: 60_000, gasLimit: genesis.gasLimit, protocol: GENESIS_PROTOCOL }

const transfer = (nonce: number): TypedTransaction =>
  createLegacyTx({ nonce, gasLimit: 21_000, gasPrice: 0, to: `0x${'77'.repeat(20)}`, value: 1 }, { common }).sign(SENDER_KEY)

/** The pool as the producer sees it: executable transactions in nonce order, announced as they become so. */
class Pool extends EventEmitter<{ pending: [TypedTransaction] }> {
  private readonly txs: TypedTransaction[] = []
  get size(): number {
    return this.txs.length
  }
  add(tx: TypedTransaction): void {
    this.txs.push(tx)
    this.emit('pending', tx)
  }
  pending(): TypedTransaction[] {
    return [...this.txs]
  }
  remove(): void {}
  get(): undefined {
    return undefined
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

let producer: QbftProducer | undefined
let chain: TestChain | undefined
let cleanup: (() => Promise<void>) | undefined

afterEach(async () => {
  await producer?.stop()
  await chain?.store.close()
  await cleanup?.()
})

/**
 * Runs the producer on a fresh chain until it commits block 1. `arrivals`: transactions added to the
 * pool at those ms after the start; `takeAtMost`: the build stops reading candidates after that many,
 * as when the block is full.
 */
async function firstBlock(opts: { arrivals: number[]; takeAtMost?: number }) {
  const tmp = await tempDir('quorate-producer-streaming-')
  cleanup = tmp.cleanup
  chain = await openChain(tmp.dir)
  const pool = new Pool()
  pool.add(transfer(0))
  /** When each candidate reached the executor, and when the build was called. */
  const taken = new Map<bigint, number>()
  let buildCalledAt = Number.NaN
  const real = chain.executor
  const executor: ProposalExecutor = {
    build: (parent, candidates, header) => {
      buildCalledAt = Date.now()
      async function* watched(): AsyncGenerator<TypedTransaction> {
        for await (const tx of candidates) {
          taken.set(tx.nonce, Date.now())
          yield tx
          if (taken.size >= (opts.takeAtMost ?? Number.POSITIVE_INFINITY)) return
        }
      }
      return real.build(parent, watched(), header)
    },
    execute: (parent, block) => real.execute(parent, block),
  }
  const committed: { block: Block; at: number }[] = []
  const store = chain.store
  const startedAt = Date.now()
  producer = new QbftProducer(
    { nodeKey: VALIDATOR_KEY, initialParams: PARAMS, roundTimeout: { baseMs: 4000 } },
    {
      common,
      store,
      executor,
      pool,
      validators: { validatorsAfter: async () => [VALIDATOR] },
      params: { paramsFor: async () => PARAMS },
      network: { gossip: () => {}, penalise: () => {}, behind: () => {} },
      commit: async (record: BlockRecord) => {
        await store.commit(record)
        committed.push({ block: record.block, at: Date.now() })
        await producer?.stop()
      },
      logger: silentLogger(),
    },
  )
  producer.start()
  for (const [i, at] of opts.arrivals.entries()) {
    await sleep(at - (Date.now() - startedAt))
    pool.add(transfer(i + 1))
  }
  for (let i = 0; i < 100 && committed.length === 0; i++) await sleep(20)
  expect(committed).toHaveLength(1)
  return { startedAt, dueAt: startedAt + PERIOD_MS, buildCalledAt, taken, committed: committed[0]!, head: store.head }
}

describe('QbftProducer, round 0 built while the period runs', () => {
  it('starts building with transactions pending, runs arrivals as they come, and proposes at the due time', async () => {
    const { startedAt, dueAt, buildCalledAt, taken, committed, head } = await firstBlock({ arrivals: [120, 240] })
    // The build began well before the block was due (not at the due time, as a build from a snapshot would) ...
    expect(buildCalledAt - startedAt).toBeLessThan(PERIOD_MS / 2)
    // ... and each arrival was executed as it came, before the due time.
    expect([...taken.keys()]).toEqual([0n, 1n, 2n])
    for (const at of taken.values()) expect(at).toBeLessThan(dueAt)
    // Proposed and committed at the due time, not earlier: the pace of blocks stays the period.
    expect(committed.at).toBeGreaterThanOrEqual(dueAt)
    expect(committed.block.transactions.map((t) => t.nonce)).toEqual([0n, 1n, 2n])
    expect(head.hash()).toEqual(committed.block.hash())
  })

  it('a block that is full before its due time still waits for it', async () => {
    const { dueAt, taken, committed } = await firstBlock({ arrivals: [50], takeAtMost: 1 })
    expect([...taken.keys()]).toEqual([0n])
    expect(committed.block.transactions.map((t) => t.nonce)).toEqual([0n])
    expect(committed.at).toBeGreaterThanOrEqual(dueAt)
  })
})
