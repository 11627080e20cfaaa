/**
 * Block sync: a node that is behind (restarted, wiped, or new) fetches final blocks from a peer,
 * checks each one's commit seals against the validator set of its parent (a quorum of distinct
 * validators over its seal digest), executes it, and commits it through the node. A peer that serves
 * a block that fails any check is penalised and the sync moves to another peer.
 *
 * Protocols on the P2P host:
 *   `status`      direct message RLP [head number, head hash]: sent on connect and on each new head.
 *   `sync/blocks` request RLP [first number, count] → RLP [[block RLP, round, [seals]], …] (consecutive,
 *                 at most MAX_BLOCKS_PER_REQUEST and MAX_RESPONSE_BYTES).
 */
import type { Block } from '@ethereumjs/block'
import { createBlockFromRLP } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { blockOptions } from '../chain/common.js'
import { decodeExtraData } from '../chain/extra-data.js'
import { sealDigest } from '../chain/finality.js'
import type { ChainParamsSource } from '../chain/params.js'
import type { BlockRecord, ChainStore } from '../chain/store.js'
import { verifyCommitSeals } from '../consensus/qbft/index.js'
import { checkStructure } from '../consensus/qbft-block.js'
import type { ValidatorSource } from '../consensus/validators.js'
import { errorMessage, QuorateError } from '../errors.js'
import type { BlockExecutor } from '../execution/executor.js'
import type { Address, Hex } from '../types.js'
import { RequestTimeoutError } from './errors.js'
import type { P2PHost } from './host.js'

export const MAX_BLOCKS_PER_REQUEST = 64
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024
const STATUS = 'status'
const BLOCKS = 'sync/blocks'

export class SyncError extends QuorateError {
  override name = 'SyncError'
  constructor(reason: string) {
    super('BAD_SYNC_RESPONSE', `invalid sync response: ${reason}`)
  }
}

export interface BlockSyncModules {
  common: Common
  store: ChainStore
  executor: BlockExecutor
  validators: ValidatorSource
  host: P2PHost
  commit: (record: BlockRecord) => Promise<void>
  logger: Logger
  params: ChainParamsSource
}

export class BlockSync {
  /** Best head each peer announced. */
  private readonly peerHeads = new Map<Address, bigint>()
  /** Peers whose entry in peerHeads they announced themselves (not inferred from consensus traffic). */
  private readonly announced = new Set<Address>()
  private running: Promise<void> | undefined
  private stopped = false
  private halted = false
  private requestsServed = 0
  private invalidResponses = 0

  constructor(private readonly m: BlockSyncModules) {
    m.host.handle(BLOCKS, (_from, payload) => this.serve(payload))
    m.host.subscribe(STATUS)
    m.host.on('peer:connect', (peer) => this.sendStatus(peer))
    m.host.on('peer:disconnect', (peer) => {
      this.peerHeads.delete(peer)
      this.announced.delete(peer)
    })
    m.host.on('message', (msg) => {
      if (msg.protocol === STATUS) this.onStatus(msg.from, msg.payload)
    })
  }

  stop(): void {
    this.stopped = true
    this.m.host.unhandle(BLOCKS)
  }

  /**
   * Imports nothing more (the node stopped at a protocol upgrade it does not support) but still
   * serves the blocks it has and announces its head.
   */
  halt(): void {
    this.halted = true
  }

  /** The highest head any peer announced (for eth_syncing and readiness). */
  highestKnown(): bigint {
    let best = this.m.store.head.header.number
    for (const h of this.peerHeads.values()) if (h > best) best = h
    return best
  }

  get syncing(): boolean {
    return this.running !== undefined
  }

  stats(): { requestsServed: number; invalidResponses: number } {
    return { requestsServed: this.requestsServed, invalidResponses: this.invalidResponses }
  }

  /** Tell every peer about a new head. */
  announce(block: Block): void {
    this.m.host.broadcast(STATUS, statusPayload(block))
  }

  /** Consensus saw a peer ahead of us: sync from it. */
  behind(peer: Address): void {
    const known = this.peerHeads.get(peer) ?? 0n
    const next = this.m.store.head.header.number + 1n
    if (known < next) this.peerHeads.set(peer, next)
    this.kick()
  }

  private sendStatus(peer: Address): void {
    this.m.host.send(peer, STATUS, statusPayload(this.m.store.head))
  }

  private onStatus(from: Address, payload: Uint8Array): void {
    try {
      const [num] = RLP.decode(payload) as Uint8Array[]
      if (!(num instanceof Uint8Array) || num.length > 8) throw new Error('bad number')
      this.peerHeads.set(from, bytesToBigInt(num))
      this.announced.add(from)
      this.kick()
    } catch {
      this.m.host.penalise(from, 'bad status message', 10)
    }
  }

  private kick(): void {
    if (this.running || this.stopped || this.halted) return
    if (this.highestKnown() <= this.m.store.head.header.number) return
    this.running = this.syncLoop().finally(() => {
      this.running = undefined
      if (!this.stopped && this.highestKnown() > this.m.store.head.header.number) setTimeout(() => this.kick(), 500).unref()
    })
  }

