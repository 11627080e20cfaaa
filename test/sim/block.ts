/**
 * A minimal block for consensus tests: just the fields QBFT cares about. `digest` covers the
 * round (what commit seals sign); `blockId` leaves the round out (what the next block names as
 * parent), like Besu's on-chain hash, so nodes that commit the same block in different rounds
 * still agree on the chain.
 */
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { keccakHex } from '../../src/crypto/keys.js'
import type { BlockOps } from '../../src/consensus/qbft/index.js'
import type { Address, Hex } from '../../src/types.js'

export interface SimBlock {
  readonly height: bigint
  readonly round: number
  readonly proposer: Address
  readonly parent: Hex
  /** Stands for the transactions: two blocks with different payloads are different blocks. */
  readonly payload: Hex
  /** Fails execution (the async `validateBlock` answers false). */
  readonly bad: boolean
}

export interface ChainHead {
  height: bigint
  id: Hex
}

export const GENESIS: ChainHead = { height: 0n, id: keccakHex(new TextEncoder().encode('quorate-sim-genesis')) }

function fields(b: SimBlock, withRound: boolean): Uint8Array[] {
  const f = [RLP.encode(b.height), hexToBytes(b.proposer), hexToBytes(b.parent), hexToBytes(b.payload), Uint8Array.of(b.bad ? 1 : 0)]
  if (withRound) f.splice(1, 0, RLP.encode(b.round))
  return f
}

export function blockId(b: SimBlock): Hex {
  return keccakHex(RLP.encode(fields(b, false)))
}

export function blockDigest(b: SimBlock): Hex {
  return keccakHex(RLP.encode(fields(b, true)))
}

function uint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(bytesToHex(bytes))
}

export function encodeBlock(b: SimBlock): Uint8Array {
  return RLP.encode([b.height, b.round, hexToBytes(b.proposer), hexToBytes(b.parent), hexToBytes(b.payload), b.bad ? 1 : 0])
}

export function decodeBlock(bytes: Uint8Array): SimBlock {
  const d = RLP.decode(bytes)
  if (!Array.isArray(d) || d.length !== 6 || !d.every((x) => x instanceof Uint8Array)) throw new Error('sim block: bad shape')
  const [h, r, proposer, parent, payload, bad] = d as Uint8Array[]
  if (proposer!.length !== 20 || parent!.length !== 32 || payload!.length !== 32 || r!.length > 4) throw new Error('sim block: bad field')
  return {
    height: uint(h!),
    round: Number(uint(r!)),
    proposer: bytesToHex(proposer!) as Address,
    parent: bytesToHex(parent!) as Hex,
    payload: bytesToHex(payload!) as Hex,
    bad: uint(bad!) === 1n,
  }
}

/** BlockOps whose structural check is "extends the head this node has now". */
export function simBlockOps(head: () => ChainHead): BlockOps<SimBlock> {
  return {
    digest: blockDigest,
    withRound: (b, round) => ({ ...b, round }),
    roundOf: (b) => b.round,
    heightOf: (b) => b.height,
    encode: encodeBlock,
    decode: decodeBlock,
    validate: (b) => {
      const h = head()
      return b.height === h.height + 1n && b.parent === h.id
    },
    proposerOf: (b) => b.proposer,
  }
}

export function makeBlock(head: ChainHead, round: number, proposer: Address, payload: Hex, bad = false): SimBlock {
  return { height: head.height + 1n, round, proposer: proposer.toLowerCase() as Address, parent: head.id, payload, bad }
}
