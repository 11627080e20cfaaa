/**
 * Ledger errors → LedgerError codes: the SDK's one mapper, for the core actions of every fabric and
 * for the consortium actions alike. What differs between ledgers is only which JSON-RPC numbers,
 * `data` codes and messages they use, and those are listed here, in tables. A Quorate node puts its
 * stable error code in the JSON-RPC error's `data` (src/rpc/errors.ts): that decides first, so the
 * refusals that share -32003 are told apart without reading messages. Message text is read only for
 * ledgers that give no such code (Anvil, Hardhat, geth: their nonce refusals). Reverts are decoded
 * with viem (reason strings, panics and Solidity custom errors with their arguments when the ABI is
 * known). Nothing else leaves the SDK: an error no rule matches keeps the ledger's message under the
 * closest code and the original error as `cause`.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  decodeErrorResult,
  HttpRequestError,
  NonceMaxValueError,
  NonceTooHighError,
  NonceTooLowError,
  RpcRequestError,
  SocketClosedError,
  TimeoutError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
  BlockNotFoundError,
  WebSocketRequestError,
  type Abi,
  type Hex,
} from 'viem'
import { LedgerError, NotSupportedByFabric, type LedgerErrorCode } from './errors.js'

/** What a revert said, as far as it could be decoded. */
export interface RevertDetails {
  /** `require`/`revert` reason string, or a panic's description. */
  reason?: string
  /** Name of the Solidity custom error (`InsufficientBalance`), or `Error`/`Panic`. */
  errorName?: string
  /** The custom error's arguments, decoded. */
  args?: readonly unknown[]
  /** The raw revert bytes. */
  data?: Hex
}

/** A reverted call or transaction; `err.revert` holds what could be decoded. */
export class RevertedError extends LedgerError {
  override name = 'RevertedError'
  readonly revert: RevertDetails
  constructor(revert: RevertDetails, opts: { cause?: unknown } = {}) {
    const what = revert.errorName && revert.errorName !== 'Error' ? `${revert.errorName}(${(revert.args ?? []).map(show).join(', ')})` : revert.reason
    super('REVERTED', what ? `execution reverted: ${what}` : 'execution reverted', { ...opts, ...(revert.data ? { data: revert.data } : {}) })
    this.revert = revert
  }
}

function show(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))
}

/** JSON-RPC error numbers every Ethereum ledger uses alike (EIP-1474 and JSON-RPC 2.0). */
const RPC_NUMBERS: Readonly<Record<number, LedgerErrorCode>> = {
  [-32700]: 'INVALID_INPUT', // parse error
  [-32600]: 'INVALID_INPUT', // invalid request
  [-32602]: 'INVALID_INPUT', // invalid params
  [-32000]: 'INVALID_INPUT', // geth: invalid input (insufficient funds, gas too low, …)
  [-32001]: 'NOT_FOUND', // resource not found
  [-32002]: 'UNREACHABLE', // resource unavailable (node not ready, store failed)
  [-32003]: 'INVALID_INPUT', // transaction rejected, without a code that says why (insufficient funds, …)
  [-32005]: 'UNREACHABLE', // limit exceeded (pool full, rate limited): try again later
  [-40100]: 'NOT_PERMITTED', // Besu/Quorate: missing or bad credentials
}

/**
 * Quorate's stable error codes, as its JSON-RPC errors carry them in `data.code` → LedgerError
 * codes: every code the node answers -32003 (transaction rejected) with, for which the number alone
 * does not say what was refused (test/unit/sdk/translate.test.ts holds this list and the node's
 * table equal). Other codes map by their JSON-RPC number.
 */
export const QUORATE_ERROR_CODES = {
  PERMISSION_DENIED: 'NOT_PERMITTED',
  GOVERNANCE_REFUSED: 'NOT_PERMITTED',
  PRIVATE_NOT_CONTROLLER: 'NOT_PERMITTED',
  PRIVATE_NO_CONSENT_GRANT: 'NOT_PERMITTED',
  PRIVATE_ANCHOR_REFUSED: 'NOT_PERMITTED',
  PRIVATE_NOT_MEMBER: 'NOT_A_MEMBER',
  PRIVATE_PURPOSE_NOT_ALLOWED: 'NOT_A_MEMBER',
  PRIVATE_CONSENT_MISSING: 'NOT_A_MEMBER',
  NONCE_TOO_LOW: 'NONCE',
  NONCE_TOO_HIGH: 'NONCE',
  ALREADY_KNOWN: 'NONCE',
  UNDERPRICED_REPLACEMENT: 'NONCE',
  WRONG_CHAIN_ID: 'INVALID_INPUT',
  UNPROTECTED_TX: 'INVALID_INPUT',
  INVALID_SIGNATURE: 'INVALID_INPUT',
  FEE_CAP_BELOW_TIP: 'INVALID_INPUT',
  UNDERPRICED: 'INVALID_INPUT',
  INTRINSIC_GAS_TOO_LOW: 'INVALID_INPUT',
  GAS_LIMIT_EXCEEDED: 'INVALID_INPUT',
  INSUFFICIENT_FUNDS: 'INVALID_INPUT',
  TRANSACTION_REJECTED: 'INVALID_INPUT',
} as const satisfies Readonly<Record<string, LedgerErrorCode>>
export type QuorateErrorCode = keyof typeof QUORATE_ERROR_CODES

