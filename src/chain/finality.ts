/**
 * A block's finality proof: the round in which it was decided and the commit seals over its seal
 * digest (see extra-data.ts for why this is kept beside the stored block, not in its hash).
 */
import { Block, createBlockHeader, type BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import type { Hex } from '../types.js'
import { blockOptions } from './common.js'
import { decodeExtraData, encodeExtraData } from './extra-data.js'

export interface Finality {
  round: number
  seals: Uint8Array[]
}

export const GENESIS_FINALITY: Finality = { round: 0, seals: [] }

/** The same block with another round in its extraData (and no seals); the transaction objects are kept as they are. */
export function withRound(block: Block, round: number, common: Common): Block {
  const header = headerWithRound(block, round, common)
  if (!header) return block
  const opts = blockOptions(common)
  // The Block constructor takes the transactions as they are; createBlock would rebuild each one.
  return new Block(header, block.transactions, block.uncleHeaders, block.withdrawals, opts)
}

/** The hash commit seals sign: the header as proposed in `round`. */
export function sealDigest(block: Block, round: number, common: Common): Hex {
  return bytesToHex((headerWithRound(block, round, common) ?? block.header).hash()) as Hex
}

/** The header with `round` and no seals in its extraData; undefined when it already is. */
function headerWithRound(block: Block, round: number, common: Common): BlockHeader | undefined {
  const extra = decodeExtraData(block.header.extraData)
  if (extra.round === round && extra.seals.length === 0) return undefined
  return createBlockHeader({ ...block.header.toJSON(), extraData: encodeExtraData({ ...extra, round, seals: [] }) }, blockOptions(common))
}
