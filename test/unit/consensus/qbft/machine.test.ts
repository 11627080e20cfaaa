import { describe, expect, it } from 'vitest'
import {
  createQbftMachine,
  decodeMessage,
  encodeMessage,
  verifyCommitSeals,
  type QbftAction,
  type QbftEvent,
  type SignedMessage,
  type Signer,
} from '../../../../src/consensus/qbft/index.js'
import { recoverAddress } from '../../../../src/crypto/keys.js'
import { hexToBytes } from '@ethereumjs/util'
import { blockDigest, blockId, GENESIS, simBlockOps, type ChainHead, type SimBlock } from '../../../sim/block.js'
import { addresses, block, certificate, commit, ops, outsider, prepare, proposal, roundChange, validatorSigners } from './fixtures.js'

const signers = validatorSigners(4)
// Height 1: round r is proposed by validators[r mod 4], so a proposes round 0, b round 1, c round 2.
const [a, b, c, d] = signers as [Signer, Signer, Signer, Signer]
const validators = addresses(signers)
type Action = QbftAction<SimBlock>

function start(me: Signer, blockOps = ops) {
  const m = createQbftMachine({ signer: me, blockOps, roundTimeout: { baseMs: 1000, capMs: 8000 } })
  const first = m.handle({ type: 'newChainHead', height: 0n, validators })
  const feed = (...messages: SignedMessage<SimBlock>[]) => messages.flatMap((message) => m.handle({ type: 'message', message }))
  return { m, first, feed }
}

const ofType = <T extends Action['type']>(actions: Action[], type: T) => actions.filter((x): x is Extract<Action, { type: T }> => x.type === type)
const sent = (actions: Action[]) => ofType(actions, 'broadcast').map((x) => x.message)
const reasons = (actions: Action[]) => ofType(actions, 'invalid').map((x) => [x.reason, x.benign])

const blockA = block(0, a, 'A')
const digestA = blockDigest(blockA)

/** Machine of `me` that accepted A in round 0 and saw prepares from a and c (so it is locked). */
function locked(me: Signer) {
  const t = start(me)
  t.feed(proposal(a, blockA))
  t.m.handle({ type: 'blockValidated', digest: digestA, valid: true })
  const actions = t.feed(prepare(a, 1n, 0, digestA), prepare(c, 1n, 0, digestA))
  return { ...t, actions }
}

