/**
 * Opens an outbound TLS WebSocket to a peer: TCP (directly or through an HTTP CONNECT tunnel), TLS
 * without CA verification (identity comes from the signed handshake), then the WebSocket upgrade on
 * that very TLS socket, so the caller holds the TLSSocket for the handshake's channel binding.
 * It does not run the handshake and keeps no state.
 */
import { isIP, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import WebSocket from 'ws'
import { DialError } from './errors.js'
import { connectThroughProxy, stripBrackets } from './proxy.js'

export interface DialOptions {
  /** HTTP CONNECT proxy to tunnel through (see resolveProxy). */
  proxy?: URL
  /** Budget for TCP + proxy + TLS + upgrade together. */
  timeoutMs: number
  /** Largest WebSocket message accepted from the peer. */
  maxPayload: number
  /** Aborting destroys whatever is open and rejects with a DialError. */
  signal?: AbortSignal
}

export interface DialedSocket {
  /** Open and *paused* (see onOpen): attach listeners, then `ws.resume()` (runHandshake does). */
  ws: WebSocket
  socket: TLSSocket
}

export function parsePeerUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new DialError(url, 'not a URL; use wss://host:port', { cause })
  }
  if (parsed.protocol !== 'wss:') throw new DialError(url, 'peer URLs must use wss:// (TLS is mandatory)')
  if (!parsed.hostname) throw new DialError(url, 'no host; use wss://host:port')
  return parsed
}

export async function dialWebSocket(url: string, opts: DialOptions): Promise<DialedSocket> {
  const target = parsePeerUrl(url)
  const host = stripBrackets(target.hostname)
  const port = target.port ? Number(target.port) : 443
  const deadline = Date.now() + opts.timeoutMs
  const remaining = (): number => Math.max(1, deadline - Date.now())
  const { signal } = opts
  if (signal?.aborted) throw new DialError(url, 'aborted')

  let raw: Socket | undefined
  try {
    if (opts.proxy) raw = await connectThroughProxy(opts.proxy, host, port, opts.timeoutMs, signal)
  } catch (cause) {
    throw new DialError(url, cause instanceof Error ? cause.message : String(cause), { cause })
  }

  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const tlsSocket = tlsConnect({
      ...(raw ? { socket: raw } : { host, port }),
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    })
    const fail = (err: DialError): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      tlsSocket.off('error', onError)
      tlsSocket.on('error', () => {})
      tlsSocket.destroy()
      raw?.destroy()
      reject(err)
    }
    const onError = (cause: Error): void => fail(new DialError(url, cause.message, { cause }))
    const onAbort = (): void => fail(new DialError(url, 'aborted'))
    const timer = setTimeout(() => fail(new DialError(url, `no TLS connection within ${opts.timeoutMs} ms`)), remaining())
    signal?.addEventListener('abort', onAbort, { once: true })
    tlsSocket.on('error', onError)
    tlsSocket.once('secureConnect', () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      tlsSocket.off('error', onError)
      resolve(tlsSocket)
    })
  })

  const ws = new WebSocket(url, {
    createConnection: () => socket,
    maxPayload: opts.maxPayload,
    perMessageDeflate: false,
    followRedirects: false,
    handshakeTimeout: remaining(),
  })
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      signal?.removeEventListener('abort', onAbort)
      ws.off('open', onOpen)
      ws.off('error', onError)
      ws.off('unexpected-response', onUnexpected)
    }
    const fail = (err: DialError): void => {
      cleanup()
      ws.on('error', () => {})
      ws.terminate()
      socket.destroy()
      reject(err)
    }
    const onOpen = (): void => {
      cleanup()
      // The peer's hello may arrive with the upgrade response; hold it until the handshake listens
      // (runHandshake resumes), since the caller only gets the socket after a promise turn.
      ws.pause()
      resolve()
    }
    const onError = (cause: Error): void => fail(new DialError(url, `WebSocket upgrade failed: ${cause.message}`, { cause }))
    const onUnexpected = (_req: unknown, res: { statusCode?: number }): void =>
      fail(new DialError(url, `the server answered HTTP ${res.statusCode ?? '?'} instead of a WebSocket upgrade; is this a Quorate P2P port?`))
    const onAbort = (): void => fail(new DialError(url, 'aborted'))
    signal?.addEventListener('abort', onAbort, { once: true })
    ws.on('open', onOpen)
    ws.on('error', onError)
    ws.on('unexpected-response', onUnexpected)
  })
  return { ws, socket }
}
