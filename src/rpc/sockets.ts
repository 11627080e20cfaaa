/**
 * Connection limits of the JSON-RPC port, for HTTP and WebSocket alike (both arrive on the same
 * TCP listener): at most `maxConnections` sockets, at most `maxConnectionsPerIp` from one address,
 * and sockets with nothing in progress closed after `idleTimeoutMs`.
 *
 * Issue #9: 20,000 idle sockets took every file descriptor and locked every client out for 60 s,
 * silently. Here a full table first makes room by closing the oldest idle socket (no request in
 * progress and not a WebSocket) of the address that holds the most, as nginx reuses keep-alive
 * connections when it runs out of them: idle sockets cannot lock anyone out, only busy ones are
 * refused, and each refusal is answered (HTTP 503 with a JSON-RPC error), logged and counted.
 *
 * It owns the socket table and the idle policy; it knows nothing of JSON-RPC methods.
 */
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { RpcErrorCode } from './errors.js'

export const DEFAULT_MAX_CONNECTIONS = 1000
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 200
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000

export type SocketRefusal = 'max_connections' | 'max_connections_per_ip'

export interface SocketLimits {
  maxConnections: number
  maxConnectionsPerIp: number
  idleTimeoutMs: number
}

export interface SocketGuardHooks {
  /** A socket was refused (already answered and closed). */
  refused(reason: SocketRefusal, ip: string): void
  /** An idle socket was closed to admit a new one. */
  evicted(ip: string): void
}

interface Tracked {
  readonly socket: Socket
  readonly ip: string
  /** The latest response on this socket; the socket is busy while its handler has not ended it. */
  res: ServerResponse | undefined
  ws: boolean
}

export class SocketGuard {
  /** Insertion order is age: the first idle entry is the oldest. */
  private readonly all = new Map<Socket, Tracked>()
  private readonly byIp = new Map<string, Set<Tracked>>()
  private readonly refusedSockets = new WeakSet<Socket>()

  constructor(
    private readonly limits: SocketLimits,
    private readonly hooks: SocketGuardHooks,
  ) {}

  get size(): number {
    return this.all.size
  }

  /** A new socket: admits it (closing an idle one if needed) or answers 503 and closes it. */
  admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? 'unknown'
    const mine = this.byIp.get(ip)
    let refusal: SocketRefusal | undefined
    if ((mine?.size ?? 0) >= this.limits.maxConnectionsPerIp && !this.evict(firstIdle(mine))) refusal = 'max_connections_per_ip'
    else if (this.all.size >= this.limits.maxConnections && !this.evict(this.idleToEvict())) refusal = 'max_connections'
    if (refusal) {
      this.refuse(socket, refusal)
      this.hooks.refused(refusal, ip)
      return false
    }
    const t: Tracked = { socket, ip, res: undefined, ws: false }
    this.all.set(socket, t)
    let set = this.byIp.get(ip)
    if (!set) this.byIp.set(ip, (set = new Set()))
    set.add(t)
    socket.once('close', () => this.forget(t))
    // Covers sockets that never send a request; Node's keep-alive timeout takes over after a response.
    socket.setTimeout(this.limits.idleTimeoutMs)
    return true
  }

  wasRefused(socket: Socket): boolean {
    return this.refusedSockets.has(socket)
  }

  /** An HTTP request started on the socket: busy until its handler ends the response. */
  requestStarted(socket: Socket, res: ServerResponse): void {
    const t = this.all.get(socket)
    if (!t) return
    t.res = res
    // Node clears the socket timeout for a kept-alive socket's next request; a response the client
    // does not read must still time out.
    socket.setTimeout(this.limits.idleTimeoutMs)
  }

  /** The socket became a WebSocket: never idle-closed here (the heartbeat and stall check own it). */
  upgraded(socket: Socket): void {
    const t = this.all.get(socket)
    if (t) t.ws = true
  }

  /** The socket's inactivity timer fired (the server's 'timeout' event): close it unless a handler is at work. */
  onTimeout(socket: Socket): void {
    const t = this.all.get(socket)
    if (t && !isIdle(t)) return // the timer re-arms on the socket's next activity
    socket.destroy()
  }

  private idleToEvict(): Tracked | undefined {
    let crowded: Set<Tracked> | undefined
    for (const set of this.byIp.values()) if (!crowded || set.size > crowded.size) crowded = set
    const fromCrowded = firstIdle(crowded)
    if (fromCrowded) return fromCrowded
    for (const t of this.all.values()) if (isIdle(t)) return t
    return undefined
  }

  private evict(t: Tracked | undefined): boolean {
    if (!t) return false
    this.forget(t)
    t.socket.destroy()
    this.hooks.evicted(t.ip)
    return true
  }

  private forget(t: Tracked): void {
    if (this.all.get(t.socket) !== t) return
    this.all.delete(t.socket)
    const set = this.byIp.get(t.ip)
    set?.delete(t)
    if (set?.size === 0) this.byIp.delete(t.ip)
  }

  private refuse(socket: Socket, reason: SocketRefusal): void {
    this.refusedSockets.add(socket)
    const message =
      reason === 'max_connections_per_ip'
        ? `too many connections from your address (rpc.maxConnectionsPerIp is ${this.limits.maxConnectionsPerIp}); reuse connections (keep-alive) or close idle ones`
        : `too many connections to this node (rpc.maxConnections is ${this.limits.maxConnections}); try again shortly`
    const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RpcErrorCode.LIMIT_EXCEEDED, message } })
    socket.on('error', () => {})
    socket.once('finish', () => socket.destroy())
    // A client that never reads still cannot hold the socket open.
    setTimeout(() => socket.destroy(), 1000).unref()
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
}

function isIdle(t: Tracked): boolean {
  return !t.ws && (t.res === undefined || t.res.writableEnded)
}

function firstIdle(set: Set<Tracked> | undefined): Tracked | undefined {
  if (set) for (const t of set) if (isIdle(t)) return t
  return undefined
}
