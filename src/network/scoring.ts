/**
 * Misbehaviour points per node address, kept across reconnects. Points decay linearly over time; a
 * node that reaches the threshold is banned for a while (the host then disconnects it and refuses
 * its handshakes with BANNED). Owns no sockets: the host acts on what `penalise` returns.
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

  /** Adds points; returns true when this pushed the node over the threshold and it is now banned. */
  penalise(address: Address, reason: string, points: number): boolean {
    this.penaltiesByReason.set(reason, (this.penaltiesByReason.get(reason) ?? 0) + 1)
    const total = this.score(address) + Math.max(0, points)
    this.records.set(address, { points: total, updatedAt: this.now() })
    if (total >= this.opts.banThreshold) {
      this.bans.set(address, this.now() + this.opts.banDurationMs)
      this.records.delete(address)
      return true
    }
    return false
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

  unban(address: Address): void {
    this.bans.delete(address)
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
