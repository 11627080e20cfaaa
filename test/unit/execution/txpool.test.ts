import { describe, expect, it } from 'vitest'
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import {
  Blob4844Tx,
  createAccessList2930Tx,
  createFeeMarket1559Tx,
  createLegacyTx,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { bigIntToUnpaddedBytes, bytesToHex, concatBytes, SECP256K1_ORDER } from '@ethereumjs/util'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { nativeCrypto } from '../../../src/crypto/native.js'
import { QuorateError } from '../../../src/errors.js'
import { type AccountReader, TxPool, TxPoolError, type TxPoolOptions } from '../../../src/execution/txpool.js'
import type { Address, Hex } from '../../../src/types.js'

const CHAIN_ID = 1337
const BLOCK_GAS = 30_000_000n
const TO: Hex = `0x${'11'.repeat(20)}`

function makeCommon(chainId: number, hardfork: string = Hardfork.Cancun): Common {
  return createCustomCommon({ chainId }, Mainnet, { hardfork, customCrypto: nativeCrypto })
}
const common = makeCommon(CHAIN_ID)
const mainnetCommon = makeCommon(1)

class MemState implements AccountReader {
  readonly accounts = new Map<Address, { nonce: bigint; balance: bigint }>()
  reads = 0
  set(address: Address, nonce: bigint, balance = 0n): this {
    this.accounts.set(address, { nonce, balance })
    return this
  }
  async getAccount(address: Address) {
    this.reads++
    return this.accounts.get(address) ?? { nonce: 0n, balance: 0n }
  }
}

interface Signer {
  key: Uint8Array
  address: Address
}
function signer(): Signer {
  const key = generatePrivateKey()
  return { key, address: privateKeyToAddress(key) }
}

interface TxArgs {
  nonce?: bigint
  tip?: bigint
  feeCap?: bigint
  gasPrice?: bigint
  gasLimit?: bigint
  value?: bigint
  data?: Uint8Array<ArrayBuffer>
  common?: Common
}
/** Intrinsic gas of a call with this calldata. */
const gasFor = (data = new Uint8Array()): bigint => data.reduce((gas, byte) => gas + (byte === 0 ? 4n : 16n), 21_000n)

function tx1559(s: Signer, a: TxArgs = {}) {
  return createFeeMarket1559Tx(
    {
      nonce: a.nonce ?? 0n,
      maxPriorityFeePerGas: a.tip ?? 0n,
      maxFeePerGas: a.feeCap ?? a.tip ?? 0n,
      gasLimit: a.gasLimit ?? gasFor(a.data),
      to: TO,
      value: a.value ?? 0n,
      data: a.data ?? new Uint8Array(),
    },
    { common: a.common ?? common },
  ).sign(s.key)
}
function txLegacy(s: Signer, a: TxArgs = {}) {
  return createLegacyTx(
    { nonce: a.nonce ?? 0n, gasPrice: a.gasPrice ?? 0n, gasLimit: a.gasLimit ?? gasFor(a.data), to: TO, value: a.value ?? 0n, data: a.data ?? new Uint8Array() },
    { common: a.common ?? common },
  ).sign(s.key)
}
function tx2930(s: Signer, a: TxArgs = {}) {
  return createAccessList2930Tx(
    { nonce: a.nonce ?? 0n, gasPrice: a.gasPrice ?? 0n, gasLimit: a.gasLimit ?? gasFor(a.data), to: TO, value: a.value ?? 0n, accessList: [] },
    { common: a.common ?? common },
  ).sign(s.key)
}

function newPool(opts: Partial<TxPoolOptions> = {}, state: AccountReader = new MemState()): TxPool {
  return new TxPool({ common, blockGasLimit: BLOCK_GAS, ...opts }, state)
}

async function rejection(p: Promise<unknown>): Promise<TxPoolError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TxPoolError)
  expect(err).toBeInstanceOf(QuorateError)
  return err as TxPoolError
}

const hashOf = (tx: TypedTransaction): Hex => bytesToHex(tx.hash()) as Hex

/** Collects the pool's events in order. */
function record(pool: TxPool) {
  const events: string[] = []
  pool.on('added', (_tx, hash) => events.push(`added ${hash}`))
  pool.on('pending', (_tx, hash) => events.push(`pending ${hash}`))
  pool.on('removed', (hash) => events.push(`removed ${hash}`))
  return events
}

