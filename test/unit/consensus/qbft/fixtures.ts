/** Shared fixtures for the QBFT unit tests: deterministic validator keys and message builders. */
import { keccak256 } from '../../../../src/crypto/native.js'
import {
  createCommitSeal,
  privateKeySigner,
  signPayload,
  type CommitMessage,
  type PrepareMessage,
  type PreparePayload,
  type ProposalMessage,
  type RoundChangeMessage,
  type Signed,
  type Signer,
} from '../../../../src/consensus/qbft/index.js'
import type { Address, Hex } from '../../../../src/types.js'
import { blockDigest, GENESIS, makeBlock, simBlockOps, type ChainHead, type SimBlock } from '../../../sim/block.js'

export function keyOf(label: string): Uint8Array {
  return keccak256(new TextEncoder().encode(`quorate-unit-${label}`))
}

/** n signers sorted by address, so validators[i] is signers[i]. */
export function validatorSigners(n: number): Signer[] {
  return Array.from({ length: n }, (_, i) => privateKeySigner(keyOf(`validator-${i}`))).sort((a, b) => (a.address < b.address ? -1 : 1))
}

export const outsider = privateKeySigner(keyOf('outsider'))

export const ops = simBlockOps(() => GENESIS)

export function payload(label: string): Hex {
  return `0x${Buffer.from(keccak256(new TextEncoder().encode(label))).toString('hex')}` as Hex
}

export function block(round: number, proposer: Signer, label = 'txs', head: ChainHead = GENESIS): SimBlock {
  return makeBlock(head, round, proposer.address, payload(label))
}

export function prepare(s: Signer, height: bigint, round: number, digest: Hex): PrepareMessage {
  return { type: 'prepare', signed: signPayload('prepare', { height, round, digest }, s) }
}

export function commit(s: Signer, height: bigint, round: number, digest: Hex): CommitMessage {
  return { type: 'commit', signed: signPayload('commit', { height, round, digest, commitSeal: createCommitSeal(digest, s) }, s) }
}

export function roundChange(s: Signer, height: bigint, round: number, prepared?: { block: SimBlock; cert: Signed<PreparePayload>[] }): RoundChangeMessage<SimBlock> {
  if (!prepared) return { type: 'roundChange', signed: signPayload('roundChange', { height, round }, s), prepares: [] }
  const ref = { round: prepared.block.round, digest: blockDigest(prepared.block) }
  return { type: 'roundChange', signed: signPayload('roundChange', { height, round, prepared: ref }, s), preparedBlock: prepared.block, prepares: prepared.cert }
}

export function proposal(
  s: Signer,
  b: SimBlock,
  roundChanges: RoundChangeMessage<SimBlock>[] = [],
  prepares: Signed<PreparePayload>[] = [],
): ProposalMessage<SimBlock> {
  return {
    type: 'proposal',
    signed: signPayload('proposal', { height: b.height, round: b.round, digest: blockDigest(b) }, s),
    block: b,
    roundChanges: roundChanges.map((m) => m.signed),
    prepares,
  }
}

/** Prepare certificate for a block from the given signers. */
export function certificate(signers: Signer[], b: SimBlock): Signed<PreparePayload>[] {
  return signers.map((s) => prepare(s, b.height, b.round, blockDigest(b)).signed)
}

export function addresses(signers: Signer[]): Address[] {
  return signers.map((s) => s.address)
}
