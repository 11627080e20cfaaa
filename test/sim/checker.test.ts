/**
 * The simulation's checks can fail: with a broken quorum (f + 1 instead of 2f + 1) and an
 * equivocating proposer, honest nodes decide different blocks and the safety checker says so.
 * Also: a run is fully determined by its seed.
 */
import { describe, expect, it } from 'vitest'
import { maxFaulty } from '../../src/consensus/qbft/index.js'
import { runCampaign } from './run.js'
import { randomScenario } from './scenario.js'
import { simulate } from './simulator.js'

describe('qbft simulation checker', () => {
  it('detects conflicting decisions when the quorum is broken (negative control)', () => {
    const broken = (n: number) => maxFaulty(n) + 1
    for (const n of [4, 7]) {
      const seeds = Array.from({ length: 12 }, (_, i) => i + 1)
      const c = runCampaign(n, seeds, { byzantine: n === 4 ? 1 : 2, byzantineMode: 'equivocate', quorum: broken })
      const withConflicts = c.results.filter((r) => r.conflicts.length > 0)
      // Deterministic per seed; at least a quarter of the seeds end in conflicting decisions.
      expect(withConflicts.length).toBeGreaterThanOrEqual(3)
      expect(withConflicts[0]!.conflicts[0]).toMatch(/^t=\d+ height \d+: node \d+ has block 0x[0-9a-f]{64}, node \d+ has 0x[0-9a-f]{64}$/)
      expect(c.failures.length).toBeGreaterThanOrEqual(withConflicts.length)
      expect(c.failures[0]).toContain('replay: QBFT_SIM_SEED=')
    }
  })

  it('is deterministic: the same seed gives the same run', () => {
    const run = () => {
      const r = simulate(randomScenario(7, 4))
      return { heights: r.heights, rounds: [...r.commitRounds], events: r.events, reports: [...r.byzantineReports], liveness: r.liveness }
    }
    const first = run()
    expect(run()).toEqual(first)
    expect(first.events).toBeGreaterThan(100)
  })
})
