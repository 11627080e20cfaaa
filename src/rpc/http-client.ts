/**
 * A small JSON-RPC client over HTTP for the node's own tools (CLI commands, the privacy client):
 * timeouts, batches, and errors that say whether the node did not answer or answered with an error.
 * A node that requires credentials (docs/security.md) is called with the bearer token in
 * QUORATE_RPC_TOKEN (an API key or a JWT), read from the environment so it never sits on argv.
 */
import { z } from 'zod'
import { QuorateError, errorMessage } from '../errors.js'

/** The node did not answer (connection refused, timeout, DNS, not HTTP). */
export class NodeUnreachableError extends QuorateError {
  override name = 'NodeUnreachableError'
  constructor(url: string, reason: string, opts: { cause?: unknown } = {}) {
    super('NODE_UNREACHABLE', reason, { details: `calling ${url}`, ...opts })
  }
}

/** The node answered with a JSON-RPC error, or with something that is not JSON-RPC. */
export class RpcCallError extends QuorateError {
  override name = 'RpcCallError'
  readonly rpcCode: number | undefined
  constructor(method: string, message: string, rpcCode?: number) {
    super('RPC_CALL_FAILED', `${method}: ${message}`)
    this.rpcCode = rpcCode
  }
}

export const RPC_TOKEN_ENV = 'QUORATE_RPC_TOKEN'

/** JSON-RPC "method not found": the node does not offer that namespace. */
export const METHOD_NOT_FOUND = -32601

/** A short, operator-readable reason for a failed fetch: `connect ECONNREFUSED 127.0.0.1:8545`. */
export function fetchFailureReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`
  const cause = err instanceof Error ? (err.cause as { message?: unknown; code?: unknown } | undefined) : undefined
  if (cause && typeof cause.message === 'string' && cause.message !== '') return cause.message
  if (cause && typeof cause.code === 'string') return cause.code
  return errorMessage(err)
}

export async function httpFetch(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new NodeUnreachableError(url, fetchFailureReason(err, timeoutMs), { cause: err })
  }
}

const rpcResponse = z.object({
  id: z.union([z.number(), z.string(), z.null()]).optional(),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string() }).optional(),
})

export interface RpcRequest {
  method: string
  params?: unknown[]
}

/**
 * Sends the calls as one JSON-RPC batch; each element of the result is the call's result or the
 * RpcCallError it failed with. Throws NodeUnreachableError if the node does not answer at all.
 */
export async function rpcBatch(url: string, calls: readonly RpcRequest[], timeoutMs: number): Promise<(unknown | RpcCallError)[]> {
  const body = JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, method: c.method, params: c.params ?? [] })))
  const token = process.env[RPC_TOKEN_ENV]
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }
  const res = await httpFetch(url, { method: 'POST', headers, body }, timeoutMs)
  if (res.status === 401) {
    const answer = rpcResponse.safeParse(await res.json().catch(() => undefined))
    const reason = answer.success && answer.data.error ? answer.data.error.message : 'unauthorized'
    throw new RpcCallError(calls[0]?.method ?? 'request', `${reason}${token ? '' : ` (set ${RPC_TOKEN_ENV} to an API key or JWT)`}`, answer.success ? answer.data.error?.code : undefined)
  }
  let json: unknown
  try {
    json = await res.json()
  } catch (err) {
    throw new NodeUnreachableError(url, `HTTP ${res.status} without a JSON-RPC answer (is this a Quorate RPC URL?)`, { cause: err })
  }
  const parsed = z.array(rpcResponse).safeParse(json)
  if (!parsed.success) {
    const single = rpcResponse.safeParse(json)
    const message = single.success && single.data.error ? single.data.error.message : 'not a JSON-RPC batch answer'
    return calls.map((c) => new RpcCallError(c.method, message, single.success ? single.data.error?.code : undefined))
  }
  return calls.map((c, id) => {
    const answer = parsed.data.find((r) => r.id === id)
    if (!answer) return new RpcCallError(c.method, 'no answer in the batch')
    if (answer.error) return new RpcCallError(c.method, answer.error.message, answer.error.code)
    return answer.result
  })
}

/** One JSON-RPC call; throws NodeUnreachableError or RpcCallError. */
export async function rpcCall(url: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  const [result] = await rpcBatch(url, [{ method, params }], timeoutMs)
  if (result instanceof RpcCallError) throw result
  return result
}
