/**
 * JSON-RPC over HTTP POST to the node that serves the page (same origin, so no CORS). One request
 * per call: the node answers in milliseconds and separate calls keep a slow one from holding others.
 */

/** EIP-1474 "method not found": a node without that module (e.g. no governance) answers it. */
export const METHOD_NOT_FOUND = -32601

export class RpcError extends Error {
  override name = 'RpcError'
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message}`)
  }
}

/** The node could not be reached at all (down, network gone): distinct from an RPC error answer. */
export class RpcUnreachableError extends Error {
  override name = 'RpcUnreachableError'
}

interface RpcResponse {
  result?: unknown
  error?: { code: number; message: string }
}

export interface RpcClient {
  call<T>(method: string, params?: readonly unknown[]): Promise<T>
}

export function httpRpcClient(url: string, timeoutMs = 10_000): RpcClient {
  let nextId = 1
  return {
    async call<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      let res: Response
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        throw new RpcUnreachableError(`cannot reach the node at ${url}: ${err instanceof Error ? err.message : String(err)}`)
      }
      let body: RpcResponse
      try {
        body = (await res.json()) as RpcResponse
      } catch {
        throw new RpcError(method, res.status, `HTTP ${res.status}: the node did not answer JSON`)
      }
      if (body.error) throw new RpcError(method, body.error.code, body.error.message)
      return body.result as T
    },
  }
}

/** The JSON-RPC endpoint of the node serving this page: the root of the same origin. */
export function sameOriginRpcUrl(loc: Location = window.location): string {
  return `${loc.origin}/`
}

export function sameOriginWsUrl(loc: Location = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/`
}
