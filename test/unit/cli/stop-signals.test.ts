/**
 * listenForStop: a SIGTERM or SIGINT that comes while the node is still starting is kept and
 * carried out once it has started; one after that stops it at once; each is heard once. The
 * signals are emitted on this process (no real signal is sent).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { listenForStop } from '../../../src/cli/stop-signals.js'

const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }

afterEach(() => {
  // Leave no listener of a test behind (a failed test may not have heard its signal).
  for (const s of ['SIGINT', 'SIGTERM'] as const) for (const l of process.listeners(s).slice(before[s])) process.removeListener(s, l)
})

describe('listenForStop', () => {
  it('keeps a SIGTERM that came during the start and stops once started', () => {
    const signals = listenForStop()
    process.emit('SIGTERM')
    const stop = vi.fn()
    signals.whenStarted(stop)
    expect(stop).toHaveBeenCalledTimes(1)
  })

  it('stops at the first SIGINT after the start, and hears it once', () => {
    const signals = listenForStop()
    const stop = vi.fn()
    signals.whenStarted(stop)
    expect(stop).not.toHaveBeenCalled()
    process.emit('SIGINT')
    expect(stop).toHaveBeenCalledTimes(1)
    // Heard once: the listener is gone, so a second Ctrl-C gets the default action (a forced quit).
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT)
  })
})
