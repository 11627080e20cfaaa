/**
 * A short soak in the default suite: four validator processes under load, a partition (through the
 * soak's relays) and a node killed with its chain folder wiped, then the same invariants as
 * `npm run soak`: no fork, every acknowledged transfer on every node, liveness back after each heal
 * (here within 30 s, as the default suite shares the cores; `npm run soak` holds it to 10 s) and the
 * faulted nodes caught up. The full soak (20 minutes, every fault kind, a full disk) runs behind its
 * own script.
 */
import { afterAll, describe, expect, it, onTestFailed } from 'vitest'
import { runSoak, type SoakResult } from '../../soak/soak.js'

// On a timeout the soak is told to stop and awaited, so that its node processes are stopped.
const abort = new AbortController()
let soak: Promise<SoakResult> | undefined
afterAll(async () => {
  abort.abort()
  await soak?.catch(() => undefined)
})

describe('short soak', () => {
  it('a partition and a wiped node: no fork, no lost transaction, liveness back after each heal', async () => {
    const lines: string[] = []
    // What the soak did, when the test fails (also on a timeout).
    onTestFailed(() => console.error(lines.join('\n')))
    soak = runSoak({
      // The two faults end it; the time is only an upper bound (a loaded machine boots nodes slowly).
      minutes: 5,
      seed: 1,
      validators: 4,
      senders: 3,
      kinds: ['partition', 'wipe'],
      maxFaults: 2,
      blockPeriodMs: 500,
      gapMs: [1000, 1500],
      holdMs: [2000, 2500],
      // The suite runs beside other files on shared cores: it checks that liveness comes back, while
      // `npm run soak` holds it to the 10 s bound.
      livenessLimitMs: 30_000,
      log: (line) => lines.push(line),
      signal: abort.signal,
    })
    const result = await soak
    const context = `${result.violations.join('\n')}\n${lines.join('\n')}`
    expect(result.violations, context).toEqual([])
    expect(result.faults, context).toMatchObject({ partition: 1, wipe: 1, kill: 0, pause: 0, 'disk-full': 0 })
    expect(result.recoveries).toHaveLength(2)
    for (const r of result.recoveries) expect(r.catchUpMs, context).toBeDefined()
    expect(result.acknowledged, context).toBeGreaterThan(0)
    expect(result.lost).toEqual([])
    expect(result.forks).toEqual([])
    expect(result.files).toBeUndefined()
  }, 180_000)
})
