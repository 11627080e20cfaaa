/**
 * Block sync: a node that is behind (restarted, wiped, or new) fetches final blocks from a peer and
 * hands them to block import (block-import.ts: seals, structure, re-execution, commit). A peer that
 * serves a block that fails any check is penalised and the sync moves to another peer. While one
 * batch is being imported, the next one is already requested from the same peer.
 *
 * Protocols on the P2P host:
 *   `status`      direct message RLP [head number, head hash]: sent on connect and on each new head.
 *   `sync/blocks` request RLP [first number, count, outcomes] → RLP [[block RLP, round, [seals]], …]
 *                 (consecutive, at most MAX_BLOCKS_PER_REQUEST and MAX_RESPONSE_BYTES). With
 *                 `outcomes` 0x01, a block whose outcome the peer kept comes as [block RLP, round,
 *                 [seals], receipts RLP, state changes RLP], so that it is applied, not re-executed
 *                 (block-import.ts). A peer of an earlier release ignores the flag and sends 3-item entries.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { Finality } from '../chain/finality.js'
import { errorMessage, QuorateError } from '../errors.js'
import { RequestTimeoutError } from '../network/errors.js'
import type { P2PMessage, RequestHandler } from '../network/host.js'
import type { PeerInfo } from '../network/peer.js'
import type { Address, Hex } from '../types.js'
import { SyncError, type BlockImport, type FetchedBlock } from './block-import.js'
import { decodeBlock } from '../chain/decode-block.js'
import { decodeReceipts } from '../chain/receipts.js'

export { SyncError } from './block-import.js'

export const MAX_BLOCKS_PER_REQUEST = 64
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024
const STATUS = 'status'
const BLOCKS = 'sync/blocks'
const WITH_OUTCOMES = Uint8Array.of(1)

/** What sync needs of the P2P host (P2PHost is one). */
export interface SyncNetwork {
  handle(protocol: string, handler: RequestHandler): void
  unhandle(protocol: string): void
  subscribe(protocol: string): void
  on(event: 'message', listener: (msg: P2PMessage) => void): unknown
  on(event: 'peer:connect', listener: (address: Address, info: PeerInfo) => void): unknown
  on(event: 'peer:disconnect', listener: (address: Address, reason: string) => void): unknown
  send(peer: Address, protocol: string, payload: Uint8Array): boolean
  broadcast(protocol: string, payload: Uint8Array): number
  request(peer: Address, protocol: string, payload: Uint8Array): Promise<Uint8Array>
  penalise(peer: Address, reason: string, points: number): void
  isConnected(peer: Address): boolean
}

/** What sync reads of the local chain: its head, and the blocks it serves to peers. */
export interface SyncChain {
  readonly head: Block
  getBlockByNumber(number: bigint): Promise<Block | undefined>
  getFinality(hash: Hex): Promise<Finality>
  /** A block's receipts and state changes as stored (RLP), if it kept them. */
  getBlockOutcome(hash: Hex): Promise<{ receipts: Uint8Array; changes: Uint8Array } | undefined>
}

export interface BlockSyncModules {
  common: Common
  chain: SyncChain
  host: SyncNetwork
  importer: BlockImport
  logger: Logger
}

export interface AnnouncedHead {
  address: Address
  head: bigint
  /** When it was announced, ms. */
  at: number
}

export interface DepartedPeer {
  /** When the connection ended, ms. */
  lastSeenAt: number
  /** The head it last announced, if it did. */
  head?: bigint
  /** This node's head when the connection ended. */
  ourHeadAtLeave: bigint
}

export class BlockSync {
  /** Best head each peer announced. */
  private readonly peerHeads = new Map<Address, bigint>()
  /** Peers whose entry in peerHeads they announced themselves (not inferred from consensus traffic). */
  private readonly announced = new Set<Address>()
  /** When each peer last announced its head (ms). */
  private readonly announcedAt = new Map<Address, number>()
  /** Peers whose connection ended since start, with what they last told us (for the fleet view). */
  private readonly departed = new Map<Address, DepartedPeer>()
  private running: Promise<void> | undefined
  private stopped = false
  private halted = false
  private requestsServed = 0
  private invalidResponses = 0
  /** Blocks imported from the state changes the peer kept, not re-executed. */
  private blocksApplied = 0

