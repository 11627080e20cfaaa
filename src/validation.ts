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

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') throw unknownKeyError(schema, issue.path, issue.keys, source)
  const field = issue.path.map(String).join('.')
  throw new ConfigError(field, issue.message, { details: `in ${source}` })
}

/**
 * An unknown key of a strict object (`p2p.peer`), with the likely key meant (`p2p.peers`) from the
 * keys that object knows. Strict objects (z.strictObject) all the way down make every typo an error.
 */
function unknownKeyError(schema: z.ZodType, path: PropertyKey[], keys: string[], source: string): ConfigError {
  const known = knownKeys(schema, path)
  const prefix = path.length ? `${path.map(String).join('.')}.` : ''
  const key = keys[0]!
  const guess = didYouMean(key, known)
  const more = keys.length > 1 ? ` (also unknown here: ${keys.slice(1).join(', ')})` : ''
  return new ConfigError(`${prefix}${key}`, `unknown key${guess ? `; did you mean ${prefix}${guess}?` : ''}${more}`, {
    code: 'CONFIG_UNKNOWN_KEY',
    details: `in ${source}; the keys allowed here: ${known.join(', ') || 'none'}`,
  })
}

/** The keys of the object schema found at `path` inside `schema` (through defaults, optionals, arrays, records and pipes). */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema
  for (let i = 0; node && i <= path.length; ) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodNullable) node = node.unwrap() as z.ZodType
    else if (node instanceof z.ZodPipe) node = node.in as z.ZodType
    else if (i === path.length) break
    else if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[String(path[i++])]
    else if (node instanceof z.ZodArray) (node = node.element as z.ZodType), i++
    else if (node instanceof z.ZodRecord) (node = node.valueType as z.ZodType), i++
    else node = undefined
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape as object) : []
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
