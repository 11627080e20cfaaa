/**
 * Keeps one static peer connected: dials, and after a failure or a disconnect dials again with
 * exponential backoff and jitter, capped. Idle while the node is connected to that peer in either
 * direction (the host tells it when that ends). Owns its timer only; dialling is passed in.
 */
import type { Logger } from '../ops/logger.js'
import type { Address } from '../types.js'
import { HandshakeError } from './errors.js'

export interface StaticPeer {
  /** wss://host:port */
  url: string
  /** The node address expected at this URL; a different node there is refused (UNEXPECTED_PEER). */
  address?: Address
}

export interface BackoffOptions {
  /** First retry delay (default 1 s). */
  baseMs: number
  /** Cap (default 60 s). */
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60_000 }

/**
 * Delay before retry number `attempt` (0 after a clean disconnect): min(max, base * 2^attempt),
 * "equal jitter" (half fixed, half random) so restarted nodes do not redial in lockstep.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30))
  return Math.round(exp / 2 + random() * (exp / 2))
}

export interface DialerDeps {
  dial: (peer: StaticPeer) => Promise<Address>
  isConnected: (address: Address) => boolean
  backoff: BackoffOptions
  logger: Logger
  random?: () => number
  now?: () => number
}

/** The last failed dial of a static peer since it was last connected. */
export interface DialFailure {
  url: string
  /** The error, e.g. the proxy's refusal of CONNECT. */
  error: string
  /** Failed dials in a row. */
  attempts: number
  /** When the first of them failed (ms since epoch). */
  since: number
}

export class StaticPeerDialer {
  private attempt = 0
  private failure: DialFailure | undefined
  private timer: NodeJS.Timeout | undefined
  private state: 'idle' | 'scheduled' | 'dialing' | 'connected' | 'stopped' = 'idle'
  private learned: Address | undefined

  constructor(
    readonly peer: StaticPeer,
    private readonly deps: DialerDeps,
  ) {
    this.learned = peer.address?.toLowerCase() as Address | undefined
  }

  /** The address of the node at this URL, configured or learned from a handshake. */
  get target(): Address | undefined {
    return this.learned
  }

  /** Why dialling this peer fails, while it does (cleared by a connection). */
  get lastFailure(): DialFailure | undefined {
    // The peer may have dialled this node meanwhile.
    if (this.failure && this.learned && this.deps.isConnected(this.learned)) this.failure = undefined
    return this.failure
  }

  /** Starts (or, after stop(), restarts) dialling now. */
  start(): void {
    if (this.state !== 'idle' && this.state !== 'stopped') return
    this.state = 'idle'
    this.schedule(0)
  }

  stop(): void {
    this.state = 'stopped'
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** The host lost its connection to `address`; redial if that is our peer. */
  onDisconnected(address: Address): void {
    if (this.state !== 'connected' || address !== this.learned) return
    this.schedule(backoffDelay(this.attempt, this.deps.backoff, this.deps.random))
  }

  private schedule(delayMs: number): void {
    if (this.state === 'stopped') return
    clearTimeout(this.timer)
    this.state = 'scheduled'
    this.timer = setTimeout(() => this.tick(), delayMs)
  }

  private tick(): void {
    this.timer = undefined
    if (this.state === 'stopped') return
    if (this.learned && this.deps.isConnected(this.learned)) {
      this.state = 'connected'
      this.failure = undefined
      return
    }
    this.state = 'dialing'
    this.deps.dial(this.peer).then(
      (address) => {
        if (this.state === 'stopped') return
        this.learned = address
        this.attempt = 0
        this.failure = undefined
        this.state = 'connected'
        // It may have dropped again before this continuation ran.
        if (!this.deps.isConnected(address)) this.onDisconnected(address)
      },
      (err: unknown) => {
        if (this.state === 'stopped') return
        if (err instanceof HandshakeError && err.peerAddress && !this.peer.address) this.learned = err.peerAddress
        if (err instanceof HandshakeError && err.reason === 'SELF') {
          this.deps.logger.warn({ url: this.peer.url }, 'static peer is this node itself; not dialling it again')
          this.stop()
          return
        }
        if (err instanceof HandshakeError && err.reason === 'DUPLICATE' && this.learned && this.deps.isConnected(this.learned)) {
          this.state = 'connected'
          this.failure = undefined
          return
        }
        this.attempt++
        const delay = backoffDelay(this.attempt, this.deps.backoff, this.deps.random)
        const message = err instanceof Error ? err.message : String(err)
        const fields = { url: this.peer.url, attempt: this.attempt, delay, err: message }
        // An operator must see why a peer cannot be reached (a proxy refusing CONNECT, a firewall):
        // warn when that starts or its cause changes, not at every retry.
        if (this.failure?.error !== message) this.deps.logger.warn(fields, 'cannot connect to static peer; retrying')
        else this.deps.logger.debug(fields, 'dial failed')
        this.failure = { url: this.peer.url, error: message, attempts: this.attempt, since: this.failure?.since ?? (this.deps.now ?? Date.now)() }
        this.schedule(delay)
      },
    )
  }
}