  constructor(private readonly m: BlockSyncModules) {
    m.host.handle(BLOCKS, (_from, payload) => this.serve(payload))
    m.host.subscribe(STATUS)
    m.host.on('peer:connect', (peer) => {
      this.departed.delete(peer)
      this.sendStatus(peer)
    })
    m.host.on('peer:disconnect', (peer) => {
      const head = this.announced.has(peer) ? this.peerHeads.get(peer) : undefined
      this.departed.set(peer, { lastSeenAt: Date.now(), ...(head !== undefined ? { head } : {}), ourHeadAtLeave: this.m.chain.head.header.number })
      this.peerHeads.delete(peer)
      this.announced.delete(peer)
      this.announcedAt.delete(peer)
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
    let best = this.m.chain.head.header.number
    for (const h of this.peerHeads.values()) if (h > best) best = h
    return best
  }

  get syncing(): boolean {
    return this.running !== undefined
  }

  stats(): { requestsServed: number; invalidResponses: number; blocksApplied: number } {
    return { requestsServed: this.requestsServed, invalidResponses: this.invalidResponses, blocksApplied: this.blocksApplied }
  }

  /** The heads peers announced themselves (not inferred from consensus traffic), and the peers that left. */
  peerReports(): { announced: AnnouncedHead[]; departed: (DepartedPeer & { address: Address })[] } {
    return {
      announced: [...this.announced].flatMap((address) => {
        const head = this.peerHeads.get(address)
        const at = this.announcedAt.get(address)
        return head !== undefined && at !== undefined ? [{ address, head, at }] : []
      }),
      departed: [...this.departed].map(([address, d]) => ({ address, ...d })),
    }
  }

  /** Tell every peer about a new head. */
  announce(block: Block): void {
    this.m.host.broadcast(STATUS, statusPayload(block))
  }

  /** Consensus saw a peer ahead of us: sync from it. */
  behind(peer: Address): void {
    const known = this.peerHeads.get(peer) ?? 0n
    const next = this.m.chain.head.header.number + 1n
    if (known < next) this.peerHeads.set(peer, next)
    this.kick()
  }

  private sendStatus(peer: Address): void {
    this.m.host.send(peer, STATUS, statusPayload(this.m.chain.head))
  }

  private onStatus(from: Address, payload: Uint8Array): void {
    try {
      const [num] = RLP.decode(payload) as Uint8Array[]
      if (!(num instanceof Uint8Array) || num.length > 8) throw new Error('bad number')
      this.peerHeads.set(from, bytesToBigInt(num))
      this.announced.add(from)
      this.announcedAt.set(from, Date.now())
      this.kick()
    } catch {
      this.m.host.penalise(from, 'bad status message', 10)
    }
  }

  private kick(): void {
    if (this.running || this.stopped || this.halted) return
    if (this.highestKnown() <= this.m.chain.head.header.number) return
    this.running = this.syncLoop().finally(() => {
      this.running = undefined
      if (!this.stopped && this.highestKnown() > this.m.chain.head.header.number) setTimeout(() => this.kick(), 500).unref()
    })
  }

  private async syncLoop(): Promise<void> {
    /** The next batch, requested while the current one is imported: from which peer, from which block. */
    let ahead: { address: Address; first: bigint; response: Promise<Uint8Array> } | undefined
    for (;;) {
      const head = this.m.chain.head.header.number
      const peer = [...this.peerHeads].filter(([p, h]) => h > head && this.m.host.isConnected(p)).sort((a, b) => (a[1] > b[1] ? -1 : 1))[0]
      if (!peer || this.stopped || this.halted) {
        ahead?.response.catch(() => undefined)
        return
      }
      const [address, peerHead] = peer
      const count = countFrom(head, peerHead)
      try {
        let pending: Promise<Uint8Array>
        if (ahead && ahead.address === address && ahead.first === head + 1n) pending = ahead.response
        else {
          ahead?.response.catch(() => undefined)
          pending = this.requestBlocks(address, head + 1n, count)
        }
        ahead = undefined
        const blocks = this.decodeResponse(await pending)
        // A full batch short of the peer's head: ask for the next one while this one is imported.
        const next = head + BigInt(blocks.length) + 1n
        if (blocks.length === MAX_BLOCKS_PER_REQUEST && next <= peerHead) {
          ahead = { address, first: next, response: this.requestBlocks(address, next, countFrom(next - 1n, peerHead)) }
          ahead.response.catch(() => undefined)
        }
        const { imported, applied, refused, refusal } = await this.m.importer.importBlocks(blocks, () => this.halted)
        this.blocksApplied += applied
        if (refused > 0) {
          // The blocks were sealed and re-executed fine: only what the peer served beside them was wrong.
          this.invalidResponses++
          this.m.host.penalise(address, 'invalid sync response: state changes that do not give the sealed roots', 20)
          this.m.logger.warn({ peer: address, refused, reason: refusal }, 'a peer served block outcomes that fail their checks; those blocks were re-executed')
        }
        if (blocks.length === 0) {
          // A head it announced itself but does not serve: a stalling peer (or a liar). A head only
          // inferred from its consensus messages may simply not be final there yet.
          if (this.announced.has(address)) this.m.host.penalise(address, 'announced a head it did not serve', 10)
          this.peerHeads.set(address, head)
        }
        else if (imported > 0) this.m.logger.info({ peer: address, imported, applied, head: Number(this.m.chain.head.header.number), target: Number(peerHead) }, 'synced blocks')
      } catch (err) {
        ahead?.response.catch(() => undefined)
        ahead = undefined
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

  private requestBlocks(peer: Address, first: bigint, count: number): Promise<Uint8Array> {
    return this.m.host.request(peer, BLOCKS, RLP.encode([bigIntToUnpaddedBytes(first), bigIntToUnpaddedBytes(BigInt(count)), WITH_OUTCOMES]))
  }

  /** The blocks of a `sync/blocks` response, decoded (checked by block import). */
  private decodeResponse(bytes: Uint8Array): FetchedBlock[] {
    let items: unknown
    try {
      items = RLP.decode(bytes)
    } catch {
      throw new SyncError('not RLP')
    }
    if (!Array.isArray(items) || items.length > MAX_BLOCKS_PER_REQUEST) throw new SyncError('expected a list of at most 64 blocks')
    return (items as unknown[]).map((item): FetchedBlock => {
      if (!Array.isArray(item) || (item.length !== 3 && item.length !== 5) || !(item[0] instanceof Uint8Array) || !(item[1] instanceof Uint8Array) || item[1].length > 4 || !Array.isArray(item[2])) {
        throw new SyncError('expected [block, round, seals] or [block, round, seals, receipts, changes]')
      }
      const seals = item[2] as unknown[]
      if (!seals.every((s) => s instanceof Uint8Array)) throw new SyncError('seals must be byte strings')
      let block: Block
      try {
        block = decodeBlock(item[0], this.m.common)
      } catch (err) {
        throw new SyncError(`undecodable block: ${errorMessage(err)}`)
      }
      const fetched: FetchedBlock = { block, finality: { round: Number(bytesToBigInt(item[1])), seals: seals as Uint8Array[] } }
      if (item.length === 5) {
        const [, , , receipts, changes] = item as unknown[]
        if (!(receipts instanceof Uint8Array) || !(changes instanceof Uint8Array)) throw new SyncError('receipts and changes must be byte strings')
        try {
          fetched.outcome = { receipts: decodeReceipts(receipts), changes }
        } catch (err) {
          throw new SyncError(`undecodable receipts: ${errorMessage(err)}`)
        }
      }
      return fetched
    })
  }

  private async serve(payload: Uint8Array): Promise<Uint8Array> {
    const [first, count, outcomes] = RLP.decode(payload) as Uint8Array[]
    if (!(first instanceof Uint8Array) || !(count instanceof Uint8Array) || first.length > 8 || count.length > 2) throw new SyncError('bad request')
    const withOutcomes = outcomes instanceof Uint8Array && outcomes.length === 1 && outcomes[0] === 1
    const from = bytesToBigInt(first)
    const n = Math.min(Number(bytesToBigInt(count)), MAX_BLOCKS_PER_REQUEST)
    const out: (Uint8Array | Uint8Array[])[][] = []
    let size = 0
    for (let i = 0n; i < BigInt(n); i++) {
      const block = await this.m.chain.getBlockByNumber(from + i)
      if (!block) break
      const body = block.serialize()
      const hash = bytesToHex(block.hash()) as Hex
      const { round, seals } = await this.m.chain.getFinality(hash)
      const outcome = withOutcomes ? await this.m.chain.getBlockOutcome(hash) : undefined
      size += body.length + 65 * seals.length + (outcome ? outcome.receipts.length + outcome.changes.length : 0)
      if (size > MAX_RESPONSE_BYTES && out.length > 0) break
      const entry = [body, bigIntToUnpaddedBytes(BigInt(round)), seals]
      out.push(outcome ? [...entry, outcome.receipts, outcome.changes] : entry)
    }
    this.requestsServed++
    return RLP.encode(out)
  }
}

/** Blocks to ask for after `head`, towards `peerHead`. */
function countFrom(head: bigint, peerHead: bigint): number {
  return Number(peerHead - head > BigInt(MAX_BLOCKS_PER_REQUEST) ? BigInt(MAX_BLOCKS_PER_REQUEST) : peerHead - head)
}

function statusPayload(block: Block): Uint8Array {
  return RLP.encode([bigIntToUnpaddedBytes(block.header.number), block.hash()])
}
