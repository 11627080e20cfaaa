/**
 * A byzantine validator for the simulation. It runs an ordinary machine (so it keeps up with the
 * chain) but rewrites what that machine broadcasts:
 * - as proposer it sends DIFFERENT valid proposals (blocks with different payloads, sometimes one
 *   that fails execution) to two random halves of the network, and immediately double-votes:
 *   Prepare and Commit for block A to the first half, for block B to the second; later it may
 *   also send the other half's votes, so honest nodes see the equivocation;
 * - for other proposers' blocks it votes as its machine does and, at random, also sends a
 *   conflicting vote for some other digest to a random subset.
 * Mode 'withhold' never votes for other proposers' blocks; mode 'silent' does not propose or vote
 * at all and only sends RoundChanges: liveness then rests on the honest nodes alone.
 */
import { createCommitSeal, signPayload, type ProposalMessage, type SignedMessage } from '../../src/consensus/qbft/index.js'
import type { Hex } from '../../src/types.js'
import { blockDigest, type SimBlock } from './block.js'
import type { ByzantineMode } from './scenario.js'
import type { Simulation, SimNode } from './simulator.js'

export class Equivocator {
  private readonly equivocated = new Set<string>()

  constructor(
    private readonly sim: Simulation,
    private readonly node: SimNode,
    private readonly mode: ByzantineMode,
  ) {}

  onBroadcast(message: SignedMessage<SimBlock>): void {
    const { height, round } = message.signed.payload
    const key = `${height}/${round}`
    switch (message.type) {
      case 'proposal':
        if (this.mode === 'silent') return
        return this.equivocate(message)
      case 'prepare':
      case 'commit': {
        if (this.equivocated.has(key) || this.mode !== 'equivocate') return
        this.sim.sendMessage(this.node.id, message, this.sim.peersOf(this.node.id))
        if (this.sim.rng.chance(0.3)) this.doubleVote(height, round, this.sim.rng.hex32(), this.randomSubset())
        return
      }
      case 'roundChange':
        return this.sim.sendMessage(this.node.id, message, this.sim.peersOf(this.node.id))
    }
  }

  private equivocate(a: ProposalMessage<SimBlock>): void {
    const { sim, node } = this
    const { height, round } = a.signed.payload
    this.equivocated.add(`${height}/${round}`)
    // Same justification; for a re-proposal B fails the justification check, as it should.
    const blockB: SimBlock = { ...a.block, payload: sim.rng.hex32(), bad: sim.rng.chance(0.15) }
    const digestB = blockDigest(blockB)
    const b: ProposalMessage<SimBlock> = { ...a, signed: signPayload('proposal', { height, round, digest: digestB }, node.signer), block: blockB }
    const peers = sim.rng.shuffle(sim.peersOf(node.id))
    const cut = sim.rng.int(1, peers.length - 1)
    const groupA = peers.slice(0, cut)
    const groupB = peers.slice(cut)
    sim.sendMessage(node.id, a, groupA)
    sim.sendMessage(node.id, b, groupB)
    this.doubleVote(height, round, a.signed.payload.digest, groupA)
    this.doubleVote(height, round, digestB, groupB)
    if (sim.rng.chance(0.5)) {
      // Late cross-votes: every honest node ends up holding two votes of this validator.
      this.doubleVote(height, round, digestB, groupA, 200)
      this.doubleVote(height, round, a.signed.payload.digest, groupB, 200)
    }
  }

  private doubleVote(height: bigint, round: number, digest: Hex, targets: number[], extraDelay = 0): void {
    const { sim, node } = this
    const prepare = signPayload('prepare', { height, round, digest }, node.signer)
    const commit = signPayload('commit', { height, round, digest, commitSeal: createCommitSeal(digest, node.signer) }, node.signer)
    sim.sendMessage(node.id, { type: 'prepare', signed: prepare }, targets, extraDelay)
    sim.sendMessage(node.id, { type: 'commit', signed: commit }, targets, extraDelay)
  }

  private randomSubset(): number[] {
    const peers = this.sim.rng.shuffle(this.sim.peersOf(this.node.id))
    return peers.slice(0, this.sim.rng.int(1, peers.length))
  }
}
