import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { formatParamsIssues } from '../../../src/rpc/dispatch.js'
import {
  addressSchema,
  blockIdSchema,
  blockTagSchema,
  bytesSchema,
  callRequestSchema,
  dataHexSchema,
  dataSchema,
  hashSchema,
  logFilterSchema,
  quantityNumberSchema,
  quantitySchema,
} from '../../../src/rpc/schemas.js'

const H1 = `0x${'ab'.repeat(32)}`
const H2 = `0x${'cd'.repeat(32)}`
const A1 = '0x52908400098527886E0F7030069857D2E4169EE7'

/** The message a JSON-RPC client would get with `input` as argument 0. */
function failure(schema: z.ZodType, input: unknown): string {
  const r = z.tuple([schema]).safeParse([input])
  if (r.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`)
  return formatParamsIssues(r.error.issues, 1)
}

describe('rpc/schemas', () => {
  it('quantity: parses hex to bigint, allows 0x0, rejects leading zeros and non-hex with a readable message', () => {
    expect(quantitySchema.parse('0x0')).toBe(0n)
    expect(quantitySchema.parse('0x1a')).toBe(26n)
    expect(quantitySchema.parse('0xFF')).toBe(255n)
    expect(quantitySchema.parse(`0x${'f'.repeat(64)}`)).toBe(2n ** 256n - 1n)
    for (const bad of ['0x01', '0x', '1a', 'x', 26, null, `0x1${'0'.repeat(64)}`, '0x1g']) {
      expect(failure(quantitySchema, bad), String(bad)).toContain('expected a hex quantity like 0x1a')
    }
  })

  it('quantityNumber: yields a number and refuses values above 2^53-1', () => {
    expect(quantityNumberSchema.parse('0x10')).toBe(16)
    expect(failure(quantityNumberSchema, '0x20000000000000')).toContain('at most 0x1fffffffffffff')
  })

  it('data: even-length hex to bytes or lower-case hex; 0x is empty', () => {
    expect(dataSchema.parse('0x')).toEqual(new Uint8Array())
    expect(dataSchema.parse('0x00ff')).toEqual(new Uint8Array([0, 255]))
    expect(dataHexSchema.parse('0xABcd')).toBe('0xabcd')
    expect(failure(dataSchema, '0xabc')).toContain('even number of hex digits')
    expect(failure(dataHexSchema, 'abcd')).toContain('expected hex data')
    expect(bytesSchema(2).parse('0x0102')).toEqual(new Uint8Array([1, 2]))
    expect(failure(bytesSchema(2), '0x010203')).toContain('expected 2 bytes')
  })

  it('address: any case, checksum not enforced, lower-cased; wrong length rejected', () => {
    expect(addressSchema.parse(A1)).toBe(A1.toLowerCase())
    // Mixed case with a broken checksum is still accepted.
    expect(addressSchema.parse('0x52908400098527886e0F7030069857D2E4169EE7')).toBe(A1.toLowerCase())
    expect(failure(addressSchema, '0x1234')).toContain('expected a 20-byte address')
    expect(failure(addressSchema, `${A1}00`)).toContain('expected a 20-byte address')
  })

  it('hash: 32 bytes, lower-cased', () => {
    expect(hashSchema.parse(H1.toUpperCase().replace('0X', '0x'))).toBe(H1)
    expect(failure(hashSchema, '0xabcd')).toContain('expected a 32-byte hash')
  })

  it('block tag: names and numbers', () => {
    for (const tag of ['latest', 'earliest', 'pending', 'safe', 'finalized']) expect(blockTagSchema.parse(tag)).toEqual({ kind: 'tag', tag })
    expect(blockTagSchema.parse('0x0')).toEqual({ kind: 'number', number: 0n })
    expect(blockTagSchema.parse('0x10')).toEqual({ kind: 'number', number: 16n })
    expect(failure(blockTagSchema, 'Latest')).toContain('one of latest, earliest, pending, safe, finalized')
    expect(failure(blockTagSchema, '0x010')).toContain('expected a block number like 0x1a')
    expect(failure(blockTagSchema, 16)).toContain('expected a block number like 0x1a')
  })

  it('block id: tag, number, or EIP-1898 object', () => {
    expect(blockIdSchema.parse('safe')).toEqual({ kind: 'tag', tag: 'safe' })
    expect(blockIdSchema.parse({ blockNumber: '0x5' })).toEqual({ kind: 'number', number: 5n })
    expect(blockIdSchema.parse({ blockHash: H1 })).toEqual({ kind: 'hash', hash: H1, requireCanonical: false })
    expect(blockIdSchema.parse({ blockHash: H1, requireCanonical: true })).toEqual({ kind: 'hash', hash: H1, requireCanonical: true })
    expect(failure(blockIdSchema, { blockHash: H1, blockNumber: '0x1' })).toContain('either blockHash or blockNumber, not both')
    expect(failure(blockIdSchema, {})).toContain('needs blockHash or blockNumber')
    expect(failure(blockIdSchema, 7)).toContain('EIP-1898')
  })

  it('call request: parses fields, merges input/data, drops nulls and unknown fields', () => {
    const parsed = callRequestSchema.parse({
      from: A1,
      to: null,
      gas: '0x5208',
      maxFeePerGas: '0x0',
      maxPriorityFeePerGas: '0x0',
      value: '0x1',
      input: '0x1234',
      data: '0x1234',
      nonce: '0x3',
      accessList: [{ address: A1, storageKeys: [H1] }],
      chainId: '0x539',
      blobVersionedHashes: [],
    })
    expect(parsed).toEqual({
      from: A1.toLowerCase(),
      gas: 21000n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      value: 1n,
      data: new Uint8Array([0x12, 0x34]),
      nonce: 3n,
      accessList: [{ address: A1.toLowerCase(), storageKeys: [H1] }],
      chainId: 0x539n,
    })
    expect(callRequestSchema.parse({ data: '0xab' }).data).toEqual(new Uint8Array([0xab]))
    expect(callRequestSchema.parse({})).toEqual({})
  })

  it('call request: rejects conflicting or malformed fields, naming the field', () => {
    expect(failure(callRequestSchema, { input: '0x12', data: '0x34' })).toContain('both "data" and "input" are set and not equal')
    expect(failure(callRequestSchema, { gasPrice: '0x1', maxFeePerGas: '0x1' })).toContain('both gasPrice and (maxFeePerGas')
    expect(failure(callRequestSchema, { gas: 21000 })).toContain('invalid argument 0: gas: expected a hex quantity')
    expect(failure(callRequestSchema, { accessList: [{ address: A1, storageKeys: ['0x1'] }] })).toContain('invalid argument 0: accessList[0].storageKeys[0]: expected a 32-byte hash')
    expect(failure(callRequestSchema, 'to')).toContain('expected a transaction call object')
  })

  it('log filter: block range, single or many addresses, topics with nulls and OR arrays', () => {
    expect(logFilterSchema.parse({})).toEqual({ topics: [] })
    expect(logFilterSchema.parse({ fromBlock: '0x1', toBlock: 'latest', address: A1, topics: [H1, null, [H1, H2]] })).toEqual({
      fromBlock: { kind: 'number', number: 1n },
      toBlock: { kind: 'tag', tag: 'latest' },
      address: [A1.toLowerCase()],
      topics: [[H1], null, [H1, H2]],
    })
    expect(logFilterSchema.parse({ blockHash: H2, address: [A1, A1.toLowerCase()], topics: [[H1, null], []] })).toEqual({
      blockHash: H2,
      address: [A1.toLowerCase(), A1.toLowerCase()],
      topics: [null, null],
    })
    expect(logFilterSchema.parse({ address: [], topics: null })).toEqual({ topics: [] })
  })

  it('log filter: rejects blockHash with a range, too many topics, bad topics', () => {
    expect(failure(logFilterSchema, { blockHash: H1, fromBlock: '0x1' })).toContain('cannot specify both blockHash and fromBlock/toBlock')
    expect(failure(logFilterSchema, { topics: [null, null, null, null, null] })).toContain('at most 4 topic positions')
    expect(failure(logFilterSchema, { topics: ['0x12'] })).toContain('invalid argument 0: topics[0]: expected a 32-byte hash')
    expect(failure(logFilterSchema, { topics: [null, [H1, '0x12']] })).toContain('invalid argument 0: topics[1][1]: expected a 32-byte hash')
    expect(failure(logFilterSchema, { topics: [5] })).toContain('expected a topic')
    expect(failure(logFilterSchema, { address: ['0x12'] })).toContain('invalid argument 0: address[0]: expected a 20-byte address')
  })
})
