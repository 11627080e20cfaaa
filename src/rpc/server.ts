/**
 * The JSON-RPC server: one TCP port that answers JSON-RPC 2.0 over HTTP POST and over WebSocket
 * (upgrade on `/`), applies CORS and size limits, and hosts extra HTTP routes the node mounts
 * (`/metrics`, `/health`, the dashboard). It owns framing and limits only: what methods do is in
 * the method table it is given, and request semantics are in dispatch.ts. With an access policy
 * (rpc/auth.ts) it reads the caller's bearer token once per HTTP request or WebSocket connection
 * and answers 401 to bad credentials; what each caller may call is the policy's decision.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { listenError, QuorateError } from '../errors.js'
import type { RpcLimitMetrics } from '../ops/metrics.js'
import { silentLogger, type Logger } from '../ops/logger.js'
import { DEFAULT_WS_MAX_QUEUED_BYTES, DEFAULT_WS_MAX_QUEUED_MESSAGES, WsConnection } from './connection.js'
import { RpcDispatcher, stringifyJson, type CallScope } from './dispatch.js'
import { RpcErrorCode, toJsonRpcError } from './errors.js'
import {
  DEFAULT_BATCH_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_PER_IP,
  DEFAULT_MAX_PENDING_RESPONSE_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  ResponseBudget,
  ResponseMemory,
  WorkSlots,
} from './limits.js'
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP, SocketGuard } from './sockets.js'
import type { RpcAccess, RpcCaller, RpcIdentity, RpcMethods, RpcObserver } from './types.js'

export const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP } from './sockets.js'
export const DEFAULT_MAX_WS_CONNECTIONS = 100
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** A WebSocket client whose unsent data has not moved for this long is dropped. */
export const DEFAULT_WS_SEND_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000
export const DEFAULT_WS_PING_INTERVAL_MS = 30_000
export const DEFAULT_WS_MAX_BUFFERED_BYTES = 16 * 1024 * 1024
/** An oversized body is read and discarded (so the client sees the 413) up to this, then cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024
/** geth's list: requiring one of these keeps browsers from sending "simple" cross-site POSTs. */
const JSON_CONTENT_TYPES = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest'])

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'
/** `url` is the parsed request URL (path and query). GET routes also answer HEAD. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>

export interface HttpRoute {
  method: HttpMethod | '*'
  /** Exact path (`/metrics`), or a prefix ending in `/*` (`/dashboard/*` also matches `/dashboard`). */
  path: string
  handler: HttpHandler
}

export interface RpcServerOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 8545; 0 picks a free port (read it from `port` after start). */
  port?: number
  methods?: RpcMethods
  /**
   * Browser origins allowed to call (exact, e.g. `https://ops.example.org`), or '*' for any.
   * Applies to HTTP (CORS headers, preflight) and to WebSocket handshakes, where a browser Origin
   * that is neither listed nor the server's own host is refused with 403. Default: none listed.
   */
  cors?: '*' | readonly string[]
  /** Largest HTTP body or WebSocket message. Default 5 MiB. */
  maxRequestBytes?: number
  /** Largest batch. Default 1000. */
  maxBatchSize?: number
  /** Open sockets (HTTP and WebSocket) at most; when full an idle one makes room, else 503. Default 1000. */
  maxConnections?: number
  /** Open sockets from one IP address at most. Default 200. */
  maxConnectionsPerIp?: number
  /** Open WebSocket connections at most. Default 100. */
  maxWsConnections?: number
  /** A socket with no request in progress (or whose client does not read its response) is closed after this. Default 30 s. */
  idleTimeoutMs?: number
  /** Time to receive a whole HTTP request (headers and body). Default 30 s. */
  requestTimeoutMs?: number
  /** Largest response to one request or batch; beyond it requests answer -32005. Default 25 MiB. */
  maxResponseBytes?: number
  /** Responses built and not yet taken by their clients, node-wide, at most. Default 128 MiB. */
  maxPendingResponseBytes?: number
  /** Batch items not started within this answer -32005. 0 disables. Default 30 s. */
  batchTimeoutMs?: number
  /** HTTP requests and WebSocket messages in work at once per client IP address (others wait). Default 8. */
  maxConcurrentRequestsPerIp?: number
  /** WebSocket messages waiting to be answered per connection, at most. Default 16. */
  wsMaxQueuedMessages?: number
  /** Bytes of WebSocket messages waiting per connection, at most (one is always taken). Default 1 MiB. */
  wsMaxQueuedBytes?: number
  /** A WebSocket client whose unsent data does not move for this long is dropped. Default 10 s. */
  wsSendTimeoutMs?: number
  maxSubscriptionsPerConnection?: number
  /** Heartbeat that drops dead WebSocket peers (and their subscriptions). 0 disables. Default 30 s. */
  wsPingIntervalMs?: number
  /** While a WebSocket client has more than this waiting to be sent, none of its messages is answered. Default 16 MiB. */
  wsMaxBufferedBytes?: number
  httpRoutes?: readonly HttpRoute[]
  /** Extra fields for the JSON banner answered on `GET /` (e.g. version, chainId). */
  banner?: Record<string, unknown>
}

