/**
 * A block's finality proof: the round in which it was decided and the commit seals over its seal
 * digest (see extra-data.ts for why this is kept beside the stored block, not in its hash).
 */
import { createBlock, type Block } from '@ethereumjs/block'
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

/** The same block with another round in its extraData (and no seals). */
export function withRound(block: Block, round: number, common: Common): Block {
  const extra = decodeExtraData(block.header.extraData)
  if (extra.round === round && extra.seals.length === 0) return block
  return createBlock(
    { header: { ...block.header.toJSON(), extraData: encodeExtraData({ ...extra, round, seals: [] }) }, transactions: block.transactions },
    blockOptions(common),
  )
}

/** The hash commit seals sign: the header as proposed in `round`. */
export function sealDigest(block: Block, round: number, common: Common): Hex {
  return bytesToHex(withRound(block, round, common).hash()) as Hex
}
