/**
 * Transaction decoding and pool admission (src/execution/txpool.ts addRaw: the path of
 * eth_sendRawTransaction and of gossiped transactions): fed random bytes, signed legacy, EIP-2930
 * and EIP-1559 transactions with random fields, and those mutated. addRaw may only reject with a
 * TxPoolError of the closed code set; a transaction it accepts must have the hash of the bytes sent
 * and serialize back to exactly those bytes (no second encoding of one transaction).
 */
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import fc from 'fast-check'
import { createChainCommon } from '../../src/chain/common.js'
import { privateKeyToAddress } from '../../src/crypto/keys.js'
import { keccak256 } from '../../src/crypto/native.js'
import { TX_POOL_ERROR_CODES } from '../../src/execution/txpool-errors.js'
import { TxPool, type AccountReader } from '../../src/execution/txpool.js'
import type { Address, Hex } from '../../src/types.js'
import { decoderInputs } from '../lib/mutate.js'
import { Finding, hex, sameBytes, type FuzzTarget } from '../lib/target.js'

const CHAIN_ID = 1337n
const GAS_LIMIT = 30_000_000n
const common = createChainCommon(CHAIN_ID, GAS_LIMIT)
const KEYS = [1, 2, 3].map((i) => keccak256(Uint8Array.of(0x70 + i)))
const FUNDED = new Set<Address>(KEYS.map((k) => privateKeyToAddress(k)))
/** A new pool after this many inputs, so the pool never just fills up and answers POOL_FULL. */
const INPUTS_PER_POOL = 200

const state: AccountReader = {
  async getAccount(address) {
    return FUNDED.has(address.toLowerCase() as Address) ? { nonce: 1n, balance: 10n ** 24n } : { nonce: 0n, balance: 0n }
  },
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => new Uint8Array(b))
const quantity = fc.oneof(fc.constantFrom(0n, 1n, 21_000n, 10n ** 9n), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }))
const price = fc.oneof(fc.constantFrom(0n, 1n, 10n ** 9n), fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }))
const small = fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n), fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }))
const gasLimit = fc.oneof(fc.constantFrom(21_000n, 53_000n, 100_000n, GAS_LIMIT + 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const to = fc.option(fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => new Uint8Array(b)), { nil: undefined })
const keyArb = fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 4 }, fc.constant(keccak256(Uint8Array.of(0xee))))
const accessList = fc.array(
  fc.record({
    address: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString('hex')}` as Hex),
    storageKeys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}` as Hex), { maxLength: 2 }),
  }),
  { maxLength: 2 },
)
const chainId = fc.oneof({ arbitrary: fc.constant(CHAIN_ID), weight: 6 }, fc.constantFrom(1n, 7n))
const OTHER_COMMONS = new Map([1n, 7n].map((id) => [id, createChainCommon(id, GAS_LIMIT)]))
const commonFor = (id: bigint) => OTHER_COMMONS.get(id) ?? common

const txArb: fc.Arbitrary<TypedTransaction> = fc.oneof(
  fc.record({ nonce: small, gasPrice: price, gasLimit, to, value: quantity, data: bytes(48), key: keyArb, chainId }).map(({ key, chainId: id, ...d }) =>
    createLegacyTx(d, { common: commonFor(id) }).sign(key),
  ),
  fc.record({ chainId, nonce: small, gasPrice: price, gasLimit, to, value: quantity, data: bytes(48), accessList, key: keyArb }).map(({ key, ...d }) =>
    createAccessList2930Tx(d, { common: commonFor(d.chainId) }).sign(key),
  ),
  fc.record({ chainId, nonce: small, maxPriorityFeePerGas: price, maxFeePerGas: price, gasLimit, to, value: quantity, data: bytes(48), accessList, key: keyArb }).map(
    ({ key, ...d }) => createFeeMarket1559Tx({ ...d, maxFeePerGas: d.maxFeePerGas + d.maxPriorityFeePerGas }, { common: commonFor(d.chainId) }).sign(key),
  ),
)

export interface TxTargetStats {
  accepted: number
  refused: Record<string, number>
}

export async function createTarget(): Promise<FuzzTarget<Uint8Array> & { stats: TxTargetStats }> {
  let pool = new TxPool({ common, blockGasLimit: GAS_LIMIT }, state)
  let used = 0
  const stats: TxTargetStats = { accepted: 0, refused: {} }
  return {
    name: 'tx-decode',
    description: 'TxPool.addRaw (eth_sendRawTransaction, tx gossip) on random, signed and mutated transactions: TxPoolError only, hash and bytes round trip',
    arbitrary: decoderInputs(txArb.map((tx) => tx.serialize())),
    stats,
    async check(raw) {
      if (++used > INPUTS_PER_POOL) {
        pool = new TxPool({ common, blockGasLimit: GAS_LIMIT }, state)
        used = 1
      }
      let hash: Hex
      try {
        hash = await pool.addRaw(raw)
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code
        if (!(err instanceof Error && err.name === 'TxPoolError' && (TX_POOL_ERROR_CODES as readonly unknown[]).includes(code))) {
          throw new Finding('crash', `addRaw rejected ${hex(raw)} with something other than a TxPoolError: ${String(err)}`, { cause: err })
        }
        stats.refused[code as string] = (stats.refused[code as string] ?? 0) + 1
        return
      }
      stats.accepted++
      const expected = `0x${Buffer.from(keccak256(raw)).toString('hex')}`
      if (hash !== expected) throw new Finding('crash', `addRaw accepted ${hex(raw)} under hash ${hash}, not the hash of the bytes ${expected}`)
      const tx = pool.get(hash)
      if (!tx) throw new Finding('crash', `addRaw accepted ${hash} but the pool does not hold it`)
      const again = tx.serialize()
      if (!sameBytes(again, raw)) throw new Finding('crash', `an accepted transaction serializes to other bytes: ${hex(raw)} -> ${hex(again)}`)
    },
  }
}
