/**
 * Live heads over WebSocket: `eth_subscribe("newHeads")` on the node serving the page, re-opened
 * with a capped backoff whenever the socket drops (node restart, proxy timeout, network change).
 * It reports its state so the page can say whether what it shows is live.
 */
import type { RpcHead } from './types.js'

export type LiveState = 'connecting' | 'live' | 'reconnecting'

export interface LiveStatus {
  state: LiveState
  /** Failed or dropped connections since the last successful subscription. */
  attempts: number
  /** When the next attempt starts (ms since epoch), while reconnecting. */
  retryAt?: number
  lastError?: string
}

export interface LiveHeadsOptions {
  url: string
  onHead: (head: RpcHead, receivedAt: number) => void
  onStatus: (status: LiveStatus) => void
  /** First retry delay; doubles per failure up to maxDelayMs. */
  minDelayMs?: number
  maxDelayMs?: number
}

interface SubscriptionMessage {
  id?: number
  result?: unknown
  error?: { code: number; message: string }
  method?: string
  params?: { subscription: string; result: RpcHead }
}

export class LiveHeads {
  private ws: WebSocket | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private attempts = 0
  private closed = false
  private subscription: string | undefined

  constructor(private readonly opts: LiveHeadsOptions) {}

  start(): void {
    this.closed = false
    this.connect()
  }

  stop(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.ws?.close()
    this.ws = undefined
  }

  private connect(): void {
    if (this.closed) return
    this.opts.onStatus({ state: this.attempts === 0 ? 'connecting' : 'reconnecting', attempts: this.attempts })
    let ws: WebSocket
    try {
      ws = new WebSocket(this.opts.url)
    } catch (err) {
      this.retry(err instanceof Error ? err.message : String(err))
      return
    }
    this.ws = ws
    this.subscription = undefined
    ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return
      let msg: SubscriptionMessage
      try {
        msg = JSON.parse(ev.data) as SubscriptionMessage
      } catch {
        return
      }
      if (msg.id === 1) {
        if (msg.error || typeof msg.result !== 'string') {
          ws.close()
          return
        }
        this.subscription = msg.result
        this.attempts = 0
        this.opts.onStatus({ state: 'live', attempts: 0 })
      } else if (msg.method === 'eth_subscription' && msg.params && msg.params.subscription === this.subscription) {
        this.opts.onHead(msg.params.result, Date.now())
      }
    }
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return
      this.ws = undefined
      this.retry(ev.reason || `connection closed (code ${ev.code})`)
    }
    // An error is always followed by close, which schedules the retry.
    ws.onerror = () => {}
  }

  private retry(reason: string): void {
    if (this.closed) return
    this.attempts++
    const min = this.opts.minDelayMs ?? 500
    const max = this.opts.maxDelayMs ?? 10_000
    const delay = Math.min(max, min * 2 ** Math.min(this.attempts - 1, 10))
    this.opts.onStatus({ state: 'reconnecting', attempts: this.attempts, retryAt: Date.now() + delay, lastError: reason })
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.connect(), delay)
  }
}
