/**
 * P2PHost: the authenticated WebSocket mesh between consortium nodes.
 *
 * Owns: the optional TLS listener, dialling static peers (directly or through an HTTP CONNECT
 * proxy) with reconnect, the signed handshake on every connection, one connection per node address,
 * frame routing (direct messages, de-duplicated gossip, request/response), misbehaviour scoring and
 * bans, per-peer budgets for unsolicited traffic (budget.ts), limits and deadlines on inbound
 * connections that are not yet authenticated, keepalive pings, and a clean stop. It does not interpret payloads: consensus, tx gossip and
 * block sync register protocols on it and validate what they receive. In particular a gossip payload
 * is delivered once and is *not* relayed automatically; the app relays it with `gossip()` after
 * validating it, so invalid messages die at the first honest node.
 *
 * Fairness rules (issue #9): a current validator (`isValidator`) is never banned or disconnected for
 * its score, since banning validators can cut this node from the quorum it needs; past the threshold
 * it is throttled instead (its budgets shrink to `throttledShare` and the excess is dropped). Every
 * stage of an inbound connection (TLS, WebSocket upgrade, signed handshake) runs under one deadline,
 * and connections still in those stages are capped per IP and in total; at a cap the oldest pending
 * one of the busiest IP gives way, so silent sockets can neither pile up nor keep a good peer out,
 * and an established connection is never touched by anything unauthenticated.
 *
 * Frame layout: frame.ts. Handshake: handshake.ts.
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import WebSocket, { WebSocketServer } from 'ws'
import { z } from 'zod'
import { hexToBytes } from '@ethereumjs/util'
import { privateKeyToAddress } from '../crypto/keys.js'
import { keccak256 } from '../crypto/native.js'
import { ConfigError, listenError, QuorateError, StartError } from '../errors.js'
import { silentLogger, type Logger } from '../ops/logger.js'
import type { PeerEventMetrics } from '../ops/metrics.js'
import type { Address, Hex } from '../types.js'
import { disconnectKind, FrameError, HandshakeError, HostStoppedError, isRefusalReason, PeerNotConnectedError, type RefusalReason } from './errors.js'
import { dialWebSocket, parsePeerUrl } from './dial.js'
import { assertProtocol, decodeFrame, encodeFrame, FrameKind, MAX_HEADER_BYTES, toBytes, type Frame, type InvalidFrameReason } from './frame.js'
import { channelBinding, runHandshake, type HandshakeOutcome } from './handshake.js'
import { Peer, type PeerDirection, type PeerInfo } from './peer.js'
import { resolveProxy } from './proxy.js'
import { DEFAULT_BACKOFF, StaticPeerDialer, type BackoffOptions, type DialFailure, type StaticPeer } from './reconnect.js'
import { DEFAULT_PEER_BUDGET, PeerBudget, type BudgetKind, type PeerBudgetOptions } from './budget.js'
import { DEFAULT_SCORING, PeerScores, type ScoringOptions } from './scoring.js'
import { SeenCache } from './seen-cache.js'
import type { TlsIdentity } from './tls.js'

export type { PeerInfo, PeerDirection, StaticPeer }

/** WebSocket close code for a deliberate disconnect of an established peer (reason in the close). */
export const CLOSE_CODE_DISCONNECT = 4001

export interface P2PMessage {
  from: Address
  protocol: string
  payload: Uint8Array
  /** 'gossip' messages are delivered once per payload however many peers send them. */
  kind: 'direct' | 'gossip'
}

export type RequestHandler = (from: Address, payload: Uint8Array) => Promise<Uint8Array> | Uint8Array

export interface HandshakeFailure {
  error: HandshakeError
  direction: PeerDirection
  /** The URL dialled, or the remote ip:port of an inbound connection. */
  remote: string
}

export type P2PHostEvents = {
  message: [msg: P2PMessage]
  'peer:connect': [address: Address, info: PeerInfo]
  'peer:disconnect': [address: Address, reason: string]
  'peer:banned': [address: Address, until: number]
  /** A validator reached the ban threshold: it stays connected, with reduced budgets, until `until`. */
  'peer:throttled': [address: Address, until: number]
  'handshake:failed': [failure: HandshakeFailure]
}

export interface P2PHostOptions {
  /** secp256k1 node key; the node id is its address. */
  privateKey: Uint8Array
  chainId: bigint
  genesisHash: Hex | Uint8Array
  /** The node allow-list (static now, governance later). Called on every handshake and by refreshAllowList(). */
  isAllowed: (address: Address) => boolean
  /** Current validators: never banned nor disconnected for their score, throttled instead. Default none. */
  isValidator?: (address: Address) => boolean
  /** Where to listen; omit to listen on nothing and only dial out. */
  listen?: { host: string; port: number }
  /** Required when listening. */
  tls?: TlsIdentity
  staticPeers?: StaticPeer[]
  /** HTTP CONNECT proxy URL; default HTTPS_PROXY/https_proxy; false = never. */
  proxy?: string | false
  /** Hosts that bypass the proxy; default NO_PROXY/no_proxy. */
  noProxy?: string
  /** Largest frame in either direction (ws maxPayload); default 16 MiB. */
  maxFrameBytes?: number
  /** The signed handshake, in both directions; default 5 s. */
  handshakeTimeoutMs?: number
  /** An inbound connection must be an authenticated peer this long after TCP accept (TLS, upgrade, handshake); default 10 s. */
  inboundTimeoutMs?: number
  /** TCP + proxy + TLS + upgrade; default 10 s. */
  dialTimeoutMs?: number
  /** Default for request(); 10 s. */
  requestTimeoutMs?: number
  reconnect?: Partial<BackoffOptions>
  /** A peer that does not answer a ping within one interval is dropped; default 15 s. */
  pingIntervalMs?: number
  /** Established connections; default 64. */
  maxPeers?: number
  /** Inbound connections not yet authenticated (TLS, upgrade or handshake); default 64. */
  maxPendingHandshakes?: number
  /** The same, from one IP address; default 8. */
  maxPendingHandshakesPerIp?: number
  /** Requests from one peer being handled at once; more get BUSY. Default 32. */
  maxInflightRequestsPerPeer?: number
  /** Bytes queued to one slow peer before frames to it are dropped; default 64 MiB. */
  maxSendBufferBytes?: number
  gossipCache?: { maxEntries?: number; ttlMs?: number }
  scoring?: Partial<ScoringOptions>
  /** Points for an undecodable or unexpected frame; default 20. */
  invalidFramePenalty?: number
  /** Points for a frame over maxFrameBytes (the connection is closed by ws); default 50. */
  oversizedFramePenalty?: number
  /** Per-peer budgets of unsolicited traffic (budget.ts). */
  budget?: Partial<PeerBudgetOptions>
  /** Points per frame dropped over a budget; default 5. */
  overBudgetPenalty?: number
  /** Points for a message on a protocol nobody subscribed to (see subscribe()); default 5. */
  unknownProtocolPenalty?: number
}

