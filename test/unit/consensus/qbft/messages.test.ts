import { describe, expect, it } from 'vitest'
import { RLP } from '@ethereumjs/rlp'
import {
  decodeMessage,
  encodeMessage,
  QbftMessageError,
  recoverAuthor,
  signPayload,
  type SignedMessage,
  type Signer,
} from '../../../../src/consensus/qbft/index.js'
import { blockDigest, type SimBlock } from '../../../sim/block.js'
import { Prng } from '../../../sim/prng.js'
import { block, certificate, commit, ops, outsider, prepare, proposal, roundChange, validatorSigners } from './fixtures.js'

const [a, b, c, d] = validatorSigners(4) as [Signer, Signer, Signer, Signer]
const b0 = block(0, a)
const digest0 = blockDigest(b0)

function samples(): SignedMessage<SimBlock>[] {
  const cert = certificate([a, b, c], b0)
  const rcPrepared = roundChange(b, 1n, 1, { block: b0, cert })
  const rcEmpty = roundChange(c, 1n, 1)
  return [
    proposal(a, b0),
    proposal(b, { ...b0, round: 1 }, [rcPrepared, rcEmpty, roundChange(d, 1n, 1)], cert),
    prepare(c, 1n, 0, digest0),
    commit(d, 1n, 0, digest0),
    rcEmpty,
    rcPrepared,
    // Round 0 as prepared round must survive the trip (RLP 0 is the empty string).
    roundChange(a, 2n ** 63n, 7, { block: b0, cert }),
  ]
}

function roundTrip(m: SignedMessage<SimBlock>): SignedMessage<SimBlock> {
  return decodeMessage(encodeMessage(m, ops), ops)
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(QbftMessageError)
    return (err as QbftMessageError).code
  }
  return undefined
}

describe('consensus/qbft/messages', () => {
  it('round-trips every message type with authors recovered', () => {
    for (const m of samples()) {
      const back = roundTrip(m)
      expect(back).toEqual(m)
      expect(encodeMessage(back, ops)).toEqual(encodeMessage(m, ops))
    }
    const p = roundTrip(samples()[1]!)
    expect(p.type === 'proposal' && p.roundChanges.map((rc) => rc.author)).toEqual([b.address, c.address, d.address])
  })

  it('a tampered payload recovers to another author', () => {
    const m = prepare(c, 1n, 0, digest0)
    const forged = { ...m, signed: { ...m.signed, payload: { ...m.signed.payload, round: 1 } } }
    const back = roundTrip(forged)
    expect(back.signed.author).not.toBe(c.address)
  })

  it('rejects a signature that recovers to no key, with QBFT_BAD_SIGNATURE', () => {
    const m = prepare(c, 1n, 0, digest0)
    const sig = new Uint8Array(m.signed.signature)
    sig.fill(0, 0, 32) // r = 0 is never a valid signature
    expect(codeOf(() => roundTrip({ ...m, signed: { ...m.signed, signature: sig } }))).toBe('QBFT_BAD_SIGNATURE')
    const badV = new Uint8Array(m.signed.signature)
    badV[64] = 7
    expect(codeOf(() => roundTrip({ ...m, signed: { ...m.signed, signature: badV } }))).toBe('QBFT_BAD_SIGNATURE')
  })

  it('rejects a commit whose seal is not signed by the commit author', () => {
    const m = commit(d, 1n, 0, digest0)
    const foreignSeal = commit(outsider, 1n, 0, digest0).signed.payload.commitSeal
    const resigned = signPayload('commit', { ...m.signed.payload, commitSeal: foreignSeal }, d)
    expect(codeOf(() => roundTrip({ type: 'commit', signed: resigned }))).toBe('QBFT_BAD_SIGNATURE')
  })

  it('binds the message type into the signature: a Prepare signature does not authorise a Proposal', () => {
    const p = prepare(a, 1n, 0, digest0).signed
    expect(recoverAuthor('prepare', p.payload, p.signature)).toBe(a.address)
    expect(recoverAuthor('proposal', p.payload, p.signature)).not.toBe(a.address)
  })

  it('rejects garbage with QBFT_BAD_MESSAGE', () => {
    const garbage = [
      new Uint8Array(0),
      Uint8Array.of(0xff),
      new TextEncoder().encode('hello'),
      RLP.encode([Uint8Array.of(0x99), []]),
      RLP.encode([Uint8Array.of(0x13)]),
      RLP.encode([Uint8Array.of(0x13), [[1, 2], new Uint8Array(65)]]),
      RLP.encode(new Uint8Array(100)),
      new Uint8Array(10_000).fill(0xc1),
    ]
    for (const g of garbage) expect(codeOf(() => decodeMessage(g, ops))).toBe('QBFT_BAD_MESSAGE')
  })

  it('rejects non-canonical integers, a round change with a block but no prepared round, and an undecodable block', () => {
    const m = prepare(c, 1n, 0, digest0)
    const raw = RLP.decode(encodeMessage(m, ops)) as [Uint8Array, [[Uint8Array, Uint8Array, Uint8Array], Uint8Array]]
    raw[1][0][0] = Uint8Array.of(0, 1) // height with a leading zero
    expect(codeOf(() => decodeMessage(RLP.encode(raw), ops))).toBe('QBFT_BAD_MESSAGE')

    const rc = roundChange(c, 1n, 1)
    const withBlock = { ...rc, preparedBlock: b0 }
    expect(codeOf(() => roundTrip(withBlock))).toBe('QBFT_BAD_MESSAGE')

    const p = RLP.decode(encodeMessage(proposal(a, b0), ops)) as Uint8Array[]
    p[2] = RLP.encode([1, 2, 3])
    expect(codeOf(() => decodeMessage(RLP.encode(p), ops))).toBe('QBFT_BAD_MESSAGE')
  })

  it('enforces size limits', () => {
    const bytes = encodeMessage(samples()[1]!, ops)
    expect(codeOf(() => decodeMessage(bytes, ops, { maxMessageBytes: bytes.length - 1 }))).toBe('QBFT_MESSAGE_TOO_LARGE')
    expect(codeOf(() => decodeMessage(bytes, ops, { maxJustification: 2 }))).toBe('QBFT_BAD_MESSAGE')
    expect(() => decodeMessage(bytes, ops, { maxMessageBytes: bytes.length, maxJustification: 3 })).not.toThrow()
  })

  it('never throws anything but a coded QbftMessageError on mutated bytes', () => {
    const rng = new Prng(42)
    const encoded = samples().map((m) => encodeMessage(m, ops))
    let rejected = 0
    for (let i = 0; i < 3000; i++) {
      const src = rng.pick(encoded)
      const bytes = new Uint8Array(src)
      const flips = rng.int(1, 4)
      for (let k = 0; k < flips; k++) bytes[rng.int(0, bytes.length - 1)] = rng.int(0, 255)
      const cut = rng.chance(0.2) ? bytes.subarray(0, rng.int(0, bytes.length)) : bytes
      try {
        decodeMessage(cut, ops)
      } catch (err) {
        expect(err).toBeInstanceOf(QbftMessageError)
        expect(['QBFT_BAD_MESSAGE', 'QBFT_BAD_SIGNATURE']).toContain((err as QbftMessageError).code)
        rejected++
      }
    }
    expect(rejected).toBeGreaterThan(1000)
  })
})
