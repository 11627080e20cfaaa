import { describe, expect, it } from 'vitest'
import { Pacer } from '../../../src/util/pacer.js'

/** Runs on the CPU (no turn of the event loop) until `ms` have passed. */
function work(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy
  }
}

/** A flag set by the event loop's next check phase (setImmediate): it is set only if the caller let the loop turn. */
function nextTurn(): { ran: boolean } {
  const flag = { ran: false }
  setImmediate(() => (flag.ran = true))
  return flag
}

describe('Pacer', () => {
  it('lets the event loop turn once a slice has run its time, and counts the time away', async () => {
    // A slice long enough that the turn itself (slow on a loaded machine) cannot use it all up.
    const pacer = new Pacer(50)
    pacer.start()
    work(60)
    const turn = nextTurn()
    await pacer.pace()
    expect(turn.ran).toBe(true)
    expect(pacer.awayMs).toBeGreaterThan(0)
    // A new slice starts after the turn: right after it, no further turn.
    const again = nextTurn()
    await pacer.pace()
    expect(again.ran).toBe(false)
  })

  it('does not yield before the slice has run its time', async () => {
    const pacer = new Pacer(60_000)
    pacer.start()
    work(2)
    const turn = nextTurn()
    await pacer.pace()
    expect(turn.ran).toBe(false)
    expect(pacer.awayMs).toBe(0)
  })

  it('never yields with a slice of 0 (unpaced)', async () => {
    const pacer = new Pacer(0)
    pacer.start()
    work(2)
    const turn = nextTurn()
    await pacer.pace()
    expect(turn.ran).toBe(false)
  })
})
