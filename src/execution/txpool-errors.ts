/**
 * Why the transaction pool refused a transaction. Each code is stable (RPC clients, tests and
 * metrics switch on it); each message starts with the phrase geth uses for the same case
 * ("nonce too low", "replacement transaction underpriced", ...) because ethers and viem classify
 * node errors by those phrases, and goes on to say what to change.
 */
import { TransactionType } from '@ethereumjs/tx'
import { errorMessage, QuorateError, type QuorateErrorOptions } from '../errors.js'
import type { Hex } from '../types.js'

export const TX_POOL_ERROR_CODES = [
  'MALFORMED',
  'UNSUPPORTED_TX_TYPE',
  'OVERSIZED',
  'WRONG_CHAIN_ID',
  'UNPROTECTED_TX',
  'INVALID_SIGNATURE',
  'FEE_CAP_BELOW_TIP',
  'UNDERPRICED',
  'INTRINSIC_GAS_TOO_LOW',
  'GAS_LIMIT_EXCEEDED',
  'ALREADY_KNOWN',
  'NONCE_TOO_LOW',
  'NONCE_TOO_HIGH',
  'INSUFFICIENT_FUNDS',
  'UNDERPRICED_REPLACEMENT',
  'SENDER_LIMIT',
  'POOL_FULL',
] as const

export type TxPoolErrorCode = (typeof TX_POOL_ERROR_CODES)[number]

/**
 * EIP-1474 meaning of each code, for the JSON-RPC error table: -32602 the bytes are not a valid
 * transaction, -32003 a valid transaction that this node rejects, -32005 a limit of the pool.
 */
export const TX_POOL_ERROR_RPC_CODES: Record<TxPoolErrorCode, number> = {
  MALFORMED: -32602,
  UNSUPPORTED_TX_TYPE: -32602,
  OVERSIZED: -32602,
  WRONG_CHAIN_ID: -32003,
  UNPROTECTED_TX: -32003,
  INVALID_SIGNATURE: -32003,
  FEE_CAP_BELOW_TIP: -32003,
  UNDERPRICED: -32003,
  INTRINSIC_GAS_TOO_LOW: -32003,
  GAS_LIMIT_EXCEEDED: -32003,
  ALREADY_KNOWN: -32003,
  NONCE_TOO_LOW: -32003,
  NONCE_TOO_HIGH: -32003,
  INSUFFICIENT_FUNDS: -32003,
  UNDERPRICED_REPLACEMENT: -32003,
  SENDER_LIMIT: -32005,
  POOL_FULL: -32005,
}

export class TxPoolError extends QuorateError {
  override name = 'TxPoolError'
  declare readonly code: TxPoolErrorCode

  constructor(code: TxPoolErrorCode, message: string, opts: QuorateErrorOptions = {}) {
    super(code, message, opts)
  }
}

const TYPE_NAMES: Record<number, string> = {
  [TransactionType.BlobEIP4844]: 'EIP-4844 blob',
  [TransactionType.EOACodeEIP7702]: 'EIP-7702 set-code',
}

export function oversized(size: number, limit: number): TxPoolError {
  return new TxPoolError('OVERSIZED', `oversized data: the transaction is ${size} bytes, above this node's limit of ${limit} bytes; send less calldata`)
}

export function alreadyKnown(hash: Hex): TxPoolError {
  return new TxPoolError('ALREADY_KNOWN', `already known: transaction ${hash} is already in the pool`)
}

export function unsigned(): TxPoolError {
  return new TxPoolError('MALFORMED', 'invalid transaction: it is not signed; sign it with the sender key before sending')
}

export function unsupportedType(type: number): TxPoolError {
  const name = TYPE_NAMES[type] ?? 'unknown'
  return new TxPoolError(
    'UNSUPPORTED_TX_TYPE',
    `transaction type not supported: type ${type} (${name}); this network accepts type 0 (legacy), 1 (EIP-2930) and 2 (EIP-1559)`,
  )
}

export function wrongChainId(got: bigint, ours: bigint): TxPoolError {
  return new TxPoolError(
    'WRONG_CHAIN_ID',
    `invalid chain id: transaction chain id ${got} does not match the chain id ${ours} of this network; sign it for chain id ${ours}`,
  )
}

export function feeCapBelowTip(feeCap: bigint, tip: bigint): TxPoolError {
  return new TxPoolError(
    'FEE_CAP_BELOW_TIP',
    `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas ${tip} is above maxFeePerGas ${feeCap}; the fee cap must be at least the tip`,
  )
}

export function invalidSignature(err: unknown): TxPoolError {
  return new TxPoolError('INVALID_SIGNATURE', 'invalid sender: the signature does not recover to a valid sender; sign the transaction again', {
    cause: err,
    details: errorMessage(err),
  })
}
