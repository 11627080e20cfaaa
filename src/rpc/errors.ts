/**
 * JSON-RPC errors: the one table that maps `QuorateError.code` to EIP-1474 numbers, the
 * `RpcError` for handlers that pick a number themselves, and constructors for the errors every
 * Ethereum client knows (method not found, invalid params, execution reverted, ...).
 * Only messages meant for people leave the node: unexpected errors become -32603 without detail.
 */
import { hexToBytes } from '@ethereumjs/util'
import { QuorateError, type QuorateErrorOptions } from '../errors.js'
import { ExecutionRevertedError } from '../execution/call.js'
import { TX_POOL_ERROR_RPC_CODES } from '../execution/txpool-errors.js'
export { decodeRevertReason } from '../execution/revert.js'
import type { Logger } from '../ops/logger.js'
import type { Hex } from '../types.js'
import type { JsonRpcErrorObject } from './types.js'

/** JSON-RPC 2.0 and EIP-1474 error numbers. */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  INVALID_INPUT: -32000,
  RESOURCE_NOT_FOUND: -32001,
  RESOURCE_UNAVAILABLE: -32002,
  TRANSACTION_REJECTED: -32003,
  METHOD_NOT_SUPPORTED: -32004,
  LIMIT_EXCEEDED: -32005,
  JSON_RPC_VERSION_NOT_SUPPORTED: -32006,
  /** Besu's code for missing, bad or insufficient credentials (HTTP 401 when the credentials are bad). */
  UNAUTHORIZED: -40100,
  /** geth's code for a reverted call/estimate; `data` holds the revert bytes. */
  EXECUTION_REVERTED: 3,
} as const

/**
 * THE table: `QuorateError.code` → JSON-RPC error number. Modules throw QuorateErrors with their
 * own stable codes; add each code that can reach a client here. A QuorateError whose code is not
 * listed becomes -32603 (its message is kept, and the gap is logged).
 */
export const RPC_ERROR_CODES: Readonly<Record<string, number>> = {
  INVALID_INPUT: RpcErrorCode.INVALID_INPUT,
  RESOURCE_NOT_FOUND: RpcErrorCode.RESOURCE_NOT_FOUND,
  RESOURCE_UNAVAILABLE: RpcErrorCode.RESOURCE_UNAVAILABLE,
  TRANSACTION_REJECTED: RpcErrorCode.TRANSACTION_REJECTED,
  METHOD_NOT_SUPPORTED: RpcErrorCode.METHOD_NOT_SUPPORTED,
  LIMIT_EXCEEDED: RpcErrorCode.LIMIT_EXCEEDED,
  EXECUTION_REVERTED: RpcErrorCode.EXECUTION_REVERTED,
  INVALID_PARAMS: RpcErrorCode.INVALID_PARAMS,
  METHOD_NOT_FOUND: RpcErrorCode.METHOD_NOT_FOUND,
  EXECUTION_FAILED: RpcErrorCode.INVALID_INPUT,
  CALL_INVALID: RpcErrorCode.INVALID_INPUT,
  CALL_TIMEOUT: RpcErrorCode.INVALID_INPUT,
  CALL_QUEUE_FULL: RpcErrorCode.LIMIT_EXCEEDED,
  CALL_POOL_STOPPED: RpcErrorCode.RESOURCE_UNAVAILABLE,
  CALL_WORKER_FAILED: RpcErrorCode.INTERNAL_ERROR,
  CALL_READ_FAILED: RpcErrorCode.INTERNAL_ERROR,
  PERMISSION_DENIED: RpcErrorCode.TRANSACTION_REJECTED,
  GOVERNANCE_REFUSED: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_NOT_MEMBER: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_PURPOSE_NOT_ALLOWED: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_NOT_CONTROLLER: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_CONSENT_MISSING: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_NO_CONSENT_GRANT: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_NOT_ACTIVE: RpcErrorCode.RESOURCE_UNAVAILABLE,
  PRIVATE_ANCHOR_REFUSED: RpcErrorCode.TRANSACTION_REJECTED,
  PRIVATE_ANCHOR_TIMEOUT: RpcErrorCode.RESOURCE_UNAVAILABLE,
  PRIVATE_COLLECTION_KEY_UNAVAILABLE: RpcErrorCode.RESOURCE_UNAVAILABLE,
  ACCESS_LOG_CORRUPT: RpcErrorCode.RESOURCE_UNAVAILABLE,
  RPC_UNAUTHORIZED: RpcErrorCode.UNAUTHORIZED,
  RPC_FORBIDDEN: RpcErrorCode.UNAUTHORIZED,
  ...TX_POOL_ERROR_RPC_CODES,
}

