/**
 * Validation at the edge: zod schemas shared by config files and CLI flags, and the one place that
 * turns a zod failure into a ConfigError naming the bad field (`alloc.0xabc….balance: expected …`).
 */
import { z } from 'zod'
import { ConfigError } from './errors.js'
import type { Address, Hex } from './types.js'

export const hexString = z.string().regex(/^0x[0-9a-fA-F]*$/, 'expected a 0x-prefixed hex string')
export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x-prefixed address')
  .transform((s) => s.toLowerCase() as Address)
export const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes as 0x-prefixed hex').transform((s) => s.toLowerCase() as Hex)
/** A non-negative integer given as a JSON number, a decimal string or a 0x hex string. */
export const bigintLike = z
  .union([z.number().int().nonnegative(), z.string().regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, 'expected an integer (decimal or 0x hex)')])
  .transform((v) => BigInt(v))
export const port = z.number().int().min(0).max(65535)

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string, opts: { unknownKeys?: 'refuse' } = {}): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) {
    // Also objects declared without z.strictObject: a file an operator writes must not hide a typo.
    if (opts.unknownKeys === 'refuse' && unknownKeys(schema, value).length > 0) throw unknownKeyError(schema, value, source)
    return result.data
  }
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') throw unknownKeyError(schema, value, source)
  const field = issue.path.map(String).join('.')
  throw new ConfigError(field, issue.message, { details: `in ${source}` })
}

/**
 * Unknown keys of strict objects (`p2p.peer`), each with the likely key meant (`p2p.peers`) from
 * the keys that object knows. Strict objects (z.strictObject) all the way down make every typo an
 * error; zod stops at the first, so the whole input is walked here to name them all.
 */
function unknownKeyError(schema: z.ZodType, value: unknown, source: string): ConfigError {
  const unknown = unknownKeys(schema, value).map(({ path, known }) => {
    const key = String(path[path.length - 1])
    const prefix = path.length > 1 ? `${path.slice(0, -1).map(String).join('.')}.` : ''
    const guess = didYouMean(key, known)
    return { field: `${prefix}${key}`, text: guess ? `did you mean ${prefix}${guess}?` : `allowed here: ${known.join(', ') || 'none'}` }
  })
  const [first, ...rest] = unknown
  if (!first) return new ConfigError('', 'unknown key', { code: 'CONFIG_UNKNOWN_KEY', details: `in ${source}` })
  return new ConfigError(first.field, `unknown key; ${first.text}`, {
    code: 'CONFIG_UNKNOWN_KEY',
    details: `in ${source}${rest.length ? `; also unknown: ${rest.map((u) => `${u.field} (${u.text})`).join(', ')}` : ''}`,
  })
}

/** Through defaults, optionals and pipes to the schema that checks the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let node = schema
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodNullable) node = node.unwrap() as z.ZodType
    else if (node instanceof z.ZodPipe) node = node.in as z.ZodType
    else return node
  }
}

/** Every key of `value` that its object schema does not know, with the keys it does know. */
export function unknownKeys(schema: z.ZodType, value: unknown, path: PropertyKey[] = []): { path: PropertyKey[]; known: string[] }[] {
  const node = unwrap(schema)
  if (value === null || typeof value !== 'object') return []
  if (node instanceof z.ZodArray && Array.isArray(value)) return value.flatMap((v, i) => unknownKeys(node.element as z.ZodType, v, [...path, i]))
  if (Array.isArray(value)) return []
  const entries = Object.entries(value as Record<string, unknown>)
  if (node instanceof z.ZodRecord) return entries.flatMap(([k, v]) => unknownKeys(node.valueType as z.ZodType, v, [...path, k]))
  if (!(node instanceof z.ZodObject)) return []
  const shape = node.shape as Record<string, z.ZodType>
  const known = Object.keys(shape)
  return entries.flatMap(([k, v]) => (Object.hasOwn(shape, k) ? unknownKeys(shape[k]!, v, [...path, k]) : [{ path: [...path, k], known }]))
}

/** The known key closest to `key` (Levenshtein, ignoring case), if close enough to be a typo. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase())
    if (!best || d < best.d) best = { key: k, d }
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]!
}