describe('consensus/qbft/machine', () => {
  it('the round-0 proposer asks for a block, proposes, prepares, commits and decides with a quorum of seals', () => {
    const { m, first, feed } = start(a)
    expect(first).toEqual([
      { type: 'scheduleTimeout', height: 1n, round: 0, ms: 1000 },
      { type: 'requestProposal', height: 1n, round: 0 },
    ])
    const proposed = m.handle({ type: 'blockProposal', block: blockA })
    expect(sent(proposed).map((x) => x.type)).toEqual(['proposal', 'prepare'])
    expect(ofType(proposed, 'validateBlock')).toEqual([]) // own block: already executed by the caller

    expect(feed(prepare(b, 1n, 0, digestA))).toEqual([])
    const afterQuorum = feed(prepare(c, 1n, 0, digestA))
    const commitMsg = sent(afterQuorum)[0]
    expect(commitMsg?.type).toBe('commit')
    if (commitMsg?.type !== 'commit') throw new Error('expected a commit')
    expect(recoverAddress(hexToBytes(digestA), commitMsg.signed.payload.commitSeal)).toBe(a.address)

    expect(feed(commit(b, 1n, 0, digestA))).toEqual([])
    const decided = ofType(feed(commit(d, 1n, 0, digestA)), 'commit')
    expect(decided).toHaveLength(1)
    const { block: committed, seals, round, digest, height } = decided[0]!
    expect({ committed, round, digest, height }).toEqual({ committed: blockA, round: 0, digest: digestA, height: 1n })
    expect(verifyCommitSeals(digestA, seals, validators)).toEqual({ ok: true, signers: [a.address, b.address, d.address] })
    expect(m.status()?.committed).toBe(true)
    expect(reasons(feed(commit(c, 1n, 0, digestA)))).toEqual([['OLD_HEIGHT', true]])
  })

  it('prepares on a proposal only after the block is validated, and reports a block that fails', () => {
    const ok = start(b)
    const asked = ok.feed(proposal(a, blockA))
    expect(ofType(asked, 'validateBlock')).toEqual([{ type: 'validateBlock', height: 1n, round: 0, digest: digestA, block: blockA }])
    expect(sent(asked)).toEqual([])
    const prepared = ok.m.handle({ type: 'blockValidated', digest: digestA, valid: true })
    expect(sent(prepared)).toEqual([{ type: 'prepare', signed: prepare(b, 1n, 0, digestA).signed }])

    const bad = start(b)
    bad.feed(proposal(a, blockA))
    const rejected = bad.m.handle({ type: 'blockValidated', digest: digestA, valid: false })
    expect(sent(rejected)).toEqual([])
    expect(ofType(rejected, 'invalid').map((x) => [x.reason, x.author])).toEqual([['BAD_BLOCK', a.address]])

    const orphan = start(b)
    const wrongParent: SimBlock = { ...blockA, parent: blockId(blockA) }
    expect(reasons(orphan.feed(proposal(a, wrongParent)))).toEqual([['BAD_BLOCK', false]])
  })

  it('drops and reports non-validators, wrong heights, wrong proposers, duplicates, double votes and garbage', () => {
    const { m, feed } = start(b)
    expect(reasons(feed(prepare(outsider, 1n, 0, digestA)))).toEqual([['NOT_VALIDATOR', false]])
    expect(reasons(feed(prepare(c, 0n, 0, digestA)))).toEqual([['OLD_HEIGHT', true]])
    expect(reasons(feed(prepare(c, 50n, 0, digestA)))).toEqual([['FUTURE_HEIGHT', true]])
    expect(reasons(feed(proposal(c, blockA)))).toEqual([['WRONG_PROPOSER', false]])
    expect(feed(prepare(c, 1n, 0, digestA))).toEqual([])
    expect(reasons(feed(prepare(c, 1n, 0, digestA)))).toEqual([['DUPLICATE', true]])
    expect(reasons(feed(prepare(c, 1n, 0, blockDigest(block(0, a, 'other')))))).toEqual([['EQUIVOCATION', false]])
    expect(reasons(feed(commit(d, 1n, 0, digestA), commit(d, 1n, 0, blockDigest(block(0, a, 'other')))))).toEqual([['EQUIVOCATION', false]])

    const garbage = m.handle({ type: 'message', message: Uint8Array.of(1, 2, 3), from: 'peer-7' })
    expect(garbage).toEqual([expect.objectContaining({ type: 'invalid', reason: 'BAD_MESSAGE', benign: false, from: 'peer-7' })])
    const fromWire = m.handle({ type: 'message', message: encodeMessage(proposal(a, blockA), ops), from: 'peer-7' })
    expect(ofType(fromWire, 'validateBlock')).toHaveLength(1)
    expect(reasons(feed(proposal(a, block(0, a, 'B'))))).toEqual([['EQUIVOCATION', false]])
  })

  it('times out into a RoundChange with a doubling, capped timer and ignores stale timeouts', () => {
    const { m, feed } = start(c)
    const t0 = m.handle({ type: 'timeout', height: 1n, round: 0 })
    expect(ofType(t0, 'scheduleTimeout')).toEqual([{ type: 'scheduleTimeout', height: 1n, round: 1, ms: 2000 }])
    const rc = sent(t0)[0]
    expect(rc?.type === 'roundChange' && rc.signed.payload).toEqual({ height: 1n, round: 1 })
    expect(m.handle({ type: 'timeout', height: 1n, round: 0 })).toEqual([])
    expect(m.handle({ type: 'timeout', height: 2n, round: 1 })).toEqual([])
    for (let r = 1; r < 5; r++) {
      feed(roundChange(a, 1n, r), roundChange(b, 1n, r)) // a quorum reached round r with us
      m.handle({ type: 'timeout', height: 1n, round: r })
    }
    expect(m.status()?.round).toBe(5)
    feed(roundChange(a, 1n, 5), roundChange(b, 1n, 5))
    expect(ofType(m.handle({ type: 'timeout', height: 1n, round: 5 }), 'scheduleTimeout')[0]?.ms).toBe(8000)
  })

  it('a round only ends once a quorum reached it: alone, the node re-broadcasts its RoundChange and waits', () => {
    const { m, feed } = start(c)
    const own = sent(m.handle({ type: 'timeout', height: 1n, round: 0 }))[0]
    // Nobody else is in round 1: the timer re-arms with the same length and the RoundChange is repeated.
    const alone = m.handle({ type: 'timeout', height: 1n, round: 1 })
    expect(alone).toEqual([
      { type: 'broadcast', message: own },
      { type: 'scheduleTimeout', height: 1n, round: 1, ms: 2000 },
    ])
    expect(m.status()?.round).toBe(1)
    // One more validator in round 1 is not yet a quorum (3 of 4) ...
    expect(feed(roundChange(d, 1n, 1)).filter((x) => x.type !== 'invalid')).toEqual([])
    // ... a prepare of a third validator for round 1 shows it is there too: the expired round ends now.
    const moved = feed(prepare(a, 1n, 1, digestA))
    expect(ofType(moved, 'scheduleTimeout')).toEqual([{ type: 'scheduleTimeout', height: 1n, round: 2, ms: 4000 }])
    expect(sent(moved).map((x) => [x.type, x.signed.payload.round])).toEqual([['roundChange', 2]])
  })

  it('locks on a prepared block: its RoundChange carries the block and the prepare certificate', () => {
    const { m, actions } = locked(b)
    expect(sent(actions).map((x) => x.type)).toEqual(['commit'])
    expect(m.status()).toMatchObject({ lockedRound: 0, lockedDigest: digestA })
    const rc = sent(m.handle({ type: 'timeout', height: 1n, round: 0 })).find((x) => x.type === 'roundChange')
    if (rc?.type !== 'roundChange') throw new Error('expected a round change')
    expect(rc.signed.payload.prepared).toEqual({ round: 0, digest: digestA })
    expect(rc.preparedBlock).toEqual(blockA)
    expect(rc.prepares.map((p) => p.author).sort()).toEqual([a.address, b.address, c.address].sort())
    expect(decodeMessage(encodeMessage(rc, ops), ops)).toEqual(rc)
  })

  it('the next proposer re-proposes the highest prepared block with its certificate', () => {
    const { m, feed } = locked(b)
    m.handle({ type: 'timeout', height: 1n, round: 0 }) // b moves to round 1 (its own proposer round)
    const actions = feed(roundChange(c, 1n, 1), roundChange(d, 1n, 1))
    const p = sent(actions).find((x) => x.type === 'proposal')
    if (p?.type !== 'proposal') throw new Error('expected a proposal')
    expect(p.block).toEqual({ ...blockA, round: 1 })
    expect(p.roundChanges.map((rc) => rc.author)).toEqual([b.address, c.address, d.address])
    expect(p.prepares).toHaveLength(3)
    expect(ofType(actions, 'requestProposal')).toEqual([])
    // Its own re-proposal is validated like any other before it prepares.
    expect(ofType(actions, 'validateBlock')[0]?.digest).toBe(blockDigest({ ...blockA, round: 1 }))
  })

  it('with no prepared RoundChange the next proposer asks for a new block and justifies it', () => {
    const { m, feed } = start(b)
    m.handle({ type: 'timeout', height: 1n, round: 0 })
    expect(ofType(feed(roundChange(c, 1n, 1)), 'requestProposal')).toEqual([])
    expect(ofType(feed(roundChange(d, 1n, 1)), 'requestProposal')).toEqual([{ type: 'requestProposal', height: 1n, round: 1 }])
    const fresh = block(1, b, 'fresh')
    const actions = m.handle({ type: 'blockProposal', block: fresh })
    const p = sent(actions)[0]
    if (p?.type !== 'proposal') throw new Error('expected a proposal')
    expect(p.block).toEqual(fresh)
    expect(p.roundChanges).toHaveLength(3)
    expect(sent(actions)[1]?.type).toBe('prepare')
    // A late answer to a request that is no longer pending is ignored.
    expect(m.handle({ type: 'blockProposal', block: fresh })).toEqual([])
  })

  it('a node rejects a new block in a later round when the justification shows a prepared block', () => {
    const { feed, m } = start(c)
    const certA = certificate([a, b, c], blockA)
    const rcs = [roundChange(a, 1n, 1, { block: blockA, cert: certA }), roundChange(c, 1n, 1), roundChange(d, 1n, 1)]
    const fresh = block(1, b, 'fresh')
    expect(reasons(feed(proposal(b, fresh, rcs, certA)))).toEqual([['BAD_JUSTIFICATION', false]])
    expect(m.status()?.round).toBe(0)
    // The re-proposal of A is accepted and moves the node to round 1.
    const ok = feed(proposal(b, { ...blockA, round: 1 }, rcs, certA))
    expect(ofType(ok, 'validateBlock')).toHaveLength(1)
    const prepared = m.handle({ type: 'blockValidated', digest: blockDigest({ ...blockA, round: 1 }), valid: true })
    expect(ofType(prepared, 'scheduleTimeout')).toEqual([{ type: 'scheduleTimeout', height: 1n, round: 1, ms: 2000 }])
    expect(sent(prepared).map((x) => [x.type, x.signed.payload.round])).toEqual([['prepare', 1]])
  })

  it('f + 1 RoundChanges for higher rounds pull the node forward to the lowest of them', () => {
    const { m, feed } = start(d)
    expect(feed(roundChange(a, 1n, 3))).toEqual([])
    const actions = feed(roundChange(b, 1n, 5))
    expect(ofType(actions, 'scheduleTimeout')).toEqual([{ type: 'scheduleTimeout', height: 1n, round: 3, ms: 8000 }])
    expect(sent(actions).map((x) => [x.type, x.signed.payload.round])).toEqual([['roundChange', 3]])
    expect(m.status()?.round).toBe(3)
  })

  it('buffers messages for the next height and replays them on newChainHead', () => {
    let head: ChainHead = GENESIS
    const opsAtHead = simBlockOps(() => head)
    const { m, feed } = start(c, opsAtHead)
    // Height 2 follows a block proposed by a: its round-0 proposer is b.
    const h1: ChainHead = { height: 1n, id: blockId(blockA) }
    const next = block(0, b, 'h2', h1)
    expect(feed(proposal(b, next), prepare(d, 2n, 0, blockDigest(next)))).toEqual([])
    head = h1
    const replayed = m.handle({ type: 'newChainHead', height: 1n, validators, previousProposer: a.address })
    expect(ofType(replayed, 'validateBlock').map((x) => [x.height, x.digest])).toEqual([[2n, blockDigest(next)]])
    expect(m.status()).toMatchObject({ height: 2n, round: 0, proposer: b.address })
  })

  it('applies its own messages itself: a looped-back broadcast is only a duplicate', () => {
    const { m } = start(a)
    const actions = m.handle({ type: 'blockProposal', block: blockA })
    const own = sent(actions)
    expect(own.flatMap((message) => reasons(m.handle({ type: 'message', message })))).toEqual([
      ['DUPLICATE', true],
      ['DUPLICATE', true],
    ])
  })

  it('is deterministic: the same events give the same actions', () => {
    const script: QbftEvent<SimBlock>[] = [
      { type: 'newChainHead', height: 0n, validators },
      { type: 'message', message: proposal(a, blockA) },
      { type: 'blockValidated', digest: digestA, valid: true },
      { type: 'message', message: prepare(a, 1n, 0, digestA) },
      { type: 'message', message: prepare(d, 1n, 0, digestA) },
      { type: 'timeout', height: 1n, round: 0 },
      { type: 'message', message: roundChange(c, 1n, 1) },
      { type: 'message', message: roundChange(d, 1n, 1) },
    ]
    const run = () => {
      const m = createQbftMachine({ signer: b, blockOps: ops })
      return script.map((e) => m.handle(e))
    }
    const first = run()
    expect(run()).toEqual(first)
    expect(first.flat().length).toBeGreaterThan(5)
  })
})

describe('consensus/qbft/machine limits and caller errors', () => {
  it('bounds the future-height buffer and reports what it drops as benign', () => {
    const m = createQbftMachine({ signer: b, blockOps: ops, limits: { futureMessages: 2 } })
    m.handle({ type: 'newChainHead', height: 0n, validators })
    const results = [c, d, a].map((s) => m.handle({ type: 'message', message: prepare(s, 2n, 0, digestA) }))
    expect(results.map((r) => reasons(r))).toEqual([[], [], [['FUTURE_HEIGHT', true]]])
  })

  it('ignores answers it did not ask for and rejects a validator set with duplicates', () => {
    const { m } = start(b)
    expect(m.handle({ type: 'blockValidated', digest: digestA, valid: true })).toEqual([])
    expect(m.handle({ type: 'blockProposal', block: blockA })).toEqual([]) // b is not the round-0 proposer
    expect(() => m.handle({ type: 'newChainHead', height: 0n, validators: [a.address, a.address, b.address, c.address] })).toThrow(
      expect.objectContaining({ code: 'QBFT_BAD_VALIDATOR_SET' }),
    )
  })
})