export interface P2PHostModules {
  logger?: Logger
  /** Counts connections opened and closed (quorate_p2p_peer_connects_total, ..._disconnects_total). */
  metrics?: PeerEventMetrics
  /** Environment for HTTPS_PROXY/NO_PROXY (default process.env). */
  env?: Record<string, string | undefined>
}

export interface P2PStats {
  peers: number
  inbound: number
  outbound: number
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
  /** Received frames dropped, by reason. */
  invalidFrames: Record<string, number>
  /** Penalties applied, by reason. */
  penalties: Record<string, number>
  /** Handshakes this node refused, by reason. */
  handshakesRefused: Record<string, number>
  /** Handshakes refused by peers (or failed on their side), by reason. */
  handshakesRefusedByPeers: Record<string, number>
  dialFailures: number
  /** Static peers this node cannot connect to now, with the last error of each (e.g. a proxy refusing CONNECT). */
  unreachablePeers: DialFailure[]
  /** Gossip payloads received again after the first time (not delivered). */
  gossipDuplicates: number
  gossipCacheSize: number
  /** Outbound frames dropped because a peer's send buffer was full. */
  droppedOutbound: number
  penalisedPeers: { address: Address; score: number }[]
  bannedPeers: { address: Address; until: number }[]
  /** Validators past the ban threshold: kept connected, with reduced budgets. */
  throttledPeers: { address: Address; until: number }[]
  /** Received frames dropped because the peer was over a budget, by budget. */
  overBudget: Record<string, number>
  /** Inbound connections closed before authentication, by reason (TIMEOUT_TLS, TIMEOUT_UPGRADE, TIMEOUT_HANDSHAKE, PENDING_PER_IP, PENDING_TOTAL). */
  inboundDropped: Record<string, number>
  /** Inbound connections not yet authenticated, now. */
  pendingInbound: number
}

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address')
export const staticPeerSchema = z.object({
  url: z.string().refine((u) => {
    try {
      parsePeerUrl(u)
      return true
    } catch {
      return false
    }
  }, 'expected wss://host:port'),
  address: addressSchema.optional(),
})
const positive = z.number().int().positive()
const optionsSchema = z.object({
  chainId: z.bigint().nonnegative(),
  listen: z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).optional(),
  staticPeers: z.array(staticPeerSchema).optional(),
  maxFrameBytes: positive.min(1024).optional(),
  handshakeTimeoutMs: positive.optional(),
  dialTimeoutMs: positive.optional(),
  requestTimeoutMs: positive.optional(),
  reconnect: z.object({ baseMs: positive.optional(), maxMs: positive.optional() }).optional(),
  pingIntervalMs: positive.optional(),
  maxPeers: positive.optional(),
  inboundTimeoutMs: positive.optional(),
  maxPendingHandshakes: positive.optional(),
  maxPendingHandshakesPerIp: positive.optional(),
  maxInflightRequestsPerPeer: positive.optional(),
  maxSendBufferBytes: positive.optional(),
  gossipCache: z.object({ maxEntries: positive.optional(), ttlMs: positive.optional() }).optional(),
  scoring: z
    .object({ banThreshold: z.number().positive().optional(), banDurationMs: positive.optional(), decayPerSecond: z.number().nonnegative().optional() })
    .optional(),
  invalidFramePenalty: z.number().nonnegative().optional(),
  oversizedFramePenalty: z.number().nonnegative().optional(),
  budget: z
    .object({
      gossipBytesPerSecond: z.number().positive().optional(),
      gossipBurstBytes: z.number().positive().optional(),
      requestsPerSecond: z.number().positive().optional(),
      requestBurst: z.number().positive().optional(),
      servedBytesPerSecond: z.number().positive().optional(),
      servedBurstBytes: z.number().positive().optional(),
      throttledShare: z.number().positive().max(1).optional(),
    })
    .optional(),
  overBudgetPenalty: z.number().nonnegative().optional(),
  unknownProtocolPenalty: z.number().nonnegative().optional(),
})

/** A connection from the moment its handshake starts until its socket has closed. */
interface Conn {
  id: number
  ws: WebSocket
  direction: PeerDirection
  url?: string
  /** ip:port of the TCP peer. */
  remote: string
  address?: Address
  state: 'handshake' | 'open' | 'closed'
  abort: AbortController
  peer?: Peer
}

/** An inbound TCP connection from accept until it is an open peer (or closed). */
interface PendingInbound {
  socket: Socket
  ip: string
  stage: 'TLS' | 'UPGRADE' | 'HANDSHAKE'
  timer: NodeJS.Timeout
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by)
}

const CODE_RE = /^[A-Z0-9_]{1,64}$/

export class P2PHost extends EventEmitter<P2PHostEvents> {
  readonly address: Address
  private readonly opts: P2PHostOptions
  private readonly log: Logger
  private readonly env: Record<string, string | undefined>
  private readonly genesisHash: Uint8Array
  private readonly maxFrameBytes: number
  private readonly handshakeTimeoutMs: number
  private readonly dialTimeoutMs: number
  private readonly requestTimeoutMs: number
  private readonly backoff: BackoffOptions
  private readonly scores: PeerScores
  private readonly seen: SeenCache

