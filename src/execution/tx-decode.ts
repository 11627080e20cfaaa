/**
 * Decoding of a serialized transaction (legacy RLP or EIP-2718 typed envelope) for the pool, with
 * the checks that need only the bytes: size, envelope type, and, when ethereumjs refuses the
 * bytes, which field it refused (chain id, signature, fees), so that the submitter reads the same
 * error geth would give. Pure: no pool, no state.
 */
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createTxFromRLP, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToBigInt, bytesToHex, SECP256K1_ORDER_DIV_2 } from '@ethereumjs/util'
import { keccak256 } from '../crypto/native.js'
import { errorMessage } from '../errors.js'
import type { Hex } from '../types.js'
import { alreadyKnown, feeCapBelowTip, invalidSignature, oversized, TxPoolError, unsupportedType, wrongChainId } from './txpool-errors.js'

export interface DecodeOptions {
  common: Common
  maxTxBytes: number
  /** True for a hash already held: such bytes are answered ALREADY_KNOWN before any decoding. */
  isKnown?: (hash: Hex) => boolean
}

/** Decodes `raw` or throws the TxPoolError that says what is wrong with it. */
export function decodeRawTransaction(raw: Uint8Array, opts: DecodeOptions): TypedTransaction {
  if (raw.length > opts.maxTxBytes) throw oversized(raw.length, opts.maxTxBytes)
  if (raw.length === 0) throw new TxPoolError('MALFORMED', 'invalid transaction encoding: the transaction is empty')
  if (opts.isKnown) {
    const rawHash = bytesToHex(keccak256(raw)) as Hex
    if (opts.isKnown(rawHash)) throw alreadyKnown(rawHash)
  }
  const type = raw[0]!
  if (type === 0) {
    throw new TxPoolError('MALFORMED', 'invalid transaction encoding: a legacy transaction is an RLP list, not a type-0 envelope')
  }
  if (type <= 0x7f && type !== TransactionType.AccessListEIP2930 && type !== TransactionType.FeeMarketEIP1559) {
    throw unsupportedType(type)
  }
  try {
    return createTxFromRLP(raw, { common: opts.common })
  } catch (err) {
    throw explainDecodeFailure(raw, err, opts.common.chainId())
  }
}

/** Classifies a decoding failure by reading the fields ethereumjs refused. */
function explainDecodeFailure(raw: Uint8Array, err: unknown, ourChainId: bigint): TxPoolError {
  const cause = { cause: err, details: errorMessage(err) }
  const malformed = new TxPoolError('MALFORMED', 'invalid transaction encoding: the bytes do not decode to a transaction of type 0, 1 or 2', cause)
  const typed = raw[0]! <= 0x7f
  let fields: Uint8Array[]
  try {
    const decoded = RLP.decode(typed ? raw.subarray(1) : raw)
    if (!Array.isArray(decoded) || decoded.some((f) => !(f instanceof Uint8Array) && !Array.isArray(f))) return malformed
    fields = decoded as Uint8Array[]
  } catch {
    return malformed
  }
  const num = (i: number): bigint | undefined => {
    const f = fields[i]
    return f instanceof Uint8Array ? bytesToBigInt(f) : undefined
  }
  // [chainId, nonce, (gasPrice | tip, maxFee), gasLimit, to, value, data, accessList, yParity, r, s]
  const expected = typed ? (raw[0] === TransactionType.FeeMarketEIP1559 ? 12 : 11) : 9
  if (fields.length !== expected) return malformed
  const v = num(expected - 3)
  const s = num(expected - 1)
  if (typed) {
    const chainId = num(0)
    if (chainId !== undefined && chainId !== ourChainId) return wrongChainId(chainId, ourChainId)
    if (raw[0] === TransactionType.FeeMarketEIP1559) {
      const tip = num(2)
      const feeCap = num(3)
      if (tip !== undefined && feeCap !== undefined && feeCap < tip) return feeCapBelowTip(feeCap, tip)
    }
    if (v !== undefined && v > 1n) return invalidSignature(err)
  } else if (v !== undefined) {
    if (v >= 35n && (v - 35n) / 2n !== ourChainId) return wrongChainId((v - 35n) / 2n, ourChainId)
    if (v !== 27n && v !== 28n && v < 37n) return invalidSignature(err)
  }
  if (s !== undefined && s > SECP256K1_ORDER_DIV_2) return invalidSignature(err)
  return malformed
}
