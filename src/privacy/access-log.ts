/**
 * The access log: every read of private data, and every refusal, appended to a hash-chained log in
 * a LevelDB of its own under the data folder. Each entry links to the previous entry of the whole
 * log (`prev`) and to the previous entry of the same data subject (`subjectPrev`), so the full log
 * and each subject's slice of it can be checked on their own. An export for one subject is signed
 * by the node key over its last hash and length: editing, removing or truncating entries breaks
 * the verification. Erasure does not touch the log (it holds no personal data but the pseudonymous
 * subject id, and it is the evidence of who read what).
 */
import { ClassicLevel } from 'classic-level'
import { hexToBytes } from '@ethereumjs/util'
import { z } from 'zod'
import { keccakHex, privateKeyToAddress, recoverAddress, sign } from '../crypto/keys.js'
import { bytesToHex } from '../crypto/keys.js'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { address, hexString } from '../validation.js'

export const ZERO_HASH = `0x${'00'.repeat(32)}` as Hex

export const ACCESS_ACTIONS = ['read', 'write', 'erase', 'purge'] as const

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
  prev: hexString,
  subjectPrev: hexString,
  hash: hexString,
})
export type AccessEntry = z.output<typeof AccessEntrySchema>
export type AccessEvent = Omit<AccessEntry, 'seq' | 'time' | 'node' | 'prev' | 'subjectPrev' | 'hash'>

export const AccessLogExportSchema = z.object({
  subject: z.string(),
  node: address,
  entries: z.array(AccessEntrySchema),
  head: hexString,
  count: z.number().int().nonnegative(),
  signature: hexString,
})
export type AccessLogExport = z.output<typeof AccessLogExportSchema>

export interface Verification {
  valid: boolean
  /** What is wrong, one line each (empty when valid). */
  errors: string[]
}

export function entryHash(e: Omit<AccessEntry, 'hash'>): Hex {
  const fields: (string | number)[] = [e.seq, e.time, e.node, e.party, e.collection, e.key, e.subject, e.purpose, e.action, e.outcome, e.reason, e.prev, e.subjectPrev]
  // Appended only when present, so entries written before callers were recorded keep their hash.
  if (e.caller !== undefined) fields.push(e.caller)
  return keccakHex(new TextEncoder().encode(JSON.stringify(fields)))
}

function exportDigest(subject: string, node: Address, head: Hex, count: number): Uint8Array {
  return hexToBytes(keccakHex(new TextEncoder().encode(JSON.stringify(['quorate/access-log-export/v1', subject, node, head, count]))))
}

const seqKey = (seq: number) => `l!${seq.toString().padStart(12, '0')}`
const subjectKey = (subject: string, seq: number) => `s!${encodeURIComponent(subject)}!${seq.toString().padStart(12, '0')}`

export class AccessLog {
  private readonly lock = new Mutex()
  readonly node: Address

  private constructor(
    private readonly db: ClassicLevel<string, string>,
    private readonly nodeKey: Uint8Array,
    private readonly clock: () => number,
  ) {
    this.node = privateKeyToAddress(nodeKey)
  }

  /** @param clock unix seconds (injectable for tests) */
  static async open(dir: string, nodeKey: Uint8Array, clock: () => number = () => Math.floor(Date.now() / 1000)): Promise<AccessLog> {
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', compression: false })
    try {
      await db.open()
    } catch (err) {
      throw new QuorateError('ACCESS_LOG_UNAVAILABLE', `cannot open the access log in ${dir}`, { cause: err })
    }
    return new AccessLog(db, nodeKey, clock)
  }

  /** Appends an event; returns the entry as stored. */
  append(event: AccessEvent): Promise<AccessEntry> {
    return this.lock.run(async () => {
      const last = await this.last()
      const subjectLast = await this.lastOfSubject(event.subject)
      const body = { ...event, seq: last ? last.seq + 1 : 0, time: this.clock(), node: this.node, prev: last?.hash ?? ZERO_HASH, subjectPrev: subjectLast?.hash ?? ZERO_HASH }
      const entry: AccessEntry = { ...body, hash: entryHash(body) }
      await this.db.batch([
        { type: 'put', key: seqKey(entry.seq), value: JSON.stringify(entry) },
        { type: 'put', key: subjectKey(entry.subject, entry.seq), value: String(entry.seq) },
      ])
      return entry
    })
  }

