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
  const field = issue.path.map(String).join('.')
  throw new ConfigError(field, issue.message, { details: `in ${source}` })
}
