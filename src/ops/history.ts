/**
 * A short history of the chain as this node lived it, for the dashboard's chart: one sample every
 * `intervalMs` (default 10 s) in a ring of `capacity` samples (default 360: one hour). Each sample
 * holds the blocks and transactions made final here since the previous one, the mean time between
 * those blocks (arrival here, ms resolution) and the peers connected at sampling time. A sample of
 * a stalled chain shows 0 blocks, not a gap. In memory only: it restarts empty with the node.
 */

export interface HistorySample {
  /** End of the interval, ms. */
  at: number
  /** Head at sampling time. */
  head: number
  /** Blocks made final in the interval. */
  blocks: number
  /** Transactions in those blocks. */
  txs: number
  /** Mean ms between consecutive blocks in the interval; null with fewer than one gap. */
  blockTimeMs: number | null
  peers: number
  /** Interval length, ms (the first sample's may be shorter). */
  intervalMs: number
}

export const DEFAULT_HISTORY_INTERVAL_MS = 10_000
export const DEFAULT_HISTORY_CAPACITY = 360

export class ChainHistory {
  private readonly ring: HistorySample[] = []
  private blocks = 0
  private txs = 0
  private gaps = 0
  private gapTotal = 0
  private lastBlockAt: number | undefined
  private intervalStart: number

  constructor(
    readonly capacity = DEFAULT_HISTORY_CAPACITY,
    start = Date.now(),
  ) {
    this.intervalStart = start
  }

  /** A block made final here at `at` (ms) holding `txs` transactions. */
  onBlock(txs: number, at: number): void {
    this.blocks++
    this.txs += txs
    if (this.lastBlockAt !== undefined) {
      this.gaps++
      this.gapTotal += at - this.lastBlockAt
    }
    this.lastBlockAt = at
  }

  /** Closes the interval ending at `at`. */
  sample(at: number, head: number, peers: number): HistorySample {
    const s: HistorySample = {
      at,
      head,
      blocks: this.blocks,
      txs: this.txs,
      blockTimeMs: this.gaps > 0 ? Math.round(this.gapTotal / this.gaps) : null,
      peers,
      intervalMs: at - this.intervalStart,
    }
    this.ring.push(s)
    if (this.ring.length > this.capacity) this.ring.shift()
    this.blocks = this.txs = this.gaps = this.gapTotal = 0
    this.intervalStart = at
    return s
  }

  /** Samples oldest first, those after `since` (ms) when given. */
  samples(since?: number): HistorySample[] {
    return since === undefined ? [...this.ring] : this.ring.filter((s) => s.at > since)
  }
}