  private running = false
  private server: Server | undefined
  private wss: WebSocketServer | undefined
  private pingTimer: NodeJS.Timeout | undefined
  private nextConnId = 1
  /** Every connection we hold a socket for, handshaking or open. */
  private readonly conns = new Set<Conn>()
  /** The one connection per node address (handshake admitted, or open). */
  private readonly byAddress = new Map<Address, Conn>()
  private readonly dialers = new Map<string, StaticPeerDialer>()
  private readonly dialAborts = new Set<AbortController>()
  /** Every WebSocket until its 'close', and every inbound TCP socket: stop() ends the stragglers. */
  private readonly sockets = new Set<WebSocket>()
  private readonly tcpSockets = new Set<Socket>()
  private readonly handlers = new Map<string, RequestHandler>()
  /** Protocols the app listens to; when non-empty, messages on others are dropped and penalised. */
  private readonly subscribed = new Set<string>()
  private readonly budgetOpts: PeerBudgetOptions
  /** Budgets by node address (kept across reconnects; forgotten when full again after a disconnect). */
  private readonly budgets = new Map<Address, PeerBudget>()
  /** Inbound connections not yet authenticated, by remote ip:port, oldest first. */
  private readonly pending = new Map<string, PendingInbound>()
  private readonly overBudget = new Map<string, number>()
  private readonly inboundDropped = new Map<string, number>()

