/**
 * ChainStore: the node's chain on disk (classic-level under `<dataDir>/chain`).
 *
 * Every block is written in ONE atomic LevelDB batch together with its seals, receipts, tx index,
 * the state-trie nodes its execution created, and the new head pointer, so a crash (even kill -9)
 * leaves either the whole block or none of it. State-trie nodes are content-addressed and never
 * deleted (no pruning), so the state of every block stays readable.
 *
 * Keys (utf8): `H` head hash · `n:<num hex16>` canonical hash · `b:<hash>` block RLP (header with
 * round 0 and no seals) · `s:<hash>` RLP [round, [commit seals]] · `r:<hash>` receipts · `c:<hash>`
 * what the block changed in the state (execution/state-changes.ts; absent for blocks committed
 * before they were kept) · `t:<txhash>` RLP [number, index] · `t/<trie key>` trie nodes and code ·
 * `P` a probe written when recovering.
 *
 * Write failures (disk full, I/O errors): LevelDB remembers a failed write or compaction as a
 * background error and refuses every later write until the database is reopened. So a failed
 * commit marks the store `failure` (with a reason an operator can act on), puts the block's trie
 * nodes back so the very same block can be committed again, and refuses further commits until
 * `recover()` has reopened the database and written a probe. Reads keep working meanwhile: on a
 * full disk the database is not closed for a reopen until the file system has room again.
 */
import { statfs } from 'node:fs/promises'
import { ClassicLevel } from 'classic-level'
import { createBlockFromRLP, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, hexToBytes, type BatchDBOp, type DB } from '@ethereumjs/util'
import { errorMessage, QuorateError } from '../errors.js'
import type { Hash } from '../types.js'
import { blockOptions } from './common.js'
import { decodeReceipts, encodeReceipts, type StoredReceipt } from './receipts.js'
import type { Finality } from './finality.js'

type Level = ClassicLevel<string, Uint8Array>

/** Free space below which a store that ran out of disk does not try to reopen. */
export const RECOVERY_MIN_FREE_BYTES = 4 * 1024 * 1024

/** Bytes an unprivileged writer may still use on the file system of `path`; Infinity when unknown. */
async function freeBytes(path: string): Promise<number> {
  try {
    const s = await statfs(path)
    return s.bavail * s.bsize
  } catch {
    return Infinity
  }
}

/** Blocks kept decoded in memory, and blocks whose decoded receipts are. */
const RECENT_BLOCKS = 256
const RECENT_RECEIPTS = 16

/** Puts `value` under `key` in a map kept to `max` entries, the oldest dropped first; returns `value`. */
function keepRecent<V>(map: Map<string, V>, key: string, value: V, max: number): V {
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as string)
  return value
}

const numKey = (n: bigint) => `n:${n.toString(16).padStart(16, '0')}`

export class StoreError extends QuorateError {
  override name = 'StoreError'
}

/** A StoreError for a failed write: STORE_DISK_FULL when the file system is out of space, else STORE_IO_ERROR. */
export function storeWriteError(err: unknown, what: string): StoreError {
  const text = errorMessage(err)
  if (/no space left|ENOSPC|disk full|quota exceeded|EDQUOT/i.test(text)) {
    return new StoreError('STORE_DISK_FULL', `disk full: cannot write ${what}: ${text}`, {
      details: 'free space on the data folder\'s file system; the node recovers by itself once there is room',
      cause: err,
    })
  }
  return new StoreError('STORE_IO_ERROR', `I/O error: cannot write ${what}: ${text}`, {
    details: 'check the disk and the system log; the node retries and recovers by itself once writes succeed',
    cause: err,
  })
}

/**
 * The DB that ethereumjs's trie writes to: writes stay in memory until the block that produced
 * them is committed (then they go into that block's batch); reads fall through to LevelDB.
 */
export class TrieDb implements DB<string, Uint8Array> {
  private pending = new Map<string, Uint8Array>()
  constructor(private readonly level: Level) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.pending.get(key) ?? (await this.level.get(`t/${key}`))
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    this.pending.set(key, value)
  }
  async del(): Promise<void> {
    // Content-addressed nodes may be shared by other states: never delete (no pruning).
  }
  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.pending.set(op.key, op.value)
  }
  /** Puts back nodes whose write failed, so the block can be committed again. */
  restore(nodes: [string, Uint8Array][]): void {
    for (const [key, value] of nodes) if (!this.pending.has(key)) this.pending.set(key, value)
  }
  shallowCopy(): DB<string, Uint8Array> {
    return this
  }
  async open(): Promise<void> {}

  /** Moves the pending nodes out, to be written with a block. */
  drain(): [string, Uint8Array][] {
    const out = [...this.pending]
    this.pending = new Map()
    return out
  }
}

