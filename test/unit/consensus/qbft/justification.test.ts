import { describe, expect, it } from 'vitest'
import { checkPreparedCertificate, checkProposalJustification, type Signer } from '../../../../src/consensus/qbft/index.js'
import { blockDigest, type SimBlock } from '../../../sim/block.js'
import { addresses, block, certificate, ops, outsider, prepare, roundChange, validatorSigners } from './fixtures.js'

const signers = validatorSigners(4)
const [a, b, c, d] = signers as [Signer, Signer, Signer, Signer]
const validators = new Set(addresses(signers))
const quorum = 3

function check(round: number, blk: SimBlock, rcs: ReturnType<typeof roundChange>[], prepares: ReturnType<typeof certificate> = []) {
  return checkProposalJustification({ height: 1n, round, block: blk, ops, roundChanges: rcs.map((m) => m.signed), prepares, validators, quorum })
}

// Block A was prepared in round 0, block B (another proposer, other payload) in round 1.
const blockA = block(0, a, 'A')
const blockB = block(1, b, 'B')
const certA = certificate([a, b, c], blockA)
const certB = certificate([b, c, d], blockB)

describe('consensus/qbft/justification', () => {
  it('round 0 needs no justification and must carry none', () => {
    expect(check(0, blockA, [])).toEqual({ ok: true, reproposal: false })
    expect(check(0, blockA, [roundChange(a, 1n, 0)]).ok).toBe(false)
  })

  it('a new block in round r > 0 needs a quorum of unprepared RoundChanges for r from distinct validators', () => {
    const fresh = block(2, c, 'fresh')
    expect(check(2, fresh, [roundChange(a, 1n, 2), roundChange(b, 1n, 2), roundChange(c, 1n, 2)])).toEqual({ ok: true, reproposal: false })
    expect(check(2, fresh, [roundChange(a, 1n, 2), roundChange(b, 1n, 2)]).ok).toBe(false)
    expect(check(2, fresh, [roundChange(a, 1n, 2), roundChange(a, 1n, 2), roundChange(b, 1n, 2)]).ok).toBe(false)
    expect(check(2, fresh, [roundChange(a, 1n, 2), roundChange(b, 1n, 2), roundChange(outsider, 1n, 2)]).ok).toBe(false)
    expect(check(2, fresh, [roundChange(a, 1n, 2), roundChange(b, 1n, 2), roundChange(c, 1n, 1)]).ok).toBe(false)
    expect(check(2, fresh, [roundChange(a, 1n, 2), roundChange(b, 1n, 2), roundChange(c, 2n, 2)]).ok).toBe(false)
  })

  it('accepts the re-proposal of the highest prepared block with its prepare quorum', () => {
    const rcs = [roundChange(a, 1n, 2, { block: blockA, cert: certA }), roundChange(b, 1n, 2, { block: blockB, cert: certB }), roundChange(c, 1n, 2)]
    expect(check(2, { ...blockB, round: 2 }, rcs, certB)).toEqual({ ok: true, reproposal: true })
  })

  it('rejects a re-proposal that is not the highest prepared block', () => {
    const rcs = [roundChange(a, 1n, 2, { block: blockA, cert: certA }), roundChange(b, 1n, 2, { block: blockB, cert: certB }), roundChange(c, 1n, 2)]
    const result = check(2, { ...blockA, round: 2 }, rcs, certA)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toMatch(/highest prepared round 1/)
  })

  it('rejects a new block when any RoundChange is prepared', () => {
    const rcs = [roundChange(a, 1n, 2, { block: blockA, cert: certA }), roundChange(b, 1n, 2), roundChange(c, 1n, 2)]
    expect(check(2, block(2, c, 'fresh'), rcs, certA).ok).toBe(false)
    expect(check(2, block(2, c, 'fresh'), rcs, []).ok).toBe(false)
  })

  it('rejects a re-proposal without the round field rewritten, or with a short or foreign certificate', () => {
    const rcs = [roundChange(a, 1n, 2, { block: blockA, cert: certA }), roundChange(b, 1n, 2), roundChange(c, 1n, 2)]
    expect(check(2, { ...blockA, round: 2 }, rcs, certA).ok).toBe(true)
    expect(check(2, { ...blockA, round: 2 }, rcs, certA.slice(0, 2)).ok).toBe(false)
    expect(check(2, { ...blockA, round: 2 }, rcs, certB).ok).toBe(false)
    const withOutsider = [...certA.slice(0, 2), prepare(outsider, 1n, 0, blockDigest(blockA)).signed]
    expect(check(2, { ...blockA, round: 2 }, rcs, withOutsider).ok).toBe(false)
  })

  it('a prepared round must be below the round change round', () => {
    const late = roundChange(a, 1n, 1, { block: blockB, cert: certB })
    expect(check(1, { ...blockB, round: 1 }, [late, roundChange(b, 1n, 1), roundChange(c, 1n, 1)], certB).ok).toBe(false)
  })

  it('a certificate needs distinct validator authors for the right height, round and digest', () => {
    const ref = { round: 0, digest: blockDigest(blockA) }
    expect(checkPreparedCertificate(1n, ref, certA, validators, quorum).ok).toBe(true)
    expect(checkPreparedCertificate(1n, ref, [certA[0]!, certA[0]!, certA[1]!], validators, quorum).ok).toBe(false)
    expect(checkPreparedCertificate(2n, ref, certA, validators, quorum).ok).toBe(false)
    expect(checkPreparedCertificate(1n, { ...ref, round: 1 }, certA, validators, quorum).ok).toBe(false)
  })
})
