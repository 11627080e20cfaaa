/**
 * One WebSocket JSON-RPC connection: reads messages, hands them to the dispatcher, writes the
 * answers, and owns the connection's subscriptions (their teardown on close is this file's job).
 * It knows nothing of HTTP or of what a subscription is about.
 *
 * Work is bounded per connection (issue #9: 100 clients that stopped reading kept the node busy
 * with their queued batches until it died): messages are answered one at a time in arrival order
 * from a small queue; when the queue is full the socket is not read (TCP pushes back on the
 * client); while the client leaves more than `maxBufferedBytes` unread, nothing more is answered;
 * and on close the queue is dropped and the batch in progress stops at its next item.
 */
import { randomBytes } from 'node:crypto'
import type { RawData, WebSocket } from 'ws'
import { QuorateError } from '../errors.js'
import type { Logger } from '../ops/logger.js'
import { stringifyJson, type CallScope, type RpcDispatcher } from './dispatch.js'
import type { ResponseBudget } from './limits.js'
import type { RpcCaller, RpcConnection } from './types.js'

export const DEFAULT_WS_MAX_QUEUED_MESSAGES = 16
export const DEFAULT_WS_MAX_QUEUED_BYTES = 1024 * 1024

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
  /**
   * While more than this waits to be sent, no further message is answered; a subscription
   * notification finding more than this plus `maxResponseBytes` unsent drops the client.
   */
  maxBufferedBytes: number
  /** Who opened the connection (authenticated once, at the upgrade); checked before each call. */
  caller?: RpcCaller
  /** Largest response (rpc.maxResponseBytes): one may sit in the send buffer on top of the above. */
  maxResponseBytes: number
  /** Messages waiting to be answered, at most (beyond it the socket is not read). */
  maxQueuedMessages: number
  /** Bytes of messages waiting to be answered, at most (one message is always accepted). */
  maxQueuedBytes: number
  /** The budget of one message's response. */
  budget: () => ResponseBudget
  /** Waits for a work slot of the client's address; returns its release. */
  slot: () => Promise<() => void>
  /** True while the node-wide memory of unsent responses is taken: a client with unsent data then waits. */
  memoryFull: () => boolean
}

export class WsConnection implements RpcConnection {
  readonly id: string
  readonly remoteAddress: string | undefined
  /** Cleared by each ping, set by each pong: the server's heartbeat drops dead peers. */
  alive = true
  private readonly subs = new Map<string, Subscription>()
  private isClosed = false
  private readonly queue: { text: string; bytes: number }[] = []
  private queuedBytes = 0
  private working = false
  private readonly abort = new AbortController()
  /** Resolved when a send is flushed or the connection closes: the queue waits on it while the client is behind. */
  private flushWaiters: (() => void)[] = []
  private readonly pendingReleases = new Set<() => void>()
  /** For the server's stall check: bytes unsent at the last check and since when nothing moved. */
  private lastBuffered = 0
  private stalledSince = 0

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
    return this.sendNotification(text)
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

  /** Bytes the client has not taken yet (ws's buffer and the socket's). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  /**
   * True when something waits to be sent and nothing has moved for `timeoutMs` (the client stopped
   * reading). The server calls this periodically and drops such clients.
   */
  stalled(now: number, timeoutMs: number): boolean {
    const buffered = this.ws.bufferedAmount
    if (buffered === 0 || this.lastBuffered === 0 || buffered < this.lastBuffered) this.stalledSince = now
    this.lastBuffered = buffered
    return buffered > 0 && now - this.stalledSince > timeoutMs
  }

  /** Tears down every subscription and drops queued work; called when the socket closes (idempotent). */
  dispose(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.abort.abort()
    this.queue.length = 0
    this.queuedBytes = 0
    this.wakeFlushWaiters()
    for (const release of [...this.pendingReleases]) release()
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
    for (const text of held) if (!this.sendNotification(text)) return
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

  /** A notification for a client that lets too much pile up unsent drops it: it is not reading. */
  private sendNotification(text: string): boolean {
    if (this.ws.bufferedAmount > this.opts.maxBufferedBytes + this.opts.maxResponseBytes) {
      this.logger.warn({ conn: this.id, remote: this.remoteAddress, buffered: this.ws.bufferedAmount }, 'dropping a WebSocket client that does not read its messages')
      this.terminate()
      return false
    }
    return this.send(text)
  }

  /** `onFlushed` runs once: when the text is handed to the OS, when sending fails, or at close. */
  private send(text: string, onFlushed?: () => void): boolean {
    let done = false
    const flushed = (): void => {
      if (done) return
      done = true
      this.pendingReleases.delete(flushed)
      onFlushed?.()
      this.wakeFlushWaiters()
    }
    if (this.isClosed || this.ws.readyState !== this.ws.OPEN) {
      flushed()
      return false
    }
    this.pendingReleases.add(flushed)
    this.ws.send(text, flushed)
    return true
  }

  private wakeFlushWaiters(): void {
    const waiters = this.flushWaiters
    this.flushWaiters = []
    for (const wake of waiters) wake()
  }

  private onMessage(data: RawData): void {
    if (this.isClosed) return
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    this.queue.push({ text: buf.toString('utf8'), bytes: buf.length })
    this.queuedBytes += buf.length
    if (this.queueFull()) this.ws.pause()
    if (!this.working) void this.work()
  }

  private queueFull(): boolean {
    return this.queue.length >= this.opts.maxQueuedMessages || this.queuedBytes >= this.opts.maxQueuedBytes
  }

  /** Answers queued messages one at a time, in arrival order, while the client keeps up. */
  private async work(): Promise<void> {
    this.working = true
    try {
      while (this.queue.length > 0 && !this.isClosed) {
        const buffered = this.ws.bufferedAmount
        if (buffered > this.opts.maxBufferedBytes || (buffered > 0 && this.opts.memoryFull())) {
          // The client is behind: answer nothing more until it reads (or the stall check drops it).
          // (Re-checked every 250 ms too: a ping in the buffer has no send callback to wake us.)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 250)
            this.flushWaiters.push(() => {
              clearTimeout(timer)
              resolve()
            })
          })
          continue
        }
        const { text, bytes } = this.queue.shift()!
        this.queuedBytes -= bytes
        if (this.ws.isPaused && !this.queueFull()) this.ws.resume()
        await this.handle(text).catch((err: unknown) => this.logger.error({ conn: this.id, err }, 'WebSocket message handling failed'))
      }
    } finally {
      this.working = false
    }
  }

  private async handle(text: string): Promise<void> {
    // Subscriptions made by successful calls of this message go live once its response is out.
    const created: Subscription[] = []
    const release = await this.opts.slot()
    if (this.isClosed) return release()
    const budget = this.opts.budget()
    try {
      const out = await this.dispatcher.handle(text, () => this.openCall(created), { signal: this.abort.signal, budget, ...(this.opts.caller ? { caller: this.opts.caller } : {}) })
      if (out !== undefined) {
        budget.settle(Buffer.byteLength(out))
        this.send(out, () => budget.release())
      } else budget.release()
    } catch (err) {
      budget.release()
      throw err
    } finally {
      release()
    }
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
