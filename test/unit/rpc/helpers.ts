/** Shared fixtures for the rpc tests: a small method table and a real server on an ephemeral port. */
import { EventEmitter } from 'node:events'
import { z } from 'zod'
import { QuorateError } from '../../../src/errors.js'
import { RpcError, executionReverted, notificationsNotSupported } from '../../../src/rpc/errors.js'
import { addressSchema, blockIdSchema, callRequestSchema, quantitySchema } from '../../../src/rpc/schemas.js'
import { RpcServer, type RpcServerOptions } from '../../../src/rpc/server.js'
import { method, noParams, requireConnection, type RpcMethods, type RpcObserver } from '../../../src/rpc/types.js'

/** ABI encoding of Error("nope"), as a contract's `revert("nope")` returns it. */
export const REVERT_NOPE =
  '0x08c379a0' +
  '0000000000000000000000000000000000000000000000000000000000000020' +
  '0000000000000000000000000000000000000000000000000000000000000004' +
  '6e6f706500000000000000000000000000000000000000000000000000000000'

export interface Fixture {
  methods: RpcMethods
  /** Emits 'tick' events that `test_subscribe` subscriptions forward. */
  bus: EventEmitter
  counter: { value: number }
  /** Kinds passed to unsubscribe callbacks, in order. */
  unsubscribed: string[]
}

export function createFixture(): Fixture {
  const bus = new EventEmitter()
  const counter = { value: 0 }
  const unsubscribed: string[] = []
  const methods: RpcMethods = {
    test_echo: method(z.tuple([z.string()]), ([s]) => s),
    test_add: method(z.tuple([quantitySchema, quantitySchema.optional()]), ([a, b]) => a + (b ?? 0n)),
    test_balance: method(z.tuple([addressSchema, blockIdSchema.optional()]), ([address, block]) => ({ address, block: block?.kind ?? 'none' })),
    test_call: method(z.tuple([callRequestSchema]), ([call]) => call.data ?? null),
    test_increment: noParams(() => ++counter.value),
    test_bytes: noParams(() => new Uint8Array([1, 2, 255])),
    test_void: noParams(() => undefined),
    test_notFound: noParams(() => {
      throw new QuorateError('RESOURCE_NOT_FOUND', 'block 0x5 not found', { data: { block: '0x5' } })
    }),
    test_limit: noParams(async () => {
      await Promise.resolve()
      throw new QuorateError('LIMIT_EXCEEDED', 'too many logs in range')
    }),
    test_revert: noParams(() => {
      throw executionReverted(REVERT_NOPE as `0x${string}`)
    }),
    test_rpcError: noParams(() => {
      throw new RpcError(-32042, 'custom failure', { data: [7] })
    }),
    test_unmapped: noParams(() => {
      throw new QuorateError('SOMETHING_ODD', 'an odd thing happened')
    }),
    test_crash: noParams(() => {
      throw new Error('secret internal detail')
    }),
    test_subscribe: method(z.tuple([z.enum(['ticks', 'early', 'failing'])]), ([kind], ctx) => {
      const conn = requireConnection(ctx)
      const listener = (n: number): void => {
        conn.notify(id, n)
      }
      bus.on('tick', listener)
      const id = conn.subscribe(kind, () => {
        bus.off('tick', listener)
        unsubscribed.push(kind)
      })
      // Sent before the response exists: the client must still see the response first.
      if (kind === 'early') conn.notify(id, 'early')
      if (kind === 'failing') throw new QuorateError('RESOURCE_UNAVAILABLE', 'subscription source went away')
      return id
    }),
    test_unsubscribe: method(z.tuple([z.string()]), ([id], ctx) => {
      if (!ctx.connection) throw notificationsNotSupported()
      return ctx.connection.unsubscribe(id)
    }),
  }
  return { methods, bus, counter, unsubscribed }
}

export async function startServer(
  methods: RpcMethods,
  opts: Omit<RpcServerOptions, 'methods' | 'port' | 'host'> = {},
  observer?: RpcObserver,
): Promise<RpcServer> {
  const server = new RpcServer({ ...opts, methods, host: '127.0.0.1', port: 0 }, observer ? { observer } : {})
  await server.start()
  return server
}

export interface HttpReply {
  status: number
  headers: Headers
  text: string
  json: unknown
}

export async function post(server: RpcServer, body: string | object, headers: Record<string, string> = {}): Promise<HttpReply> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: text.length > 0 ? JSON.parse(text) : undefined }
}

export function call(methodName: string, params?: unknown[], id: number | string | null = 1): object {
  return params === undefined ? { jsonrpc: '2.0', id, method: methodName } : { jsonrpc: '2.0', id, method: methodName, params }
}
