import { request } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { QuorateError } from '../../../src/errors.js'
import { RpcServer } from '../../../src/rpc/server.js'
import { noParams } from '../../../src/rpc/types.js'
import { call, createFixture, post, REVERT_NOPE, startServer, type Fixture } from './helpers.js'

/** Raw HTTP POST with a streamed (chunked, no Content-Length) body. */
function postChunked(port: number, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json' } }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }))
    })
    req.on('error', reject)
    const writeNext = (i: number): void => {
      if (i === chunks.length) {
        req.end()
        return
      }
      if (req.destroyed) return
      req.write(chunks[i], () => writeNext(i + 1))
    }
    writeNext(0)
  })
}

describe('rpc/server over HTTP', () => {
  let fx: Fixture
  let server: RpcServer
  const observed: { method: string; code: number | undefined }[] = []

  beforeAll(async () => {
    fx = createFixture()
    server = await startServer(
      fx.methods,
      { cors: ['https://app.example.org'], maxRequestBytes: 64 * 1024, maxBatchSize: 5, wsPingIntervalMs: 0 },
      { onCall: (method, code) => observed.push({ method, code }) },
    )
  })

  afterAll(async () => {
    await server.stop()
  })

  // Every test feeds the server something; it must still answer a good request afterwards.
  afterEach(async () => {
    const reply = await post(server, call('test_echo', ['still alive'], 'alive'))
    expect(reply.json).toEqual({ jsonrpc: '2.0', id: 'alive', result: 'still alive' })
  })

  it('binds an ephemeral port and answers a call', async () => {
    expect(server.port).toBeGreaterThan(0)
    const reply = await post(server, call('test_add', ['0x1a', '0x1']))
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('application/json')
    expect(reply.json).toEqual({ jsonrpc: '2.0', id: 1, result: '0x1b' })
  })

  it('serves a JSON banner on GET /', async () => {
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ service: 'quorate-rpc', jsonrpc: '2.0' })
  })

  it('answers invalid JSON with -32700 and id null', async () => {
    const reply = await post(server, '{"jsonrpc":"2.0","id":1,"method":')
    expect(reply.status).toBe(200)
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
  })

  it('answers an unknown method with -32601 naming it', async () => {
    const reply = await post(server, call('eth_doesNotExist', [], 7))
    expect(reply.json).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32601, message: 'the method eth_doesNotExist does not exist/is not available' },
    })
  })

  it('answers wrong param types with -32602 naming the argument and what was expected', async () => {
    const cases: [object, string][] = [
      [call('test_add', [26]), 'invalid argument 0: expected a hex quantity like 0x1a'],
      [call('test_add', ['0x1', '0x01']), 'invalid argument 1: expected a hex quantity like 0x1a'],
      [call('test_add', []), 'missing value for required argument 0'],
      [call('test_add', ['0x1', '0x2', '0x3']), 'too many arguments, want at most 2'],
      [call('test_balance', ['0x1234']), 'invalid argument 0: expected a 20-byte address'],
      [call('test_balance', ['0x52908400098527886E0F7030069857D2E4169EE7', 'newest']), 'invalid argument 1: expected a block number like 0x1a'],
      [call('test_balance', ['0x52908400098527886E0F7030069857D2E4169EE7', { blockHash: '0x12' }]), 'invalid argument 1: blockHash: expected a 32-byte hash'],
      [call('test_call', [{ to: 'nope' }]), 'invalid argument 0: to: expected a 20-byte address'],
      [{ jsonrpc: '2.0', id: 1, method: 'test_add', params: { a: '0x1' } }, 'invalid params: "params" must be an array'],
    ]
    for (const [body, message] of cases) {
      const reply = await post(server, body)
      expect(reply.json, JSON.stringify(body)).toMatchObject({ id: 1, error: { code: -32602 } })
      expect((reply.json as { error: { message: string } }).error.message).toContain(message)
    }
  })

  it('treats trailing null params as omitted', async () => {
    const reply = await post(server, call('test_add', ['0x2', null]))
    expect(reply.json).toMatchObject({ result: '0x2' })
  })

  it('answers malformed request objects with -32600', async () => {
    const cases: [unknown, unknown][] = [
      [{ id: 1, method: 'test_echo', params: ['x'] }, 1],
      [{ jsonrpc: '2.0', id: 2, method: 5 }, 2],
      [{ jsonrpc: '2.0', id: { nested: true }, method: 'test_echo' }, null],
      ['"just a string"', null],
    ]
    for (const [body, id] of cases) {
      const reply = await post(server, typeof body === 'string' ? body : (body as object))
      expect(reply.json, JSON.stringify(body)).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32600 } })
    }
  })

  it('answers a batch in order, skipping notifications', async () => {
    const before = fx.counter.value
    const reply = await post(server, [
      call('test_echo', ['a'], 1),
      { jsonrpc: '2.0', method: 'test_increment' },
      call('nope_nope', [], 'x'),
      7,
      call('test_add', ['0x2'], 3),
    ])
    expect(reply.status).toBe(200)
    expect(reply.json).toEqual([
      { jsonrpc: '2.0', id: 1, result: 'a' },
      { jsonrpc: '2.0', id: 'x', error: { code: -32601, message: 'the method nope_nope does not exist/is not available' } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: expected a JSON-RPC request object' } },
      { jsonrpc: '2.0', id: 3, result: '0x2' },
    ])
    // The notification ran even though it got no response.
    expect(fx.counter.value).toBe(before + 1)
  })

  it('answers a notification-only request or batch with an empty 204', async () => {
    const before = fx.counter.value
    const single = await post(server, { jsonrpc: '2.0', method: 'test_increment' })
    expect(single.status).toBe(204)
    expect(single.text).toBe('')
    const batch = await post(server, [
      { jsonrpc: '2.0', method: 'test_increment' },
      { jsonrpc: '2.0', method: 'test_increment', params: [1] },
      { jsonrpc: '2.0', method: 'nope_nope' },
    ])
    expect(batch.status).toBe(204)
    expect(fx.counter.value).toBe(before + 2)
  })

  it('answers an empty batch with a single -32600', async () => {
    const reply = await post(server, '[]')
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: empty batch' } })
  })

  it('refuses a batch above maxBatchSize with a single error and runs none of it', async () => {
    const before = fx.counter.value
    const batch = Array.from({ length: 6 }, (_, i) => call('test_increment', [], i))
    const reply = await post(server, batch)
    expect(reply.json).toMatchObject({ id: null, error: { code: -32600 } })
    expect((reply.json as { error: { message: string } }).error.message).toContain('batch too large: 6 requests, at most 5')
    expect(fx.counter.value).toBe(before)
    const ok = await post(server, batch.slice(0, 5))
    expect(ok.json).toHaveLength(5)
  })

  it('refuses a body above maxRequestBytes with 413 and a JSON-RPC error (Content-Length known)', async () => {
    const big = JSON.stringify(call('test_echo', ['x'.repeat(100 * 1024)]))
    const reply = await post(server, big)
    expect(reply.status).toBe(413)
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
    expect((reply.json as { error: { message: string } }).error.message).toContain('exceeds the limit of 65536 bytes')
  })

  it('refuses a streamed body that grows above maxRequestBytes with 413', async () => {
    const chunks = Array.from({ length: 20 }, () => Buffer.alloc(8 * 1024, 0x20))
    const reply = await postChunked(server.port, chunks)
    expect(reply.status).toBe(413)
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: -32600 } })
  })

  it('requires a JSON content type (no simple cross-site POSTs)', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(call('test_increment')) })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ error: { code: -32600 } })
    const charset = await post(server, call('test_echo', ['y']), { 'Content-Type': 'application/json; charset=utf-8' })
    expect(charset.json).toMatchObject({ result: 'y' })
  })

  it('answers a CORS preflight for an allowed origin and refuses others', async () => {
    const ok = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    })
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.org')
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST')
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type')
    const bad = await fetch(server.url, { method: 'OPTIONS', headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'POST' } })
    expect(bad.status).toBe(403)
    expect(bad.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('adds CORS headers to answers for allowed origins only', async () => {
    const ok = await post(server, call('test_echo', ['c']), { Origin: 'https://app.example.org' })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.org')
    expect(ok.headers.get('vary')).toContain('Origin')
    const other = await post(server, call('test_echo', ['c']), { Origin: 'https://evil.example.com' })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('maps QuorateError codes to EIP-1474 numbers and passes data through', async () => {
    expect((await post(server, call('test_notFound'))).json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32001, message: 'block 0x5 not found', data: { block: '0x5' } },
    })
    expect((await post(server, call('test_limit'))).json).toMatchObject({ error: { code: -32005, message: 'too many logs in range' } })
    expect((await post(server, call('test_revert'))).json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: 3, message: 'execution reverted: nope', data: REVERT_NOPE },
    })
    expect((await post(server, call('test_rpcError'))).json).toMatchObject({ error: { code: -32042, message: 'custom failure', data: [7] } })
    expect((await post(server, call('test_unmapped'))).json).toMatchObject({ error: { code: -32603, message: 'an odd thing happened' } })
  })

  it('answers an unexpected handler error with -32603 and no internals', async () => {
    const reply = await post(server, call('test_crash'))
    expect(reply.json).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal error' } })
    expect(reply.text).not.toContain('secret')
    expect(reply.text).not.toContain('at ')
  })

  it('answers eth_subscribe-style calls over HTTP with "notifications not supported"', async () => {
    const reply = await post(server, call('test_subscribe', ['ticks']))
    expect(reply.json).toMatchObject({ error: { code: -32601 } })
    expect((reply.json as { error: { message: string } }).error.message).toContain('notifications not supported')
  })

  it('encodes bigint, bytes and undefined results as Ethereum JSON', async () => {
    expect((await post(server, call('test_bytes'))).json).toMatchObject({ result: '0x0102ff' })
    expect((await post(server, call('test_void'))).json).toEqual({ jsonrpc: '2.0', id: 1, result: null })
    expect((await post(server, call('test_call', [{ input: '0xABCD' }]))).json).toMatchObject({ result: '0xabcd' })
  })

  it('reports each call to the observer, bucketing unknown methods', async () => {
    observed.length = 0
    await post(server, [call('test_echo', ['o'], 1), call('zzz_unknown', [], 2), call('test_notFound', [], 3)])
    expect(observed).toEqual([
      { method: 'test_echo', code: undefined },
      { method: 'other', code: -32601 },
      { method: 'test_notFound', code: -32001 },
    ])
  })

  it('serves routes mounted after start, exact and by prefix, and 404s the rest', async () => {
    server.route('GET', '/health', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok')
    })
    server.route('GET', '/dashboard/*', (_req, res, url) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`dash:${url.pathname}`)
    })
    expect(await (await fetch(new URL('/health', server.url))).text()).toBe('ok')
    expect(await (await fetch(new URL('/dashboard/assets/app.js?v=1', server.url))).text()).toBe('dash:/dashboard/assets/app.js')
    expect(await (await fetch(new URL('/dashboard', server.url))).text()).toBe('dash:/dashboard')
    expect((await fetch(new URL('/nothing', server.url))).status).toBe(404)
    expect((await fetch(server.url, { method: 'PUT', body: 'x' })).status).toBe(405)
    expect(() => server.route('POST', '/', () => {})).toThrow(QuorateError)
  })

  it('answers 500 when a mounted route throws, and keeps serving', async () => {
    server.route('GET', '/broken', () => {
      throw new Error('route bug')
    })
    const res = await fetch(new URL('/broken', server.url))
    expect(res.status).toBe(500)
    expect(await res.text()).not.toContain('route bug')
  })

  it('reports a taken port as RPC_PORT_IN_USE', async () => {
    const other = new RpcServer({ host: '127.0.0.1', port: server.port })
    await expect(other.start()).rejects.toMatchObject({ code: 'RPC_PORT_IN_USE' })
  })

  it('refuses a method name registered twice', () => {
    expect(() => server.register({ test_echo: fx.methods.test_echo! })).toThrow(/registered twice/)
  })
})