export interface RpcServerModules {
  logger?: Logger
  observer?: RpcObserver
  /**
   * The listener's access policy (rpc/auth.ts). Without one every caller is anonymous and every
   * method is open, and Authorization headers are ignored.
   */
  access?: RpcAccess
  metrics?: RpcLimitMetrics
}

export class RpcServer {
  readonly dispatcher: RpcDispatcher
  private readonly logger: Logger
  private readonly host: string
  private readonly requestedPort: number
  private readonly cors: '*' | ReadonlySet<string> | undefined
  private readonly maxRequestBytes: number
  private readonly maxWsConnections: number
  private readonly maxSubscriptions: number
  private readonly pingIntervalMs: number
  private readonly maxBufferedBytes: number
  private readonly requestTimeoutMs: number
  private readonly idleTimeoutMs: number
  private readonly maxResponseBytes: number
  private readonly batchTimeoutMs: number
  private readonly wsMaxQueuedMessages: number
  private readonly wsMaxQueuedBytes: number
  private readonly wsSendTimeoutMs: number
  private readonly memory: ResponseMemory
  private readonly slots: WorkSlots
  private readonly sockets: SocketGuard
  private readonly metrics: RpcLimitMetrics | undefined
  private readonly banner: Record<string, unknown>
  private readonly access: RpcAccess | undefined
  private readonly routes: HttpRoute[] = []
  private readonly connections = new Set<WsConnection>()
  private pendingUpgrades = 0
  private connectionSeq = 0
  private server: Server | undefined
  private wss: WebSocketServer | undefined
  private pingTimer: NodeJS.Timeout | undefined
  private stallTimer: NodeJS.Timeout | undefined
  private bound: AddressInfo | undefined

