/**
 * The ingest pipeline without processes: a real TxPool over in-memory accounts, real signed
 * transactions, and the chain's own Common with a counting sender recovery.
 */
import { describe, expect, it } from 'vitest'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { createChainCommon } from '../../../src/chain/common.js'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { nativeCrypto } from '../../../src/crypto/native.js'
import { TxIngest } from '../../../src/execution/tx-ingest.js'
import { TxPool, TxPoolError } from '../../../src/execution/txpool.js'
import { toJsonRpcError } from '../../../src/rpc/errors.js'
import type { Address, Hex } from '../../../src/types.js'

const CHAIN_ID = 1337n
const TO: Hex = `0x${'22'.repeat(20)}`

/** The chain Common whose ecrecover counts its calls (copies share customCrypto). */
function countingCommon() {
  const common = createChainCommon(CHAIN_ID, 30_000_000n)
  const counter = { recoveries: 0 }
  const ecrecover = nativeCrypto.ecrecover!
  common.customCrypto.ecrecover = (...args) => {
    counter.recoveries++
    return ecrecover(...args)
  }
  return { common, counter }
}

function setUp(opts: { maxTotal?: number; blockWork?: { busy(): boolean } } = {}) {
  const { common, counter } = countingCommon()
  const key = generatePrivateKey()
  const sender = privateKeyToAddress(key)
  const pool = new TxPool({ common, blockGasLimit: 30_000_000n, ...(opts.maxTotal ? { maxTotal: opts.maxTotal } : {}) }, { getAccount: async () => ({ nonce: 0n, balance: 10n ** 20n }) })
  const rejected: string[] = []
  const ingest = new TxIngest({ common, maxTxBytes: 128 * 1024, onRejected: (code) => rejected.push(code), ...(opts.blockWork ? { blockWork: opts.blockWork, maxInFlightDuringBlockWork: 1, maxInFlight: 2 } : {}) }, pool)
  const raw = (nonce: number) => createLegacyTx({ nonce, gasLimit: 21_000n, gasPrice: 0n, to: TO }, { common }).sign(key).serialize()
  return { common, counter, pool, ingest, sender, raw, rejected }
}

describe('TxIngest', () => {
  it('admits a transaction and recovers its sender once for the pool, the block builder and the EVM', async () => {
    const { counter, pool, ingest, sender, raw } = setUp()
    const bytes = raw(0)
    const hash = await ingest.submitRaw(bytes)
    expect(pool.has(hash)).toBe(true)
    expect(pool.senderOf(hash)).toBe(sender)
    expect(counter.recoveries).toBe(1)
    // What the block builder takes is the same object: its sender is known without recovering again.
    const [pending] = pool.pending(30_000_000n)
    expect(bytesToHex(pending!.hash())).toBe(hash)
    expect(pending!.getSenderAddress().toString()).toBe(sender as Address)
    expect(counter.recoveries).toBe(1)
  })

  it('answers bytes already pooled as ALREADY_KNOWN without decoding or recovering them', async () => {
    const { counter, ingest, raw, rejected } = setUp()
    const bytes = raw(0)
    await ingest.submitRaw(bytes)
    const err = await ingest.submitRaw(bytes).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TxPoolError)
    expect((err as TxPoolError).code).toBe('ALREADY_KNOWN')
    expect(counter.recoveries).toBe(1)
    expect(rejected).toEqual(['ALREADY_KNOWN'])
  })

  it('refuses bytes that are no transaction before the pool sees them, and reports the code', async () => {
    const { pool, ingest, rejected } = setUp()
    const err = await ingest.submitRaw(new Uint8Array([0xc1, 0x80])).catch((e: unknown) => e)
    expect((err as TxPoolError).code).toBe('MALFORMED')
    expect(pool.size).toBe(0)
    expect(rejected).toEqual(['MALFORMED'])
  })

  it('refuses with POOL_FULL (JSON-RPC -32005) once the pool holds its limit, instead of queueing', async () => {
    const { pool, ingest, raw, counter, rejected } = setUp({ maxTotal: 3 })
    for (let n = 0; n < 3; n++) await ingest.submitRaw(raw(n))
    const err = await ingest.submitRaw(raw(3)).catch((e: unknown) => e)
    expect((err as TxPoolError).code).toBe('POOL_FULL')
    expect(toJsonRpcError(err).code).toBe(-32005)
    expect(pool.size).toBe(3)
    // Refused before decoding: no sender was recovered for it.
    expect(counter.recoveries).toBe(3)
    expect(rejected).toEqual(['POOL_FULL'])
  })

  it('takes one submission at a time (the limit) while the node builds, executes or commits a block; the others wait their turn', async () => {
    let busy = true
    const { pool, ingest, raw } = setUp({ blockWork: { busy: () => busy } })
    const order: number[] = []
    const submitted = [0, 1, 2].map((n) => ingest.submitRaw(raw(n)).then((h) => (order.push(n), h)))
    // One in the pipeline, two waiting: none of those entered the pool before the first is done.
    await submitted[0]
    expect(order).toEqual([0])
    busy = false
    for (const s of submitted) expect(pool.has(await s)).toBe(true)
    expect(order).toEqual([0, 1, 2])
  })
})
