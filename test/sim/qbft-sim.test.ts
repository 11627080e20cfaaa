/**
 * Seeded network simulation of QBFT (see simulator.ts): safety and liveness over hundreds of random
 * fault scenarios for n = 4 and n = 7, with byzantine equivocating proposers, crashes, restarts
 * with empty memory, drops, delays, reordering, partitions that heal and a split-brain network.
 */
import { describe, expect, it } from 'vitest'
import { runCampaign, seedsFor, type Campaign } from './run.js'

function sum(c: Campaign, f: (r: Campaign['results'][number]) => number): number {
  return c.results.reduce((acc, r) => acc + f(r), 0)
}

describe('qbft simulation', () => {
  it('a fault-free network decides every height in round 0', () => {
    for (const n of [4, 7]) {
      const c = runCampaign(n, seedsFor(n, 1, 3), { byzantine: 0, crashes: false, networkFaults: false })
      expect(c.failures).toEqual([])
      for (const r of c.results) expect([...r.commitRounds.keys()]).toEqual([0])
    }
  })

  for (const [n, seeds] of [
    [4, 200],
    [7, 100],
  ] as const) {
    it(`n=${n}: no two honest nodes ever decide different blocks, and all decide again after GST (${seeds} seeds)`, () => {
      const c = runCampaign(n, seedsFor(n, 1, seeds))
      // One line per failing seed, with the command that replays it.
      expect(c.failures, c.failures.join('\n\n')).toEqual([])
      if (c.results.length < seeds) return // a single replayed seed
      // The runs did meet the faults they claim to cover.
      expect(sum(c, (r) => r.byzantineReports.get('EQUIVOCATION') ?? 0)).toBeGreaterThan(0)
      expect(sum(c, (r) => r.carriedAcrossRounds)).toBeGreaterThan(0)
      expect(sum(c, (r) => [...r.commitRounds.keys()].filter((round) => round > 0).length)).toBeGreaterThan(0)
      expect(c.results.some((r) => r.scenario.crashes.some((x) => x.restartAt !== undefined))).toBe(true)
      expect(c.results.some((r) => r.scenario.partitions.length > 0)).toBe(true)
    })
  }
})