/** A QuorateError that names its JSON-RPC number directly (its string `code` is `RPC_ERROR`). */
export class RpcError extends QuorateError {
  override name = 'RpcError'
  readonly rpcCode: number

  constructor(rpcCode: number, message: string, opts: QuorateErrorOptions = {}) {
    super('RPC_ERROR', message, opts)
    this.rpcCode = rpcCode
  }
}

const MAX_ECHOED_NAME = 100

/** -32601, worded as geth does so that clients matching on it keep working. */
export function methodNotFound(name: string): RpcError {
  const shown = name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name
  return new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `the method ${shown} does not exist/is not available`)
}

/** -32602 for checks a schema cannot express (e.g. relations between params). */
export function invalidParams(message: string, data?: unknown): RpcError {
  return new RpcError(RpcErrorCode.INVALID_PARAMS, message, data !== undefined ? { data } : {})
}

/** For eth_subscribe (and friends) called over HTTP: same code and words as geth. */
export function notificationsNotSupported(): RpcError {
  return new RpcError(
    RpcErrorCode.METHOD_NOT_FOUND,
    'notifications not supported: subscriptions need a WebSocket connection (ws://host:port/)',
  )
}

/**
 * A reverted eth_call / eth_estimateGas as geth reports it: code 3, message
 * `execution reverted[: reason]`, `data` = the revert bytes as hex.
 */
export function executionReverted(revertData: Hex | Uint8Array): QuorateError {
  return new ExecutionRevertedError(typeof revertData === 'string' ? hexToBytes(revertData) : revertData)
}

/**
 * Turns anything a handler threw into a JSON-RPC error object. RpcError keeps its number,
 * a QuorateError is mapped through RPC_ERROR_CODES, anything else is -32603 "internal error"
 * (logged with its stack, which never reaches the client). A refusal answered -32003 (transaction
 * rejected: the pool's, a permission's, governance's and private data's refusals share the number)
 * carries its stable code as `data: { code }`, so that a client tells them apart without reading
 * the message; other numbers keep the data geth gives them (none, or the revert bytes).
 */
export function toJsonRpcError(err: unknown, logger?: Logger, method?: string): JsonRpcErrorObject {
  if (err instanceof RpcError) return withData({ code: err.rpcCode, message: err.shortMessage }, err.data)
  if (err instanceof QuorateError) {
    const code = Object.hasOwn(RPC_ERROR_CODES, err.code) ? RPC_ERROR_CODES[err.code] : undefined
    if (code !== undefined) return withData({ code, message: err.shortMessage }, err.data ?? (code === RpcErrorCode.TRANSACTION_REJECTED ? { code: err.code } : undefined))
    logger?.warn({ method, code: err.code, err }, 'error code has no JSON-RPC mapping in rpc/errors.ts; answering -32603')
    return withData({ code: RpcErrorCode.INTERNAL_ERROR, message: err.shortMessage }, err.data)
  }
  logger?.error({ method, err }, 'JSON-RPC handler failed unexpectedly')
  return { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error' }
}

function withData(obj: JsonRpcErrorObject, data: unknown): JsonRpcErrorObject {
  return data === undefined ? obj : { ...obj, data }
}