export interface BlockRecord {
  /** The block in its stored form: round 0 and no seals in extraData. */
  block: Block
  finality: Finality
  receipts: StoredReceipt[]
  /** What the block changed in the state (encoded, execution/state-changes.ts), served to peers that sync. */
  changes?: Uint8Array
}

export interface TxLocation {
  blockNumber: bigint
  blockHash: Hash
  index: number
}

export class ChainStore {
  readonly trieDb: TrieDb
  private headBlock: Block | undefined
  private readonly recent = new Map<string, Block>()
  private readonly recentReceipts = new Map<string, readonly StoredReceipt[]>()
  private writeFailure: StoreError | undefined

  private constructor(
    private readonly level: Level,
    readonly common: Common,
  ) {
    this.trieDb = new TrieDb(level)
  }

  static async open(dir: string, common: Common): Promise<ChainStore> {
    const level: Level = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      await level.open()
    } catch (err) {
      throw new StoreError('STORE_OPEN_FAILED', `cannot open the chain database at ${dir}`, {
        details: 'another node process may be using this data folder',
        cause: err,
      })
    }
    const store = new ChainStore(level, common)
    const head = await level.get('H')
    if (head) store.headBlock = await store.getBlockByHash(bytesToHex(head) as Hash)
    return store
  }

  get head(): Block {
    if (!this.headBlock) throw new StoreError('NO_GENESIS', 'the chain database has no genesis block')
    return this.headBlock
  }

  get isEmpty(): boolean {
    return this.headBlock === undefined
  }

  async getBlockByHash(hash: Hash): Promise<Block | undefined> {
    const cached = this.recent.get(hash)
    if (cached) return cached
    const bytes = await this.level.get(`b:${hash}`)
    if (!bytes) return undefined
    return this.remember(createBlockFromRLP(bytes, blockOptions(this.common)))
  }

  async getHashByNumber(number: bigint): Promise<Hash | undefined> {
    if (this.headBlock && number > this.headBlock.header.number) return undefined
    const bytes = await this.level.get(numKey(number))
    return bytes ? (bytesToHex(bytes) as Hash) : undefined
  }

  async getBlockByNumber(number: bigint): Promise<Block | undefined> {
    const hash = await this.getHashByNumber(number)
    return hash ? this.getBlockByHash(hash) : undefined
  }

  async getFinality(hash: Hash): Promise<Finality> {
    const bytes = await this.level.get(`s:${hash}`)
    if (!bytes) return { round: 0, seals: [] }
    const [round, seals] = RLP.decode(bytes) as [Uint8Array, Uint8Array[]]
    return { round: Number(bytesToBigInt(round)), seals }
  }

  /**
   * A block's receipts (shared and cached: callers must not change them). The receipts of the last
   * few blocks read stay decoded: every eth_getTransactionReceipt of a block reads all of them, and
   * a client waiting for its transactions asks for each one of a large block in turn.
   */
  async getReceipts(hash: Hash): Promise<readonly StoredReceipt[] | undefined> {
    const cached = this.recentReceipts.get(hash)
    if (cached) return cached
    const bytes = await this.level.get(`r:${hash}`)
    if (!bytes) return undefined
    return keepRecent(this.recentReceipts, hash, decodeReceipts(bytes), RECENT_RECEIPTS)
  }

  /**
   * What block sync serves beside a block so that a peer need not re-execute it: its receipts and
   * its state changes as stored; undefined when the block has no changes kept.
   */
  async getBlockOutcome(hash: Hash): Promise<{ receipts: Uint8Array; changes: Uint8Array } | undefined> {
    const [receipts, changes] = await this.level.getMany([`r:${hash}`, `c:${hash}`])
    return receipts && changes ? { receipts, changes } : undefined
  }

  async getTxLocation(txHash: Hash): Promise<TxLocation | undefined> {
    const bytes = await this.level.get(`t:${txHash.toLowerCase()}`)
    if (!bytes) return undefined
    const [num, idx] = RLP.decode(bytes) as Uint8Array[]
    const blockNumber = bytesToBigInt(num!)
    const blockHash = await this.getHashByNumber(blockNumber)
    if (!blockHash) return undefined
    return { blockNumber, blockHash, index: Number(bytesToBigInt(idx!)) }
  }

  /**
   * Writes state-trie nodes (or code) outside a block, in batches: the genesis state before the
   * genesis block is committed. Nodes are content-addressed, so nodes written by a start that did
   * not reach the genesis commit are simply written again (and nothing refers to them meanwhile).
   */
  async putTrieNodes(nodes: Iterable<[string, Uint8Array]>, batchSize = 10_000): Promise<void> {
    if (this.writeFailure) throw this.writeFailure
    let batch = this.level.batch()
    try {
      for (const [key, value] of nodes) {
        batch.put(`t/${key}`, value)
        if (batch.length >= batchSize) {
          await batch.write()
          batch = this.level.batch()
        }
      }
      await batch.write()
    } catch (err) {
      this.writeFailure = storeWriteError(err, 'the genesis state')
      throw this.writeFailure
    }
  }

  /** Writes a block, everything derived from it, and the state nodes it created, atomically; it becomes the head. */
  async commit({ block, finality, receipts, changes }: BlockRecord): Promise<void> {
    const hash = bytesToHex(block.hash()) as Hash
    const number = block.header.number
    if (this.headBlock && number !== this.headBlock.header.number + 1n) {
      throw new StoreError('NOT_NEXT_BLOCK', `block ${number} does not follow the head ${this.headBlock.header.number}`)
    }
    // LevelDB would refuse anyway; refusing here keeps a broken store from half-trying.
    if (this.writeFailure) throw this.writeFailure
    const nodes = this.trieDb.drain()
    const batch = this.level.batch()
    for (const [key, value] of nodes) batch.put(`t/${key}`, value)
    batch.put(`b:${hash}`, block.serialize())
    batch.put(`s:${hash}`, RLP.encode([bigIntToUnpaddedBytes(BigInt(finality.round)), finality.seals]))
    batch.put(`r:${hash}`, encodeReceipts(receipts))
    if (changes) batch.put(`c:${hash}`, changes)
    block.transactions.forEach((tx, i) => {
      batch.put(`t:${bytesToHex(tx.hash())}`, RLP.encode([bigIntToUnpaddedBytes(number), bigIntToUnpaddedBytes(BigInt(i))]))
    })
    batch.put(numKey(number), hexToBytes(hash))
    batch.put('H', hexToBytes(hash))
    try {
      await batch.write()
    } catch (err) {
      this.trieDb.restore(nodes)
      this.writeFailure = storeWriteError(err, `block ${number}`)
      throw this.writeFailure
    }
    this.headBlock = this.remember(block)
  }

  /** Why writes are refused (disk full, I/O error), or undefined while the store is healthy. */
  get failure(): StoreError | undefined {
    return this.writeFailure
  }

  /**
   * After a write failure: reopens the database (clearing LevelDB's background error) and writes a
   * probe. True when the store takes writes again; false (with `failure` updated) when it does not yet.
   */
  async recover(): Promise<boolean> {
    if (!this.writeFailure) return true
    // Reopening needs room for a new log and manifest: on a disk still full it fails and leaves the
    // database closed, so every read would fail until a later attempt succeeds. Wait for room instead.
    if (this.writeFailure.code === 'STORE_DISK_FULL' && (await freeBytes(this.level.location)) < RECOVERY_MIN_FREE_BYTES) return false
    try {
      if (this.level.status === 'open') await this.level.close()
      if (this.level.status !== 'open') await this.level.open()
      await this.level.put('P', Uint8Array.of(1))
      await this.level.del('P')
      this.writeFailure = undefined
      return true
    } catch (err) {
      this.writeFailure = storeWriteError(err, 'a recovery probe')
      return false
    }
  }

  async close(): Promise<void> {
    await this.level.close()
  }

  private remember(block: Block): Block {
    return keepRecent(this.recent, bytesToHex(block.hash()), block, RECENT_BLOCKS)
  }
}
