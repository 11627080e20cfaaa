/**
 * Quorum arithmetic of QBFT (spec: node_auxiliary_functions.dfy `f` and `quorum`). Owns the two
 * numbers every vote count is compared against; nothing else.
 */
import { QuorateError } from '../../errors.js'

function checkSize(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new QuorateError('QBFT_BAD_VALIDATOR_SET', `A validator set must hold at least one validator (got ${n}).`)
  }
}

/** Maximum number of faulty validators tolerated: f(n) = (n - 1) div 3. */
export function maxFaulty(n: number): number {
  checkSize(n)
  return Math.floor((n - 1) / 3)
}

/** Votes needed for a decision: quorum(n) = (2n - 1) div 3 + 1 = ceil(2n / 3). */
export function quorumSize(n: number): number {
  checkSize(n)
  return Math.floor((2 * n - 1) / 3) + 1
}
