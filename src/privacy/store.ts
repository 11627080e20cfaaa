/**
 * PrivateStore: the records this node holds, in a LevelDB of their own under the data folder.
 * Each record is encrypted at rest under a random data key stored beside it; erasure deletes the
 * metadata, the ciphertext, the data key and any pending deliveries, leaves a tombstone (hash and
 * reason, no personal data) so an erased record is never accepted again, and compacts the
 * database so the deleted bytes leave the files. It does no networking and no chain access.
 */
import { ClassicLevel } from 'classic-level'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { openAtRest, randomKey, sealAtRest, type Envelope } from './envelope.js'
import { recordAad, type PrivateRecord, type RecordMeta, metaOf } from './record.js'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'

export interface Tombstone {
  recordHash: Hex
  erasedAt: number
  reason: string
}

export interface PendingDelivery {
  node: Address
  collection: string
  key: string
  envelope: Envelope
}

function id(collection: string, key: string): string {
  return `${collection}!${encodeURIComponent(key)}`
}

export class PrivateStore {
  /** Records erased (by request or retention) since this store was opened, for metrics. */
  erased = 0

  private constructor(private readonly db: ClassicLevel<string, string>) {}

  static async open(dir: string): Promise<PrivateStore> {
    // Compression is off (the values are ciphertext anyway) so the bytes on disk are the bytes
    // written: a check that a record is gone from the files cannot miss a compressed copy.
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', compression: false })
    try {
      await db.open()
    } catch (err) {
      throw new QuorateError('PRIVATE_STORE_UNAVAILABLE', `cannot open the private data store in ${dir}`, { cause: err, details: 'is another node process using this data folder?' })
    }
    return new PrivateStore(db)
  }

  /** Stores a record (replacing an older version of the same key) under a fresh data key. */
  async put(record: PrivateRecord): Promise<RecordMeta> {
    const meta = metaOf(record)
    const dataKey = randomKey()
    const sealed = sealAtRest(dataKey, new TextEncoder().encode(JSON.stringify({ data: record.data, salt: record.salt })), recordAad(record.collection, record.key, meta.recordHash))
    const k = id(record.collection, record.key)
    await this.db.batch([
      { type: 'put', key: `m!${k}`, value: JSON.stringify(meta) },
      { type: 'put', key: `c!${k}`, value: bytesToHex(sealed) },
      { type: 'put', key: `k!${k}`, value: bytesToHex(dataKey) },
    ])
    dataKey.fill(0)
    return meta
  }

  async meta(collection: string, key: string): Promise<RecordMeta | undefined> {
    const v = await this.db.get(`m!${id(collection, key)}`)
    return v === undefined ? undefined : (JSON.parse(v) as RecordMeta)
  }

  /** The whole record, decrypted; undefined if this node does not hold it. */
  async get(collection: string, key: string): Promise<PrivateRecord | undefined> {
    const k = id(collection, key)
    const [m, c, dk] = await this.db.getMany([`m!${k}`, `c!${k}`, `k!${k}`])
    if (m === undefined || c === undefined || dk === undefined) return undefined
    const meta = JSON.parse(m) as RecordMeta
    const plain = openAtRest(hexToBytes(dk as Hex), hexToBytes(c as Hex), recordAad(collection, key, meta.recordHash))
    const { data, salt } = JSON.parse(new TextDecoder().decode(plain)) as { data: string; salt: Hex }
    const { recordHash: _h, ...fields } = meta
    return { ...fields, data, salt }
  }

  /** Metadata of every record held, optionally of one collection. */
  async list(collection?: string): Promise<RecordMeta[]> {
    const prefix = collection === undefined ? 'm!' : `m!${collection}!`
    const out: RecordMeta[] = []
    for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff` })) out.push(JSON.parse(v) as RecordMeta)
    return out
  }

  async tombstone(collection: string, key: string): Promise<Tombstone | undefined> {
    const v = await this.db.get(`e!${id(collection, key)}`)
    return v === undefined ? undefined : (JSON.parse(v) as Tombstone)
  }

  /**
   * Erases records: metadata, ciphertext, data key and pending deliveries go, a tombstone stays,
   * and the database is compacted so the bytes are gone from disk (not only marked deleted).
   */
  async erase(records: { collection: string; key: string; recordHash: Hex }[], reason: string, now: number): Promise<void> {
    if (records.length === 0) return
    const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = []
    for (const r of records) {
      const k = id(r.collection, r.key)
      ops.push({ type: 'del', key: `m!${k}` }, { type: 'del', key: `c!${k}` }, { type: 'del', key: `k!${k}` })
      ops.push({ type: 'put', key: `e!${k}`, value: JSON.stringify({ recordHash: r.recordHash, erasedAt: now, reason } satisfies Tombstone) })
    }
    for await (const key of this.db.keys({ gte: 'p!', lt: 'p!\xff' })) {
      if (records.some((r) => key.endsWith(`!${id(r.collection, r.key)}`))) ops.push({ type: 'del', key })
    }
    await this.db.batch(ops)
    await this.compact()
    this.erased += records.length
  }

  /** Rewrites the files so deleted values are physically gone (LevelDB otherwise keeps them until a later compaction). */
  async compact(): Promise<void> {
    await this.db.compactRange('\x00', '\xff')
  }

  async addPending(d: PendingDelivery): Promise<void> {
    await this.db.put(`p!${d.node}!${id(d.collection, d.key)}`, JSON.stringify(d))
  }

  async pendingFor(node: Address): Promise<PendingDelivery[]> {
    const out: PendingDelivery[] = []
    for await (const v of this.db.values({ gte: `p!${node}!`, lt: `p!${node}!\xff` })) out.push(JSON.parse(v) as PendingDelivery)
    return out
  }

  async allPending(): Promise<PendingDelivery[]> {
    const out: PendingDelivery[] = []
    for await (const v of this.db.values({ gte: 'p!', lt: 'p!\xff' })) out.push(JSON.parse(v) as PendingDelivery)
    return out
  }

  async removePending(node: Address, collection: string, key: string): Promise<void> {
    await this.db.del(`p!${node}!${id(collection, key)}`)
  }

  /** For tests and tooling only: the raw stored value of a record part ('m' meta, 'c' ciphertext, 'k' data key). */
  async rawPart(part: 'm' | 'c' | 'k', collection: string, key: string): Promise<string | undefined> {
    return this.db.get(`${part}!${id(collection, key)}`)
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}
