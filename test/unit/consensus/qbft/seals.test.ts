import { describe, expect, it } from 'vitest'
import { createCommitSeal, verifyCommitSeals, type Signer } from '../../../../src/consensus/qbft/index.js'
import { blockDigest } from '../../../sim/block.js'
import { addresses, block, outsider, validatorSigners } from './fixtures.js'

const signers = validatorSigners(4)
const [a, b, c, d] = signers as [Signer, Signer, Signer, Signer]
const validators = addresses(signers)
const digest = blockDigest(block(0, a))
const seal = (s: Signer) => createCommitSeal(digest, s)

describe('consensus/qbft/seals', () => {
  it('accepts a quorum of distinct validator seals and names the signers', () => {
    expect(verifyCommitSeals(digest, [seal(c), seal(a), seal(b)], validators)).toEqual({ ok: true, signers: [c.address, a.address, b.address] })
    expect(verifyCommitSeals(digest, [seal(a), seal(b), seal(c), seal(d)], validators).ok).toBe(true)
  })

  it('rejects too few seals, a duplicate signer, a non-validator and a malformed seal', () => {
    expect(verifyCommitSeals(digest, [seal(a), seal(b)], validators).ok).toBe(false)
    expect(verifyCommitSeals(digest, [seal(a), seal(b), seal(b)], validators).ok).toBe(false)
    expect(verifyCommitSeals(digest, [seal(a), seal(b), seal(c), seal(outsider)], validators).ok).toBe(false)
    expect(verifyCommitSeals(digest, [seal(a), seal(b), seal(c), new Uint8Array(65)], validators).ok).toBe(false)
  })

  it('rejects seals over another digest', () => {
    const other = blockDigest(block(1, a))
    expect(verifyCommitSeals(other, [seal(a), seal(b), seal(c)], validators)).toEqual({ ok: false, signers: [] })
  })
})
