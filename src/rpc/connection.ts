/**
 * One WebSocket JSON-RPC connection: reads messages, hands them to the dispatcher, writes the
 * answers, and owns the connection's subscriptions (their teardown on close is this file's job).
 * It knows nothing of HTTP or of what a subscription is about.
 */
import { randomBytes } from 'node:crypto'
import type { RawData, WebSocket } from 'ws'
import { QuorateError } from '../errors.js'
import type { Logger } from '../ops/logger.js'
import { stringifyJson, type CallScope, type RpcDispatcher } from './dispatch.js'
import type { RpcCaller, RpcConnection } from './types.js'

/** Messages handled at once per connection; beyond this the socket stops being read. */
const MAX_IN_FLIGHT = 64

interface Subscription {
  readonly id: string
  readonly kind: string
  readonly unsubscribe: () => void
  /** False until the response of the call that created it has been written. */
  active: boolean
  held: string[]
}

export interface WsConnectionOptions {
  id: string
  remoteAddress: string | undefined
  maxSubscriptions: number
  /** A client that lets this much pile up unsent is dropped (it is not reading). */
  maxBufferedBytes: number
  /** Who opened the connection (authenticated once, at the upgrade); checked before each call. */
  caller?: RpcCaller
}

export class WsConnection implements RpcConnection {
  readonly id: string
  readonly remoteAddress: string | undefined
  /** Cleared by each ping, set by each pong: the server's heartbeat drops dead peers. */
  alive = true
  private readonly subs = new Map<string, Subscription>()
  private isClosed = false
  private inFlight = 0

  constructor(
    private readonly ws: WebSocket,
    private readonly dispatcher: RpcDispatcher,
    private readonly opts: WsConnectionOptions,
    private readonly logger: Logger,
  ) {
    this.id = opts.id
    this.remoteAddress = opts.remoteAddress
    ws.on('message', (data) => this.onMessage(data))
    ws.on('pong', () => {
      this.alive = true
    })
    // Protocol errors (oversized frame, bad UTF-8) arrive here; ws then closes the socket itself.
    ws.on('error', (err) => this.logger.debug({ conn: this.id, err }, 'WebSocket error'))
  }

  get closed(): boolean {
    return this.isClosed
  }

  get subscriptionCount(): number {
    return this.subs.size
  }

  subscribe(kind: string, unsubscribe: () => void): string {
    return this.addSubscription(kind, unsubscribe, true).id
  }