describe('TxPool admission', () => {
  it('accepts legacy, EIP-2930 and EIP-1559 transactions at gas price 0, from raw bytes and objects', async () => {
    const pool = newPool()
    const a = signer()
    const t0 = txLegacy(a, { nonce: 0n })
    const t1 = tx2930(a, { nonce: 1n })
    const t2 = tx1559(a, { nonce: 2n })
    expect(await pool.addRaw(t0.serialize())).toBe(hashOf(t0))
    expect(await pool.add(t1)).toBe(hashOf(t1))
    expect(await pool.addRaw(t2.serialize())).toBe(hashOf(t2))
    expect(pool.size).toBe(3)
    expect(pool.status()).toEqual({ pending: 3, queued: 0 })
    expect(pool.get(hashOf(t2))?.nonce).toBe(2n)
    expect(pool.get(hashOf(t2).toUpperCase().replace('0X', '0x') as Hex)).toBeDefined()
    expect(pool.senderOf(hashOf(t0))).toBe(a.address)
    expect(pool.get(`0x${'00'.repeat(32)}`)).toBeUndefined()
  })

  it('MALFORMED: undecodable bytes, a type-0 envelope and unsigned transactions', async () => {
    const pool = newPool()
    expect((await rejection(pool.addRaw(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)))).code).toBe('MALFORMED')
    expect((await rejection(pool.addRaw(new Uint8Array()))).code).toBe('MALFORMED')
    expect((await rejection(pool.addRaw(Uint8Array.of(0x00, 0xc0)))).code).toBe('MALFORMED')
    const unsigned = createFeeMarket1559Tx({ gasLimit: 21_000n, to: TO }, { common })
    const err = await rejection(pool.add(unsigned))
    expect(err.code).toBe('MALFORMED')
    expect(err.message).toMatch(/not signed/)
    expect((await rejection(pool.addRaw(unsigned.serialize()))).code).toBe('MALFORMED')
    const legacyUnsigned = createLegacyTx({ gasLimit: 21_000n, to: TO }, { common })
    expect((await rejection(pool.addRaw(legacyUnsigned.serialize()))).code).toBe('MALFORMED')
    expect(pool.size).toBe(0)
  })

  it('UNSUPPORTED_TX_TYPE: blob (EIP-4844) and set-code (EIP-7702) transactions', async () => {
    const pool = newPool()
    // The factory wants a KZG setup; the class builds the canonical form (hashes only) without one.
    const blob = new Blob4844Tx(
      { to: TO, gasLimit: 21_000n, maxFeePerBlobGas: 1n, blobVersionedHashes: [`0x01${'ab'.repeat(31)}`], v: 0n, r: 1n, s: 1n },
      { common },
    )
    const viaObject = await rejection(pool.add(blob))
    expect(viaObject.code).toBe('UNSUPPORTED_TX_TYPE')
    expect(viaObject.message).toMatch(/type 3 \(EIP-4844 blob\)/)
    expect((await rejection(pool.addRaw(blob.serialize()))).code).toBe('UNSUPPORTED_TX_TYPE')
    const setCode = concatBytes(Uint8Array.of(4), RLP.encode([]))
    const err = await rejection(pool.addRaw(setCode))
    expect(err.code).toBe('UNSUPPORTED_TX_TYPE')
    expect(err.message).toMatch(/EIP-7702/)
  })

  it('OVERSIZED: a serialized transaction above maxTxBytes, from bytes or object', async () => {
    const pool = newPool({ maxTxBytes: 300 })
    const a = signer()
    const big = tx1559(a, { data: new Uint8Array(400).fill(1), gasLimit: 100_000n })
    expect((await rejection(pool.addRaw(big.serialize()))).code).toBe('OVERSIZED')
    expect((await rejection(pool.add(big))).code).toBe('OVERSIZED')
    const small = tx1559(a, { data: new Uint8Array(100).fill(1), gasLimit: 100_000n })
    await pool.add(small)
    expect(pool.size).toBe(1)
  })

  it('WRONG_CHAIN_ID: typed and legacy transactions signed for another chain', async () => {
    const pool = newPool()
    const a = signer()
    const typed = tx1559(a, { common: mainnetCommon })
    const legacy = txLegacy(a, { common: mainnetCommon })
    for (const p of [pool.addRaw(typed.serialize()), pool.add(typed), pool.addRaw(legacy.serialize()), pool.add(legacy)]) {
      const err = await rejection(p)
      expect(err.code).toBe('WRONG_CHAIN_ID')
      expect(err.message).toContain('transaction chain id 1 does not match the chain id 1337 of this network')
    }
    expect(pool.size).toBe(0)
  })

  it('UNPROTECTED_TX: legacy signatures without a chain id unless allowed', async () => {
    const a = signer()
    // Before Spurious Dragon ethereumjs signs legacy transactions without EIP-155 (v = 27/28).
    const homestead = makeCommon(CHAIN_ID, Hardfork.Homestead)
    const raw = createLegacyTx({ gasLimit: 21_000n, to: TO }, { common: homestead }).sign(a.key).serialize()
    const err = await rejection(newPool().addRaw(raw))
    expect(err.code).toBe('UNPROTECTED_TX')
    expect(err.message).toMatch(/only replay-protected/)
    const lenient = newPool({ allowUnprotected: true })
    await lenient.addRaw(raw)
    expect(lenient.content().pending[a.address]?.['0']).toBeDefined()
  })

  it('INVALID_SIGNATURE: an unrecoverable signature and a high-s signature', async () => {
    const pool = newPool()
    const bogus = createFeeMarket1559Tx({ gasLimit: 21_000n, to: TO, v: 0n, r: SECP256K1_ORDER, s: 1n }, { common })
    expect((await rejection(pool.add(bogus))).code).toBe('INVALID_SIGNATURE')
    expect((await rejection(pool.addRaw(bogus.serialize()))).code).toBe('INVALID_SIGNATURE')

    const good = tx1559(signer())
    const fields = good.raw()
    fields[11] = bigIntToUnpaddedBytes(SECP256K1_ORDER - good.s!) // the malleable twin of s
    const highS = concatBytes(Uint8Array.of(2), RLP.encode(fields))
    expect((await rejection(pool.addRaw(highS))).code).toBe('INVALID_SIGNATURE')
    expect(pool.size).toBe(0)
  })

  it('FEE_CAP_BELOW_TIP: max priority fee above max fee', async () => {
    const pool = newPool()
    const good = tx1559(signer(), { tip: 5n, feeCap: 5n })
    const fields = good.raw()
    fields[2] = bigIntToUnpaddedBytes(10n) // tip 10, fee cap 5
    const err = await rejection(pool.addRaw(concatBytes(Uint8Array.of(2), RLP.encode(fields))))
    expect(err.code).toBe('FEE_CAP_BELOW_TIP')
    expect(err.message).toMatch(/maxPriorityFeePerGas 10 is above maxFeePerGas 5/)
  })

  it('UNDERPRICED: below minGasPrice, for the priority fee or the legacy gas price', async () => {
    const a = signer()
    const state = new MemState().set(a.address, 0n, 10n ** 18n)
    const pool = newPool({ minGasPrice: 2n }, state)
    expect((await rejection(pool.add(tx1559(a, { tip: 1n, feeCap: 100n })))).code).toBe('UNDERPRICED')
    expect((await rejection(pool.add(txLegacy(a, { gasPrice: 1n })))).code).toBe('UNDERPRICED')
    await pool.add(tx1559(a, { tip: 2n, feeCap: 2n }))
    expect(pool.size).toBe(1)
  })

  it('INTRINSIC_GAS_TOO_LOW: gas limit below the intrinsic gas', async () => {
    const pool = newPool()
    const a = signer()
    const err = await rejection(pool.add(tx1559(a, { gasLimit: 20_999n })))
    expect(err.code).toBe('INTRINSIC_GAS_TOO_LOW')
    expect(err.message).toContain('21000')
    // Calldata raises the intrinsic gas: 16 per non-zero byte.
    expect((await rejection(pool.add(tx1559(a, { gasLimit: 21_000n, data: Uint8Array.of(1) })))).code).toBe('INTRINSIC_GAS_TOO_LOW')
    await pool.add(tx1559(a, { gasLimit: 21_016n, data: Uint8Array.of(1) }))
  })

  it('GAS_LIMIT_EXCEEDED: gas limit above the block gas limit', async () => {
    const pool = newPool({ blockGasLimit: 1_000_000n })
    const err = await rejection(pool.add(tx1559(signer(), { gasLimit: 1_000_001n })))
    expect(err.code).toBe('GAS_LIMIT_EXCEEDED')
    await pool.add(tx1559(signer(), { gasLimit: 1_000_000n }))
  })

  it('ALREADY_KNOWN: the same transaction twice, also when sent concurrently', async () => {
    const pool = newPool()
    const t = tx1559(signer())
    await pool.addRaw(t.serialize())
    expect((await rejection(pool.addRaw(t.serialize()))).code).toBe('ALREADY_KNOWN')
    expect((await rejection(pool.add(t))).code).toBe('ALREADY_KNOWN')
    const u = tx1559(signer())
    const results = await Promise.allSettled([pool.addRaw(u.serialize()), pool.addRaw(u.serialize())])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(pool.size).toBe(2)
  })

  it('NONCE_TOO_LOW: below the account nonce, with the nonce to use', async () => {
    const a = signer()
    const pool = newPool({}, new MemState().set(a.address, 5n))
    const err = await rejection(pool.add(tx1559(a, { nonce: 3n })))
    expect(err.code).toBe('NONCE_TOO_LOW')
    expect(err.message).toContain('nonce 3 is below the account nonce 5')
    expect(err.message).toContain('use nonce 5')
  })

  it('NONCE_TOO_HIGH: a queued transaction beyond maxFutureGap', async () => {
    const a = signer()
    const pool = newPool({ maxFutureGap: 4 }, new MemState().set(a.address, 10n))
    const err = await rejection(pool.add(tx1559(a, { nonce: 15n })))
    expect(err.code).toBe('NONCE_TOO_HIGH')
    expect(err.message).toMatch(/nonce too high/)
    await pool.add(tx1559(a, { nonce: 14n }))
    expect(pool.status()).toEqual({ pending: 0, queued: 1 })
  })

  it('INSUFFICIENT_FUNDS: balance below gas limit × max fee + value', async () => {
    const a = signer()
    const state = new MemState().set(a.address, 0n, 21_000n * 3n + 5n)
    const pool = newPool({}, state)
    const err = await rejection(pool.add(tx1559(a, { tip: 1n, feeCap: 3n, value: 6n })))
    expect(err.code).toBe('INSUFFICIENT_FUNDS')
    expect(err.message).toMatch(/insufficient funds/)
    expect((await rejection(pool.add(txLegacy(a, { gasPrice: 4n })))).code).toBe('INSUFFICIENT_FUNDS')
    await pool.add(tx1559(a, { tip: 1n, feeCap: 3n, value: 5n }))
    // At gas price 0 only the value counts.
    const b = signer()
    const poor = newPool({}, new MemState().set(b.address, 0n, 0n))
    expect((await rejection(poor.add(tx1559(b, { value: 1n })))).code).toBe('INSUFFICIENT_FUNDS')
    await poor.add(tx1559(b))
  })

  it('SENDER_LIMIT: one sender may not exceed maxPerSender', async () => {
    const a = signer()
    const pool = newPool({ maxPerSender: 3 })
    for (let n = 0n; n < 3n; n++) await pool.add(tx1559(a, { nonce: n }))
    const err = await rejection(pool.add(tx1559(a, { nonce: 3n })))
    expect(err.code).toBe('SENDER_LIMIT')
    // Another sender is unaffected, and a replacement does not count as a new transaction.
    await pool.add(tx1559(signer()))
    await pool.add(tx1559(a, { nonce: 1n, value: 0n, data: Uint8Array.of(0) }))
    expect(pool.size).toBe(4)
  })

  it('POOL_FULL: the pool refuses beyond maxTotal, but evicts a queued transaction for an executable one', async () => {
    const pool = newPool({ maxTotal: 3 })
    const [a, b, c, d] = [signer(), signer(), signer(), signer()]
    await pool.add(tx1559(a))
    await pool.add(tx1559(b))
    const queued = tx1559(c, { nonce: 5n })
    await pool.add(queued)
    expect(pool.status()).toEqual({ pending: 2, queued: 1 })
    // A queued newcomer cannot push anything out.
    const err = await rejection(pool.add(tx1559(d, { nonce: 1n })))
    expect(err.code).toBe('POOL_FULL')
    expect(err.message).toMatch(/txpool is full/)
    // An executable one replaces the queued transaction.
    const events = record(pool)
    const exec = tx1559(d)
    await pool.add(exec)
    expect(pool.get(hashOf(queued))).toBeUndefined()
    expect(events[0]).toBe(`removed ${hashOf(queued)}`)
    expect(pool.status()).toEqual({ pending: 3, queued: 0 })
    // Full of executable transactions: nothing more gets in.
    expect((await rejection(pool.add(tx1559(c)))).code).toBe('POOL_FULL')
  })

  it('POOL_FULL by bytes: the pool refuses beyond maxBytes, evicts queued transactions for an executable one, and frees bytes on removal', async () => {
    const data = new Uint8Array(10_000).fill(1)
    const big = (s: Signer, nonce = 0n) => tx1559(s, { nonce, data })
    const size = big(signer()).serialize().length
    const pool = newPool({ maxTxBytes: 16 * 1024, maxBytes: size * 3 + 200 })
    const [a, b, c, d] = [signer(), signer(), signer(), signer()]
    // Sizes differ by a byte or two with the signature's leading zeros: count each one's own.
    const bytesOf = (...txs: { serialize(): Uint8Array }[]) => txs.reduce((n, tx) => n + tx.serialize().length, 0)
    const [txA, txB, queued1] = [big(a), big(b), big(c, 5n)]
    for (const tx of [txA, txB, queued1]) await pool.add(tx)
    expect(pool.bytes).toBe(bytesOf(txA, txB, queued1))
    // A fourth large transaction does not fit in bytes although the count limit (10,000) is far.
    const err = await rejection(pool.add(big(d, 1n)))
    expect(err.code).toBe('POOL_FULL')
    expect(err.message).toMatch(/^txpool is full: it holds \d+ bytes/)
    // A small one still fits.
    await pool.add(tx1559(d, { nonce: 1n }))
    // An executable large one pushes out queued transactions until it fits.
    const events = record(pool)
    await pool.add(big(d))
    expect(events[0]).toBe(`removed ${hashOf(queued1)}`)
    expect(pool.get(hashOf(queued1))).toBeUndefined()
    expect(pool.bytes).toBeLessThanOrEqual(size * 3 + 200)
    expect(pool.status()).toEqual({ pending: 4, queued: 0 })
    // Full of executable transactions: a large one is refused, and a removal frees its bytes.
    expect((await rejection(pool.add(big(c))))).toMatchObject({ code: 'POOL_FULL' })
    const before = pool.bytes
    pool.remove(hashOf(txA), 'test')
    expect(pool.bytes).toBe(before - bytesOf(txA))
    const txC = big(c)
    await pool.add(txC)
    expect(pool.bytes).toBe(before - bytesOf(txA) + bytesOf(txC))
  })

  it('maxBytes below maxTxBytes is a configuration error', () => {
    expect(() => newPool({ maxTxBytes: 1000, maxBytes: 999 })).toThrow(/txpool.maxBytes/)
  })

  it('POOL_FULL eviction may take the queued transaction of the very sender that fills its gap', async () => {
    const pool = newPool({ maxTotal: 2 })
    const [a, b] = [signer(), signer()]
    await pool.add(tx1559(a))
    const queued = tx1559(b, { nonce: 1n })
    await pool.add(queued)
    const first = tx1559(b)
    await pool.add(first)
    // b's nonce 1 was the only queued transaction, so it went; b's nonce 0 is in and executable.
    expect(pool.get(hashOf(queued))).toBeUndefined()
    expect(pool.status()).toEqual({ pending: 2, queued: 0 })
    expect(pool.content().pending[b.address]?.['0']).toBe(pool.get(hashOf(first)))
    expect(pool.pending(BLOCK_GAS)).toHaveLength(2)
    expect(pool.nextNonce(b.address, 0n)).toBe(1n)
  })

  it('calls the admit hook after the basic checks and refuses what it refuses', async () => {
    const blocked = signer()
    const ok = signer()
    const calls: Address[] = []
    class NotPermitted extends QuorateError {
      constructor() {
        super('ACCOUNT_NOT_PERMITTED', 'account may not transact')
      }
    }
    const pool = newPool(
      {
        admit: async (_tx, sender) => {
          calls.push(sender)
          if (sender === blocked.address) throw new NotPermitted()
        },
      },
      new MemState().set(ok.address, 2n),
    )
    await expect(pool.add(tx1559(blocked))).rejects.toBeInstanceOf(NotPermitted)
    expect((await rejection(pool.add(tx1559(ok, { nonce: 1n })))).code).toBe('NONCE_TOO_LOW')
    await pool.add(tx1559(ok, { nonce: 2n }))
    expect(calls).toEqual([blocked.address, ok.address])
    expect(pool.size).toBe(1)
  })
})

