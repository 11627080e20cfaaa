/**
 * PrivateStore: the records this node holds, in a LevelDB of their own under the data folder.
 * Each record is encrypted at rest under a random data key; the data keys are NOT in this
 * database but sealed in a KeyVault of their own (wrapped under a key-encryption key). Erasure
 * destroys the data key first (crypto-shredding), then deletes the metadata, the ciphertext and any
 * pending deliveries, leaves a tombstone (record hash and reason, keyed by a hash of the record's
 * key: no personal data) so an erased record is never accepted again, and a durable "to confirm"
 * marker per erased record until its confirmation is on chain. It then rewrites the database into
 * fresh files (see `rewrite`): LevelDB's manual compaction leaves a lone level-0 table untouched,
 * so the deleted bytes would otherwise stay on disk. It returns fingerprints of the destroyed
 * sequences for the erasure receipt. It does no networking and no chain access.
 */
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { sha256 } from '@noble/hashes/sha2.js'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { openAtRest, randomKey, sealAtRest, type Envelope } from './envelope.js'
import { fingerprint, type Fingerprint } from './erasure-proof.js'
import { defaultKeyWrapper, KeyVault, PASSPHRASE_ENV, shredFile } from './key-vault.js'
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

/**
 * What a marker confirms: an erasure (`confirmDeletion`) or the purge of a collection this node's
 * party was removed from (`confirmRemovalPurge`).
 */
export type ConfirmKind = 'deletion' | 'removal'

/** A deletion or removal purge not yet confirmed on chain: kept until the confirmation is in a final block. */
export interface ToConfirm {
  collection: string
  keyId: Hex
  /** Markers written before kinds existed have none: they are deletions (`toConfirm` fills it in). */
  kind: ConfirmKind
  /** The erasure request (0: retention purge, or a removal purge). */
  request: number
  /** When the record was erased here (unix seconds). */
  since: number
  attempts: number
  /** Unix ms before which no new attempt is made (backoff). */
  nextAttemptAt: number
  lastError?: string
}

function id(collection: string, key: string): string {
  return `${collection}!${encodeURIComponent(key)}`
}

/** A tombstone's key: a hash, so the record key (which may name a person) does not stay behind. */
function hid(collection: string, key: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(id(collection, key)))).slice(2)
}

function confirmKey(t: Pick<ToConfirm, 'collection' | 'request' | 'keyId'> & { kind?: ConfirmKind }): string {
  // A removal has no request: its own key part, so it never overwrites a retention purge's (request 0) marker.
  if (t.kind === 'removal') return `t!${t.collection}!removal!${t.keyId}`
  return `t!${t.collection}!${String(t.request).padStart(12, '0')}!${t.keyId}`
}

const DB_OPTIONS = { valueEncoding: 'utf8', compression: false } as const

type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string }

export class PrivateStore {
  /** Records erased (by request or retention) since this store was opened, for metrics. */
  erased = 0
  /** Every operation runs under this lock: `rewrite` closes and swaps the database. */
  private readonly lock = new Mutex()

  private constructor(
    private db: ClassicLevel<string, string>,
    private readonly dir: string,
    private readonly vault: KeyVault,
  ) {}

  static async open(dir: string, vault: KeyVault): Promise<PrivateStore> {
    await finishRewrite(dir)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // Compression is off (the values are ciphertext anyway) so the bytes on disk are the bytes
    // written: a check that a record is gone from the files cannot miss a compressed copy.
    const db = new ClassicLevel<string, string>(dir, DB_OPTIONS)
    try {
      await db.open()
    } catch (err) {
      throw new QuorateError('PRIVATE_STORE_UNAVAILABLE', `cannot open the private data store in ${dir}`, { cause: err, details: 'is another node process using this data folder?' })
    }
    await restrictFiles(dir)
    const store = new PrivateStore(db, dir, vault)
    await store.lock.run(() => store.migrate())
    return store
  }

