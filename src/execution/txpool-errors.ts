/**
 * Why the transaction pool refused a transaction. Each code is stable (RPC clients, tests and
 * metrics switch on it); each message starts with the phrase geth uses for the same case
 * ("nonce too low", "replacement transaction underpriced", ...) because ethers and viem classify
 * node errors by those phrases, and goes on to say what to change.
 */
import { QuorateError, type QuorateErrorOptions } from '../errors.js'

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
