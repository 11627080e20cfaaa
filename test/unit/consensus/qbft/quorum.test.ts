import { describe, expect, it } from 'vitest'
import { maxFaulty, quorumSize } from '../../../../src/consensus/qbft/index.js'

describe('consensus/qbft/quorum', () => {
  it('matches the spec formulas quorum = (2n-1) div 3 + 1 and f = (n-1) div 3', () => {
    const table: [number, number, number][] = [
      // n, f, quorum
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 2],
      [4, 1, 3],
      [5, 1, 4],
      [6, 1, 4],
      [7, 2, 5],
      [10, 3, 7],
      [100, 33, 67],
    ]
    for (const [n, f, q] of table) {
      expect({ n, f: maxFaulty(n), q: quorumSize(n) }).toEqual({ n, f, q })
      expect(q).toBe(Math.ceil((2 * n) / 3))
    }
  })

  it('any two quorums intersect in at least f + 1 validators', () => {
    for (let n = 1; n <= 50; n++) expect(2 * quorumSize(n) - n).toBeGreaterThanOrEqual(maxFaulty(n) + 1)
  })

  it('rejects an empty validator set with a code', () => {
    expect(() => quorumSize(0)).toThrow(expect.objectContaining({ code: 'QBFT_BAD_VALIDATOR_SET' }))
  })
})
