import { describe, expect, it } from 'vitest'
import { DEFAULT_ROUND_TIMEOUT, roundTimeoutMs } from '../../../../src/consensus/qbft/index.js'
import { checkRoundTimeoutConfig } from '../../../../src/consensus/qbft/timer.js'

describe('consensus/qbft/timer', () => {
  it('doubles per round from 2 s and caps at 30 s by default', () => {
    expect(DEFAULT_ROUND_TIMEOUT).toEqual({ baseMs: 2000, capMs: 30_000 })
    expect([0, 1, 2, 3, 4, 5, 50, 4_000_000_000].map((r) => roundTimeoutMs(r))).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000])
  })

  it('uses a configured base and cap', () => {
    expect([0, 1, 2, 3].map((r) => roundTimeoutMs(r, { baseMs: 100, capMs: 350 }))).toEqual([100, 200, 350, 350])
  })

  it('rejects a cap below the base and a non-positive base', () => {
    expect(() => checkRoundTimeoutConfig({ baseMs: 100, capMs: 50 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', field: 'capMs' }))
    expect(() => checkRoundTimeoutConfig({ baseMs: 0, capMs: 50 })).toThrow(expect.objectContaining({ field: 'baseMs' }))
  })
})