  private readonly invalidFrames = new Map<string, number>()
  private readonly refused = new Map<string, number>()
  private readonly refusedByPeers = new Map<string, number>()
  private dialFailures = 0
  private readonly metrics: PeerEventMetrics | undefined
  private gossipDuplicates = 0
  private totals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, droppedOut: 0 }

  constructor(opts: P2PHostOptions, modules: P2PHostModules = {}) {
    super()
    const parsed = optionsSchema.safeParse(opts)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new ConfigError(['p2p', ...issue.path.map(String)].join('.'), issue.message)
    }
    if (opts.privateKey.length !== 32) throw new ConfigError('p2p.privateKey', 'expected a 32-byte secp256k1 key')
    this.genesisHash = typeof opts.genesisHash === 'string' ? hexToBytes(opts.genesisHash) : opts.genesisHash
    if (this.genesisHash.length !== 32) throw new ConfigError('p2p.genesisHash', 'expected a 32-byte hash')
    if (opts.listen && !opts.tls) throw new ConfigError('p2p.tls', 'a TLS certificate and key are needed to listen; run `quorate init` to create them')
    this.opts = opts
    this.address = privateKeyToAddress(opts.privateKey)
    this.log = (modules.logger ?? silentLogger()).child({ module: 'p2p' })
    this.metrics = modules.metrics
    this.env = modules.env ?? process.env
    this.maxFrameBytes = opts.maxFrameBytes ?? 16 * 1024 * 1024
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 5000
    this.dialTimeoutMs = opts.dialTimeoutMs ?? 10_000
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.reconnect }
    this.scores = new PeerScores({ ...DEFAULT_SCORING, ...opts.scoring })
    this.budgetOpts = { ...DEFAULT_PEER_BUDGET, ...opts.budget }
    this.seen = new SeenCache({ maxEntries: opts.gossipCache?.maxEntries ?? 50_000, ttlMs: opts.gossipCache?.ttlMs ?? 5 * 60_000 })
    for (const peer of opts.staticPeers ?? []) this.addDialer(peer)
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts listening (if configured) and dialling static peers. Resolves once listening. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    if (this.opts.listen && this.opts.tls) {
      try {
        await this.listen(this.opts.listen, this.opts.tls)
      } catch (err) {
        this.running = false
        throw err
      }
    }
    const interval = this.opts.pingIntervalMs ?? 15_000
    this.pingTimer = setInterval(() => this.pingAll(), interval)
    this.pingTimer.unref()
    for (const dialer of this.dialers.values()) dialer.start()
    this.log.info({ address: this.address, listen: this.listenAddress() ?? 'none', staticPeers: this.dialers.size }, 'p2p started')
  }

  /** Closes every connection, the listener and all timers. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.pingTimer)
    this.pingTimer = undefined
    for (const dialer of this.dialers.values()) dialer.stop()
    for (const abort of this.dialAborts) abort.abort()
    for (const conn of [...this.conns]) this.closeConn(conn, 'SHUTDOWN')
    const server = this.server
    this.server = undefined
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
    // Give peers a moment to complete the close handshake, then cut whatever is left.
    await waitClosed([...this.sockets], 500)
    for (const ws of this.sockets) ws.terminate()
    for (const socket of this.tcpSockets) socket.destroy()
    for (const p of this.pending.values()) clearTimeout(p.timer)
    this.pending.clear()
    this.sockets.clear()
    this.tcpSockets.clear()
    this.conns.clear()
    this.byAddress.clear()
    this.wss?.close()
    this.wss = undefined
    await closed
    this.seen.clear()
    this.log.info('p2p stopped')
  }

  /** The bound listen address (with the real port when 0 was asked), or undefined. */
  listenAddress(): { host: string; port: number } | undefined {
    const addr = this.server?.address() as AddressInfo | null | undefined
    return addr ? { host: addr.address, port: addr.port } : undefined
  }

  /** wss:// URL other nodes can dial when listening on a concrete host (loopback in tests). */
  listenUrl(): string | undefined {
    const addr = this.listenAddress()
    if (!addr) return undefined
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host
    return `wss://${host}:${addr.port}`
  }

  private async listen(listen: { host: string; port: number }, tls: TlsIdentity): Promise<void> {
    const inboundTimeoutMs = this.opts.inboundTimeoutMs ?? 10_000
    // Our own deadline per connection (admitPending) closes stalled ones and counts why; these are
    // only a backstop, a little later so they do not race it.
    const backstopMs = inboundTimeoutMs + 1000
    let server: ReturnType<typeof createServer>
    try {
      server = createServer({
        cert: tls.certPem,
        key: tls.keyPem,
        minVersion: 'TLSv1.3',
        handshakeTimeout: backstopMs,
        requestTimeout: backstopMs,
        headersTimeout: backstopMs,
      })
    } catch (err) {
      throw new StartError('TLS_INVALID', `the TLS certificate and key cannot be used: ${err instanceof Error ? err.message : String(err)}`, { field: 'p2p.tlsCertFile', cause: err })
    }
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.maxFrameBytes, perMessageDeflate: false, clientTracking: false })
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
      res.end('Quorate P2P endpoint: only Quorate nodes connect here (WebSocket over TLS).\n')
    })
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(wss, req, socket, head))
    server.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'inbound TLS failed'))
    server.on('clientError', (_err, socket) => socket.destroy())
    server.on('secureConnection', (socket: TLSSocket) => this.advance(socket, 'UPGRADE'))
    server.on('connection', (socket: Socket) => {
      this.tcpSockets.add(socket)
      socket.once('close', () => this.tcpSockets.delete(socket))
      this.admitPending(socket, inboundTimeoutMs)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenError(err, 'P2P_PORT_IN_USE', `P2P on ${listen.host}:${listen.port}`, 'p2p.listen.port')))
      server.listen(listen.port, listen.host, () => resolve())
    })
    server.on('error', (err) => this.log.error({ err: err.message }, 'p2p listener error'))
    this.server = server
    this.wss = wss
  }

  /**
   * Counts a new inbound TCP connection as pending and starts its deadline. At the per-IP cap the
   * oldest pending connection of the same IP is closed; at the total cap the oldest one of the IP
   * with the most pending. So a flood only ever pushes out its own kind, and a fresh connection
   * (a restarted peer redialling) always gets its chance to authenticate.
   */
  private admitPending(socket: Socket, timeoutMs: number): void {
    const ip = socket.remoteAddress ?? '?'
    const key = `${ip}:${socket.remotePort ?? '?'}`
    const perIp = this.opts.maxPendingHandshakesPerIp ?? 8
    const total = this.opts.maxPendingHandshakes ?? 64
    const counts = new Map<string, number>()
    for (const p of this.pending.values()) bump(counts, p.ip)
    if ((counts.get(ip) ?? 0) >= perIp) this.evictOldest(ip, 'PENDING_PER_IP')
    else if (this.pending.size >= total) {
      let busiest = ip
      for (const [other, n] of counts) if (n > (counts.get(busiest) ?? 0)) busiest = other
      this.evictOldest(busiest, 'PENDING_TOTAL')
    }
    const timer = setTimeout(() => {
      const p = this.pending.get(key)
      if (!p) return
      this.dropPending(key, `TIMEOUT_${p.stage}`)
    }, timeoutMs)
    timer.unref()
    this.pending.set(key, { socket, ip, stage: 'TLS', timer })
    socket.once('close', () => {
      const p = this.pending.get(key)
      if (p?.socket !== socket) return
      clearTimeout(p.timer)
      this.pending.delete(key)
    })
  }

  private evictOldest(ip: string, reason: string): void {
    for (const [key, p] of this.pending) {
      if (p.ip === ip) return this.dropPending(key, reason)
    }
  }

  private dropPending(key: string, reason: string): void {
    const p = this.pending.get(key)
    if (!p) return
    clearTimeout(p.timer)
    this.pending.delete(key)
    bump(this.inboundDropped, reason)
    this.log.debug({ remote: key, reason }, 'unauthenticated inbound connection closed')
    p.socket.destroy()
  }

  /** Moves a pending inbound connection (found by its remote ip:port) to a later stage. */
  private advance(socket: Socket, stage: PendingInbound['stage']): void {
    const p = this.pending.get(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`)
    if (p) p.stage = stage
  }

  /** The inbound connection is an authenticated peer now: no more deadline, no longer pending. */
  private settlePending(remote: string): void {
    const p = this.pending.get(remote)
    if (!p) return
    clearTimeout(p.timer)
    this.pending.delete(remote)
  }

  private onUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (!this.running) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    this.advance(socket, 'HANDSHAKE')
    wss.handleUpgrade(req, socket, head, (ws) => {
      this.startHandshake(ws, req.socket as TLSSocket, 'inbound').catch(() => {
        // Reported through 'handshake:failed'.
      })
    })
  }

  // ---------------------------------------------------------------- dialling

  /** Adds a static peer kept connected with reconnect (e.g. admin_addPeer). */
  addPeer(peer: StaticPeer): void {
    const parsed = staticPeerSchema.safeParse(peer)
    if (!parsed.success) throw new ConfigError(['p2p.staticPeer', ...(parsed.error.issues[0]?.path.map(String) ?? [])].join('.'), parsed.error.issues[0]?.message ?? 'invalid')
    const dialer = this.addDialer(peer)
    if (this.running) dialer.start()
  }

  /** Stops dialling a static peer (an open connection to it stays until disconnect()). */
  removePeer(url: string): boolean {
    const dialer = this.dialers.get(url)
    if (!dialer) return false
    dialer.stop()
    this.dialers.delete(url)
    return true
  }

  private addDialer(peer: StaticPeer): StaticPeerDialer {
    const existing = this.dialers.get(peer.url)
    if (existing) return existing
    const dialer = new StaticPeerDialer(peer, {
      dial: (p) => this.connect(p.url, p.address),
      isConnected: (address) => this.byAddress.get(address)?.state === 'open',
      backoff: this.backoff,
      logger: this.log,
    })
    this.dialers.set(peer.url, dialer)
    return dialer
  }

  /**
   * Dials `url` once (no reconnect) and runs the handshake. Resolves with the peer address once the
   * connection is open; rejects with DialError, or HandshakeError (see `byPeer` and `reason`).
   */
  async connect(url: string, expectedAddress?: Address): Promise<Address> {
    if (!this.running) throw new HostStoppedError()
    const proxy = resolveProxy(parsePeerUrl(url), { ...(this.opts.proxy !== undefined ? { proxy: this.opts.proxy } : {}), ...(this.opts.noProxy !== undefined ? { noProxy: this.opts.noProxy } : {}) }, this.env)
    const abort = new AbortController()
    this.dialAborts.add(abort)
    let dialed: Awaited<ReturnType<typeof dialWebSocket>>
    try {
      dialed = await dialWebSocket(url, { ...(proxy ? { proxy } : {}), timeoutMs: this.dialTimeoutMs, maxPayload: this.maxFrameBytes, signal: abort.signal })
    } catch (err) {
      this.dialFailures++
      throw err
    } finally {
      this.dialAborts.delete(abort)
    }
    if (!this.running) {
      dialed.ws.terminate()
      throw new HostStoppedError()
    }
    return this.startHandshake(dialed.ws, dialed.socket, 'outbound', url, expectedAddress)
  }

  // ---------------------------------------------------------------- handshake and admission

  private async startHandshake(ws: WebSocket, socket: TLSSocket, direction: PeerDirection, url?: string, expectedAddress?: Address): Promise<Address> {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    const conn: Conn = { id: this.nextConnId++, ws, direction, remote, state: 'handshake', abort: new AbortController(), ...(url !== undefined ? { url } : {}) }
    this.conns.add(conn)
    this.sockets.add(ws)
    ws.once('close', () => this.sockets.delete(ws))
    let binding: Uint8Array
    try {
      binding = channelBinding(socket)
    } catch (cause) {
      this.conns.delete(conn)
      ws.terminate()
      throw new HandshakeError('BAD_HANDSHAKE', false, { details: 'TLS keying material unavailable', cause })
    }
    let outcome: HandshakeOutcome
    try {
      outcome = await runHandshake(ws, {
        privateKey: this.opts.privateKey,
        chainId: this.opts.chainId,
        genesisHash: this.genesisHash,
        channelBinding: binding,
        role: direction === 'outbound' ? 'dialer' : 'listener',
        timeoutMs: this.handshakeTimeoutMs,
        ...(expectedAddress ? { expectedAddress } : {}),
        admit: (address) => this.admit(conn, address),
        signal: conn.abort.signal,
      })
    } catch (err) {
      this.conns.delete(conn)
      if (conn.address && this.byAddress.get(conn.address) === conn) this.byAddress.delete(conn.address)
      conn.state = 'closed'
      cutOffLater(ws)
      if (err instanceof HandshakeError) {
        bump(err.byPeer ? this.refusedByPeers : this.refused, err.reason)
        // Both nodes dialling each other at once (one connection is kept) or one shutting down is routine.
        const routine = err.reason === 'DUPLICATE' || err.reason === 'SHUTDOWN'
        this.log[routine ? 'info' : 'warn']({ direction, remote: url ?? remote, reason: err.reason, byPeer: err.byPeer, peer: err.peerAddress, err: err.shortMessage }, 'handshake failed')
        this.safely(() => this.emit('handshake:failed', { error: err, direction, remote: url ?? remote }))
      }
      throw err
    }
    return this.open(conn, outcome)
  }

  /** Admission after the peer proved its key: allow-list, bans, limits, one connection per node. */
  private admit(conn: Conn, address: Address): RefusalReason | undefined {
    if (!this.running) return 'SHUTDOWN'
    let allowed = false
    try {
      allowed = this.opts.isAllowed(address)
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'isAllowed threw; refusing')
    }
    if (!allowed) return 'UNKNOWN_NODE'
    // A validator banned before it became one is let in (and throttled, not banned, from now on).
    if (this.scores.bannedUntil(address) !== undefined && !this.isValidator(address)) return 'BANNED'
    const existing = this.byAddress.get(address)
    if (existing && existing !== conn) {
      if (!this.wins(conn, existing)) return 'DUPLICATE'
      this.closeConn(existing, 'DUPLICATE')
    } else if (this.openCount() >= this.maxPeers) {
      return 'TOO_MANY_PEERS'
    }
    conn.address = address
    this.byAddress.set(address, conn)
    return undefined
  }

  /**
   * Which of two connections between the same two nodes survives. Both ends compute the same answer:
   * if they were dialled from opposite sides, the one dialled by the lower address wins; if from the
   * same side (a redial after the dialer lost the old one), the newer wins.
   */
  private wins(candidate: Conn, existing: Conn): boolean {
    if (candidate.direction === existing.direction) return true
    const peer = existing.address as Address
    const dialerOf = (c: Conn): Address => (c.direction === 'outbound' ? this.address : peer)
    return dialerOf(candidate) < dialerOf(existing)
  }

  private open(conn: Conn, outcome: HandshakeOutcome): Address {
    const address = outcome.address
    const { ws } = conn
    if (!this.running || this.byAddress.get(address) !== conn || ws.readyState !== ws.OPEN) {
      // Lost a race with stop(), a winning duplicate, or the socket closing; nothing was announced yet.
      outcome.takeOver()
      conn.state = 'closed'
      this.conns.delete(conn)
      if (this.byAddress.get(address) === conn) this.byAddress.delete(address)
      ws.on('error', () => {})
      ws.terminate()
      const reason = this.running ? 'DUPLICATE' : 'SHUTDOWN'
      throw new HandshakeError(reason, false, { peerAddress: address })
    }
    const remoteAddress = conn.remote
    const peer = new Peer(ws, {
      address,
      direction: conn.direction,
      ...(conn.url !== undefined ? { url: conn.url } : {}),
      remoteAddress,
      maxSendBufferBytes: this.opts.maxSendBufferBytes ?? 64 * 1024 * 1024,
    })
    conn.peer = peer
    conn.state = 'open'
    if (conn.direction === 'inbound') this.settlePending(conn.remote)
    ws.on('message', (data, isBinary) => this.onData(peer, toBytes(data), isBinary))
    ws.on('pong', () => {
      peer.alive = true
    })
    ws.on('error', (err: Error & { code?: string }) => this.onSocketError(peer, err))
    ws.on('close', (code, reason) => {
      this.conns.delete(conn)
      this.detach(conn, peer.closeReason ?? (reason.length ? `remote: ${reason.toString()}` : `closed (${code})`))
    })
    const early = outcome.takeOver()
    this.metrics?.connects.inc({ direction: conn.direction })
    this.log.info({ peer: address, direction: conn.direction, remote: remoteAddress }, 'peer connected')
    this.safely(() => this.emit('peer:connect', address, peer.info(this.scores.score(address), this.scores.throttledUntil(address))))
    for (const bytes of early) this.onData(peer, bytes, true)
    return address
  }

  // ---------------------------------------------------------------- receiving

  private onData(peer: Peer, bytes: Uint8Array, isBinary: boolean): void {
    if (!peer.isOpen) return
    peer.alive = true
    peer.bytesIn += bytes.length
    peer.messagesIn++
    this.totals.bytesIn += bytes.length
    this.totals.messagesIn++
    if (!isBinary) return this.invalid(peer, 'TEXT_FRAME')
    const decoded = decodeFrame(bytes)
    if (!decoded.ok) return this.invalid(peer, decoded.reason)
    const frame = decoded.frame
    if (this.log.isLevelEnabled('trace')) this.log.trace({ peer: peer.address, kind: frame.kind, protocol: 'protocol' in frame ? frame.protocol : undefined, bytes: bytes.length }, 'frame received')
    // Answers to our own requests are paid for by asking; every other frame by the sender's budget.
    if (frame.kind === FrameKind.RESPONSE || frame.kind === FrameKind.ERROR) {
      if (!peer.settle(frame.id, frame.kind === FrameKind.RESPONSE ? { payload: frame.payload.slice() } : { code: frame.code })) {
        bump(this.invalidFrames, 'UNSOLICITED_RESPONSE')
        if (!this.budgetOf(peer.address).takeGossip(bytes.length, this.share(peer.address))) this.dropOverBudget(peer, 'GOSSIP_BYTES')
      }
      return
    }
    if (frame.kind === FrameKind.MESSAGE || frame.kind === FrameKind.GOSSIP || frame.kind === FrameKind.REQUEST) {
      if (!this.budgetOf(peer.address).takeGossip(bytes.length, this.share(peer.address))) {
        if (frame.kind === FrameKind.REQUEST) peer.send(encodeFrame({ kind: FrameKind.ERROR, id: frame.id, code: 'BUSY' }))
        return this.dropOverBudget(peer, 'GOSSIP_BYTES')
      }
    }
    if ((frame.kind === FrameKind.MESSAGE || frame.kind === FrameKind.GOSSIP) && this.subscribed.size > 0 && !this.subscribed.has(frame.protocol)) {
      return this.invalid(peer, 'UNKNOWN_PROTOCOL', this.opts.unknownProtocolPenalty ?? 5)
    }
    switch (frame.kind) {
      case FrameKind.MESSAGE:
        return this.deliver({ from: peer.address, protocol: frame.protocol, payload: frame.payload.slice(), kind: 'direct' })
      case FrameKind.GOSSIP:
        return this.onGossip(peer, frame.protocol, frame.payload)
      case FrameKind.REQUEST:
        return this.onRequest(peer, frame)
      case FrameKind.REFUSE:
        // The peer closes this connection (e.g. it kept the other one of a simultaneous dial): the
        // close that follows does the work, and saying goodbye is no misbehaviour.
        return
      default:
        return this.invalid(peer, 'UNEXPECTED_HANDSHAKE')
    }
  }

  /** Counts and penalises a dropped frame. The connection keeps serving unless the peer is banned. */
  private invalid(peer: Peer, reason: InvalidFrameReason, points = this.opts.invalidFramePenalty ?? 20): void {
    bump(this.invalidFrames, reason)
    peer.invalidFrames++
    this.log.debug({ peer: peer.address, reason }, 'invalid frame dropped')
    this.penalise(peer.address, `invalid frame: ${reason}`, points)
  }

  /** Counts and penalises a frame dropped because its sender was over `budget`. */
  private dropOverBudget(peer: Peer, budget: BudgetKind): void {
    bump(this.overBudget, budget)
    peer.droppedIn++
    this.log.debug({ peer: peer.address, budget, throttled: this.scores.throttledUntil(peer.address) !== undefined }, 'frame over budget dropped')
    this.penalise(peer.address, `over budget: ${budget}`, this.opts.overBudgetPenalty ?? 5)
  }

  private budgetOf(address: Address): PeerBudget {
    let budget = this.budgets.get(address)
    if (!budget) {
      budget = new PeerBudget(this.budgetOpts)
      this.budgets.set(address, budget)
    }
    return budget
  }

  /** The share of its budgets a peer gets now: all, or `throttledShare` while throttled. */
  private share(address: Address): number {
    return this.scores.throttledUntil(address) === undefined ? 1 : this.budgetOpts.throttledShare
  }

  private onSocketError(peer: Peer, err: Error & { code?: string }): void {
    // ws has already failed the connection; count why (the peer is known, so it can be penalised).
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.invalid(peer, 'OVERSIZED', this.opts.oversizedFramePenalty ?? 50)
    else if (err.code?.startsWith('WS_ERR_')) this.invalid(peer, 'BAD_WEBSOCKET')
    else this.log.debug({ peer: peer.address, err: err.message }, 'peer socket error')
  }

  private gossipId(protocol: string, payload: Uint8Array): string {
    const proto = Buffer.from(protocol, 'latin1')
    const buf = new Uint8Array(proto.length + 1 + payload.length)
    buf.set(proto, 0)
    buf.set(payload, proto.length + 1)
    return Buffer.from(keccak256(buf)).toString('hex')
  }

  private onGossip(peer: Peer, protocol: string, payload: Uint8Array): void {
    const id = this.gossipId(protocol, payload)
    const entry = this.seen.get(id)
    if (entry) {
      entry.peers.add(peer.address)
      this.gossipDuplicates++
      return
    }
    this.seen.add(id).peers.add(peer.address)
    this.deliver({ from: peer.address, protocol, payload: payload.slice(), kind: 'gossip' })
  }

  private deliver(msg: P2PMessage): void {
    this.safely(() => this.emit('message', msg))
  }

  private onRequest(peer: Peer, frame: Extract<Frame, { kind: typeof FrameKind.REQUEST }>): void {
    const reply = (result: { payload: Uint8Array } | { code: string }): void => {
      peer.send(encodeFrame('payload' in result ? { kind: FrameKind.RESPONSE, id: frame.id, payload: result.payload } : { kind: FrameKind.ERROR, id: frame.id, code: result.code }))
    }
    const handler = this.handlers.get(frame.protocol)
    if (!handler) return reply({ code: 'NO_HANDLER' })
    // Budget first: a flood answered BUSY for being in flight must still pay for each request.
    const budget = this.budgetOf(peer.address)
    const over = budget.takeRequest(this.share(peer.address))
    if (over) {
      reply({ code: 'BUSY' })
      return this.dropOverBudget(peer, over)
    }
    if (peer.inflight >= (this.opts.maxInflightRequestsPerPeer ?? 32)) return reply({ code: 'BUSY' })
    peer.inflight++
    const payload = frame.payload.slice()
    Promise.resolve()
      .then(() => handler(peer.address, payload))
      .then(
        (result) => {
          if (!(result instanceof Uint8Array)) return reply({ code: 'HANDLER_FAILED' })
          if (result.length + MAX_HEADER_BYTES > this.maxFrameBytes) return reply({ code: 'RESPONSE_TOO_LARGE' })
          budget.spendServed(result.length, this.share(peer.address))
          reply({ payload: result })
        },
        (err: unknown) => {
          this.log.debug({ peer: peer.address, protocol: frame.protocol, err: err instanceof Error ? err.message : String(err) }, 'request handler failed')
          reply({ code: err instanceof QuorateError && CODE_RE.test(err.code) ? err.code : 'HANDLER_FAILED' })
        },
      )
      .finally(() => {
        peer.inflight--
      })
  }

  // ---------------------------------------------------------------- sending

  /** Sends a direct message; false if dropped (peer's send buffer full). Throws if not connected. */
  send(peer: Address, protocol: string, payload: Uint8Array): boolean {
    const target = this.openPeer(peer)
    return this.sendFrame(target, this.frame({ kind: FrameKind.MESSAGE, protocol, payload }))
  }

  /** Sends a direct message to every connected peer but `except`; returns how many got it. */
  broadcast(protocol: string, payload: Uint8Array, opts: { except?: Address } = {}): number {
    const frame = this.frame({ kind: FrameKind.MESSAGE, protocol, payload })
    const except = opts.except?.toLowerCase()
    let sent = 0
    for (const peer of this.openPeers()) if (peer.address !== except && this.sendFrame(peer, frame)) sent++
    return sent
  }

  /**
   * Gossips a payload: sends it to every connected peer not known to have it (not those it came
   * from, not those it was sent to), and remembers it so copies arriving later are not delivered
   * again. Call it to originate a message, and to relay a received one after validating it.
   * Returns how many peers it was sent to.
   */
  gossip(protocol: string, payload: Uint8Array): number {
    const frame = this.frame({ kind: FrameKind.GOSSIP, protocol, payload })
    const id = this.gossipId(protocol, payload)
    const entry = this.seen.get(id) ?? this.seen.add(id)
    entry.relayed = true
    let sent = 0
    for (const peer of this.openPeers()) {
      if (entry.peers.has(peer.address)) continue
      if (this.sendFrame(peer, frame)) {
        entry.peers.add(peer.address)
        sent++
      }
    }
    return sent
  }

  /**
   * Asks `peer` and resolves with its answer. Rejects with PeerNotConnectedError, RequestTimeoutError,
   * PeerDisconnectedError or RemoteRequestError (`remoteCode`: NO_HANDLER, BUSY, HANDLER_FAILED, ...).
   */
  request(peer: Address, protocol: string, payload: Uint8Array, timeoutMs = this.requestTimeoutMs): Promise<Uint8Array> {
    try {
      assertProtocol(protocol)
      this.checkSize(payload)
      return this.openPeer(peer).request(protocol, payload, timeoutMs)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Registers the answerer of `protocol` requests (one per protocol; replaces any previous one). */
  handle(protocol: string, handler: RequestHandler): void {
    assertProtocol(protocol)
    this.handlers.set(protocol, handler)
  }

  unhandle(protocol: string): void {
    this.handlers.delete(protocol)
  }

  /**
   * Declares that the app listens to messages and gossip on `protocol`. Once any protocol is
   * subscribed, frames on the others are dropped and penalised (UNKNOWN_PROTOCOL) instead of being
   * delivered to listeners that all ignore them.
   */
  subscribe(protocol: string): void {
    assertProtocol(protocol)
    this.subscribed.add(protocol)
  }

  private frame(frame: Frame): Uint8Array {
    if ('protocol' in frame) assertProtocol(frame.protocol)
    if ('payload' in frame) this.checkSize(frame.payload)
    return encodeFrame(frame)
  }

  private checkSize(payload: Uint8Array): void {
    if (payload.length + MAX_HEADER_BYTES > this.maxFrameBytes) {
      throw new FrameError(`Payload of ${payload.length} bytes exceeds the frame limit (${this.maxFrameBytes - MAX_HEADER_BYTES}); split it`)
    }
  }

  private sendFrame(peer: Peer, frame: Uint8Array): boolean {
    const ok = peer.send(frame)
    if (ok) {
      this.totals.bytesOut += frame.length
      this.totals.messagesOut++
    } else {
      this.totals.droppedOut++
    }
    return ok
  }

  // ---------------------------------------------------------------- peers, scoring, allow-list

  /**
   * Adds misbehaviour points; at the threshold the peer is disconnected and banned for a while, or,
   * if it is a current validator, throttled for that while and kept connected.
   */
  penalise(peer: Address, reason: string, points: number): void {
    const address = peer.toLowerCase() as Address
    const verdict = this.scores.penalise(address, reason, points, { protected: this.isValidator(address) })
    this.log.debug({ peer: address, reason, points }, 'peer penalised')
    if (verdict === 'banned') {
      const until = this.scores.bannedUntil(address) ?? Date.now()
      this.log.warn({ peer: address, reason, until: new Date(until).toISOString() }, 'peer banned')
      this.safely(() => this.emit('peer:banned', address, until))
      this.disconnect(address, 'BANNED')
    } else if (verdict === 'throttled') {
      const until = this.scores.throttledUntil(address) ?? Date.now()
      this.log.warn(
        { peer: address, reason, until: new Date(until).toISOString(), share: this.budgetOpts.throttledShare },
        'validator throttled instead of banned: it stays connected (the quorum needs it), traffic over its reduced budget is dropped',
      )
      this.safely(() => this.emit('peer:throttled', address, until))
    }
  }

  private isValidator(address: Address): boolean {
    try {
      return this.opts.isValidator?.(address) ?? false
    } catch {
      return false
    }
  }

  /** Lifts a ban (operator action). */
  unban(peer: Address): void {
    this.scores.unban(peer.toLowerCase() as Address)
  }

  /** Closes the connection to `peer` (if any) with `reason`, sent to the peer. */
  disconnect(peer: Address, reason: string): boolean {
    const conn = this.byAddress.get(peer.toLowerCase() as Address)
    if (!conn) return false
    this.closeConn(conn, reason)
    return true
  }

  /** Re-checks every connection against `isAllowed` and drops those no longer allowed. Returns them. */
  refreshAllowList(): Address[] {
    const dropped: Address[] = []
    for (const [address, conn] of [...this.byAddress]) {
      let allowed = false
      try {
        allowed = this.opts.isAllowed(address)
      } catch {
        allowed = false
      }
      if (!allowed) {
        this.closeConn(conn, 'UNKNOWN_NODE')
        dropped.push(address)
      }
    }
    if (dropped.length) this.log.info({ dropped }, 'peers removed from the allow-list disconnected')
    return dropped
  }

  isConnected(peer: Address): boolean {
    return this.byAddress.get(peer.toLowerCase() as Address)?.state === 'open'
  }

  peers(): PeerInfo[] {
    return this.openPeers().map((p) => p.info(this.scores.score(p.address), this.scores.throttledUntil(p.address)))
  }

  /** Most established connections (maxPeers); handshakes beyond it are refused with TOO_MANY_PEERS. */
  get maxPeers(): number {
    return this.opts.maxPeers ?? 64
  }

  stats(): P2PStats {
    const peers = this.openPeers()
    return {
      peers: peers.length,
      inbound: peers.filter((p) => p.direction === 'inbound').length,
      outbound: peers.filter((p) => p.direction === 'outbound').length,
      bytesIn: this.totals.bytesIn,
      bytesOut: this.totals.bytesOut,
      messagesIn: this.totals.messagesIn,
      messagesOut: this.totals.messagesOut,
      invalidFrames: Object.fromEntries(this.invalidFrames),
      penalties: Object.fromEntries(this.scores.penaltiesByReason),
      handshakesRefused: Object.fromEntries(this.refused),
      handshakesRefusedByPeers: Object.fromEntries(this.refusedByPeers),
      dialFailures: this.dialFailures,
      unreachablePeers: this.unreachablePeers(),
      gossipDuplicates: this.gossipDuplicates,
      gossipCacheSize: this.seen.size,
      droppedOutbound: this.totals.droppedOut,
      penalisedPeers: this.scores.penalised(),
      bannedPeers: this.scores.banned(),
      throttledPeers: this.scores.throttled(),
      overBudget: Object.fromEntries(this.overBudget),
      inboundDropped: Object.fromEntries(this.inboundDropped),
      pendingInbound: this.pending.size,
    }
  }

  /** Static peers whose dials fail now, each with its last error; empty when all are reached. */
  unreachablePeers(): DialFailure[] {
    return [...this.dialers.values()].flatMap((d) => (d.lastFailure ? [d.lastFailure] : []))
  }

  private openPeers(): Peer[] {
    const out: Peer[] = []
    for (const conn of this.byAddress.values()) if (conn.state === 'open' && conn.peer?.isOpen) out.push(conn.peer)
    return out
  }

  private openCount(): number {
    let n = 0
    for (const conn of this.byAddress.values()) if (conn.state === 'open') n++
    return n
  }

  private openPeer(address: Address): Peer {
    if (!this.running) throw new HostStoppedError()
    const peer = this.byAddress.get(address.toLowerCase() as Address)?.peer
    if (!peer?.isOpen) throw new PeerNotConnectedError(address)
    return peer
  }

  /**
   * Ends a connection in any state. An open peer is announced as disconnected right away (not when
   * its socket finishes closing), so a replacing connection's 'peer:connect' always comes after.
   */
  private closeConn(conn: Conn, reason: string): void {
    if (conn.state === 'handshake') {
      conn.abort.abort(isRefusalReason(reason) ? reason : 'DISCONNECTED')
      return
    }
    if (conn.state !== 'open' || !conn.peer) return
    conn.peer.closeReason ??= reason
    conn.ws.close(CLOSE_CODE_DISCONNECT, reason.slice(0, 120))
    cutOffLater(conn.ws)
    this.detach(conn, reason)
  }

  /** Forgets an open connection (idempotent): fails its requests, announces it, lets dialers redial. */
  private detach(conn: Conn, reason: string): void {
    if (conn.state !== 'open' || !conn.peer) return
    conn.state = 'closed'
    const peer = conn.peer
    peer.closeReason ??= reason
    peer.failPending(reason)
    this.metrics?.disconnects.inc({ reason: disconnectKind(reason) })
    if (this.byAddress.get(peer.address) === conn) this.byAddress.delete(peer.address)
    if (this.budgets.get(peer.address)?.isFull()) this.budgets.delete(peer.address)
    const routine = reason === 'SHUTDOWN' || reason === 'DUPLICATE' || reason === 'remote: SHUTDOWN' || reason === 'remote: DUPLICATE'
    this.log[routine ? 'info' : 'warn']({ peer: peer.address, reason }, 'peer disconnected')
    this.safely(() => this.emit('peer:disconnect', peer.address, reason))
    if (this.running) for (const dialer of this.dialers.values()) dialer.onDisconnected(peer.address)
  }

  private pingAll(): void {
    for (const peer of this.openPeers()) {
      if (!peer.alive) {
        this.log.warn({ peer: peer.address }, 'peer did not answer ping; dropping')
        const conn = this.byAddress.get(peer.address)
        peer.ws.terminate()
        if (conn) this.detach(conn, 'PING_TIMEOUT')
        continue
      }
      peer.alive = false
      try {
        peer.ws.ping()
      } catch {
        // closing
      }
    }
  }

  /** App listeners must not break the socket handlers that call them. */
  private safely(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'p2p event listener threw')
    }
  }
}

/** A peer that does not complete the WebSocket close handshake is cut off (ws would wait 30 s). */
function cutOffLater(ws: WebSocket): void {
  if (ws.readyState === ws.CLOSED) return
  const timer = setTimeout(() => ws.terminate(), 2000)
  timer.unref()
  ws.once('close', () => clearTimeout(timer))
}

function waitClosed(sockets: WebSocket[], timeoutMs: number): Promise<void> {
  const open = sockets.filter((ws) => ws.readyState !== ws.CLOSED)
  if (open.length === 0) return Promise.resolve()
  return new Promise<void>((resolve) => {
    let left = open.length
    const timer = setTimeout(resolve, timeoutMs)
    for (const ws of open) {
      ws.once('close', () => {
        if (--left === 0) {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  })
}
