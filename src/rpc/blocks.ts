/** Resolves JSON-RPC block references to stored blocks. Under BFT finality safe = finalized = latest. */
import type { Block } from '@ethereumjs/block'
import type { ChainReader } from '../node/ports.js'
import { QuorateError } from '../errors.js'
import type { BlockId, BlockTag } from './schemas.js'

/** What resolving a block reference reads: the head and blocks by number or hash. */
export type BlockReader = Pick<ChainReader, 'head' | 'getBlockByNumber' | 'getBlockByHash'>

export function blockNumberOf(store: BlockReader, tag: BlockTag | undefined): bigint {
  if (!tag) return store.head.header.number
  if (tag.kind === 'number') return tag.number
  return tag.tag === 'earliest' ? 0n : store.head.header.number
}

/** The block, or undefined when there is no such block. */
export async function findBlock(store: BlockReader, id: BlockId | undefined): Promise<Block | undefined> {
  if (id?.kind === 'hash') return store.getBlockByHash(id.hash)
  const number = blockNumberOf(store, id)
  return number === store.head.header.number ? store.head : store.getBlockByNumber(number)
}

/** The block, or a RESOURCE_NOT_FOUND error ("header not found", as geth says). */
export async function requireBlock(store: BlockReader, id: BlockId | undefined): Promise<Block> {
  const block = await findBlock(store, id)
  if (!block) throw new QuorateError('RESOURCE_NOT_FOUND', 'header not found')
  return block
}
