/**
 * A small JSON-RPC 2.0 client over HTTP with batches, for the benchmark: it adds as little client
 * overhead as possible and works with any Ethereum node. Answers are checked with zod at the edge.
 */
import { z } from 'zod'
import { QuorateError } from '../../src/errors.js'

export interface RpcCall {
  method: string
  params: unknown[]
}

export class JsonRpcError extends QuorateError {
  override name = 'JsonRpcError'
  readonly rpcCode: number | undefined
  constructor(url: string, method: string, message: string, opts: { rpcCode?: number; data?: unknown; cause?: unknown } = {}) {
    super('JSON_RPC_FAILED', `${method} at ${url} failed: ${message}`, {
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
      ...(opts.data === undefined ? {} : { data: opts.data }),
    })
    this.rpcCode = opts.rpcCode
  }
}

const responseSchema = z.object({
  jsonrpc: z.literal('2.0').optional(),
  id: z.union([z.number(), z.string(), z.null()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
})
type RpcResponse = z.infer<typeof responseSchema>

/** One call's outcome inside a batch: either `result` or `error`. */
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: JsonRpcError }

export class JsonRpcHttpClient {
  private nextId = 1

  constructor(
    readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async request(method: string, params: unknown[] = []): Promise<unknown> {
    const id = this.nextId++
    const body = await this.post(method, { jsonrpc: '2.0', id, method, params })
    const parsed = responseSchema.safeParse(body)
    if (!parsed.success) throw new JsonRpcError(this.url, method, `malformed response: ${JSON.stringify(body).slice(0, 200)}`)
    return this.unwrap(method, parsed.data)
  }

  /** Sends the calls as one JSON-RPC batch; the outcomes come back in call order. */
  async batch(calls: RpcCall[]): Promise<RpcOutcome[]> {
    if (calls.length === 0) return []
    const first = this.nextId
    this.nextId += calls.length
    const label = `batch of ${calls.length} ${calls[0]!.method}`
    const body = await this.post(
      label,
      calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params })),
    )
    const parsed = z.array(responseSchema).safeParse(body)
    if (!parsed.success) throw new JsonRpcError(this.url, label, `malformed batch response: ${JSON.stringify(body).slice(0, 200)}`)
    const byId = new Map<unknown, RpcResponse>(parsed.data.map((r) => [r.id, r]))
    return calls.map((c, i) => {
      const r = byId.get(first + i)
      if (!r) return { ok: false, error: new JsonRpcError(this.url, c.method, 'no answer in the batch response') }
      try {
        return { ok: true, result: this.unwrap(c.method, r) }
      } catch (err) {
        return { ok: false, error: err as JsonRpcError }
      }
    })
  }

  private unwrap(method: string, r: RpcResponse): unknown {
    if (r.error) throw new JsonRpcError(this.url, method, r.error.message, { rpcCode: r.error.code, data: r.error.data })
    return r.result ?? null
  }

  private async post(label: string, payload: unknown): Promise<unknown> {
    let res: Response
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (cause) {
      throw new JsonRpcError(this.url, label, `request failed (${(cause as Error).message ?? String(cause)})`, { cause })
    }
    const text = await res.text()
    if (!res.ok && !text.startsWith('{') && !text.startsWith('[')) {
      throw new JsonRpcError(this.url, label, `HTTP ${res.status}: ${text.slice(0, 200)}`)
    }
    try {
      return JSON.parse(text) as unknown
    } catch (cause) {
      throw new JsonRpcError(this.url, label, `response is not JSON: ${text.slice(0, 200)}`, { cause })
    }
  }
}

export function hexToBigint(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) throw new QuorateError('JSON_RPC_BAD_VALUE', `${what}: expected a hex quantity, got ${JSON.stringify(value)}`)
  return BigInt(value)
}

export function toHexQuantity(n: bigint | number): string {
  return `0x${n.toString(16)}`
}