/** Messages of nonce refusals viem does not classify itself, from ledgers that give no `data` code (Hardhat's, Anvil's). */
const NONCE_MESSAGES = /nonce too (low|high)|nonce.*(already|expected)|replacement transaction underpriced|already known|transaction already imported|invalid nonce/i

export interface TranslateOptions {
  /** The fabric's name, for NotSupportedByFabric. */
  fabric: string
  /** ABI to decode custom errors with (the contract's). */
  abi?: Abi | readonly unknown[]
  /**
   * The JSON-RPC method (or action) that failed, for the consortium actions: the message starts with
   * it (`priv_getRecord: not a member …`) and NotSupportedByFabric names it.
   */
  method?: string
  /** Custom errors of `abi` that mean "no such thing": such a revert is NOT_FOUND (`UnknownProposal`). */
  notFoundErrors?: readonly string[]
}

export function toLedgerError(err: unknown, opts: TranslateOptions): LedgerError {
  // Mapped already (by a client's `request`): mapped again from the ledger's answer only to name the method.
  if (err instanceof LedgerError) return opts.method !== undefined && rpcErrorOf(causes(err.cause)) ? toLedgerError(err.cause, opts) : err
  // A LedgerError raised inside a transport (an embedded chain that is closed) and wrapped by viem.
  const inner = causes(err).find((e): e is LedgerError => e instanceof LedgerError)
  if (inner) return inner
  const prefix = opts.method !== undefined ? `${opts.method}: ` : ''
  const revert = revertOf(err, opts.abi)
  if (revert?.errorName !== undefined && opts.notFoundErrors?.includes(revert.errorName)) return new LedgerError('NOT_FOUND', `${prefix}${messageOf(err)}`, { cause: err })
  if (revert) return new RevertedError(revert, { cause: err })
  const code = classify(err)
  if (code === 'NOT_SUPPORTED_BY_FABRIC') {
    const method = opts.method ?? findRpcMethod(err)
    const e = new NotSupportedByFabric(opts.fabric, method ?? 'this method')
    return Object.assign(e, { cause: err })
  }
  return new LedgerError(code, `${prefix}${messageOf(err)}`, { cause: err })
}

/** A JSON-RPC error as a ledger answered it. */
export interface RpcErrorAnswer {
  code: number
  message: string
  data?: unknown
}

/**
 * The LedgerError code of a JSON-RPC error: the node's stable code in `data` first (Quorate), then
 * the words of a nonce refusal (ledgers without such codes), then the JSON-RPC number.
 */
export function rpcErrorCode(rpc: RpcErrorAnswer): LedgerErrorCode {
  const stable = dataCodeOf(rpc.data)
  if (stable !== undefined && Object.hasOwn(QUORATE_ERROR_CODES, stable)) return QUORATE_ERROR_CODES[stable as QuorateErrorCode]
  if (NONCE_MESSAGES.test(rpc.message)) return 'NONCE'
  if (rpc.code === -32601 || rpc.code === -32004) return 'NOT_SUPPORTED_BY_FABRIC'
  if (rpc.code === 3) return 'REVERTED'
  return RPC_NUMBERS[rpc.code] ?? 'UNREACHABLE'
}