describe('TxPool replacement', () => {
  it('replaces an EIP-1559 transaction only with >= 10% more in both fee cap and priority fee', async () => {
    const a = signer()
    const pool = newPool({}, new MemState().set(a.address, 0n, 10n ** 18n))
    const first = tx1559(a, { tip: 10n, feeCap: 100n })
    await pool.add(first)
    for (const [tip, feeCap] of [
      [10n, 110n],
      [11n, 109n],
      [9n, 200n],
    ] as const) {
      const err = await rejection(pool.add(tx1559(a, { tip, feeCap })))
      expect(err.code).toBe('UNDERPRICED_REPLACEMENT')
      expect(err.message).toMatch(/replacement transaction underpriced.*fee cap ≥ 110 and priority fee ≥ 11/)
    }
    const events = record(pool)
    const second = tx1559(a, { tip: 11n, feeCap: 110n })
    await pool.add(second)
    expect(pool.get(hashOf(first))).toBeUndefined()
    expect(pool.get(hashOf(second))).toBeDefined()
    expect(pool.status()).toEqual({ pending: 1, queued: 0 })
    expect(events).toEqual([`removed ${hashOf(first)}`, `added ${hashOf(second)}`, `pending ${hashOf(second)}`])
  })

  it('replaces a legacy transaction only with a gas price >= 10% higher (rounded up)', async () => {
    const a = signer()
    const pool = newPool({}, new MemState().set(a.address, 0n, 10n ** 18n))
    await pool.add(txLegacy(a, { gasPrice: 101n }))
    expect((await rejection(pool.add(txLegacy(a, { gasPrice: 111n })))).code).toBe('UNDERPRICED_REPLACEMENT')
    await pool.add(txLegacy(a, { gasPrice: 112n }))
    // Across types: a 1559 transaction must beat the gas price in both fields.
    expect((await rejection(pool.add(tx1559(a, { tip: 100n, feeCap: 200n })))).code).toBe('UNDERPRICED_REPLACEMENT')
    await pool.add(tx1559(a, { tip: 124n, feeCap: 124n }))
    expect(pool.size).toBe(1)
  })

  it('replaces a price-0 transaction by another price-0 transaction (free-gas network); a queued one stays queued', async () => {
    const a = signer()
    const pool = newPool()
    const first = tx1559(a, { nonce: 3n })
    await pool.add(first)
    const second = tx1559(a, { nonce: 3n, data: Uint8Array.of(0) })
    await pool.add(second)
    expect(pool.get(hashOf(first))).toBeUndefined()
    expect(pool.status()).toEqual({ pending: 0, queued: 1 })
  })

  it('honours priceBumpPercent', async () => {
    const a = signer()
    const pool = newPool({ priceBumpPercent: 50 }, new MemState().set(a.address, 0n, 10n ** 18n))
    await pool.add(txLegacy(a, { gasPrice: 10n }))
    expect((await rejection(pool.add(txLegacy(a, { gasPrice: 14n })))).code).toBe('UNDERPRICED_REPLACEMENT')
    await pool.add(txLegacy(a, { gasPrice: 15n }))
  })
})