  /**
   * Stores written before the key vault kept data keys beside the ciphertext (`k!<id>`) and
   * tombstones under the record key (`e!<collection>!<key>`): the keys move to the vault, the
   * tombstones to hashed keys, and the database is rewritten so the old bytes leave the files.
   */
  private async migrate(): Promise<void> {
    const ops: Op[] = []
    for await (const [key, value] of this.db.iterator({ gte: 'k!', lt: 'k!\xff' })) {
      const dataKey = hexToBytes(value as Hex)
      await this.vault.put(key.slice(2), dataKey)
      dataKey.fill(0)
      ops.push({ type: 'del', key })
    }
    for await (const [key, value] of this.db.iterator({ gte: 'e!', lt: 'e!\xff' })) {
      if (!key.slice(2).includes('!')) continue
      ops.push({ type: 'del', key }, { type: 'put', key: `e!${bytesToHex(sha256(new TextEncoder().encode(key.slice(2)))).slice(2)}`, value })
    }
    if (ops.length === 0) return
    await this.db.batch(ops)
    await this.rewrite()
  }

  /** Stores a record (replacing an older version of the same key) under a fresh data key. */
  put(record: PrivateRecord): Promise<RecordMeta> {
    return this.lock.run(async () => {
      const meta = metaOf(record)
      const dataKey = randomKey()
      const sealed = sealAtRest(dataKey, new TextEncoder().encode(JSON.stringify({ data: record.data, salt: record.salt })), recordAad(record.collection, record.key, meta.recordHash))
      const k = id(record.collection, record.key)
      // The key first: a ciphertext without its key is harmless, a key without its record too.
      await this.vault.put(k, dataKey)
      dataKey.fill(0)
      await this.db.batch([
        { type: 'put', key: `m!${k}`, value: JSON.stringify(meta) },
        { type: 'put', key: `c!${k}`, value: bytesToHex(sealed) },
      ])
      return meta
    })
  }

  meta(collection: string, key: string): Promise<RecordMeta | undefined> {
    return this.lock.run(async () => {
      const v = await this.db.get(`m!${id(collection, key)}`)
      return v === undefined ? undefined : (JSON.parse(v) as RecordMeta)
    })
  }

  /** The whole record, decrypted; undefined if this node does not hold it. */
  get(collection: string, key: string): Promise<PrivateRecord | undefined> {
    return this.lock.run(async () => {
      const k = id(collection, key)
      const [m, c] = await this.db.getMany([`m!${k}`, `c!${k}`])
      if (m === undefined || c === undefined) return undefined
      const dk = await this.vault.get(k)
      if (dk === undefined) return undefined
      const meta = JSON.parse(m) as RecordMeta
      const plain = openAtRest(dk, hexToBytes(c as Hex), recordAad(collection, key, meta.recordHash))
      dk.fill(0)
      const { data, salt } = JSON.parse(new TextDecoder().decode(plain)) as { data: string; salt: Hex }
      const { recordHash: _h, ...fields } = meta
      return { ...fields, data, salt }
    })
  }

