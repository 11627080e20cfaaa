/**
 * Misbehaviour points per node address, kept across reconnects. Points decay linearly over time; a
 * node that reaches the threshold is banned for a while (the host then disconnects it and refuses
 * its handshakes with BANNED). A protected node (a current validator: banning validators can cut a
 * node from the quorum it needs) is throttled for the same while instead: it stays connected and the
 * host drops its traffic beyond a reduced budget. Owns no sockets: the host acts on what `penalise`
 * returns.
 */
import type { Address } from '../types.js'

export interface ScoringOptions {
  /** Points at which a node is disconnected and banned (default 100). */
  banThreshold: number
  /** How long a ban lasts (default 10 minutes). */
  banDurationMs: number
  /** Points forgiven per second of good behaviour (default 1). */
  decayPerSecond: number
}

export const DEFAULT_SCORING: ScoringOptions = { banThreshold: 100, banDurationMs: 10 * 60_000, decayPerSecond: 1 }

interface ScoreRecord {
  points: number
  updatedAt: number
}

export class PeerScores {
  private readonly records = new Map<Address, ScoreRecord>()
  private readonly bans = new Map<Address, number>()
  private readonly throttles = new Map<Address, number>()
  readonly penaltiesByReason = new Map<string, number>()

  constructor(
    private readonly opts: ScoringOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Current points of `address` after decay (0 = clean). */
  score(address: Address): number {
    const rec = this.records.get(address)
    if (!rec) return 0
    const now = this.now()
    const points = Math.max(0, rec.points - ((now - rec.updatedAt) / 1000) * this.opts.decayPerSecond)
    if (points === 0) {
      this.records.delete(address)
      return 0
    }
    rec.points = points
    rec.updatedAt = now
    return points
  }

  /**
   * Adds points. Returns 'banned' (or 'throttled' for a `protected` node) when this pushed the node
   * over the threshold, else undefined. Points start again from 0 after either.
   */
  penalise(address: Address, reason: string, points: number, opts: { protected?: boolean } = {}): 'banned' | 'throttled' | undefined {
    this.penaltiesByReason.set(reason, (this.penaltiesByReason.get(reason) ?? 0) + 1)
    const total = this.score(address) + Math.max(0, points)
    this.records.set(address, { points: total, updatedAt: this.now() })
    if (total < this.opts.banThreshold) return undefined
    this.records.delete(address)
    const until = this.now() + this.opts.banDurationMs
    if (opts.protected) {
      this.throttles.set(address, until)
      return 'throttled'
    }
    this.bans.set(address, until)
    return 'banned'
  }

  /** Throttle expiry time (ms since epoch) if `address` is throttled now. */
  throttledUntil(address: Address): number | undefined {
    const until = this.throttles.get(address)
    if (until === undefined) return undefined
    if (until <= this.now()) {
      this.throttles.delete(address)
      return undefined
    }
    return until
  }

  throttled(): { address: Address; until: number }[] {
    const out: { address: Address; until: number }[] = []
    for (const address of [...this.throttles.keys()]) {
      const until = this.throttledUntil(address)
      if (until !== undefined) out.push({ address, until })
    }
    return out
  }

  /** Ban expiry time (ms since epoch) if `address` is banned now. */
  bannedUntil(address: Address): number | undefined {
    const until = this.bans.get(address)
    if (until === undefined) return undefined
    if (until <= this.now()) {
      this.bans.delete(address)
      return undefined
    }
    return until
  }

  /** Lifts a ban or a throttle (operator action). */
  unban(address: Address): void {
    this.bans.delete(address)
    this.throttles.delete(address)
  }

  /** Nodes with points now (penalised but not banned). */
  penalised(): { address: Address; score: number }[] {
    const out: { address: Address; score: number }[] = []
    for (const address of [...this.records.keys()]) {
      const score = this.score(address)
      if (score > 0) out.push({ address, score })
    }
    return out
  }

  banned(): { address: Address; until: number }[] {
    const out: { address: Address; until: number }[] = []
    for (const address of [...this.bans.keys()]) {
      const until = this.bannedUntil(address)
      if (until !== undefined) out.push({ address, until })
    }
    return out
  }
}