  notify(subscriptionId: string, result: unknown): boolean {
    const sub = this.subs.get(subscriptionId)
    if (!sub || this.isClosed) return false
    let text: string
    try {
      text = stringifyJson({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: subscriptionId, result } })
    } catch (err) {
      this.logger.error({ conn: this.id, kind: sub.kind, err }, 'subscription notification could not be serialised')
      return false
    }
    if (!sub.active) {
      sub.held.push(text)
      return true
    }
    return this.send(text)
  }

  unsubscribe(subscriptionId: string): boolean {
    const sub = this.subs.get(subscriptionId)
    if (!sub) return false
    this.subs.delete(subscriptionId)
    this.runUnsubscribe(sub)
    return true
  }

  ping(): void {
    this.alive = false
    this.ws.ping()
  }

  terminate(): void {
    this.ws.terminate()
    this.dispose()
  }

  /** Tears down every subscription; called when the socket closes (idempotent). */
  dispose(): void {
    if (this.isClosed) return
    this.isClosed = true
    const subs = [...this.subs.values()]
    this.subs.clear()
    for (const sub of subs) this.runUnsubscribe(sub)
  }

  /** @internal for CallView: `active` false holds notifications until `activate`. */
  addSubscription(kind: string, unsubscribe: () => void, active: boolean): Subscription {
    if (this.isClosed) {
      this.callSafely(unsubscribe, kind)
      throw new QuorateError('RESOURCE_UNAVAILABLE', 'the WebSocket connection closed before the subscription was made')
    }
    if (this.subs.size >= this.opts.maxSubscriptions) {
      this.callSafely(unsubscribe, kind)
      throw new QuorateError(
        'LIMIT_EXCEEDED',
        `this connection already holds ${this.subs.size} subscriptions (the limit); unsubscribe from some first`,
      )
    }
    const sub: Subscription = { id: `0x${randomBytes(16).toString('hex')}`, kind, unsubscribe, active, held: [] }
    this.subs.set(sub.id, sub)
    return sub
  }

  private activate(sub: Subscription): void {
    if (sub.active) return
    sub.active = true
    const held = sub.held
    sub.held = []
    if (this.subs.get(sub.id) !== sub) return
    for (const text of held) if (!this.send(text)) return
  }

  private runUnsubscribe(sub: Subscription): void {
    sub.held = []
    this.callSafely(sub.unsubscribe, sub.kind)
  }

  private callSafely(fn: () => void, kind: string): void {
    try {
      fn()
    } catch (err) {
      this.logger.error({ conn: this.id, kind, err }, 'subscription teardown failed')
    }
  }

  private send(text: string): boolean {
    if (this.isClosed || this.ws.readyState !== this.ws.OPEN) return false
    if (this.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.logger.warn({ conn: this.id, buffered: this.ws.bufferedAmount }, 'dropping a WebSocket client that does not read its messages')
      this.terminate()
      return false
    }
    this.ws.send(text)
    return true
  }

  private onMessage(data: RawData): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    const text = buf.toString('utf8')
    this.inFlight++
    if (this.inFlight >= MAX_IN_FLIGHT) this.ws.pause()
    this.handle(text)
      .catch((err: unknown) => this.logger.error({ conn: this.id, err }, 'WebSocket message handling failed'))
      .finally(() => {
        this.inFlight--
        if (this.ws.isPaused && this.inFlight < MAX_IN_FLIGHT) this.ws.resume()
      })
  }

  private async handle(text: string): Promise<void> {
    // Subscriptions made by successful calls of this message go live once its response is out.
    const created: Subscription[] = []
    const out = await this.dispatcher.handle(text, () => this.openCall(created), this.opts.caller)
    if (out !== undefined) this.send(out)
    for (const sub of created) this.activate(sub)
  }

  private openCall(created: Subscription[]): CallScope {
    const call: CallState = { ended: false, mine: [] }
    const ctx = { transport: 'ws' as const, connection: new CallView(this, call), ...(this.opts.caller ? { caller: this.opts.caller } : {}) }
    return {
      ctx: this.remoteAddress !== undefined ? { ...ctx, remoteAddress: this.remoteAddress } : ctx,
      end: (ok) => {
        call.ended = true
        if (ok) created.push(...call.mine)
        // A failed call's subscriptions were never announced to the client: drop them.
        else for (const sub of call.mine) this.unsubscribe(sub.id)
      },
    }
  }
}

interface CallState {
  ended: boolean
  mine: Subscription[]
}

/**
 * The connection as one call sees it: subscriptions it makes are held back until the call's
 * response is written (made after the call ended, they are live at once).
 */
class CallView implements RpcConnection {
  constructor(
    private readonly conn: WsConnection,
    private readonly call: CallState,
  ) {}

  get id(): string {
    return this.conn.id
  }

  get remoteAddress(): string | undefined {
    return this.conn.remoteAddress
  }

  get closed(): boolean {
    return this.conn.closed
  }

  get subscriptionCount(): number {
    return this.conn.subscriptionCount
  }

  subscribe(kind: string, unsubscribe: () => void): string {
    const sub = this.conn.addSubscription(kind, unsubscribe, this.call.ended)
    if (!this.call.ended) this.call.mine.push(sub)
    return sub.id
  }

  notify(subscriptionId: string, result: unknown): boolean {
    return this.conn.notify(subscriptionId, result)
  }

  unsubscribe(subscriptionId: string): boolean {
    return this.conn.unsubscribe(subscriptionId)
  }
}
