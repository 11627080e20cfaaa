/**
 * The access log: every read of private data, and every refusal, appended to a hash-chained log in
 * a LevelDB of its own under the data folder. Each entry links to the previous entry of the whole
 * log (`prev`) and to the previous entry of the same data subject (`subjectPrev`), and is signed by
 * the node key over its hash. Cutting the log must not go unnoticed:
 * - LevelDB drops a write-ahead tail whose checksum fails and opens quietly, so the head (hash,
 *   count) is also kept in `HEAD.json` beside the tables, written atomically after each synced
 *   append: a log shorter than it, or whose entry at its count has another hash, fails;
 * - an operator holding the node key can rewrite, re-chain and re-sign everything, so the head is
 *   also anchored on chain at intervals (LogHeadAnchor, see log-anchor.ts): a log or an export
 *   that does not reach the anchored count with the anchored hash fails "after block N".
 * An entry's hash is keccak(prev || digest of its body), so an export can carry the body digests of
 * other subjects' entries (each salted, so they reveal nothing) and still be recomputed up to the
 * anchored head. Verification never throws on what it reads: every problem is one line of verdict.
 * Erasure does not touch the log (it holds no personal data but the pseudonymous subject id, and it
 * is the evidence of who read what).
 */
import { open as openFile, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ClassicLevel } from 'classic-level'
import { hexToBytes } from '@ethereumjs/util'
import { z } from 'zod'
import { keccakHex, privateKeyToAddress, recoverAddress, sign } from '../crypto/keys.js'
import { bytesToHex } from '../crypto/keys.js'
import { errorMessage, QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { address, hexString } from '../validation.js'

export const ZERO_HASH = `0x${'00'.repeat(32)}` as Hex

/** `consent`: the controller's node recorded a data subject's consent (or its withdrawal) on chain. */
export const ACCESS_ACTIONS = ['read', 'write', 'erase', 'purge', 'consent'] as const

/** The file beside the LevelDB tables that holds the last head written (LevelDB ignores it). */
export const HEAD_FILE = 'HEAD.json'

export const AccessEntrySchema = z.object({
  seq: z.number().int().nonnegative(),
  time: z.number().int().nonnegative(),
  /** The node that served or refused the access. */
  node: address,
  /** The party of the reader (the node's party). */
  party: z.string(),
  collection: z.string(),
  key: z.string(),
  subject: z.string(),
  purpose: z.string(),
  action: z.enum(ACCESS_ACTIONS),
  outcome: z.enum(['granted', 'refused']),
  reason: z.string(),
  /** Who asked through the API (`apiKey:name@ip`, `anonymous@ip`); absent for the node's own acts. */
  caller: z.string().optional(),
  /** 16 random bytes: the body digest of this entry, shown in other subjects' exports, reveals nothing. */
  salt: hexString,
  prev: hexString,
  subjectPrev: hexString,
  hash: hexString,
  /** The node key's signature (r||s||v) over the entry's hash. */
  sig: hexString,
})
export type AccessEntry = z.output<typeof AccessEntrySchema>
export type AccessEvent = Omit<AccessEntry, 'seq' | 'time' | 'node' | 'salt' | 'prev' | 'subjectPrev' | 'hash' | 'sig'>
type EntryBody = Omit<AccessEntry, 'hash' | 'sig'>

export const AccessLogExportSchema = z.object({
  version: z.literal(2),
  subject: z.string(),
  node: address,
  /** The subject's entries, in log order. */
  entries: z.array(AccessEntrySchema),
  /** The log position the export starts at: the subject's first entry, or earlier to reach the last anchored head. */
  from: z.number().int().nonnegative(),
  /** The hash of the log entry before `from` (zero at 0). */
  prev: hexString,
  /** The body digest of every log entry from `from` to `count - 1` (any subject's). */
  digests: z.array(hexString),
  /** The whole log's head hash and entry count when exported. */
  head: hexString,
  count: z.number().int().nonnegative(),
  /** The node key's signature over subject, node, from, head and count. */
  signature: hexString,
})
export type AccessLogExport = z.output<typeof AccessLogExportSchema>

/** A log head recorded on chain for a node. */
export interface AnchoredHead {
  head: Hex
  count: number
  blockNumber: number
}

export interface Verification {
  valid: boolean
  /** What is wrong, one line each (empty when valid). */
  errors: string[]
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))

