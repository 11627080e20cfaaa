/**
 * SingleSealer: the producer of a chain with one validator. It seals a block `blockPeriodMs` after
 * the previous one when transactions are pending, and an empty block every `emptyBlockPeriodMs`
 * otherwise. Its one commit seal is a quorum of one.
 */
import { bytesToHex, createAddressFromString } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { ChainStore } from '../chain/store.js'
import { decodeExtraData, encodeExtraData } from '../chain/extra-data.js'
import { privateKeyToAddress, sign } from '../crypto/keys.js'
import type { BlockExecutor } from '../execution/executor.js'
import { errorMessage } from '../errors.js'
import type { Hex } from '../types.js'
import { nextTimestamp, type BlockProducer, type CommitBlock, type PendingSource } from './producer.js'

export interface SingleSealerOptions {
  blockPeriodMs: number
  emptyBlockPeriodMs: number
  nodeKey: Uint8Array
}

export interface SingleSealerModules {
  store: ChainStore
  executor: BlockExecutor
  pool: PendingSource
  commit: CommitBlock
  logger: Logger
}

export class SingleSealer implements BlockProducer {
  private timer: NodeJS.Timeout | undefined
  private sealing: Promise<void> | undefined
  private stopped = true
  private lastSealMs: number

  constructor(
    private readonly opts: SingleSealerOptions,
    private readonly m: SingleSealerModules,
  ) {
    this.lastSealMs = Number(m.store.head.header.timestamp) * 1000
  }

  start(): void {
    this.stopped = false
    this.schedule()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.sealing
  }

  onPending(): void {
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped || this.sealing) return
    const wait = this.m.pool.size > 0 ? this.opts.blockPeriodMs : this.opts.emptyBlockPeriodMs
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.seal(), Math.max(0, this.lastSealMs + wait - Date.now()))
  }

  private seal(): void {
    this.sealing = this.sealOnce()
      .catch((err) => this.m.logger.error({ err: errorMessage(err) }, 'sealing failed'))
      .finally(() => {
        this.sealing = undefined
        this.schedule()
      })
  }

  private async sealOnce(): Promise<void> {
    const parent = this.m.store.head
    const now = Date.now()
    const parentExtra = decodeExtraData(parent.header.extraData)
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: parentExtra.validators, round: 0, seals: [] })
    const built = await this.m.executor.build(parent, this.m.pool.pending(parent.header.gasLimit), {
      timestamp: nextTimestamp(parent, this.opts.blockPeriodMs, now),
      coinbase: createAddressFromString(privateKeyToAddress(this.opts.nodeKey)),
      extraData,
    })
    for (const { tx, error } of built.rejected) this.m.pool.remove(bytesToHex(tx.hash()) as Hex, errorMessage(error))
    const seal = sign(built.block.hash(), this.opts.nodeKey)
    await this.m.commit({ block: built.block, seals: [seal], receipts: built.receipts })
    this.lastSealMs = now
  }
}