describe('TxPool queue and block selection', () => {
  it('queues future nonces and promotes them, in nonce order, when the gap fills', async () => {
    const a = signer()
    const pool = newPool()
    const events = record(pool)
    const [t0, t1, t2, t4] = [0n, 1n, 2n, 4n].map((nonce) => tx1559(a, { nonce }))
    await pool.add(t2!)
    await pool.add(t1!)
    await pool.add(t4!)
    expect(pool.status()).toEqual({ pending: 0, queued: 3 })
    expect(pool.pending(BLOCK_GAS)).toEqual([])
    expect(pool.nextNonce(a.address, 0n)).toBe(0n)
    events.length = 0
    await pool.add(t0!)
    expect(events).toEqual([`added ${hashOf(t0!)}`, `pending ${hashOf(t0!)}`, `pending ${hashOf(t1!)}`, `pending ${hashOf(t2!)}`])
    expect(pool.status()).toEqual({ pending: 3, queued: 1 })
    expect(pool.nextNonce(a.address, 0n)).toBe(3n)
    expect(pool.nextNonce(signer().address, 7n)).toBe(7n)
    expect(pool.pending(BLOCK_GAS).map((t) => t.nonce)).toEqual([0n, 1n, 2n])
    const content = pool.content()
    expect(Object.keys(content.pending[a.address]!)).toEqual(['0', '1', '2'])
    expect(Object.keys(content.queued[a.address]!)).toEqual(['4'])
  })

  it('contentPage walks the pool in (sender, nonce) order within a count and a weight budget, and resumes at `next`', async () => {
    const pool = newPool()
    const senders = [signer(), signer(), signer()]
    for (const s of senders) for (const n of [0n, 1n, 3n]) await pool.add(tx1559(s, { nonce: n }))
    const order = senders
      .map((s) => s.address)
      .sort()
      .flatMap((a) => ['0', '1', '3'].map((n) => `${a}:${n}`))
    const flatten = (p: ReturnType<TxPool['contentPage']>) =>
      [...Object.entries(p.pending), ...Object.entries(p.queued)]
        .flatMap(([a, byNonce]) => Object.keys(byNonce).map((n) => `${a}:${n}`))
        .sort((x, y) => order.indexOf(x) - order.indexOf(y))
    const weight = () => 10
    // By count.
    const seen: string[] = []
    let start: { sender: Address; nonce: bigint } | undefined
    for (let i = 0; i < 10; i++) {
      const page = pool.contentPage({ ...(start ? { start } : {}), maxTxs: 4, budget: 1e9, weight })
      seen.push(...flatten(page))
      if (!page.next) break
      start = page.next
    }
    expect(seen).toEqual(order)
    // By weight: a budget of 25 holds two transactions of weight 10; a first one always fits.
    expect(flatten(pool.contentPage({ maxTxs: 100, budget: 25, weight }))).toEqual(order.slice(0, 2))
    expect(flatten(pool.contentPage({ maxTxs: 100, budget: 1, weight }))).toEqual(order.slice(0, 1))
    // One sender; pending and queued kept apart as in content().
    const one = pool.contentPage({ sender: senders[1]!.address, maxTxs: 100, budget: 1e9, weight })
    expect(Object.keys(one.pending)).toEqual([senders[1]!.address])
    expect(Object.keys(one.pending[senders[1]!.address]!)).toEqual(['0', '1'])
    expect(Object.keys(one.queued[senders[1]!.address]!)).toEqual(['3'])
    expect(one.next).toBeUndefined()
    expect(pool.contentPage({ sender: signer().address, maxTxs: 100, budget: 1e9, weight })).toEqual({ pending: {}, queued: {} })
  })

  it('orders senders by priority fee, then arrival, each in nonce order', async () => {
    const [a, b, c] = [signer(), signer(), signer()]
    const state = new MemState().set(b.address, 7n, 10n ** 18n)
    const pool = newPool({}, state)
    for (const n of [0n, 1n, 2n]) await pool.add(tx1559(a, { nonce: n }))
    await pool.add(tx1559(b, { nonce: 8n, tip: 5n }))
    await pool.add(tx1559(b, { nonce: 7n, tip: 5n }))
    await pool.add(tx1559(c, { nonce: 0n }))
    const order = pool.pending(BLOCK_GAS).map((t) => `${pool.senderOf(hashOf(t))}:${t.nonce}`)
    expect(order).toEqual([`${b.address}:7`, `${b.address}:8`, `${a.address}:0`, `${a.address}:1`, `${a.address}:2`, `${c.address}:0`])
  })

  it('stops at the gas limit; a transaction that does not fit ends only its own sender', async () => {
    const [a, b] = [signer(), signer()]
    const pool = newPool()
    await pool.add(tx1559(a, { nonce: 0n, gasLimit: 100_000n }))
    await pool.add(tx1559(a, { nonce: 1n }))
    for (const n of [0n, 1n, 2n, 3n]) await pool.add(tx1559(b, { nonce: n }))
    expect(pool.pending(63_000n).map((t) => t.nonce)).toEqual([0n, 1n, 2n]) // b only: a's first does not fit
    const picked = pool.pending(163_000n)
    expect(picked.reduce((sum, t) => sum + t.gasLimit, 0n)).toBe(163_000n)
    expect(picked.map((t) => `${pool.senderOf(hashOf(t)) === a.address ? 'a' : 'b'}${t.nonce}`)).toEqual(['a0', 'a1', 'b0', 'b1'])
    expect(pool.pending(20_000n)).toEqual([])
    expect(pool.pending(BLOCK_GAS)).toHaveLength(6)
  })
})

