/**
 * The narrow views of a running node that JSON-RPC, ops and privacy share: the chain as stored,
 * the feed of final blocks, block sync's progress and the consensus status. Each consumer composes
 * the ones it reads (with its own few extras) instead of taking the whole `Node`; the node
 * satisfies them structurally, and a unit test can pass small in-memory fakes. Types only: nothing
 * here runs, and this module must not import the node.
 */
import type { BlockRecord, ChainStore } from '../chain/store.js'
import type { QbftMetricsView } from '../consensus/qbft-producer.js'
import type { BlockSync } from '../sync/block-sync.js'

/** Where a final block came from: decided by consensus here, or fetched by block sync (a node catching up). */
export type BlockSource = 'consensus' | 'sync'

export interface NodeEvents {
  /** A block became final (and is stored). */
  block: [record: BlockRecord, source: BlockSource]
}

/** Final blocks, their seals and receipts, and where a transaction is: the chain store's reads. */
export type ChainReader = Pick<ChainStore, 'head' | 'getBlockByNumber' | 'getBlockByHash' | 'getFinality' | 'getReceipts' | 'getTxLocation'>

/** Final blocks as they enter the chain (the node's `block` event). */
export interface BlockFeed {
  on(event: 'block', listener: (...args: NodeEvents['block']) => void): unknown
  off(event: 'block', listener: (...args: NodeEvents['block']) => void): unknown
}

/** Block sync's progress: whether it runs, and the highest block peers announced. */
export type SyncView = Pick<BlockSync, 'syncing' | 'highestKnown'>

/** The consensus engine's status; undefined before it has one. */
export interface ConsensusView {
  status(): QbftMetricsView | undefined
}
