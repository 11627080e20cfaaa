/**
 * The viem transport for a ledger URL: HTTP(S) or WebSocket, chosen by the scheme. A bad URL is
 * INVALID_INPUT at once, not a connection failure later.
 */
import { http, webSocket, type Transport } from 'viem'
import { LedgerError } from '../errors.js'

export interface UrlTransportOptions {
  url: string
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number
  /** Retries of a request that failed to reach the ledger (default 1). */
  retryCount?: number
}

export function urlTransport(opts: UrlTransportOptions): { transport: Transport; kind: 'http' | 'ws' } {
  let url: URL
  try {
    url = new URL(opts.url)
  } catch (err) {
    throw new LedgerError('INVALID_INPUT', `url: not a URL: ${JSON.stringify(opts.url)}`, { cause: err })
  }
  const common = { timeout: opts.timeoutMs ?? 30_000, retryCount: opts.retryCount ?? 1 }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { transport: http(opts.url, common), kind: 'http' }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return { transport: webSocket(opts.url, common), kind: 'ws' }
  throw new LedgerError('INVALID_INPUT', `url: expected http(s):// or ws(s)://, got ${url.protocol}//`)
}

/** Caches a promise once it resolved; a rejected one is tried again on the next call. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined
  return () => {
    p ??= fn().catch((err: unknown) => {
      p = undefined
      throw err
    })
    return p
  }
}