  /** Metadata of every record held, optionally of one collection. */
  list(collection?: string): Promise<RecordMeta[]> {
    return this.lock.run(async () => {
      const prefix = collection === undefined ? 'm!' : `m!${collection}!`
      const out: RecordMeta[] = []
      for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff` })) out.push(JSON.parse(v) as RecordMeta)
      return out
    })
  }

  tombstone(collection: string, key: string): Promise<Tombstone | undefined> {
    return this.lock.run(async () => {
      const v = await this.db.get(`e!${hid(collection, key)}`)
      return v === undefined ? undefined : (JSON.parse(v) as Tombstone)
    })
  }

  /**
   * Erases records: the data key is destroyed first, then metadata, ciphertext and pending
   * deliveries go in one batch with the tombstones and the "to confirm" markers (`confirm`, one per
   * record: its keyId and request), and the database is rewritten so the bytes are gone from disk.
   * Returns, per record, fingerprints of every destroyed sequence (for the erasure receipt).
   * `tombstone: false` (a copy dropped because consent was withdrawn: the record is not erased and
   * may be delivered again) leaves no tombstone.
   */
  erase(
    records: { collection: string; key: string; recordHash: Hex; confirm?: { keyId: Hex; request: number; kind?: ConfirmKind } }[],
    reason: string,
    now: number,
    opts: { tombstone?: boolean } = {},
  ): Promise<{ collection: string; recordHash: Hex; fingerprints: Fingerprint[] }[]> {
    return this.lock.run(async () => {
      if (records.length === 0) return []
      const proofs: { collection: string; recordHash: Hex; fingerprints: Fingerprint[] }[] = []
      const ops: Op[] = []
      const pendingKeys: string[] = []
      for await (const key of this.db.keys({ gte: 'p!', lt: 'p!\xff' })) pendingKeys.push(key)
      for (const r of records) {
        const k = id(r.collection, r.key)
        const fps: Fingerprint[] = []
        const wrapped = await this.vault.raw(k)
        if (wrapped) fps.push(fingerprint('wrapped data key', wrapped))
        const dk = await this.vault.get(k).catch(() => undefined)
        if (dk) fps.push(fingerprint('data key', dk), fingerprint('data key (hex)', new TextEncoder().encode(bytesToHex(dk).slice(2))))
        const c = await this.db.get(`c!${k}`)
        if (c !== undefined) fps.push(fingerprint('ciphertext', new TextEncoder().encode(c.slice(2))), fingerprint('ciphertext (raw)', hexToBytes(c as Hex)))
        for (const pk of pendingKeys.filter((p) => p.endsWith(`!${k}`))) {
          const p = await this.db.get(pk)
          if (p !== undefined) fps.push(fingerprint('envelope for a member', new TextEncoder().encode((JSON.parse(p) as PendingDelivery).envelope.ct.slice(2))))
          ops.push({ type: 'del', key: pk })
        }
        // Crypto-shredding: from here on no copy of the ciphertext can be opened.
        await this.vault.destroy(k)
        ops.push({ type: 'del', key: `m!${k}` }, { type: 'del', key: `c!${k}` })
        if (opts.tombstone !== false) ops.push({ type: 'put', key: `e!${hid(r.collection, r.key)}`, value: JSON.stringify({ recordHash: r.recordHash, erasedAt: now, reason } satisfies Tombstone) })
        if (r.confirm) {
          const t: ToConfirm = { collection: r.collection, keyId: r.confirm.keyId, kind: r.confirm.kind ?? 'deletion', request: r.confirm.request, since: now, attempts: 0, nextAttemptAt: 0 }
          ops.push({ type: 'put', key: confirmKey(t), value: JSON.stringify(t) })
        }
        proofs.push({ collection: r.collection, recordHash: r.recordHash, fingerprints: fps })
      }
      await this.db.batch(ops)
      await this.rewrite()
      this.erased += records.length
      return proofs
    })
  }

  /** Adds "to confirm" markers without erasing (a deletion confirmed for a record this node never held). */
  markToConfirm(items: (Omit<ToConfirm, 'attempts' | 'nextAttemptAt' | 'kind'> & { kind?: ConfirmKind })[]): Promise<void> {
    return this.lock.run(async () => {
      await this.db.batch(items.map((t) => ({ type: 'put' as const, key: confirmKey(t), value: JSON.stringify({ ...t, kind: t.kind ?? 'deletion', attempts: 0, nextAttemptAt: 0 } satisfies ToConfirm) })))
    })
  }

  /** Deletions and removal purges not yet confirmed on chain. */
  toConfirm(): Promise<ToConfirm[]> {
    return this.lock.run(async () => {
      const out: ToConfirm[] = []
      for await (const v of this.db.values({ gte: 't!', lt: 't!\xff' })) {
        const t = JSON.parse(v) as Omit<ToConfirm, 'kind'> & { kind?: ConfirmKind }
        out.push({ ...t, kind: t.kind ?? 'deletion' })
      }
      return out
    })
  }

  /** Drops markers once confirmed, or records a failed attempt and the next retry time. */
  settleConfirm(items: ToConfirm[], outcome: { ok: true } | { ok: false; error: string; nextAttemptAt: number }): Promise<void> {
    return this.lock.run(async () => {
      await this.db.batch(
        items.map((t): Op =>
          outcome.ok ? { type: 'del', key: confirmKey(t) } : { type: 'put', key: confirmKey(t), value: JSON.stringify({ ...t, attempts: t.attempts + 1, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error } satisfies ToConfirm) },
        ),
      )
    })
  }

  /** Rewrites the files so deleted values are physically gone (LevelDB otherwise keeps them until a later compaction). */
  compact(): Promise<void> {
    return this.lock.run(() => this.rewrite())
  }

  /**
   * Copies the live entries into a fresh database, swaps it in and shreds the old files. Measured
   * on classic-level: `compactRange` over the whole range after a delete leaves the only level-0
   * table (holding the deleted values) untouched ("Manual compaction at level-0 … will stop at
   * (end)"), so compaction alone cannot be trusted to drop erased bytes. Costs a copy of the store
   * per erasure batch; a crash mid-way is finished by `open` (see finishRewrite). Caller holds the lock.
   */
  private async rewrite(): Promise<void> {
    const fresh = `${this.dir}.rewrite`
    await rm(fresh, { recursive: true, force: true })
    const next = new ClassicLevel<string, string>(fresh, DB_OPTIONS)
    await next.open()
    let batch: Op[] = []
    for await (const [key, value] of this.db.iterator()) {
      batch.push({ type: 'put', key, value })
      if (batch.length >= 1000) {
        await next.batch(batch)
        batch = []
      }
    }
    if (batch.length) await next.batch(batch)
    await next.close()
    await this.db.close()
    const old = `${this.dir}.old`
    await rename(this.dir, old)
    await rename(fresh, this.dir)
    await shredFolder(old)
    this.db = new ClassicLevel<string, string>(this.dir, DB_OPTIONS)
    await this.db.open()
    await restrictFiles(this.dir)
  }

  addPending(d: PendingDelivery): Promise<void> {
    return this.lock.run(() => this.db.put(`p!${d.node}!${id(d.collection, d.key)}`, JSON.stringify(d)))
  }

  pendingFor(node: Address): Promise<PendingDelivery[]> {
    return this.lock.run(async () => {
      const out: PendingDelivery[] = []
      for await (const v of this.db.values({ gte: `p!${node}!`, lt: `p!${node}!\xff` })) out.push(JSON.parse(v) as PendingDelivery)
      return out
    })
  }

  allPending(): Promise<PendingDelivery[]> {
    return this.lock.run(async () => {
      const out: PendingDelivery[] = []
      for await (const v of this.db.values({ gte: 'p!', lt: 'p!\xff' })) out.push(JSON.parse(v) as PendingDelivery)
      return out
    })
  }

  removePending(node: Address, collection: string, key: string): Promise<void> {
    return this.lock.run(() => this.db.del(`p!${node}!${id(collection, key)}`))
  }

  /** For tests and tooling only: the raw stored value of a record part ('m' meta, 'c' ciphertext). */
  rawPart(part: 'm' | 'c', collection: string, key: string): Promise<string | undefined> {
    return this.lock.run(() => this.db.get(`${part}!${id(collection, key)}`))
  }

  close(): Promise<void> {
    return this.lock.run(() => this.db.close())
  }
}

/**
 * Opens `<privateDir>/records` with its data keys in `<privateDir>/keys`, wrapped under the
 * default KEK (node key, or QUORATE_PRIVATE_PASSPHRASE when set).
 */
export async function openPrivateStore(privateDir: string, nodeKey: Uint8Array, passphrase: string | undefined = process.env[PASSPHRASE_ENV]): Promise<PrivateStore> {
  await mkdir(privateDir, { recursive: true, mode: 0o700 })
  await chmod(privateDir, 0o700)
  const keysDir = join(privateDir, 'keys')
  const vault = await KeyVault.open(keysDir, await defaultKeyWrapper(keysDir, nodeKey, passphrase))
  return PrivateStore.open(join(privateDir, 'records'), vault)
}

/** Overwrites every file of a folder with zeros, then removes the folder. */
async function shredFolder(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) await shredFile(join(dir, e.name))
  }
  await rm(dir, { recursive: true, force: true })
}

/** A crash during `rewrite` leaves `<dir>.rewrite` (complete only if `<dir>` is gone) and/or `<dir>.old`. */
async function finishRewrite(dir: string): Promise<void> {
  const exists = (p: string) => stat(p).then(() => true, () => false)
  if (!(await exists(dir)) && (await exists(`${dir}.rewrite`)) && (await exists(`${dir}.old`))) await rename(`${dir}.rewrite`, dir)
  if (await exists(`${dir}.old`)) await shredFolder(`${dir}.old`)
  await rm(`${dir}.rewrite`, { recursive: true, force: true })
}

/** Folder 0700, files 0600: LevelDB creates its files with the process umask. */
async function restrictFiles(dir: string): Promise<void> {
  await chmod(dir, 0o700)
  for (const e of await readdir(dir, { withFileTypes: true })) if (e.isFile()) await chmod(join(dir, e.name), 0o600)
}

