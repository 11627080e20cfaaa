/** The history ring: per-interval blocks, transactions, mean block time and peers; bounded. */
import { describe, expect, it } from 'vitest'
import { ChainHistory } from '../../../src/ops/history.js'

describe('ChainHistory', () => {
  it('sums blocks and transactions per interval and averages the time between blocks', () => {
    const h = new ChainHistory(10, 0)
    h.onBlock(2, 1000)
    h.onBlock(0, 1500)
    h.onBlock(5, 2500)
    const s = h.sample(10_000, 3, 3)
    expect(s).toEqual({ at: 10_000, head: 3, blocks: 3, txs: 7, blockTimeMs: 750, peers: 3, intervalMs: 10_000 })
    // A stalled interval is a sample of zero blocks, not a gap.
    expect(h.sample(20_000, 3, 1)).toEqual({ at: 20_000, head: 3, blocks: 0, txs: 0, blockTimeMs: null, peers: 1, intervalMs: 10_000 })
    // The gap across intervals counts in the interval of the later block.
    h.onBlock(1, 21_500)
    expect(h.sample(30_000, 4, 3).blockTimeMs).toBe(19_000)
  })

  it('keeps only the newest `capacity` samples, oldest first, and filters by time', () => {
    const h = new ChainHistory(3, 0)
    for (let i = 1; i <= 5; i++) h.sample(i * 1000, i, 0)
    expect(h.samples().map((s) => s.at)).toEqual([3000, 4000, 5000])
    expect(h.samples(3000).map((s) => s.at)).toEqual([4000, 5000])
  })
})