function dataCodeOf(data: unknown): string | undefined {
  const code = typeof data === 'object' && data !== null ? (data as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

function classify(err: unknown): LedgerErrorCode {
  const chain = causes(err)
  if (chain.some((e) => e instanceof NonceTooLowError || e instanceof NonceTooHighError || e instanceof NonceMaxValueError)) return 'NONCE'
  if (chain.some((e) => e instanceof TransactionNotFoundError || e instanceof TransactionReceiptNotFoundError || e instanceof BlockNotFoundError || e instanceof ContractFunctionZeroDataError)) return 'NOT_FOUND'
  const http = chain.find((e): e is HttpRequestError => e instanceof HttpRequestError)
  if (http && (http.status === 401 || http.status === 403)) return 'NOT_PERMITTED'
  const rpc = rpcErrorOf(chain)
  if (rpc) return rpcErrorCode(rpc)
  if (chain.some((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WaitForTransactionReceiptTimeoutError || e instanceof WebSocketRequestError || e instanceof SocketClosedError || isConnectionFailure(e))) return 'UNREACHABLE'
  // viem's WebSocket transport keeps only the socket error's text (an UnknownRpcError's details).
  if (chain.some((e) => e instanceof BaseError && CONNECTION_MESSAGES.test(`${e.details}`))) return 'UNREACHABLE'
  // A viem error raised before anything was sent (bad address, wrong arguments for the ABI, …).
  if (err instanceof BaseError) {
    if (NONCE_MESSAGES.test(err.message)) return 'NONCE'
    return 'INVALID_INPUT'
  }
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return 'INVALID_INPUT'
  return 'UNREACHABLE'
}

/** The JSON-RPC error a ledger answered, wherever viem nested it. */
function rpcErrorOf(chain: readonly unknown[]): RpcErrorAnswer | undefined {
  for (const e of chain) {
    if (e instanceof RpcRequestError) return { code: e.code, message: `${e.shortMessage} ${e.details}`, data: (e as { data?: unknown }).data }
  }
  for (const e of chain) {
    if (e instanceof BaseError) continue
    const rec = e as { code?: unknown; message?: unknown; data?: unknown } | null
    const c = rec?.code
    if (typeof c === 'number' && Number.isInteger(c) && c < 0) return { code: c, message: String(rec?.message ?? ''), data: rec?.data }
  }
  return undefined
}

/** The JSON-RPC method a failed request called: viem keeps the request body only in its message. */
function findRpcMethod(err: unknown): string | undefined {
  for (const e of causes(err)) {
    if (!(e instanceof BaseError)) continue
    for (const line of e.metaMessages ?? []) {
      const m = /^Request body: (.*)$/s.exec(line)
      if (!m) continue
      try {
        const method = (JSON.parse(m[1]!) as { method?: unknown }).method
        if (typeof method === 'string') return method
      } catch {
        // not JSON: keep looking
      }
    }
    const named = /the method (\S+) does not exist/.exec(e.details ?? '')
    if (named) return named[1]
  }
  return undefined
}

const CONNECTION_MESSAGES = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|socket has been closed/i

function isConnectionFailure(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'].includes(code)
}

/** The revert of a failed call or transaction, decoded as far as the ABI allows. */
export function revertOf(err: unknown, abi?: Abi | readonly unknown[]): RevertDetails | undefined {
  const chain = causes(err)
  const decoded = chain.find((e): e is ContractFunctionRevertedError => e instanceof ContractFunctionRevertedError)
  if (decoded) {
    const raw = decoded.raw
    if (decoded.data) {
      const name = decoded.data.errorName
      return { errorName: name, args: decoded.data.args ?? [], ...(decoded.reason ? { reason: decoded.reason } : {}), ...(raw ? { data: raw } : {}) }
    }
    if (decoded.reason) return { reason: decoded.reason, ...(raw ? { data: raw } : {}) }
    if (raw) return { data: raw }
    return {}
  }
  const data = revertData(chain)
  if (data === undefined) return undefined
  return decodeRevert(data, abi)
}

/** Decodes revert bytes: Error(string), Panic(uint256), or a custom error of `abi`. */
export function decodeRevert(data: Hex, abi?: Abi | readonly unknown[]): RevertDetails {
  if (data === '0x') return { data }
  try {
    const r = decodeErrorResult({ abi: (abi ?? []) as Abi, data })
    const args = r.args ?? []
    if (r.errorName === 'Error') return { errorName: 'Error', reason: String(args[0]), args, data }
    if (r.errorName === 'Panic') return { errorName: 'Panic', reason: `panic ${show(args[0])}`, args, data }
    return { errorName: r.errorName, args, data }
  } catch {
    return { data }
  }
}

/**
 * Revert bytes a ledger returned: geth and Quorate put them in `data` with code 3, Hardhat and
 * Anvil too (Hardhat sometimes as `{ data }`), viem keeps them on the nested RPC error.
 */
function revertData(chain: readonly unknown[]): Hex | undefined {
  for (const e of chain) {
    const rec = e as { code?: unknown; data?: unknown; message?: unknown; shortMessage?: unknown } | null
    if (!rec || typeof rec !== 'object') continue
    const data = typeof rec.data === 'string' ? rec.data : (rec.data as { data?: unknown } | undefined)?.data
    const msg = `${String(rec.shortMessage ?? '')} ${String(rec.message ?? '')}`
    if (typeof data === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(data) && (rec.code === 3 || rec.code === -32015 || /revert/i.test(msg))) return data as Hex
    if (rec.code === 3 && data === undefined) return '0x'
  }
  // "execution reverted" with no data at all (a bare `revert()`).
  if (chain.some((e) => e instanceof BaseError && /execution reverted|reverted with/i.test(e.shortMessage) && !/nonce/i.test(e.shortMessage))) return '0x'
  return undefined
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = []
  let e: unknown = err
  while (e !== undefined && e !== null && out.length < 20) {
    out.push(e)
    e = (e as { cause?: unknown }).cause
  }
  return out
}

function messageOf(err: unknown): string {
  // The ledger's own words when it answered; viem's summary otherwise.
  const rpc = causes(err).find((e): e is RpcRequestError => e instanceof RpcRequestError)
  if (rpc?.details) return rpc.details
  if (err instanceof BaseError) return err.details && err.details !== err.shortMessage ? `${err.shortMessage} (${err.details})` : err.shortMessage
  if (err instanceof Error) return err.message
  return String(err)
}