/** The digest of an entry's content (everything but its link to the previous entry). */
export function bodyDigest(e: EntryBody): Hex {
  const fields: (string | number)[] = ['quorate/access-log/v2', e.seq, e.time, e.node, e.party, e.collection, e.key, e.subject, e.purpose, e.action, e.outcome, e.reason, e.subjectPrev, e.salt]
  if (e.caller !== undefined) fields.push(e.caller)
  return keccakHex(enc(fields))
}

function link(prev: string, digest: string): Hex {
  const out = new Uint8Array(64)
  out.set(hexToBytes(prev as Hex), 0)
  out.set(hexToBytes(digest as Hex), 32)
  return keccakHex(out)
}

export function entryHash(e: EntryBody): Hex {
  return link(e.prev, bodyDigest(e))
}

/** What the node key signs for an entry (domain-separated from transactions and consensus). */
function entrySigDigest(hash: string): Uint8Array {
  return hexToBytes(keccakHex(enc(['quorate/access-log-entry/v2', hash])))
}

function exportDigest(subject: string, node: string, from: number, head: string, count: number): Uint8Array {
  return hexToBytes(keccakHex(enc(['quorate/access-log-export/v2', subject, node, from, head, count])))
}

function signatureOk(digest: Uint8Array, signature: string, node: string): boolean {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return false
  return recoverAddress(digest, hexToBytes(signature as Hex)) === node.toLowerCase()
}

const SEQ_WIDTH = 12
const seqKey = (seq: number) => `l!${seq.toString().padStart(SEQ_WIDTH, '0')}`
const subjectKey = (subject: string, seq: number) => `s!${encodeURIComponent(subject)}!${seq.toString().padStart(SEQ_WIDTH, '0')}`

const HeadFileSchema = z.object({ head: hexString, count: z.number().int().nonnegative() })

/** The anchored head's check, shared by the log and exports: `hashAt(i)` is the hash of entry i if known. */
function checkAnchor(anchored: AnchoredHead | undefined, count: number, hashAt: (seq: number) => string | undefined, errors: string[], exported = false): void {
  if (!anchored || anchored.count === 0) return
  const at = `block ${anchored.blockNumber}`
  if (count < anchored.count) {
    const hint = exported ? ' (or exported before it: export again)' : ''
    errors.push(`the log holds ${count} entries but ${anchored.count} were anchored on chain at ${at}: truncated or rewritten after ${at}${hint}`)
    return
  }
  const h = hashAt(anchored.count - 1)
  if (h === undefined) errors.push(`the entry anchored at ${at} (seq ${anchored.count - 1}) is not covered: cannot check against the chain`)
  else if (h.toLowerCase() !== anchored.head.toLowerCase()) errors.push(`entry ${anchored.count - 1} does not have the hash anchored on chain at ${at}: truncated or rewritten after ${at}`)
}

/** An entry of the version 1 format: all fields of an entry but no salt and no signature. */
function isUnsignedFormat(raw: string): boolean {
  try {
    const v: unknown = JSON.parse(raw)
    return typeof v === 'object' && v !== null && !('sig' in v) && !('salt' in v) && AccessEntrySchema.omit({ salt: true, sig: true }).safeParse(v).success
  } catch {
    return false
  }
}

export class AccessLog {
  private readonly lock = new Mutex()
  readonly node: Address

  private constructor(
    private readonly db: ClassicLevel<string, string>,
    private readonly dir: string,
    private readonly nodeKey: Uint8Array,
    private readonly clock: () => number,
  ) {
    this.node = privateKeyToAddress(nodeKey)
  }

  /** @param clock unix seconds (injectable for tests) */
  /**
   * @param clock unix seconds (injectable for tests)
   * A log of the unsigned format (before version 2: entries without `sig`, no head file) cannot be
   * appended to; it is moved aside to `<dir>.v1-<time>` (kept as evidence) and a new log begins:
   * `movedAside` names it.
   */
  static async open(dir: string, nodeKey: Uint8Array, clock: () => number = () => Math.floor(Date.now() / 1000)): Promise<AccessLog> {
    const log = await AccessLog.openDb(dir, nodeKey, clock)
    const headFile = await log.readHeadFile()
    if (headFile === undefined) {
      const last = await log.lastRaw()
      if (last !== undefined && isUnsignedFormat(last)) {
        await log.close()
        const aside = `${dir}.v1-${Date.now()}`
        await rename(dir, aside)
        const fresh = await AccessLog.openDb(dir, nodeKey, clock)
        fresh.movedAside = aside
        await fresh.writeHeadFile(ZERO_HASH, 0)
        return fresh
      }
      // A new log gets its head file now, so that later a missing one is always a finding.
      if (last === undefined) await log.writeHeadFile(ZERO_HASH, 0)
    }
    return log
  }