  private async last(): Promise<AccessEntry | undefined> {
    for await (const v of this.db.values({ gte: 'l!', lt: 'l!\xff', reverse: true, limit: 1 })) return JSON.parse(v) as AccessEntry
    return undefined
  }

  private async lastOfSubject(subject: string): Promise<AccessEntry | undefined> {
    const prefix = `s!${encodeURIComponent(subject)}!`
    for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff`, reverse: true, limit: 1 })) {
      const e = await this.db.get(seqKey(Number(v)))
      return e === undefined ? undefined : (JSON.parse(e) as AccessEntry)
    }
    return undefined
  }

  async entries(): Promise<AccessEntry[]> {
    const out: AccessEntry[] = []
    for await (const v of this.db.values({ gte: 'l!', lt: 'l!\xff' })) out.push(JSON.parse(v) as AccessEntry)
    return out
  }

  /** Every entry about one subject, signed by this node. */
  async exportSubject(subject: string): Promise<AccessLogExport> {
    return this.lock.run(async () => {
      const prefix = `s!${encodeURIComponent(subject)}!`
      const entries: AccessEntry[] = []
      for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff` })) {
        const e = await this.db.get(seqKey(Number(v)))
        if (e !== undefined) entries.push(JSON.parse(e) as AccessEntry)
      }
      const head = entries.at(-1)?.hash ?? ZERO_HASH
      const signature = bytesToHex(sign(exportDigest(subject, this.node, head as Hex, entries.length), this.nodeKey)) as Hex
      return { subject, node: this.node, entries, head, count: entries.length, signature }
    })
  }

  /** Checks the whole log held by this node: every hash and every link. */
  async verify(): Promise<Verification> {
    const entries = await this.entries()
    const errors: string[] = []
    const subjectHeads = new Map<string, Hex>()
    entries.forEach((e, i) => {
      const { hash, ...body } = e
      if (e.seq !== i) errors.push(`entry ${i}: sequence number ${e.seq}, expected ${i}`)
      if (entryHash(body) !== hash) errors.push(`entry ${e.seq}: its hash does not match its content`)
      if (e.prev !== (i === 0 ? ZERO_HASH : entries[i - 1]!.hash)) errors.push(`entry ${e.seq}: does not link to the entry before it`)
      if (e.subjectPrev !== (subjectHeads.get(e.subject) ?? ZERO_HASH)) errors.push(`entry ${e.seq}: does not link to the previous entry of its subject`)
      subjectHeads.set(e.subject, hash as Hex)
    })
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
 * Verifies an exported subject log on its own: each entry's hash, the subject chain from the first
 * entry, the head and count, and the node's signature over them. `expectedNode` pins the signer.
 */
export function verifyAccessLogExport(input: unknown, expectedNode?: Address): Verification {
  const parsed = AccessLogExportSchema.safeParse(input)
  if (!parsed.success) return { valid: false, errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }
  const x = parsed.data
  const errors: string[] = []
  let prev: string = ZERO_HASH
  x.entries.forEach((e, i) => {
    const { hash, ...body } = e
    if (e.subject !== x.subject) errors.push(`entry ${i}: is about another subject`)
    if (e.node !== x.node) errors.push(`entry ${i}: was written by another node`)
    if (entryHash(body as Omit<AccessEntry, 'hash'>) !== hash) errors.push(`entry ${i} (seq ${e.seq}): its hash does not match its content`)
    if (e.subjectPrev !== prev) errors.push(`entry ${i} (seq ${e.seq}): does not link to the entry before it (an entry was removed or reordered)`)
    prev = hash
  })
  if (x.count !== x.entries.length) errors.push(`the export claims ${x.count} entries but holds ${x.entries.length}`)
  if (x.head !== prev) errors.push('the head hash is not the hash of the last entry')
  const signer = recoverAddress(exportDigest(x.subject, x.node as Address, x.head as Hex, x.count), hexToBytes(x.signature as Hex))
  if (signer !== x.node) errors.push('the signature is not the node\'s over this head and count')
  if (expectedNode && x.node !== expectedNode.toLowerCase()) errors.push(`the export is from ${x.node}, expected ${expectedNode}`)
  return { valid: errors.length === 0, errors }
}
