import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { RpcDispatcher, stringifyJson, type CallScope } from '../../../src/rpc/dispatch.js'
import { addressSchema, blockIdSchema, type BlockId } from '../../../src/rpc/schemas.js'
import { method, noParams, type RpcContext, type RpcMethods } from '../../../src/rpc/types.js'
import type { Address } from '../../../src/types.js'

const http = (): CallScope => ({ ctx: { transport: 'http' }, end: () => {} })

describe('rpc/dispatch', () => {
  it('infers handler params from the schema, and typed methods fit one table', async () => {
    const getBalance = method(z.tuple([addressSchema, blockIdSchema.optional()]), ([address, block], ctx) => {
      expectTypeOf(address).toEqualTypeOf<Address>()
      expectTypeOf(block).toEqualTypeOf<BlockId | undefined>()
      expectTypeOf(ctx).toEqualTypeOf<RpcContext>()
      return { address, block }
    })
    const table: RpcMethods = { eth_getBalance: getBalance, web3_clientVersion: noParams(() => 'quorate') }
    const d = new RpcDispatcher({ methods: table })
    const out = await d.handle(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [`0x${'AA'.repeat(20)}`, '0x2'] }), http)
    expect(JSON.parse(out!)).toEqual({ jsonrpc: '2.0', id: 1, result: { address: `0x${'aa'.repeat(20)}`, block: { kind: 'number', number: '0x2' } } })
    expect(d.methodNames).toEqual(['eth_getBalance', 'web3_clientVersion'])
  })

  it('rejects params for a method without params', async () => {
    const d = new RpcDispatcher({ methods: { web3_clientVersion: noParams(() => 'q') } })
    const out = await d.handle('{"jsonrpc":"2.0","id":"a","method":"web3_clientVersion","params":[1]}', http)
    expect(JSON.parse(out!)).toMatchObject({ id: 'a', error: { code: -32602, message: 'too many arguments, want at most 0' } })
    expect(JSON.parse((await d.handle('{"jsonrpc":"2.0","id":2,"method":"web3_clientVersion"}', http))!)).toMatchObject({ result: 'q' })
  })

  it('does not resolve method names through the object prototype', async () => {
    const d = new RpcDispatcher({ methods: {} })
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const out = await d.handle(JSON.stringify({ jsonrpc: '2.0', id: 1, method: name }), http)
      expect(JSON.parse(out!)).toMatchObject({ error: { code: -32601 } })
    }
  })

  it('keeps the id type (string, number, null) and answers `id: null` requests', async () => {
    const d = new RpcDispatcher({ methods: { m: noParams(() => 1) } })
    for (const id of ['x', 0, 1.5, null]) {
      const out = await d.handle(JSON.stringify({ jsonrpc: '2.0', id, method: 'm' }), http)
      expect(JSON.parse(out!)).toEqual({ jsonrpc: '2.0', id, result: 1 })
    }
  })

  it('answers -32603 when a result cannot be serialised', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const d = new RpcDispatcher({ methods: { m: noParams(() => cyclic) } })
    expect(JSON.parse((await d.handle('{"jsonrpc":"2.0","id":1,"method":"m"}', http))!)).toMatchObject({ error: { code: -32603 } })
  })

  it('rejects a bad maxBatchSize', () => {
    expect(() => new RpcDispatcher({ maxBatchSize: 0 })).toThrow(/maxBatchSize/)
  })

  it('stringifyJson encodes bigint as quantity and bytes (also Buffer) as hex data', () => {
    expect(stringifyJson({ a: 0n, b: 255n, c: new Uint8Array([0, 1]), d: Buffer.from([2]), e: [1n] })).toBe(
      '{"a":"0x0","b":"0xff","c":"0x0001","d":"0x02","e":["0x1"]}',
    )
  })
})
