import { describe, expect, it } from 'vitest'
import { proposerForRound } from '../../../../src/consensus/qbft/index.js'
import type { Address } from '../../../../src/types.js'

const v = (i: number): Address => `0x${i.toString(16).padStart(40, '0')}` as Address
const validators = [v(1), v(2), v(3), v(4)]

describe('consensus/qbft/proposer', () => {
  it('at height 1 (no previous proposer) round r goes to validators[r mod n]', () => {
    expect([0, 1, 2, 3, 4, 9].map((r) => proposerForRound(validators, undefined, r))).toEqual([v(1), v(2), v(3), v(4), v(1), v(2)])
  })

  it('rotates to the validator after the previous block proposer, then one per round', () => {
    expect(proposerForRound(validators, v(2), 0)).toBe(v(3))
    expect(proposerForRound(validators, v(2), 1)).toBe(v(4))
    expect(proposerForRound(validators, v(2), 2)).toBe(v(1))
    expect(proposerForRound(validators, v(4), 0)).toBe(v(1))
  })

  it('compares addresses case-insensitively', () => {
    const upper = `0x${'A'.repeat(40)}` as Address
    const list = [v(1), upper.toLowerCase() as Address, v(3)]
    expect(proposerForRound(list, upper, 0)).toBe(v(3))
  })

  it('when the previous proposer left the set, round 0 goes to the next address after it', () => {
    const list = [v(1), v(3), v(5)]
    expect(proposerForRound(list, v(2), 0)).toBe(v(3))
    expect(proposerForRound(list, v(4), 1)).toBe(v(1))
    expect(proposerForRound(list, v(9), 0)).toBe(v(1))
  })
})
