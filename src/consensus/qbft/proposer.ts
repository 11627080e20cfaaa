/**
 * Proposer rotation (spec: `proposer` in node_auxiliary_functions.dfy). The proposer of round r at
 * height h is validators[(index of the previous block's proposer + 1 + r) mod n]; at height 1
 * there is no previous proposer and round r goes to validators[r mod n].
 *
 * The spec takes the previous proposer's index in the previous validator set. When the previous
 * proposer has just left the set we cannot index it, so, like Besu, round 0 goes to the first
 * validator whose address sorts after it (wrapping to index 0). Every node computes the same
 * answer from the same chain, which is all rotation needs.
 */
import type { Address } from '../../types.js'

export function proposerForRound(validators: readonly Address[], previousProposer: Address | undefined, round: number): Address {
  const n = validators.length
  if (n === 0) throw new RangeError('proposerForRound: empty validator set')
  const list = validators.map((v) => v.toLowerCase() as Address)
  let roundZero = 0
  if (previousProposer !== undefined) {
    const prev = previousProposer.toLowerCase()
    const i = list.indexOf(prev as Address)
    if (i >= 0) roundZero = i + 1
    else {
      const next = list.findIndex((v) => v > prev)
      roundZero = next >= 0 ? next : 0
    }
  }
  return list[(roundZero + (round % n)) % n]!
}
