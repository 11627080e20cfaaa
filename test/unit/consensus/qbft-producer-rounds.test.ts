/**
 * The round-change count of QbftProducer (quorate_consensus_round_changes_total) counts rounds this
 * node started, not round timers: the real producer and QBFT machine of one validator of four, the
 * others absent (so no block is ever decided), driven on fake timers. Round 0's timer moved by a
 * pending transaction, and round 1's timer re-armed while no quorum has reached round 1, must not
 * count; entering round 1, and round 2 once two other validators reach round 1, must.
 */
import { GENESIS_PROTOCOL, type ChainParams } from '../../../src/chain/params.js'
import { EventEmitter } from 'node:events'
import { createBlock, type Block } from '@ethereumjs/block'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { blockOptions, createChainCommon } from '../../../src/chain/common.js'
import { encodeMessage } from '../../../src/consensus/qbft/index.js'
import { QbftProducer } from '../../../src/consensus/qbft-producer.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { silentLogger } from '../../../src/ops/logger.js'
import { addresses, keyOf, ops, roundChange, validatorSigners } from './qbft/fixtures.js'

const signers = validatorSigners(4)
// The fixtures' signers are keyOf(`validator-i`), sorted by address: this node is one of them.
const nodeKey = keyOf('validator-0')
const others = signers.filter((s) => s.address !== privateKeyToAddress(nodeKey))

class Pool extends EventEmitter {
  size = 0
  pending() {
    return []
  }
  remove(): void {}
  get() {
    return undefined
  }
}

const PARAMS: ChainParams = { blockPeriodMs: 1000, emptyBlockPeriodMs: 5000, gasLimit: 30_000_000n, protocol: GENESIS_PROTOCOL }

let producer: QbftProducer
let pool: Pool

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const common = createChainCommon(1337n, 30_000_000n)
  const genesis: Block = createBlock({ header: { number: 0n, gasLimit: 30_000_000n, baseFeePerGas: 0n } }, blockOptions(common))
  pool = new Pool()
  producer = new QbftProducer({ nodeKey, initialParams: PARAMS, roundTimeout: { baseMs: 1000, capMs: 1000 } }, modules(common, genesis))
  producer.start()
  await vi.advanceTimersByTimeAsync(0)
})

afterEach(async () => {
  await producer.stop()
  vi.useRealTimers()
})

function modules(common: ReturnType<typeof createChainCommon>, genesis: Block): ConstructorParameters<typeof QbftProducer>[1] {
  return {
    common,
    store: { head: genesis },
    // No block is ever built: a proposal this node owes fails, as when the pool cannot be executed.
    executor: {
      build: () => Promise.reject(new Error('no executor in this test')),
      execute: () => Promise.reject(new Error('no executor in this test')),
    },
    pool,
    validators: { validatorsAfter: async () => addresses(signers) },
    network: { gossip: () => {}, penalise: () => {}, behind: () => {} },
    commit: async () => {},
    params: { paramsFor: async () => PARAMS },
    logger: silentLogger(),
  }
}

const status = () => {
  const s = producer.status()!
  return { round: s.round, roundChanges: s.roundChanges }
}

describe('QbftProducer round-change count', () => {
  it('does not count a round-0 timer moved by a pending transaction, counts entering round 1', async () => {
    pool.size = 1
    pool.emit('pending')
    // Round 0 is due at blockPeriodMs (1 s) with a transaction waiting, and lasts 1 s.
    await vi.advanceTimersByTimeAsync(1900)
    expect(status()).toEqual({ round: 0, roundChanges: 0 })
    await vi.advanceTimersByTimeAsync(200)
    expect(status()).toEqual({ round: 1, roundChanges: 1 })
  })

  it('does not count round 1\'s timer re-armed while alone in it, counts round 2 once a quorum reached round 1', async () => {
    // Round 0 ends 6 s after the head (empty block period 5 s + 1 s); then round 1's 1 s timer
    // re-arms every second: ten re-arms here.
    await vi.advanceTimersByTimeAsync(6100)
    expect(status()).toEqual({ round: 1, roundChanges: 1 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(status()).toEqual({ round: 1, roundChanges: 1 })

    for (const s of others.slice(0, 2)) {
      producer.onMessage(encodeMessage(roundChange(s, 1n, 1), ops), s.address)
    }
    await vi.advanceTimersByTimeAsync(0)
    expect(status()).toEqual({ round: 2, roundChanges: 2 })
  })
})
