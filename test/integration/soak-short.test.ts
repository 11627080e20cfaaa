/**
 * A short soak in the default suite: four validator processes under load, a partition (through the
 * soak's relays) and a node killed with its chain folder wiped, then the same invariants as
 * `npm run soak`: no fork, every acknowledged transfer on every node, a new block within 10 s of
 * each heal and the faulted nodes caught up. The full soak (20 minutes, every fault kind, a full
 * disk) runs behind its own script.
 */
import { describe, expect, it } from 'vitest'
import { runSoak } from '../../soak/soak.js'

describe('short soak', () => {
  it('a partition and a wiped node: no fork, no lost transaction, liveness back after each heal', async () => {
    const lines: string[] = []
    const result = await runSoak({
      minutes: 1,
      seed: 1,
      validators: 4,
      senders: 3,
      kinds: ['partition', 'wipe'],
      maxFaults: 2,
      blockPeriodMs: 500,
      gapMs: [1000, 1500],
      holdMs: [2000, 2500],
      log: (line) => lines.push(line),
    })
    const context = `${result.violations.join('\n')}\n${lines.join('\n')}`
    expect(result.violations, context).toEqual([])
    expect(result.faults, context).toMatchObject({ partition: 1, wipe: 1, kill: 0, pause: 0, 'disk-full': 0 })
    expect(result.recoveries).toHaveLength(2)
    for (const r of result.recoveries) expect(r.livenessMs, context).toBeLessThanOrEqual(result.limits.livenessMs)
    expect(result.acknowledged, context).toBeGreaterThan(0)
    expect(result.lost).toEqual([])
    expect(result.forks).toEqual([])
    expect(result.files).toBeUndefined()
  }, 120_000)
})