describe('TxPool heads and removal', () => {
  it('onNewHead drops included and stale transactions, re-checks balances and promotes', async () => {
    const [a, b, c] = [signer(), signer(), signer()]
    const state = new MemState().set(b.address, 0n, 21_000n * 2n)
    const pool = newPool({}, state)
    const aTxs = [0n, 1n, 2n, 3n].map((nonce) => tx1559(a, { nonce }))
    for (const t of aTxs) await pool.add(t)
    const bTxs = [0n, 1n, 2n].map((nonce) => tx1559(b, { nonce, tip: 1n, feeCap: 1n }))
    for (const t of bTxs) await pool.add(t)
    const cQueued = tx1559(c, { nonce: 1n })
    await pool.add(cQueued)
    expect(pool.status()).toEqual({ pending: 7, queued: 1 })

    // The block included a0, a1 and c's nonce 0 (sent elsewhere); b's balance dropped below one tx.
    const next = new MemState().set(a.address, 2n).set(b.address, 0n, 20_999n).set(c.address, 1n)
    const events = record(pool)
    await pool.onNewHead(next)
    expect(pool.get(hashOf(aTxs[0]!))).toBeUndefined()
    expect(pool.get(hashOf(aTxs[1]!))).toBeUndefined()
    expect(events).toContain(`removed ${hashOf(aTxs[0]!)}`)
    expect(events).toContain(`pending ${hashOf(cQueued)}`)
    for (const t of bTxs) expect(events).toContain(`removed ${hashOf(t)}`)
    expect(pool.status()).toEqual({ pending: 3, queued: 0 })
    expect(pool.nextNonce(a.address, 2n)).toBe(4n)
    expect(pool.nextNonce(b.address, 0n)).toBe(0n)
    expect(pool.pending(BLOCK_GAS).map((t) => t.nonce).sort()).toEqual([1n, 2n, 3n])

    // Everything included: senders with nothing left leave no trace.
    await pool.onNewHead(new MemState().set(a.address, 4n).set(c.address, 2n))
    expect(pool.size).toBe(0)
    expect(pool.status()).toEqual({ pending: 0, queued: 0 })
    expect(pool.content()).toEqual({ pending: {}, queued: {} })
  })

  it('onNewHead queues again the transactions behind one the balance no longer covers', async () => {
    const a = signer()
    const pool = newPool({}, new MemState().set(a.address, 0n, 10n))
    await pool.add(tx1559(a, { nonce: 0n, value: 1n }))
    await pool.add(tx1559(a, { nonce: 1n, value: 10n }))
    await pool.add(tx1559(a, { nonce: 2n, value: 1n }))
    expect(pool.status()).toEqual({ pending: 3, queued: 0 })
    await pool.onNewHead(new MemState().set(a.address, 0n, 5n))
    expect(pool.status()).toEqual({ pending: 1, queued: 1 })
    expect(pool.pending(BLOCK_GAS).map((t) => t.nonce)).toEqual([0n])
  })

  it('remove() drops a transaction and queues the sender’s later nonces', async () => {
    const a = signer()
    const pool = newPool()
    const txs = [0n, 1n, 2n, 3n].map((nonce) => tx1559(a, { nonce }))
    for (const t of txs) await pool.add(t)
    const events = record(pool)
    expect(pool.remove(hashOf(txs[1]!), 'execution failed')).toBe(true)
    expect(pool.remove(hashOf(txs[1]!), 'again')).toBe(false)
    expect(events).toEqual([`removed ${hashOf(txs[1]!)}`])
    expect(pool.status()).toEqual({ pending: 1, queued: 2 })
    expect(pool.pending(BLOCK_GAS).map((t) => t.nonce)).toEqual([0n])
    // Refilling the gap makes them executable again.
    await pool.add(tx1559(a, { nonce: 1n, data: Uint8Array.of(0) }))
    expect(pool.status()).toEqual({ pending: 4, queued: 0 })
  })

  it('an add racing a new head is checked against the new head', async () => {
    const a = signer()
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const slow: AccountReader = {
      getAccount: async () => {
        await gate
        return { nonce: 0n, balance: 0n }
      },
    }
    const pool = newPool({}, slow)
    const adding = pool.add(tx1559(a, { nonce: 0n }))
    await pool.onNewHead(new MemState().set(a.address, 1n))
    release()
    expect((await rejection(adding)).code).toBe('NONCE_TOO_LOW')
    expect(pool.size).toBe(0)
  })

  it('reads each sender account once per head, however many transactions it sends', async () => {
    const a = signer()
    const state = new MemState()
    const pool = newPool({}, state)
    for (let n = 0n; n < 10n; n++) await pool.add(tx1559(a, { nonce: n }))
    expect(state.reads).toBe(1)
    const next = new MemState().set(a.address, 4n)
    await pool.onNewHead(next)
    for (let n = 10n; n < 15n; n++) await pool.add(tx1559(a, { nonce: n }))
    expect(next.reads).toBe(1)
    expect(pool.status()).toEqual({ pending: 11, queued: 0 })
  })

  it('keeps consistent counts with many senders and mixed operations', async () => {
    const signers = Array.from({ length: 40 }, () => signer())
    const pool = newPool({ maxTotal: 1000 })
    const raws: Uint8Array[] = []
    for (const s of signers) for (let n = 0n; n < 10n; n++) raws.push(tx1559(s, { nonce: n }).serialize())
    // Reverse order: every sender's transactions arrive queued and are promoted by nonce 0.
    const results = await Promise.all(raws.reverse().map((r) => pool.addRaw(r)))
    expect(new Set(results).size).toBe(400)
    expect(pool.status()).toEqual({ pending: 400, queued: 0 })
    const next = new MemState()
    signers.forEach((s, i) => next.set(s.address, BigInt(i % 11)))
    await pool.onNewHead(next)
    const expected = signers.reduce((sum, _s, i) => sum + Math.max(0, 10 - (i % 11)), 0)
    expect(pool.size).toBe(expected)
    expect(pool.status()).toEqual({ pending: expected, queued: 0 })
    expect(pool.pending(BLOCK_GAS)).toHaveLength(expected)
    const content = pool.content()
    expect(Object.values(content.pending).reduce((sum, byNonce) => sum + Object.keys(byNonce).length, 0)).toBe(expected)
  })
})
