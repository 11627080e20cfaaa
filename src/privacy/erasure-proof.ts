/**
 * Erasure proof: what a node remembers about an erased record so it can later show the bytes are
 * gone, without keeping the personal data, and the scan of a data folder for them.
 *
 * Only high-entropy sequences are fingerprinted: the at-rest ciphertext, the data key (raw and
 * hex), the wrapped data key and the envelopes sealed for other members. Each is cut into aligned
 * 32-byte windows and each window kept as (its first 4 bytes, keccak256 of the window): any
 * surviving fragment of 63 bytes or more contains a whole window and is found. The 4-byte prefix
 * (a pre-filter, so the scan hashes only candidate offsets) gives away 32 bits of random bytes of
 * a destroyed key or ciphertext, nothing a reader can use.
 * Low-entropy sequences (the plaintext, the subject, the record key) are NOT fingerprinted: a hash
 * of a BSN is the BSN to anyone who tries 10^9 of them. The operator gives them to the scan
 * (`--text`), which looks for them as bytes, as hex and JSON-escaped. As bytes a text is matched as
 * a whole word (as `grep -w` would): a salary `61234` inside the hex key of a trie node is not it.
 *
 * Receipts are JSON files under `<data>/private/erasures/<request>.json` (request 0: retention
 * purges), readable while the node runs (no LevelDB lock), files 0600.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@ethereumjs/util'
import { z } from 'zod'

const WINDOW = 32

export const FingerprintSchema = z.object({
  /** What the sequence was (`ciphertext`, `data key`, …). */
  what: z.string(),
  length: z.number().int().nonnegative(),
  /** [first 4 bytes as 8 hex digits, keccak256 of the 32-byte window] per aligned window. */
  windows: z.array(z.tuple([z.string().regex(/^[0-9a-f]{8}$/), z.string().regex(/^0x[0-9a-f]{64}$/)])),
})
export type Fingerprint = z.output<typeof FingerprintSchema>

export const ErasureReceiptSchema = z.object({
  request: z.number().int().nonnegative(),
  records: z.array(
    z.object({
      collection: z.string(),
      recordHash: z.string(),
      erasedAt: z.number().int(),
      reason: z.string(),
      fingerprints: z.array(FingerprintSchema),
    }),
  ),
})
export type ErasureReceipt = z.output<typeof ErasureReceiptSchema>
export type ErasedRecordProof = ErasureReceipt['records'][number]

export function fingerprint(what: string, bytes: Uint8Array): Fingerprint {
  const windows: [string, string][] = []
  for (let i = 0; i + WINDOW <= bytes.length; i += WINDOW) {
    const w = bytes.subarray(i, i + WINDOW)
    windows.push([Buffer.from(w.subarray(0, 4)).toString('hex'), bytesToHex(keccak_256(w))])
  }
  return { what, length: bytes.length, windows }
}

export const ERASURES_DIR = 'erasures'

export function receiptFile(privateDir: string, request: number): string {
  return join(privateDir, ERASURES_DIR, `${request}.json`)
}

export async function readReceipt(privateDir: string, request: number): Promise<ErasureReceipt | undefined> {
  try {
    return ErasureReceiptSchema.parse(JSON.parse(await readFile(receiptFile(privateDir, request), 'utf8')))
  } catch {
    return undefined
  }
}

/** Adds erased records to the request's receipt (atomically: tmp file, then rename). */
export async function appendReceipt(privateDir: string, request: number, records: ErasedRecordProof[]): Promise<void> {
  const file = receiptFile(privateDir, request)
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  const prev = (await readReceipt(privateDir, request)) ?? { request, records: [] }
  const seen = new Set(prev.records.map((r) => r.recordHash))
  const next: ErasureReceipt = { request, records: [...prev.records, ...records.filter((r) => !seen.has(r.recordHash))] }
  await writeFile(`${file}.tmp`, `${JSON.stringify(next)}\n`, { mode: 0o600 })
  await rename(`${file}.tmp`, file)
}

export interface ErasureFinding {
  /** File path relative to the scanned folder. */
  file: string
  offset: number
  /** What was found: a fingerprinted sequence (`ciphertext of 0x…`) or `text #n`. */
  what: string
}

export interface ErasureScan {
  request: number
  folder: string
  filesScanned: number
  /** Sequences looked for: fingerprinted windows and operator texts. */
  fingerprints: number
  texts: number
  /** True when nothing of the erased records is left, but what the access log keeps by design. */
  clean: boolean
  findings: ErasureFinding[]
  /**
   * Texts found in the access log: it keeps the subject and record key of every read as the
   * evidence of who read what (docs/privacy.md), so they do not make the scan unclean. Fingerprinted
   * bytes (ciphertext, keys) found there still do.
   */
  retained: ErasureFinding[]
}