describe('rpc/server with cors "*" and httpRoutes option', () => {
  it('answers any origin with "*" and serves routes given at construction', async () => {
    const fx = createFixture()
    let url = ''
    const server = await startServer(fx.methods, {
      cors: '*',
      wsPingIntervalMs: 0,
      httpRoutes: [{ method: 'GET', path: '/metrics', handler: (_req, res) => void res.writeHead(200).end('m 1') }],
    })
    try {
      url = server.url
      const reply = await post(server, call('test_echo', ['s']), { Origin: 'https://anywhere.example' })
      expect(reply.headers.get('access-control-allow-origin')).toBe('*')
      expect(await (await fetch(new URL('/metrics', server.url))).text()).toBe('m 1')
      // Default limit 5 MiB: a 6 MiB body is refused while the client is still sending it.
      const big = await post(server, call('test_echo', ['x'.repeat(6 * 1024 * 1024)]))
      expect(big.status).toBe(413)
      expect((big.json as { error: { message: string } }).error.message).toContain('exceeds the limit of 5242880 bytes')
      expect((await post(server, call('test_echo', ['after']))).json).toMatchObject({ result: 'after' })
    } finally {
      await server.stop()
    }
    // Stopped means closed: nothing answers on the port any more.
    await expect(fetch(url)).rejects.toThrow()
  })
})

describe('rpc/server, a client that hangs up', () => {
  it('stops the batch of a client that closed its connection before the answer, and runs every item of one that waits', async () => {
    let calls = 0
    const server = await startServer({
      test_slow: noParams(async () => {
        calls++
        await new Promise((r) => setTimeout(r, 10))
        return calls
      }),
    })
    try {
      const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => call('test_slow', [], i)))
      // A client that waits gets all 100 answers.
      const answered = (await post(server, batch)).json as unknown[]
      expect(answered).toHaveLength(100)
      calls = 0
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json' } })
        req.on('error', () => resolve())
        req.end(batch)
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 100)
      })
      // Well under the batch's 1 s: the items after the hang-up were not run.
      await new Promise((r) => setTimeout(r, 1200))
      expect(calls).toBeGreaterThan(0)
      expect(calls).toBeLessThan(60)
    } finally {
      await server.stop()
    }
  })
})
