/**
 * How blocks get made. The node owns one BlockProducer (QBFT, for one validator or many). It builds
 * through the BlockExecutor and hands a sealed block to `commit`, which stores it and tells the
 * rest of the node.
 */
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { minTimestampStep } from '../chain/params.js'
import type { BlockRecord } from '../chain/store.js'

export interface BlockProducer {
  start(): void
  stop(): Promise<void>
  /** The pool has new executable transactions. */
  onPending(): void
}

/** What a producer needs from the pool. */
export interface PendingSource {
  pending(gasLimit: bigint): TypedTransaction[]
  remove(hash: `0x${string}`, reason: string): void
  /** A pooled transaction by hash: a proposal's transactions are taken from here instead of decoded again. */
  get(hash: `0x${string}`): TypedTransaction | undefined
  readonly size: number
}

export type CommitBlock = (record: BlockRecord) => Promise<void>

/** Block timestamps are seconds: strictly increasing for periods of a second or more, non-decreasing below. */
export function nextTimestamp(parent: Block, blockPeriodMs: number, nowMs: number): bigint {
  const min = parent.header.timestamp + minTimestampStep(blockPeriodMs)
  const now = BigInt(Math.floor(nowMs / 1000))
  return now > min ? now : min
}
