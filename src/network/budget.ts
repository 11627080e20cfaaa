/**
 * Per-peer budgets for unsolicited traffic: token buckets for the bytes of messages and gossip a
 * peer sends, the requests it makes, and the bytes this node serves it in answers (block sync).
 * A peer over a budget gets its frames dropped (the host penalises it); a throttled peer (a
 * validator past the ban threshold, which is never banned) gets only `throttledShare` of each.
 *
 * Pure bookkeeping with an injectable clock: it owns no sockets and decides nothing about peers.
 */

export interface PeerBudgetOptions {
  /** Bytes of MESSAGE and GOSSIP frames per second a peer may send (default 8 MiB/s). */
  gossipBytesPerSecond: number
  /** Bytes a peer may send at once above the rate (default 32 MiB; at least one largest frame). */
  gossipBurstBytes: number
  /** Requests per second a peer may make (default 50). */
  requestsPerSecond: number
  requestBurst: number
  /** Bytes of answers this node serves a peer per second (default 16 MiB/s). */
  servedBytesPerSecond: number
  servedBurstBytes: number
  /** Share of every budget left to a throttled peer (default 0.25). */
  throttledShare: number
}

export const DEFAULT_PEER_BUDGET: PeerBudgetOptions = {
  gossipBytesPerSecond: 8 * 1024 * 1024,
  gossipBurstBytes: 32 * 1024 * 1024,
  requestsPerSecond: 50,
  requestBurst: 500,
  servedBytesPerSecond: 16 * 1024 * 1024,
  servedBurstBytes: 64 * 1024 * 1024,
  throttledShare: 0.25,
}

export type BudgetKind = 'GOSSIP_BYTES' | 'REQUESTS' | 'SERVED_BYTES'

/** A token bucket that may go into debt (an answer is counted after it was built). */
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst
    this.updatedAt = now()
  }

  /** Tokens now, with the bucket capped at `share` of its burst (1 = full budget). */
  available(share = 1): number {
    const now = this.now()
    const cap = this.burst * share
    this.tokens = Math.min(cap, this.tokens + ((now - this.updatedAt) / 1000) * this.rate * share)
    this.updatedAt = now
    return this.tokens
  }

  /** Takes `n` tokens if there are that many; false (nothing taken) if not. */
  take(n: number, share = 1): boolean {
    if (this.available(share) < n) return false
    this.tokens -= n
    return true
  }

  /** Takes `n` tokens whatever is left (the bucket may go below 0 and refills from there). */
  spend(n: number, share = 1): void {
    this.available(share)
    this.tokens -= n
  }

  /** Whether the bucket is full again (nothing to remember about this peer). */
  isFull(): boolean {
    return this.available() >= this.burst
  }
}

export class PeerBudget {
  private readonly gossip: TokenBucket
  private readonly requests: TokenBucket
  private readonly served: TokenBucket

  constructor(opts: PeerBudgetOptions, now: () => number = Date.now) {
    this.gossip = new TokenBucket(opts.gossipBytesPerSecond, opts.gossipBurstBytes, now)
    this.requests = new TokenBucket(opts.requestsPerSecond, opts.requestBurst, now)
    this.served = new TokenBucket(opts.servedBytesPerSecond, opts.servedBurstBytes, now)
  }

  /** Accounts an inbound message or gossip frame of `bytes`; false = over budget, drop it. */
  takeGossip(bytes: number, share = 1): boolean {
    return this.gossip.take(bytes, share)
  }

  /** Accounts one inbound request; returns the budget it exceeds (drop it), or undefined to serve it. */
  takeRequest(share = 1): Exclude<BudgetKind, 'GOSSIP_BYTES'> | undefined {
    if (this.served.available(share) <= 0) return 'SERVED_BYTES'
    return this.requests.take(1, share) ? undefined : 'REQUESTS'
  }

  /** Counts the bytes of an answer sent to the peer. */
  spendServed(bytes: number, share = 1): void {
    this.served.spend(bytes, share)
  }

  isFull(): boolean {
    return this.gossip.isFull() && this.requests.isFull() && this.served.isFull()
  }
}