  /** Where an unsigned (version 1) log found at open was moved. */
  movedAside: string | undefined

  private static async openDb(dir: string, nodeKey: Uint8Array, clock: () => number): Promise<AccessLog> {
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', compression: false })
    try {
      await db.open()
    } catch (err) {
      throw new QuorateError('ACCESS_LOG_UNAVAILABLE', `cannot open the access log in ${dir}`, { cause: err })
    }
    return new AccessLog(db, dir, nodeKey, clock)
  }

  private async lastRaw(): Promise<string | undefined> {
    for await (const v of this.db.values({ gte: 'l!', lt: 'l!\xff', reverse: true, limit: 1 })) return v
    return undefined
  }

  /** Appends an event; returns the entry as stored (durable: the batch is synced, then the head file). */
  append(event: AccessEvent): Promise<AccessEntry> {
    return this.lock.run(async () => {
      const last = await this.last()
      const subjectLast = await this.lastOfSubject(event.subject)
      const body: EntryBody = {
        ...event,
        seq: last ? last.seq + 1 : 0,
        time: this.clock(),
        node: this.node,
        salt: bytesToHex(randomBytes(16)),
        prev: last?.hash ?? ZERO_HASH,
        subjectPrev: subjectLast?.hash ?? ZERO_HASH,
      }
      const hash = entryHash(body)
      const entry: AccessEntry = { ...body, hash, sig: bytesToHex(sign(entrySigDigest(hash), this.nodeKey)) }
      await this.db.batch(
        [
          { type: 'put', key: seqKey(entry.seq), value: JSON.stringify(entry) },
          { type: 'put', key: subjectKey(entry.subject, entry.seq), value: String(entry.seq) },
        ],
        { sync: true },
      )
      await this.writeHeadFile(hash, entry.seq + 1)
      return entry
    })
  }