  private async syncLoop(): Promise<void> {
    for (;;) {
      const head = this.m.store.head.header.number
      const peer = [...this.peerHeads].filter(([p, h]) => h > head && this.m.host.isConnected(p)).sort((a, b) => (a[1] > b[1] ? -1 : 1))[0]
      if (!peer || this.stopped || this.halted) return
      const [address, peerHead] = peer
      const count = Number(peerHead - head > BigInt(MAX_BLOCKS_PER_REQUEST) ? BigInt(MAX_BLOCKS_PER_REQUEST) : peerHead - head)
      try {
        const response = await this.m.host.request(address, BLOCKS, RLP.encode([bigIntToUnpaddedBytes(head + 1n), bigIntToUnpaddedBytes(BigInt(count))]))
        const { served, imported } = await this.importResponse(response)
        if (served === 0) {
          // A head it announced itself but does not serve: a stalling peer (or a liar). A head only
          // inferred from its consensus messages may simply not be final there yet.
          if (this.announced.has(address)) this.m.host.penalise(address, 'announced a head it did not serve', 10)
          this.peerHeads.set(address, head)
        }
        else if (imported > 0) this.m.logger.info({ peer: address, imported, head: Number(this.m.store.head.header.number), target: Number(peerHead) }, 'synced blocks')
      } catch (err) {
        if (err instanceof SyncError || (err instanceof QuorateError && err.code === 'INVALID_BLOCK')) {
          this.invalidResponses++
          this.m.host.penalise(address, err.shortMessage, 50)
        } else if (err instanceof RequestTimeoutError && this.announced.has(address)) {
          this.m.host.penalise(address, 'sync request timed out', 10)
        }
        this.m.logger.warn({ peer: address, err: errorMessage(err) }, 'sync request failed')
        this.peerHeads.delete(address)
      }
    }
  }

  /** `served`: blocks in the response; `imported`: those that were new here. */
  private async importResponse(bytes: Uint8Array): Promise<{ served: number; imported: number }> {
    let items: unknown
    try {
      items = RLP.decode(bytes)
    } catch {
      throw new SyncError('not RLP')
    }
    if (!Array.isArray(items) || items.length > MAX_BLOCKS_PER_REQUEST) throw new SyncError('expected a list of at most 64 blocks')
    let imported = 0
    for (const item of items as unknown[]) {
      if (!Array.isArray(item) || item.length !== 3 || !(item[0] instanceof Uint8Array) || !(item[1] instanceof Uint8Array) || item[1].length > 4 || !Array.isArray(item[2])) {
        throw new SyncError('expected [block, round, seals]')
      }
      const round = Number(bytesToBigInt(item[1]))
      const seals = item[2] as unknown[]
      if (!seals.every((s) => s instanceof Uint8Array)) throw new SyncError('seals must be byte strings')
      let block: Block
      try {
        block = createBlockFromRLP(item[0], blockOptions(this.m.common))
      } catch (err) {
        throw new SyncError(`undecodable block: ${errorMessage(err)}`)
      }
      const parent = this.m.store.head
      if (block.header.number <= parent.header.number) continue // became final meanwhile
      if (this.halted) break
      const [validators, params] = await Promise.all([this.m.validators.validatorsAfter(parent), this.m.params.paramsFor(parent)])
      const problem = checkStructure(block, { parent, validators, params })
      if (problem) throw new SyncError(`block ${block.header.number}: ${problem}`)
      if (decodeExtraData(block.header.extraData).round !== 0) throw new SyncError(`block ${block.header.number} is not in stored form (round 0)`)
      const check = verifyCommitSeals(sealDigest(block, round, this.m.common), seals as Uint8Array[], validators)
      if (!check.ok) throw new SyncError(`block ${block.header.number} lacks a quorum of valid commit seals (${check.signers.length} of ${validators.length})`)
      const executed = await this.m.executor.execute(parent, block)
      await this.m.commit({ block, finality: { round, seals: seals as Uint8Array[] }, receipts: executed.receipts })
      imported++
    }
    return { served: (items as unknown[]).length, imported }
  }

  private async serve(payload: Uint8Array): Promise<Uint8Array> {
    const [first, count] = RLP.decode(payload) as Uint8Array[]
    if (!(first instanceof Uint8Array) || !(count instanceof Uint8Array) || first.length > 8 || count.length > 2) throw new SyncError('bad request')
    const from = bytesToBigInt(first)
    const n = Math.min(Number(bytesToBigInt(count)), MAX_BLOCKS_PER_REQUEST)
    const out: [Uint8Array, Uint8Array, Uint8Array[]][] = []
    let size = 0
    for (let i = 0n; i < BigInt(n); i++) {
      const block = await this.m.store.getBlockByNumber(from + i)
      if (!block) break
      const body = block.serialize()
      const { round, seals } = await this.m.store.getFinality(bytesToHex(block.hash()) as Hex)
      size += body.length + 65 * seals.length
      if (size > MAX_RESPONSE_BYTES && out.length > 0) break
      out.push([body, bigIntToUnpaddedBytes(BigInt(round)), seals])
    }
    this.requestsServed++
    return RLP.encode(out)
  }
}

function statusPayload(block: Block): Uint8Array {
  return RLP.encode([bigIntToUnpaddedBytes(block.header.number), block.hash()])
}
