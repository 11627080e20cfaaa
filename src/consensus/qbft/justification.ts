/**
 * Justification checks (spec: `isProposalJustification`, `validRoundChange` and
 * `validSignedPrepareForHeightRoundAndDigest` in node_auxiliary_functions.dfy). Pure functions
 * over already signature-verified messages; they decide whether a proposal for round > 0 is
 * backed by a quorum of RoundChanges and, when any of those reports a prepared block, whether it
 * re-proposes the block of the highest prepared round with that round's Prepare quorum. This is
 * what keeps a block that may have been committed from being replaced in a later round.
 */
import type { Address } from '../../types.js'
import type { PreparedRef, PreparePayload, RoundChangePayload, Signed } from './messages.js'
import { digestOf, type BlockOps } from './types.js'

export type CheckResult = { ok: true } | { ok: false; reason: string }

interface Members {
  has(address: Address): boolean
}

/** A quorum of Prepares from distinct validators, all for (height, prepared.round, prepared.digest). */
export function checkPreparedCertificate(
  height: bigint,
  prepared: PreparedRef,
  prepares: readonly Signed<PreparePayload>[],
  validators: Members,
  quorum: number,
): CheckResult {
  const authors = new Set<Address>()
  for (const p of prepares) {
    const { payload } = p
    if (payload.height !== height || payload.round !== prepared.round || payload.digest !== prepared.digest) {
      return { ok: false, reason: 'a prepare of the certificate is for another height, round or block' }
    }
    if (!validators.has(p.author)) return { ok: false, reason: `prepare from non-validator ${p.author}` }
    if (authors.has(p.author)) return { ok: false, reason: `two prepares from ${p.author}` }
    authors.add(p.author)
  }
  if (authors.size < quorum) return { ok: false, reason: `certificate has ${authors.size} prepares, quorum is ${quorum}` }
  return { ok: true }
}

/** Spec `validRoundChange`: right height and round, prepared round below the round, validator author. */
export function checkRoundChange(rc: Signed<RoundChangePayload>, height: bigint, round: number, validators: Members): CheckResult {
  const { payload } = rc
  if (payload.height !== height || payload.round !== round) return { ok: false, reason: 'round change for another height or round' }
  if (payload.prepared !== undefined && payload.prepared.round >= round) return { ok: false, reason: 'prepared round is not below the round' }
  if (!validators.has(rc.author)) return { ok: false, reason: `round change from non-validator ${rc.author}` }
  return { ok: true }
}

export interface ProposalJustificationInput<B> {
  height: bigint
  round: number
  block: B
  ops: Pick<BlockOps<B>, 'digest' | 'withRound'>
  roundChanges: readonly Signed<RoundChangePayload>[]
  prepares: readonly Signed<PreparePayload>[]
  validators: Members
  quorum: number
}

/**
 * `reproposal: true` when the block must be (and is) the highest prepared block; `false` when the
 * proposer was free to propose a new block (round 0, or no RoundChange was prepared). The caller
 * still checks the block's height, round, structure and, for a new block, its proposer.
 */
export function checkProposalJustification<B>(input: ProposalJustificationInput<B>): ({ ok: true; reproposal: boolean }) | { ok: false; reason: string } {
  const { height, round, roundChanges, prepares, validators, quorum } = input
  if (round === 0) {
    if (roundChanges.length > 0 || prepares.length > 0) return { ok: false, reason: 'a round-0 proposal carries a justification' }
    return { ok: true, reproposal: false }
  }
  const senders = new Set<Address>()
  let highest: PreparedRef | undefined
  for (const rc of roundChanges) {
    const check = checkRoundChange(rc, height, round, validators)
    if (!check.ok) return check
    if (senders.has(rc.author)) return { ok: false, reason: `two round changes from ${rc.author}` }
    senders.add(rc.author)
    const p = rc.payload.prepared
    if (p !== undefined && (highest === undefined || p.round > highest.round)) highest = p
  }
  if (senders.size < quorum) return { ok: false, reason: `${senders.size} round changes, quorum is ${quorum}` }
  if (highest === undefined) return { ok: true, reproposal: false }

  // Some RoundChange is prepared: the block must be the one of the highest prepared round.
  const maxRound = highest.round
  const digestAtPreparedRound = digestOf(input.ops, input.ops.withRound(input.block, maxRound))
  const matching = roundChanges.some((rc) => rc.payload.prepared?.round === maxRound && rc.payload.prepared.digest === digestAtPreparedRound)
  if (!matching) return { ok: false, reason: `the block is not the block prepared in the highest prepared round ${maxRound}` }
  const cert = checkPreparedCertificate(height, { round: maxRound, digest: digestAtPreparedRound }, prepares, validators, quorum)
  if (!cert.ok) return cert
  return { ok: true, reproposal: true }
}