  private async writeHeadFile(head: Hex, count: number): Promise<void> {
    const file = join(this.dir, HEAD_FILE)
    const tmp = `${file}.tmp`
    const fh = await openFile(tmp, 'w', 0o600)
    try {
      await fh.writeFile(JSON.stringify({ head, count }))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  }

  /** The head file's content; `undefined` when absent (a new log), an error line when unreadable. */
  private async readHeadFile(): Promise<{ head: Hex; count: number } | string | undefined> {
    let text: string
    try {
      text = await readFile(join(this.dir, HEAD_FILE), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      return `the head file ${HEAD_FILE} cannot be read: ${errorMessage(err)}`
    }
    try {
      const parsed = HeadFileSchema.safeParse(JSON.parse(text))
      if (parsed.success) return { head: parsed.data.head as Hex, count: parsed.data.count }
    } catch {
      // reported below
    }
    return `the head file ${HEAD_FILE} is corrupt: the last written head is unknown`
  }

  private parse(raw: string): AccessEntry {
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      throw new QuorateError('ACCESS_LOG_CORRUPT', 'a corrupt access log entry: not JSON')
    }
    const parsed = AccessEntrySchema.safeParse(json)
    if (!parsed.success) throw new QuorateError('ACCESS_LOG_CORRUPT', `a corrupt access log entry: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
    return parsed.data
  }

  private async last(): Promise<AccessEntry | undefined> {
    for await (const v of this.db.values({ gte: 'l!', lt: 'l!\xff', reverse: true, limit: 1 })) return this.parse(v)
    return undefined
  }

  private async lastOfSubject(subject: string): Promise<AccessEntry | undefined> {
    const prefix = `s!${encodeURIComponent(subject)}!`
    for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff`, reverse: true, limit: 1 })) {
      const e = await this.db.get(seqKey(Number(v)))
      if (e === undefined) throw new QuorateError('ACCESS_LOG_CORRUPT', `the access log lost entry ${v} (indexed for its subject)`)
      return this.parse(e)
    }
    return undefined
  }

  /** Every entry, parsed (throws ACCESS_LOG_CORRUPT on an unreadable one; `verify` does not). */
  async entries(): Promise<AccessEntry[]> {
    const out: AccessEntry[] = []
    for await (const v of this.db.values({ gte: 'l!', lt: 'l!\xff' })) out.push(this.parse(v))
    return out
  }

  /** The head hash and count of the whole log. */
  async head(): Promise<{ head: Hex; count: number }> {
    const last = await this.last()
    return { head: (last?.hash ?? ZERO_HASH) as Hex, count: last ? last.seq + 1 : 0 }
  }

  /**
   * Every entry about one subject, with the digests that chain them to the log's head, signed by
   * this node. `anchoredCount` (the count last anchored on chain) makes the export start early
   * enough to be checked against that anchor.
   */
  async exportSubject(subject: string, anchoredCount = 0): Promise<AccessLogExport> {
    return this.lock.run(async () => {
      const prefix = `s!${encodeURIComponent(subject)}!`
      let first: number | undefined
      for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff`, limit: 1 })) first = Number(v)
      const { head, count } = await this.head()
      const from = anchoredCount > 0 ? Math.min(first ?? count, anchoredCount - 1) : (first ?? count)
      const entries: AccessEntry[] = []
      const digests: Hex[] = []
      let prev: Hex = ZERO_HASH
      let expected = from
      for await (const [k, v] of this.db.iterator({ gte: seqKey(Math.max(0, from - 1)), lt: 'l!\xff' })) {
        const e = this.parse(v)
        if (k !== seqKey(e.seq)) throw new QuorateError('ACCESS_LOG_CORRUPT', `access log entry under ${k} says it is entry ${e.seq}`)
        if (e.seq === from - 1) {
          prev = e.hash as Hex
          continue
        }
        if (e.seq !== expected) throw new QuorateError('ACCESS_LOG_CORRUPT', `the access log has no entry ${expected} (it goes on at ${e.seq}): run priv_verifyAccessLog`)
        expected++
        digests.push(bodyDigest(e))
        if (e.subject === subject) entries.push(e)
      }
      const signature = bytesToHex(sign(exportDigest(subject, this.node, from, head, count), this.nodeKey))
      return { version: 2 as const, subject, node: this.node, entries, from, prev, digests, head, count, signature }
    })
  }

  /**
   * Checks the whole log held by this node: every entry parses, sequence numbers run without a gap,
   * hashes, links and signatures hold, the log reaches the head file and the anchored head.
   */
  async verify(anchored?: AnchoredHead): Promise<Verification> {
    // No lock: appends go on. The head file is read before the entries are iterated, and an append
    // writes LevelDB before the head file, so the entries read are never older than the head read.
    const headFile = await this.readHeadFile()
    const errors: string[] = []
    const hashes: string[] = []
    const subjectHeads = new Map<string, string>()
    const indexed = new Set<string>()
    let prev: string = ZERO_HASH
    let expected = 0
    try {
      // One iterator (one snapshot) over the entries (l!…) and then the subject index (s!…).
      for await (const [k, v] of this.db.iterator({ gte: 'l!', lt: 's!\xff' })) {
        if (k.startsWith('s!')) {
          if (!indexed.delete(k)) errors.push(`the subject index holds ${JSON.stringify(k)}, which is no entry of the log`)
          continue
        }
        const keySeq = /^l!\d{12}$/.test(k) ? Number(k.slice(2)) : NaN
        if (Number.isNaN(keySeq)) {
          errors.push(`a corrupt key in the log: ${JSON.stringify(k)}`)
          continue
        }
        if (keySeq !== expected) errors.push(`entries ${expected} to ${keySeq - 1} are missing (a gap in the sequence)`)
        expected = keySeq + 1
        let e: AccessEntry
        try {
          e = this.parse(v)
        } catch (err) {
          errors.push(`entry ${keySeq}: corrupt (${errorMessage(err)})`)
          prev = ''
          continue
        }
        hashes[keySeq] = e.hash
        if (e.seq !== keySeq) errors.push(`entry ${keySeq}: says it is entry ${e.seq}`)
        if (e.node !== this.node) errors.push(`entry ${keySeq}: written by another node (${e.node})`)
        if (entryHash(e) !== e.hash) errors.push(`entry ${keySeq}: its hash does not match its content`)
        if (!signatureOk(entrySigDigest(e.hash), e.sig, this.node)) errors.push(`entry ${keySeq}: its signature is not the node's`)
        if (prev !== '' && e.prev !== prev) errors.push(`entry ${keySeq}: does not link to the entry before it`)
        if (e.subjectPrev !== (subjectHeads.get(e.subject) ?? ZERO_HASH)) errors.push(`entry ${keySeq}: does not link to the previous entry of its subject`)
        subjectHeads.set(e.subject, e.hash)
        indexed.add(subjectKey(e.subject, keySeq))
        prev = e.hash
      }
      // The per-subject index that exports start from holds exactly one key per entry.
      for (const k of indexed) errors.push(`the subject index lacks ${JSON.stringify(k)}`)
    } catch (err) {
      errors.push(`the log cannot be read past entry ${expected - 1}: ${errorMessage(err)}`)
    }
    const count = expected
    if (typeof headFile === 'string') errors.push(headFile)
    else if (headFile === undefined) errors.push(`the head file ${HEAD_FILE} is missing`)
    else if (headFile !== undefined) {
      if (count < headFile.count) errors.push(`the log holds ${count} entries but ${headFile.count} were written: its tail is missing`)
      else if (headFile.count > 0 && hashes[headFile.count - 1] !== headFile.head) errors.push(`entry ${headFile.count - 1} does not have the hash last written for it (${HEAD_FILE})`)
    }
    checkAnchor(anchored, count, (i) => hashes[i], errors)
    return { valid: errors.length === 0, errors }
  }

  /** For tests and tooling only: the raw database (to show that tampering is detected). */
  get raw(): ClassicLevel<string, string> {
    return this.db
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/**
 * Verifies an exported subject log on its own: each entry's hash, signature and subject link, the
 * chain of digests from `prev` to the head and count, and the node's signature over them.
 * `expectedNode` pins the signer; `anchored` (the node's head on chain) catches a log cut or
 * rewritten and re-signed after that block.
 */
export function verifyAccessLogExport(input: unknown, expectedNode?: Address, anchored?: AnchoredHead): Verification {
  const parsed = AccessLogExportSchema.safeParse(input)
  if (!parsed.success) return { valid: false, errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }
  const x = parsed.data
  const errors: string[] = []
  if (x.from + x.digests.length !== x.count) errors.push(`the export claims ${x.count} log entries but its digests cover ${x.from} to ${x.from + x.digests.length - 1}`)
  // The chain of the whole log from `from`, recomputed from the digests.
  const hashes = new Map<number, string>()
  let h: string = x.prev
  if (x.from === 0 && x.prev !== ZERO_HASH) errors.push('the export starts at entry 0 but does not start from the zero hash')
  x.digests.forEach((d, i) => {
    h = link(h, d)
    hashes.set(x.from + i, h)
  })
  if (h !== x.head) errors.push('the head hash is not the end of the chain of digests')
  let subjectPrev: string = ZERO_HASH
  let lastSeq = -1
  x.entries.forEach((e, i) => {
    const at = `entry ${i} (seq ${e.seq})`
    if (e.subject !== x.subject) errors.push(`${at}: is about another subject`)
    if (e.node !== x.node) errors.push(`${at}: was written by another node`)
    if (e.seq <= lastSeq) errors.push(`${at}: out of order`)
    lastSeq = e.seq
    if (entryHash(e) !== e.hash) errors.push(`${at}: its hash does not match its content`)
    else if (x.digests[e.seq - x.from] !== bodyDigest(e) || hashes.get(e.seq) !== e.hash) errors.push(`${at}: is not the log's entry ${e.seq}`)
    if (!signatureOk(entrySigDigest(e.hash), e.sig, x.node)) errors.push(`${at}: its signature is not the node's`)
    if (e.subjectPrev !== subjectPrev) errors.push(`${at}: does not link to the entry before it (an entry of this subject was removed or reordered)`)
    subjectPrev = e.hash
  })
  if (!signatureOk(exportDigest(x.subject, x.node, x.from, x.head, x.count), x.signature, x.node)) errors.push("the signature is not the node's over this head and count")
  if (expectedNode && x.node !== expectedNode.toLowerCase()) errors.push(`the export is from ${x.node}, expected ${expectedNode}`)
  if (anchored && anchored.count > 0 && anchored.count - 1 < x.from && x.count >= anchored.count) {
    errors.push(`the export starts at entry ${x.from}, after the head anchored on chain at block ${anchored.blockNumber} (${anchored.count} entries): it cannot be checked against it`)
  } else {
    checkAnchor(anchored, x.count, (i) => hashes.get(i), errors, true)
  }
  return { valid: errors.length === 0, errors }
}
