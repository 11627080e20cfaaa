/**
 * Connection limits of the JSON-RPC port on real sockets: idle sockets make room for new clients
 * instead of locking them out, busy ones are refused with 503 and a JSON-RPC error, silent sockets
 * are closed after the idle timeout, and a WebSocket client's queued work is dropped when it goes.
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { z } from 'zod'
import type { RpcServer } from '../../../src/rpc/server.js'
import { method, noParams } from '../../../src/rpc/types.js'
import { post, startServer } from './helpers.js'

let server: RpcServer | undefined
const sockets: Socket[] = []

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await server?.stop()
  server = undefined
})

async function rawSocket(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port })
  s.on('error', () => {})
  sockets.push(s)
  await once(s, 'connect')
  return s
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => {}
  const wait = new Promise<void>((r) => (open = r))
  return { wait, open }
}

describe('rpc/server connection limits', () => {
  it('an address at its limit of idle sockets is not locked out: its oldest idle socket makes room', async () => {
    server = await startServer({ test_ping: noParams(() => 'pong') }, { maxConnectionsPerIp: 3 })
    const idle = [await rawSocket(server.port), await rawSocket(server.port), await rawSocket(server.port)]
    const firstClosed = once(idle[0]!, 'close')
    expect(await post(server, { jsonrpc: '2.0', id: 1, method: 'test_ping' })).toMatchObject({ status: 200, json: { result: 'pong' } })
    await firstClosed
    expect(idle[1]!.destroyed).toBe(false)
  })

  it('busy sockets are not evicted: a client over the limit gets 503 and a -32005 saying which limit', async () => {
    const held = gate()
    let started = 0
    server = await startServer(
      { test_hold: noParams(async () => { started++; await held.wait; return 'done' }) },
      { maxConnections: 2, maxConnectionsPerIp: 10 },
    )
    const url = server.url
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_hold' })
    // Two requests in progress on two sockets (separate fetch calls with no keep-alive reuse possible while busy).
    const busy = [1, 2].map(() => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
    await vi.waitFor(() => expect(started).toBe(2))
    const refused = await post(server, { jsonrpc: '2.0', id: 2, method: 'test_hold' })
    expect(refused.status).toBe(503)
    expect(refused.json).toMatchObject({ error: { code: -32005, message: expect.stringMatching(/rpc\.maxConnections is 2/) } })
    held.open()
    for (const r of await Promise.all(busy)) expect(r.status).toBe(200)
  })

  it('a socket that never sends a request is closed after idleTimeoutMs', async () => {
    server = await startServer({}, { idleTimeoutMs: 200 })
    const s = await rawSocket(server.port)
    const started = Date.now()
    await once(s, 'close')
    expect(Date.now() - started).toBeLessThan(3000)
    await vi.waitFor(() => expect(server!.socketCount).toBe(0))
  })
})

describe('rpc/server WebSocket work per connection', () => {
  it('answers one message at a time, and drops the queued ones (and the rest of a batch) when the client goes', async () => {
    const held = gate()
    const ran: number[] = []
    server = await startServer(
      { test_hold: method(z.tuple([z.number()]), async ([n]) => { ran.push(n); await held.wait; return n }) },
      { wsPingIntervalMs: 0 },
    )
    const ws = new WebSocket(server.wsUrl)
    await once(ws, 'open')
    ws.send(JSON.stringify([0, 1, 2].map((n) => ({ jsonrpc: '2.0', id: n, method: 'test_hold', params: [n] }))))
    for (let n = 10; n < 20; n++) ws.send(JSON.stringify({ jsonrpc: '2.0', id: n, method: 'test_hold', params: [n] }))
    await vi.waitFor(() => expect(ran).toEqual([0]))
    ws.terminate()
    await vi.waitFor(() => expect(server!.connectionCount).toBe(0))
    held.open()
    await new Promise((r) => setTimeout(r, 100))
    expect(ran).toEqual([0])
  })

  it('drops a client that stops reading once its unsent data stops moving', async () => {
    server = await startServer(
      { test_blob: noParams(() => 'z'.repeat(256 * 1024)) },
      { wsPingIntervalMs: 0, wsMaxBufferedBytes: 64 * 1024, wsSendTimeoutMs: 300 },
    )
    const ws = new WebSocket(server.wsUrl)
    await once(ws, 'open')
    const closed = once(ws, 'close')
    ws.pause()
    for (let i = 0; i < 200; i++) ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'test_blob' }))
    await vi.waitFor(() => expect(server!.connectionCount).toBe(0), { timeout: 5000 })
    ws.resume()
    await closed
    await vi.waitFor(() => expect(server!.pendingResponseBytes).toBe(0))
  })
})
