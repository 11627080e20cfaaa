/**
 * Loopback servers for CLI tests: a minimal JSON-RPC node (for answers a real node cannot give yet,
 * such as /ready, or a node 12 blocks behind), a plain TCP listener, and an HTTP CONNECT proxy.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'

export interface FakeNode {
  url: string
  port: number
  /** Requests seen, by path or JSON-RPC method. */
  seen: string[]
  close(): Promise<void>
}

export interface FakeNodeOptions {
  methods: Record<string, (params: unknown[]) => unknown>
  /** Answer for GET /ready; undefined answers 404 like a node without the endpoint. */
  ready?: { status: number; body: unknown }
}

function listening(server: Server | HttpServer): Promise<number> {
  return new Promise((res, rej) => {
    server.once('error', rej)
    server.listen(0, '127.0.0.1', () => res((server.address() as AddressInfo).port))
  })
}

function closing(server: Server | HttpServer): Promise<void> {
  return new Promise((res) => {
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close(() => res())
  })
}

export async function startFakeNode(opts: FakeNodeOptions): Promise<FakeNode> {
  const seen: string[] = []
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method === 'GET') {
        seen.push(`GET ${req.url}`)
        if (req.url === '/ready' && opts.ready) {
          res.writeHead(opts.ready.status, { 'content-type': 'application/json' }).end(JSON.stringify(opts.ready.body))
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
        }
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; method: string; params: unknown[] } | { id: number; method: string; params: unknown[] }[]
      const answer = (call: { id: number; method: string; params: unknown[] }) => {
        seen.push(call.method)
        const fn = opts.methods[call.method]
        if (!fn) return { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: `the method ${call.method} does not exist` } }
        return { jsonrpc: '2.0', id: call.id, result: fn(call.params) }
      }
      const out = Array.isArray(body) ? body.map(answer) : answer(body)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out))
    })
  })
  const port = await listening(server)
  return { url: `http://127.0.0.1:${port}`, port, seen, close: () => closing(server) }
}

/** A TCP listener that accepts and holds connections (a "busy port" or a peer's P2P port). */
export async function startTcpListener(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  let count = 0
  const sockets = new Set<import('node:net').Socket>()
  const server = createServer((s) => {
    count++
    sockets.add(s)
    s.on('error', () => undefined)
    s.on('close', () => sockets.delete(s))
  })
  const port = await listening(server)
  return {
    port,
    accepted: () => count,
    close: () => {
      for (const s of sockets) s.destroy()
      return closing(server)
    },
  }
}

/** A port that nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listening(server)
  await closing(server)
  return port
}

/** An HTTP proxy that answers CONNECT by opening a TCP tunnel, and records the targets. */
export async function startConnectProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = []
  const server = createHttpServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req, client) => {
    const target = req.url ?? ''
    targets.push(target)
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
    const upstream = connect({ host, port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
    })
    client.on('error', () => upstream.destroy())
  })
  const port = await listening(server)
  return { url: `http://127.0.0.1:${port}`, targets, close: () => closing(server) }
}
