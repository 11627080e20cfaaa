import { once } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import type { RpcServer } from '../../../src/rpc/server.js'
import { call, createFixture, startServer, type Fixture } from './helpers.js'

/** A ws client that queues every message it receives, so tests can await them in order. */
class Client {
  readonly ws: WebSocket
  private readonly inbox: unknown[] = []
  private waiter: (() => void) | undefined

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, opts)
    this.ws.on('message', (data) => {
      this.inbox.push(JSON.parse(String(data)))
      this.waiter?.()
    })
  }

  async open(): Promise<this> {
    await once(this.ws, 'open')
    return this
  }

  send(body: unknown): void {
    this.ws.send(typeof body === 'string' ? body : JSON.stringify(body))
  }

  async next(): Promise<unknown> {
    while (this.inbox.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve))
    return this.inbox.shift()
  }

  async request(body: unknown): Promise<unknown> {
    this.send(body)
    return this.next()
  }

  pending(): number {
    return this.inbox.length
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    const closed = once(this.ws, 'close')
    this.ws.close()
    await closed
  }
}

/** Resolves with the HTTP status of a refused WebSocket handshake. */
function refusedStatus(url: string, opts: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => reject(new Error('handshake unexpectedly accepted')))
    ws.on('error', () => {})
  })
}

describe('rpc/server over WebSocket', () => {
  let fx: Fixture
  let server: RpcServer
  const clients: Client[] = []

  const connect = async (opts: WebSocket.ClientOptions = {}): Promise<Client> => {
    const c = new Client(server.wsUrl, opts)
    clients.push(c)
    return c.open()
  }

  beforeAll(async () => {
    fx = createFixture()
    server = await startServer(fx.methods, {
      maxRequestBytes: 4096,
      maxWsConnections: 4,
      maxSubscriptionsPerConnection: 3,
      cors: ['https://app.example.org'],
      wsPingIntervalMs: 0,
    })
  })

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((x) => x.close()))
    await vi.waitFor(() => expect(server.connectionCount).toBe(0))
    // Whatever the test did, a fresh connection still gets answers.
    const c = new Client(server.wsUrl)
    await c.open()
    expect(await c.request(call('test_echo', ['alive'], 'alive'))).toEqual({ jsonrpc: '2.0', id: 'alive', result: 'alive' })
    await c.close()
    await vi.waitFor(() => expect(server.connectionCount).toBe(0))
  })

  afterAll(async () => {
    await server.stop()
  })

  it('answers calls, batches, invalid JSON and unknown methods on one connection', async () => {
    const c = await connect()
    expect(await c.request(call('test_add', ['0x1', '0x2']))).toEqual({ jsonrpc: '2.0', id: 1, result: '0x3' })
    expect(await c.request([call('test_echo', ['a'], 1), { jsonrpc: '2.0', method: 'test_increment' }, call('test_echo', ['b'], 2)])).toEqual([
      { jsonrpc: '2.0', id: 1, result: 'a' },
      { jsonrpc: '2.0', id: 2, result: 'b' },
    ])
    expect(await c.request('{not json')).toMatchObject({ id: null, error: { code: -32700 } })
    expect(await c.request(call('eth_nothing', [], 9))).toMatchObject({ id: 9, error: { code: -32601 } })
    expect(await c.request(call('test_add', ['12']))).toMatchObject({ error: { code: -32602, message: expect.stringContaining('invalid argument 0') } })
    expect(await c.request(call('test_echo', ['same connection'], 3))).toEqual({ jsonrpc: '2.0', id: 3, result: 'same connection' })
  })

  it('subscribes, notifies, and unsubscribes', async () => {
    const c = await connect()
    const res = (await c.request(call('test_subscribe', ['ticks']))) as { result: string }
    expect(res.result).toMatch(/^0x[0-9a-f]{32}$/)
    fx.bus.emit('tick', 1)
    fx.bus.emit('tick', 2n)
    expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: res.result, result: 1 } })
    expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: res.result, result: '0x2' } })
    expect(await c.request(call('test_unsubscribe', [res.result], 2))).toEqual({ jsonrpc: '2.0', id: 2, result: true })
    expect(fx.bus.listenerCount('tick')).toBe(0)
    expect(fx.unsubscribed.at(-1)).toBe('ticks')
    expect(await c.request(call('test_unsubscribe', [res.result], 3))).toEqual({ jsonrpc: '2.0', id: 3, result: false })
    fx.bus.emit('tick', 3)
    // A round trip after the tick: had a notification been sent, it would arrive before this answer.
    expect(await c.request(call('test_echo', ['after'], 4))).toMatchObject({ id: 4 })
    expect(c.pending()).toBe(0)
  })

  it('sends the subscribe response before any notification of that subscription', async () => {
    const c = await connect()
    const res = (await c.request(call('test_subscribe', ['early']))) as { result: string }
    expect(res).toMatchObject({ id: 1, result: expect.stringMatching(/^0x/) })
    expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: res.result, result: 'early' } })
  })

  it('drops the subscription of a call that fails after subscribing', async () => {
    const c = await connect()
    const before = fx.unsubscribed.length
    expect(await c.request(call('test_subscribe', ['failing']))).toMatchObject({ error: { code: -32002 } })
    expect(fx.unsubscribed.slice(before)).toEqual(['failing'])
    expect(fx.bus.listenerCount('tick')).toBe(0)
  })

  it('limits subscriptions per connection with -32005', async () => {
    const c = await connect()
    for (let i = 0; i < 3; i++) expect(await c.request(call('test_subscribe', ['ticks'], i))).toMatchObject({ result: expect.any(String) })
    expect(await c.request(call('test_subscribe', ['ticks'], 9))).toMatchObject({ id: 9, error: { code: -32005 } })
    expect(fx.bus.listenerCount('tick')).toBe(3)
  })

  it('tears down every subscription of a connection when it closes', async () => {
    const a = await connect()
    const b = await connect()
    await a.request(call('test_subscribe', ['ticks'], 1))
    await a.request(call('test_subscribe', ['ticks'], 2))
    const bSub = (await b.request(call('test_subscribe', ['ticks'], 1))) as { result: string }
    expect(fx.bus.listenerCount('tick')).toBe(3)
    await a.close()
    await vi.waitFor(() => expect(fx.bus.listenerCount('tick')).toBe(1))
    // The other connection's subscription is untouched.
    fx.bus.emit('tick', 5)
    expect(await b.next()).toMatchObject({ params: { subscription: bSub.result, result: 5 } })
  })

  it('closes a connection that sends a message above maxRequestBytes (1009)', async () => {
    const c = await connect()
    await c.request(call('test_subscribe', ['ticks']))
    const closed = once(c.ws, 'close')
    c.send(call('test_echo', ['x'.repeat(5000)]))
    const [code] = (await closed) as [number]
    expect(code).toBe(1009)
    await vi.waitFor(() => expect(fx.bus.listenerCount('tick')).toBe(0))
  })

  it('refuses connections above maxWsConnections with 503, and accepts again after one closes', async () => {
    const open = await Promise.all([connect(), connect(), connect(), connect()])
    expect(await refusedStatus(server.wsUrl)).toBe(503)
    await open[0]!.close()
    await vi.waitFor(() => expect(server.connectionCount).toBe(3))
    const again = await connect()
    expect(await again.request(call('test_echo', ['in']))).toMatchObject({ result: 'in' })
  })

  it('refuses browser origins that are not allowed, accepts listed ones and clients without Origin', async () => {
    expect(await refusedStatus(server.wsUrl, { origin: 'https://evil.example.com' })).toBe(403)
    const ok = await connect({ origin: 'https://app.example.org' })
    expect(await ok.request(call('test_echo', ['o']))).toMatchObject({ result: 'o' })
    expect(await refusedStatus(new URL('/other', server.wsUrl).toString())).toBe(404)
  })
})