  constructor(opts: RpcServerOptions = {}, modules: RpcServerModules = {}) {
    this.logger = modules.logger ?? silentLogger()
    this.access = modules.access
    this.host = opts.host ?? '127.0.0.1'
    this.requestedPort = opts.port ?? 8545
    this.cors = opts.cors === undefined || opts.cors === '*' ? opts.cors : opts.cors.includes('*') ? '*' : new Set(opts.cors.map(normalizeOrigin))
    this.maxRequestBytes = positiveInt('maxRequestBytes', opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES)
    this.maxWsConnections = positiveInt('maxWsConnections', opts.maxWsConnections ?? DEFAULT_MAX_WS_CONNECTIONS)
    this.requestTimeoutMs = positiveInt('requestTimeoutMs', opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
    this.idleTimeoutMs = positiveInt('idleTimeoutMs', opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)
    this.maxResponseBytes = positiveInt('maxResponseBytes', opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES)
    this.memory = new ResponseMemory(positiveInt('maxPendingResponseBytes', opts.maxPendingResponseBytes ?? DEFAULT_MAX_PENDING_RESPONSE_BYTES))
    this.batchTimeoutMs = opts.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS
    if (this.batchTimeoutMs !== 0) positiveInt('batchTimeoutMs', this.batchTimeoutMs)
    this.wsMaxQueuedMessages = positiveInt('wsMaxQueuedMessages', opts.wsMaxQueuedMessages ?? DEFAULT_WS_MAX_QUEUED_MESSAGES)
    this.wsMaxQueuedBytes = positiveInt('wsMaxQueuedBytes', opts.wsMaxQueuedBytes ?? DEFAULT_WS_MAX_QUEUED_BYTES)
    this.wsSendTimeoutMs = positiveInt('wsSendTimeoutMs', opts.wsSendTimeoutMs ?? DEFAULT_WS_SEND_TIMEOUT_MS)
    this.metrics = modules.metrics
    this.slots = new WorkSlots(positiveInt('maxConcurrentRequestsPerIp', opts.maxConcurrentRequestsPerIp ?? DEFAULT_MAX_CONCURRENT_PER_IP))
    this.sockets = new SocketGuard(
      {
        maxConnections: positiveInt('maxConnections', opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
        maxConnectionsPerIp: positiveInt('maxConnectionsPerIp', opts.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP),
        idleTimeoutMs: this.idleTimeoutMs,
      },
      {
        refused: (reason, ip) => {
          this.metrics?.refused.inc({ reason })
          this.logger.warn({ reason, remote: ip, open: this.sockets.size }, 'JSON-RPC connection refused: connection limit reached')
        },
        evicted: (ip) => {
          this.metrics?.refused.inc({ reason: 'idle_evicted' })
          // warn, so that a socket flood is not silent; the logger rate-limits repeats of one message.
          this.logger.warn({ remote: ip, open: this.sockets.size }, 'JSON-RPC connection limit reached: closed an idle connection to admit a new one')
        },
      },
    )
    this.maxSubscriptions = positiveInt('maxSubscriptionsPerConnection', opts.maxSubscriptionsPerConnection ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION)
    this.maxBufferedBytes = positiveInt('wsMaxBufferedBytes', opts.wsMaxBufferedBytes ?? DEFAULT_WS_MAX_BUFFERED_BYTES)
    this.pingIntervalMs = opts.wsPingIntervalMs ?? DEFAULT_WS_PING_INTERVAL_MS
    if (!Number.isInteger(this.requestedPort) || this.requestedPort < 0 || this.requestedPort > 65535) {
      throw new QuorateError('RPC_OPTIONS_INVALID', `port must be an integer from 0 to 65535, got ${String(opts.port)}`)
    }
    this.banner = { service: 'quorate-rpc', jsonrpc: '2.0', transports: ['http', 'ws'], ...opts.banner }
    this.dispatcher = new RpcDispatcher(
      { ...(opts.methods ? { methods: opts.methods } : {}), ...(opts.maxBatchSize !== undefined ? { maxBatchSize: opts.maxBatchSize } : {}) },
      { logger: this.logger, ...(modules.observer ? { observer: modules.observer } : {}), ...(modules.access ? { access: modules.access } : {}) },
    )
    for (const r of opts.httpRoutes ?? []) this.route(r.method, r.path, r.handler)
  }

  /** Adds JSON-RPC methods (before or after start). A duplicate name throws. */
  register(methods: RpcMethods): void {
    this.dispatcher.register(methods)
  }

  /** Mounts an HTTP route (before or after start). `POST /` and `OPTIONS` belong to JSON-RPC and CORS. */
  route(method: HttpMethod | '*', path: string, handler: HttpHandler): this {
    if (!path.startsWith('/')) throw new QuorateError('RPC_ROUTE_INVALID', `route path must start with "/", got "${path}"`)
    if (method === 'OPTIONS' || (path === '/' && method !== 'GET' && method !== 'HEAD')) {
      throw new QuorateError('RPC_ROUTE_INVALID', `${method} ${path} is reserved for JSON-RPC and CORS; mount the route elsewhere`)
    }
    this.routes.push({ method, path, handler })
    return this
  }

  async start(): Promise<void> {
    if (this.server) throw new QuorateError('RPC_ALREADY_STARTED', 'the JSON-RPC server is already started')
    // Node's own request limits: headers and whole request within requestTimeoutMs, checked every second.
    const server = createServer(
      {
        requestTimeout: this.requestTimeoutMs,
        headersTimeout: Math.min(this.requestTimeoutMs, this.idleTimeoutMs),
        connectionsCheckingInterval: Math.min(1000, this.requestTimeoutMs),
      },
      (req, res) => {
        if (this.sockets.wasRefused(req.socket)) {
          req.socket.destroy()
          return
        }
        this.sockets.requestStarted(req.socket, res)
        this.onRequest(req, res).catch((err: unknown) => this.failResponse(res, err))
      },
    )
    server.on('connection', (socket: Socket) => this.sockets.admit(socket))
    // With a listener here Node no longer closes timed-out sockets itself: the guard decides.
    server.on('timeout', (socket: Socket) => this.sockets.onTimeout(socket))
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.maxRequestBytes, clientTracking: false })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.onUpgrade(wss, req, socket, head)
      } catch (err) {
        this.logger.error({ err }, 'WebSocket upgrade failed')
        socket.destroy()
      }
    })
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.requestedPort, this.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      throw listenError(err, 'RPC_PORT_IN_USE', `JSON-RPC on ${this.host}:${this.requestedPort}`, 'rpc.port')
    }
    server.on('error', (err) => this.logger.error({ err }, 'JSON-RPC server error'))
    this.server = server
    this.wss = wss
    this.bound = server.address() as AddressInfo
    if (this.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.heartbeat(), this.pingIntervalMs)
      this.pingTimer.unref()
    }
    this.stallTimer = setInterval(() => this.dropStalled(), Math.max(100, Math.min(1000, this.wsSendTimeoutMs / 4)))
    this.stallTimer.unref()
    this.logger.info({ host: this.bound.address, port: this.bound.port }, 'JSON-RPC server listening (HTTP and WebSocket)')
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = undefined
    if (this.stallTimer) clearInterval(this.stallTimer)
    this.stallTimer = undefined
    for (const conn of this.connections) conn.terminate()
    this.connections.clear()
    const wss = this.wss
    this.wss = undefined
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    this.bound = undefined
  }

  /** The bound port (useful with port 0). Throws before start. */
  get port(): number {
    return this.address().port
  }

  address(): { host: string; port: number } {
    if (!this.bound) throw new QuorateError('RPC_NOT_STARTED', 'the JSON-RPC server is not started')
    return { host: this.bound.address, port: this.bound.port }
  }

  get url(): string {
    return `http://${hostForUrl(this.address().host)}:${this.port}/`
  }

  get wsUrl(): string {
    return `ws://${hostForUrl(this.address().host)}:${this.port}/`
  }

  /** Open WebSocket connections. */
  get connectionCount(): number {
    return this.connections.size
  }

  /** Open sockets, HTTP and WebSocket. */
  get socketCount(): number {
    return this.sockets.size
  }

  /** Bytes of responses built and not yet taken by their clients. */
  get pendingResponseBytes(): number {
    return this.memory.bytes
  }

  /** The budget of one request or batch response. */
  private budget(): ResponseBudget {
    return new ResponseBudget({
      maxBytes: this.maxResponseBytes,
      memory: this.memory,
      ...(this.batchTimeoutMs > 0 ? { deadline: Date.now() + this.batchTimeoutMs } : {}),
      onLimited: (reason) => this.metrics?.limited.inc({ reason }),
    })
  }

  // ---- HTTP ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req)
    if (!url) {
      drain(req)
      return sendJson(res, 400, { error: 'malformed request URL' })
    }
    const method = req.method ?? 'GET'
    const origin = req.headers.origin
    if (origin !== undefined && this.originAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', this.cors === '*' ? '*' : origin)
      res.setHeader('Vary', 'Origin')
    }
    if (method === 'OPTIONS') return this.preflight(req, res)
    const route = this.findRoute(method, url.pathname)
    if (route) return route.handler(req, res, url)
    if (url.pathname !== '/') {
      drain(req)
      return sendJson(res, 404, { error: `nothing at ${method} ${url.pathname}` })
    }
    if (method === 'GET' || method === 'HEAD') return sendJson(res, 200, this.banner)
    if (method !== 'POST') {
      drain(req)
      res.setHeader('Allow', 'GET, HEAD, POST, OPTIONS')
      return sendJson(res, 405, { error: `${method} is not supported on /; send JSON-RPC with POST` })
    }
    return this.onPost(req, res)
  }

  private async onPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remoteAddress = req.socket.remoteAddress
    let caller: RpcCaller | undefined
    if (this.access) {
      // Before the body is read: a request with bad credentials costs the node nothing more.
      const identity = await this.authenticate(req.headers.authorization, undefined, remoteAddress)
      if (!('kind' in identity)) {
        drain(req)
        res.setHeader('WWW-Authenticate', 'Bearer realm="quorate-rpc"')
        return sendRpcError(res, 401, identity.code, identity.message)
      }
      caller = { ...identity, transport: 'http', ...(remoteAddress !== undefined ? { remoteAddress } : {}) }
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!JSON_CONTENT_TYPES.has(contentType)) {
      drain(req)
      return sendRpcError(res, 415, RpcErrorCode.INVALID_REQUEST, `unsupported Content-Type "${contentType}": send JSON-RPC with Content-Type: application/json`)
    }
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > this.maxRequestBytes) {
      drain(req)
      return sendRpcError(res, 413, RpcErrorCode.INVALID_REQUEST, this.tooLargeMessage(declared))
    }
    const body = await readBody(req, this.maxRequestBytes)
    if (body === 'aborted') return
    if (body === 'too-large') return sendRpcError(res, 413, RpcErrorCode.INVALID_REQUEST, this.tooLargeMessage(undefined))
    const open = (): CallScope => ({
      ctx: { transport: 'http', ...(remoteAddress !== undefined ? { remoteAddress } : {}), ...(caller ? { caller } : {}) },
      end: () => {},
    })
    // A client that hangs up stops its batch; the response's bytes are held until it is sent or dropped.
    const release = await this.slots.acquire(remoteAddress ?? 'unknown')
    if (res.destroyed) return release()
    const gone = new AbortController()
    const budget = this.budget()
    res.once('close', () => {
      // Only a client that hung up before its answer was sent stops the work (an abort builds a DOMException: not for every request).
      if (!res.writableFinished) gone.abort()
      budget.release()
    })
    let out: string | undefined
    try {
      out = await this.dispatcher.handle(body.toString('utf8'), open, { signal: gone.signal, budget, ...(caller ? { caller } : {}) })
    } finally {
      release()
    }
    if (res.destroyed) return budget.release()
    if (out === undefined) {
      res.writeHead(204).end()
      return
    }
    const length = Buffer.byteLength(out)
    budget.settle(length)
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': length }).end(out)
  }

  private preflight(req: IncomingMessage, res: ServerResponse): void {
    drain(req)
    const origin = req.headers.origin
    if (origin === undefined) {
      res.writeHead(204, { Allow: 'GET, HEAD, POST, OPTIONS' }).end()
      return
    }
    if (!this.originAllowed(origin)) {
      sendJson(res, 403, { error: `origin ${origin} is not allowed; add it to the RPC cors list` })
      return
    }
    const requested = req.headers['access-control-request-headers']
    res.writeHead(204, {
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': typeof requested === 'string' && requested.length > 0 ? requested : 'Content-Type',
      'Access-Control-Max-Age': '600',
    })
    res.end()
  }

  private findRoute(method: string, path: string): HttpRoute | undefined {
    const methodMatches = (r: HttpRoute): boolean => r.method === '*' || r.method === method || (r.method === 'GET' && method === 'HEAD')
    const exact = this.routes.find((r) => methodMatches(r) && r.path === path)
    if (exact) return exact
    let best: HttpRoute | undefined
    for (const r of this.routes) {
      if (!r.path.endsWith('/*') || !methodMatches(r)) continue
      const base = r.path.slice(0, -2)
      if ((path === base || path.startsWith(`${base}/`)) && (!best || r.path.length > best.path.length)) best = r
    }
    return best
  }

  private failResponse(res: ServerResponse, err: unknown): void {
    this.logger.error({ err }, 'HTTP request handling failed')
    if (res.headersSent) res.destroy()
    else sendJson(res, 500, { error: 'internal error' })
  }

  private tooLargeMessage(size: number | undefined): string {
    const what = size !== undefined ? `request body of ${size} bytes` : 'request body'
    return `${what} exceeds the limit of ${this.maxRequestBytes} bytes (maxRequestBytes); send less per request or split the batch`
  }

  /**
   * The identity proved by an `Authorization: Bearer` header or (WebSocket only, since browsers
   * cannot set headers there) a `?token=` query; or the JSON-RPC error to answer with 401.
   */
  private async authenticate(authorization: string | undefined, queryToken: string | undefined, remote: string | undefined): Promise<RpcIdentity | { code: number; message: string }> {
    const access = this.access
    if (!access) return { kind: 'anonymous' }
    try {
      return await access.authenticate({ authorization, queryToken })
    } catch (err) {
      const answer = toJsonRpcError(err, this.logger, 'authenticate')
      this.logger.warn({ remote, reason: answer.message }, 'JSON-RPC credentials refused')
      return { code: answer.code, message: answer.message }
    }
  }

  private originAllowed(origin: string): boolean {
    if (this.cors === '*') return true
    return this.cors !== undefined && this.cors.has(normalizeOrigin(origin))
  }

  // ---- WebSocket ----

  private onUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.logger.debug({ err }, 'socket error during WebSocket upgrade'))
    if (this.sockets.wasRefused(req.socket)) return void socket.destroy()
    this.sockets.upgraded(req.socket)
    const path = parseUrl(req)?.pathname
    if (path !== '/') return rejectUpgrade(socket, 404, 'WebSocket JSON-RPC is served on /')
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return rejectUpgrade(socket, 400, 'only WebSocket upgrades are supported')
    const origin = req.headers.origin
    // Browsers let any page open a WebSocket anywhere: only listed origins (or the node's own pages) may.
    if (origin !== undefined && !this.originAllowed(origin) && !sameHost(origin, req.headers.host)) {
      return rejectUpgrade(socket, 403, `origin ${origin} is not allowed; add it to the RPC cors list`)
    }
    if (this.connections.size + this.pendingUpgrades >= this.maxWsConnections) {
      this.metrics?.refused.inc({ reason: 'max_ws_connections' })
      this.logger.warn({ limit: this.maxWsConnections, remote: req.socket.remoteAddress }, 'WebSocket connection refused: connection limit reached')
      return rejectUpgrade(socket, 503, `too many WebSocket connections (rpc.maxWsConnections is ${this.maxWsConnections}); try again later`)
    }
    this.pendingUpgrades++
    let counted = true
    const uncount = (): void => {
      if (counted) this.pendingUpgrades--
      counted = false
    }
    socket.once('close', uncount)
    const upgrade = (caller: RpcCaller | undefined): void =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        uncount()
        this.onConnection(ws, req, caller)
      })
    if (!this.access) return upgrade(undefined)
    const remoteAddress = req.socket.remoteAddress
    const queryToken = parseUrl(req)?.searchParams.get('token') ?? undefined
    this.authenticate(req.headers.authorization, queryToken, remoteAddress)
      .then((identity) => {
        if (socket.destroyed) return uncount()
        if (!('kind' in identity)) {
          uncount()
          return rejectUpgrade(socket, 401, identity.message)
        }
        upgrade({ ...identity, transport: 'ws', ...(remoteAddress !== undefined ? { remoteAddress } : {}) })
      })
      .catch((err: unknown) => {
        uncount()
        this.logger.error({ err }, 'WebSocket upgrade failed')
        socket.destroy()
      })
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, caller: RpcCaller | undefined): void {
    if (!this.server) {
      ws.terminate()
      return
    }
    const conn = new WsConnection(
      ws,
      this.dispatcher,
      {
        id: `ws-${++this.connectionSeq}`,
        remoteAddress: req.socket.remoteAddress,
        maxSubscriptions: this.maxSubscriptions,
        maxBufferedBytes: this.maxBufferedBytes,
        ...(caller ? { caller } : {}),
        maxResponseBytes: this.maxResponseBytes,
        maxQueuedMessages: this.wsMaxQueuedMessages,
        maxQueuedBytes: this.wsMaxQueuedBytes,
        budget: () => this.budget(),
        memoryFull: () => this.memory.full,
        slot: () => this.slots.acquire(req.socket.remoteAddress ?? 'unknown'),
      },
      this.logger,
    )
    this.connections.add(conn)
    this.logger.debug({ conn: conn.id, remote: conn.remoteAddress, caller: caller?.name, auth: caller?.kind }, 'WebSocket connection opened')
    ws.on('close', (code) => {
      this.connections.delete(conn)
      conn.dispose()
      this.logger.debug({ conn: conn.id, code }, 'WebSocket connection closed')
    })
  }

  /** Drops WebSocket clients whose unsent data has not moved for wsSendTimeoutMs: they stopped reading. */
  private dropStalled(): void {
    const now = Date.now()
    for (const conn of this.connections) {
      if (!conn.stalled(now, this.wsSendTimeoutMs)) continue
      this.metrics?.refused.inc({ reason: 'ws_stalled' })
      this.logger.warn({ conn: conn.id, remote: conn.remoteAddress, buffered: conn.bufferedAmount }, 'dropping a WebSocket client that does not read its messages')
      this.connections.delete(conn)
      conn.terminate()
    }
  }

  private heartbeat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.logger.debug({ conn: conn.id }, 'WebSocket peer missed a ping; dropping it')
        this.connections.delete(conn)
        conn.terminate()
      } else {
        try {
          conn.ping()
        } catch (err) {
          this.logger.debug({ conn: conn.id, err }, 'WebSocket ping failed')
        }
      }
    }
  }
}

type BodyResult = Buffer | 'too-large' | 'aborted'

/** Reads a body up to `limit` bytes; beyond it keeps reading (and discarding) so the client gets the 413. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (r: BodyResult): void => {
      if (settled) return
      settled = true
      resolve(r)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_DRAIN_BYTES) req.destroy()
      if (size > limit) {
        chunks.length = 0
        finish('too-large')
      } else chunks.push(chunk)
    })
    req.on('end', () => finish(Buffer.concat(chunks)))
    req.on('error', () => finish('aborted'))
    req.on('close', () => finish('aborted'))
  })
}

/** Discards a body we will not read, and cuts the connection if it is absurdly large. */
function drain(req: IncomingMessage): void {
  let size = 0
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > MAX_DRAIN_BYTES) req.destroy()
  })
  req.on('error', () => {})
  req.resume()
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyJson(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text)
}

function sendRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', id: null, error: { code, message } })
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  )
}

function parseUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost')
  } catch {
    return undefined
  }
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase()
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false
  try {
    return new URL(origin).host === host.toLowerCase()
  } catch {
    return false
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new QuorateError('RPC_OPTIONS_INVALID', `${name} must be a positive integer, got ${String(value)}`)
  return value
}
