/**
 * Byte-level mutations of valid inputs, and random RLP. A valid input mutated a little gets past the
 * first checks and exercises the deep ones; the mutations are those that break parsers: bit flips,
 * truncations, inserted and deleted bytes, boundary bytes, and lies in RLP length prefixes (a
 * length off by a little, or a huge one that claims gigabytes the input does not hold).
 */
import fc from 'fast-check'
import { RLP } from '@ethereumjs/rlp'

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'delete'; at: number; count: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'set'; at: number; value: number }
  | { op: 'lengthLie'; at: number; delta: number }
  | { op: 'hugeLength'; at: number; width: number }
  | { op: 'duplicate'; at: number; count: number }

/** Bytes that sit on RLP's boundaries (single byte / short string / long string / short list / long list). */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xb9, 0xbf, 0xc0, 0xc1, 0xf7, 0xf8, 0xf9, 0xff]

const position = fc.nat({ max: 1 << 20 })

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 255 })) }),
  fc.record({ op: fc.constant('lengthLie' as const), at: position, delta: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0) }),
  fc.record({ op: fc.constant('hugeLength' as const), at: position, width: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, count: fc.integer({ min: 1, max: 64 }) }),
)

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

/** The index of the first RLP prefix byte (>= 0x80) at or after `from`, wrapping round; -1 if none. */
function prefixAt(data: Uint8Array, from: number): number {
  for (let i = 0; i < data.length; i++) {
    const j = (from + i) % data.length
    if (data[j]! >= 0x80) return j
  }
  return -1
}

/** Applies one mutation; positions are taken modulo the input length. */
export function mutate(data: Uint8Array, m: Mutation): Uint8Array {
  const n = data.length
  const at = n === 0 ? 0 : m.at % n
  switch (m.op) {
    case 'flip': {
      if (n === 0) return data
      const out = data.slice()
      out[at] = out[at]! ^ (1 << m.bit)
      return out
    }
    case 'truncate':
      return data.slice(0, at)
    case 'delete':
      return concat(data.subarray(0, at), data.subarray(at + m.count))
    case 'insert':
      return concat(data.subarray(0, at), m.bytes, data.subarray(at))
    case 'set': {
      if (n === 0) return Uint8Array.of(m.value)
      const out = data.slice()
      out[at] = m.value
      return out
    }
    case 'lengthLie': {
      // A short prefix's length is in the byte; a long one's in the bytes after it: change the last of those.
      const p = prefixAt(data, at)
      if (p < 0) return data
      const b = data[p]!
      const out = data.slice()
      const longString = b >= 0xb8 && b <= 0xbf
      const longList = b >= 0xf8
      const target = longString ? p + (b - 0xb7) : longList ? p + (b - 0xf7) : p
      if (target >= n) return data
      out[target] = (out[target]! + m.delta + 256) & 0xff
      return out
    }
    case 'hugeLength': {
      // Replace the prefix at `p` with a long-form prefix claiming 2^(8*width)-1 bytes.
      const p = prefixAt(data, at)
      if (p < 0) return data
      const isList = data[p]! >= 0xc0
      const prefix = new Uint8Array(1 + m.width).fill(0xff)
      prefix[0] = (isList ? 0xf7 : 0xb7) + m.width
      return concat(data.subarray(0, p), prefix, data.subarray(p + 1))
    }
    case 'duplicate': {
      const seg = data.subarray(at, Math.min(n, at + m.count))
      return concat(data.subarray(0, at), seg, data.subarray(at))
    }
  }
}

/** `valid` mutated by one to four mutations. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([data, ms]) => ms.reduce(mutate, data))
}

export type RlpItem = Uint8Array | RlpItem[]

/** Random well-formed RLP trees: short and long strings, nested lists. */
export const rlpItemArb: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 4 }),
    fc.uint8Array({ minLength: 20, maxLength: 80 }),
    fc.array(tie('item'), { maxLength: 6 }),
  ),
})).item

export const randomRlpArb: fc.Arbitrary<Uint8Array> = rlpItemArb.map((item) => RLP.encode(item))

/** Inputs for a decoder: random bytes, random RLP, `valid`, and `valid` mutated (weighted toward the last). */
export function decoderInputs(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 1 },
    { arbitrary: randomRlpArb, weight: 1 },
    { arbitrary: valid, weight: 1 },
    { arbitrary: mutated(valid), weight: 5 },
  )
}