describe('rpc/server WebSocket heartbeat', () => {
  it('drops a peer that stops answering pings, with its subscriptions', async () => {
    const fx = createFixture()
    const server = await startServer(fx.methods, { wsPingIntervalMs: 50 })
    try {
      // Answers pings by hand while it subscribes, then goes silent.
      const silent = new Client(server.wsUrl, { autoPong: false })
      let answering = true
      silent.ws.on('ping', () => {
        if (answering) silent.ws.pong()
      })
      await silent.open()
      expect(await silent.request(call('test_subscribe', ['ticks']))).toMatchObject({ result: expect.any(String) })
      const closed = once(silent.ws, 'close')
      answering = false
      await closed
      expect(fx.bus.listenerCount('tick')).toBe(0)
      expect(fx.unsubscribed).toEqual(['ticks'])
      expect(server.connectionCount).toBe(0)
    } finally {
      await server.stop()
    }
  })

  it('stop() closes live connections and runs their teardown', async () => {
    const fx = createFixture()
    const server = await startServer(fx.methods, { wsPingIntervalMs: 0 })
    const c = new Client(server.wsUrl)
    await c.open()
    await c.request(call('test_subscribe', ['ticks']))
    const closed = once(c.ws, 'close')
    await server.stop()
    expect(fx.unsubscribed).toEqual(['ticks'])
    await closed
  })
})