/** The access log's folder name: the one place where a subject or record key stays on purpose. */
const ACCESS_LOG_DIR = 'access-log'

/** The forms a text can take in a file: as is, JSON-escaped, and hex (our stores keep bytes as hex). */
interface TextForm {
  bytes: Buffer
  /** Matched only where no letter or digit touches it (the plain forms; hex sits inside longer hex). */
  wholeWord: boolean
}

function textForms(text: string): TextForm[] {
  const raw = Buffer.from(text, 'utf8')
  const plain = [...new Map([raw, Buffer.from(JSON.stringify(text).slice(1, -1), 'utf8')].map((b) => [b.toString('hex'), b])).values()]
  return [...plain.map((bytes) => ({ bytes, wholeWord: true })), { bytes: Buffer.from(raw.toString('hex'), 'utf8'), wholeWord: false }].filter((f) => f.bytes.length > 0)
}

const isWordByte = (b: number | undefined) => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a))

/** The first offset of `form` in `buf`, or -1; a whole-word form must not touch a letter or digit. */
function indexOfForm(buf: Buffer, form: TextForm): number {
  const { bytes } = form
  for (let at = buf.indexOf(bytes); at >= 0; at = buf.indexOf(bytes, at + 1)) {
    if (!form.wholeWord) return at
    const touchesBefore = isWordByte(bytes[0]) && isWordByte(buf[at - 1])
    const touchesAfter = isWordByte(bytes[bytes.length - 1]) && isWordByte(buf[at + bytes.length])
    if (!touchesBefore && !touchesAfter) return at
  }
  return -1
}

/** Where any of `forms` first occurs in `buf`, or -1. */
function indexOfForms(buf: Buffer, forms: readonly TextForm[]): number {
  for (const form of forms) {
    const at = indexOfForm(buf, form)
    if (at >= 0) return at
  }
  return -1
}

/** Where `text` first occurs in `buf` in any of its forms (as a whole word, JSON-escaped, or hex), or -1. */
export function findText(buf: Buffer, text: string): number {
  return indexOfForms(buf, textForms(text))
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* filesUnder(p)
    else if (e.isFile()) yield p
  }
}

/**
 * Scans every file under `folder` for the receipt's fingerprints and the given texts. The receipts
 * folder itself is scanned too: it holds prefixes and hashes only, never a whole window.
 */
export async function scanForErased(folder: string, receipt: ErasureReceipt, texts: string[] = []): Promise<ErasureScan> {
  const byPrefix = new Map<number, { hash: string; what: string }[]>()
  let fingerprints = 0
  for (const r of receipt.records) {
    for (const f of r.fingerprints) {
      for (const [prefix, hash] of f.windows) {
        const p = Number.parseInt(prefix, 16)
        byPrefix.set(p, [...(byPrefix.get(p) ?? []), { hash, what: `${f.what} of record ${r.recordHash}` }])
        fingerprints++
      }
    }
  }
  const forms = texts.map(textForms)
  const findings: ErasureFinding[] = []
  const retained: ErasureFinding[] = []
  let filesScanned = 0
  for await (const file of filesUnder(folder)) {
    const buf = await readFile(file).catch(() => undefined)
    if (!buf) continue
    filesScanned++
    const rel = relative(folder, file)
    const inAccessLog = rel.split(sep).includes(ACCESS_LOG_DIR)
    const reported = new Set<string>()
    if (byPrefix.size > 0) {
      for (let i = 0; i + WINDOW <= buf.length; i++) {
        const cands = byPrefix.get(buf.readUInt32BE(i))
        if (!cands) continue
        const h = bytesToHex(keccak_256(buf.subarray(i, i + WINDOW)))
        for (const c of cands) {
          if (c.hash === h && !reported.has(c.what)) {
            reported.add(c.what)
            findings.push({ file: rel, offset: i, what: c.what })
          }
        }
      }
    }
    forms.forEach((f, i) => {
      const at = indexOfForms(buf, f)
      if (at >= 0) (inAccessLog ? retained : findings).push({ file: rel, offset: at, what: `text #${i + 1}` })
    })
  }
  return { request: receipt.request, folder, filesScanned, fingerprints, texts: texts.length, clean: findings.length === 0, findings, retained }
}
