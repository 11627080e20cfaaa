/**
 * How the QBFT machine sees an ethereumjs Block: digest = the hash of the block as proposed (its
 * round in extraData, no seals; see chain/extra-data.ts), round rewriting for re-proposals, the
 * wire encoding, and the structural checks against the parent that need no execution.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'
import { decodeBlock, type KnownTransactions } from '../chain/decode-block.js'
import { decodeExtraData } from '../chain/extra-data.js'
import { withRound } from '../chain/finality.js'
import { minTimestampStep, type ChainParams } from '../chain/params.js'
import type { Address, Hex } from '../types.js'
import type { BlockOps } from './qbft/index.js'

export interface ParentView {
  parent: Block
  validators: readonly Address[]
  /** The chain parameters of the child (chain/params.ts). */
  params: Pick<ChainParams, 'blockPeriodMs' | 'gasLimit'>
}

/** Structural checks of a block against its parent; returns the reason it fails, or undefined. */
export function checkStructure(block: Block, view: ParentView): string | undefined {
  const { parent } = view
  const h = block.header
  if (h.number !== parent.header.number + 1n) return `number ${h.number} does not follow ${parent.header.number}`
  if (!equalsBytes(h.parentHash, parent.hash())) return 'parent hash does not match the head'
  if (h.gasLimit !== view.params.gasLimit) return `gas limit ${h.gasLimit} differs from the chain gas limit ${view.params.gasLimit}`
  if (h.baseFeePerGas !== 0n) return 'base fee must be 0'
  if (h.difficulty !== 0n) return 'difficulty must be 0'
  if (h.timestamp < parent.header.timestamp + minTimestampStep(view.params.blockPeriodMs)) return 'timestamp too early for the block period'
  if (h.timestamp > BigInt(Math.floor(Date.now() / 1000)) + 15n) return 'timestamp too far in the future'
  let extra
  try {
    extra = decodeExtraData(h.extraData)
  } catch (err) {
    return (err as Error).message
  }
  if (extra.seals.length !== 0) return 'a proposed block must carry no seals in its header'
  if (extra.validators.join() !== view.validators.join()) return 'validator list in extraData differs from the parent state'
  return undefined
}

/**
 * A block from the wire, refused unless its bytes are the block's own encoding. ethereumjs reads some
 * malformed fields leniently (an empty list where a number belongs reads as 0), so without this one
 * proposal has many wire forms under one hash, each of them passing gossip de-duplication.
 * `known`: transactions this node holds (its pool); a proposal's are taken from there, not decoded again.
 */
export function decodeCanonicalBlock(bytes: Uint8Array, common: Common, known?: KnownTransactions): Block {
  const block = decodeBlock(bytes, common, known)
  if (!equalsBytes(block.serialize(), bytes)) throw new QuorateError('INVALID_BLOCK', 'block is not in canonical RLP encoding: its fields re-encode to other bytes')
  return block
}

export function qbftBlockOps(common: Common, view: () => ParentView, known?: KnownTransactions): BlockOps<Block> {
  return {
    digest: (block) => bytesToHex(block.hash()) as Hex,
    withRound: (block, round) => withRound(block, round, common),
    roundOf: (block) => decodeExtraData(block.header.extraData).round,
    heightOf: (block) => block.header.number,
    encode: (block) => block.serialize(),
    decode: (bytes) => decodeCanonicalBlock(bytes, common, known),
    validate: (block) => checkStructure(block, view()) === undefined,
    proposerOf: (block) => block.header.coinbase.toString() as Address,
  }
}
