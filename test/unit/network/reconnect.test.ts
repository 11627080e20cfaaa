/**
 * Why a static peer cannot be reached is visible to the operator: the dialler logs it at warn when
 * the failure starts or its cause changes (not at every retry), keeps it as `lastFailure` until a
 * connection, and a P2P host lists it in `unreachablePeers` (admin_nodeInfo) — e.g. a corporate
 * proxy that refuses CONNECT to the peer's port.
 */
import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DialError } from '../../../src/network/errors.js'
import type { P2PHost } from '../../../src/network/host.js'
import { StaticPeerDialer } from '../../../src/network/reconnect.js'
import type { Address } from '../../../src/types.js'
import { captureLogger, makeNode, startHost, until } from './helpers.js'

const PEER = '0x00000000000000000000000000000000000000aa' as Address
const URL_ = 'wss://10.0.0.1:30303'

describe('network/reconnect: a static peer that cannot be dialled', () => {
  it('warns when the failure starts and when its cause changes, keeps the last failure, and forgets it on connecting', async () => {
    const { logger, lines } = captureLogger()
    const outcomes: (Error | Address)[] = [
      new DialError(URL_, 'Proxy answered "HTTP/1.1 403 Access violation" to CONNECT 10.0.0.1:30303'),
      new DialError(URL_, 'Proxy answered "HTTP/1.1 403 Access violation" to CONNECT 10.0.0.1:30303'),
      new DialError(URL_, 'Proxy answered "HTTP/1.1 403 Access violation" to CONNECT 10.0.0.1:30303'),
      new DialError(URL_, 'connect ECONNREFUSED 10.0.0.1:30303'),
      PEER,
    ]
    let connected = false
    let now = 1000
    let calls = 0
    let open = (): void => {}
    const gate = new Promise<void>((r) => (open = r))
    const dialer = new StaticPeerDialer(
      { url: URL_, address: PEER },
      {
        dial: async () => {
          calls++
          // The fourth dial waits, so the state after three refusals can be looked at.
          if (calls === 4) await gate
          const next = outcomes.shift()!
          if (next instanceof Error) throw next
          connected = true
          return next
        },
        isConnected: () => connected,
        backoff: { baseMs: 1, maxMs: 2 },
        logger,
        now: () => (now += 10),
      },
    )
    dialer.start()
    await until(() => calls === 4, 2000, 'three refusals')
    expect(dialer.lastFailure).toMatchObject({ url: URL_, attempts: 3, since: 1010 })
    expect(dialer.lastFailure!.error).toContain('403 Access violation')
    open()
    await until(() => connected, 2000, 'the connection')
    dialer.stop()
    expect(dialer.lastFailure).toBeUndefined()

    const failures = lines().filter((l) => l.url === URL_)
    expect(failures.map((l) => [l.level, l.msg])).toEqual([
      [40, 'cannot connect to static peer; retrying'],
      [20, 'dial failed'],
      [20, 'dial failed'],
      [40, 'cannot connect to static peer; retrying'],
    ])
    expect(failures[3]!.err).toContain('ECONNREFUSED')
  })

  it('forgets the failure when the peer dialled this node meanwhile', async () => {
    let connected = false
    const dialer = new StaticPeerDialer(
      { url: URL_, address: PEER },
      { dial: async () => Promise.reject(new DialError(URL_, 'timeout')), isConnected: () => connected, backoff: { baseMs: 60_000, maxMs: 60_000 }, logger: captureLogger().logger },
    )
    dialer.start()
    await until(() => dialer.lastFailure !== undefined, 2000, 'a failure')
    connected = true
    expect(dialer.lastFailure).toBeUndefined()
    dialer.stop()
  })
})

describe('network/host: unreachable static peers', () => {
  const servers: Server[] = []
  const hosts: P2PHost[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()))
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
  })

  it('lists a peer whose proxy refuses CONNECT in its stats, with the proxy answer', async () => {
    // A proxy that allows no CONNECT at all, as a corporate proxy without the peer's port allowed.
    const proxy = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'))
      socket.on('error', () => {})
    })
    servers.push(proxy)
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const { port } = proxy.address() as { port: number }
    const peer = makeNode()
    const host = await startHost({ node: makeNode(), listening: false, proxy: `http://127.0.0.1:${port}`, staticPeers: [{ url: 'wss://127.0.0.1:9', address: peer.address }] })
    hosts.push(host)
    await until(() => host.stats().unreachablePeers.length === 1, 3000, 'the refusal')
    const [failure] = host.stats().unreachablePeers
    expect(failure!.url).toBe('wss://127.0.0.1:9')
    expect(failure!.error).toMatch(/Proxy answered "HTTP\/1\.1 403 Forbidden" to CONNECT 127\.0\.0\.1:9: the proxy does not allow CONNECT/)
    expect(host.stats().peers).toBe(0)
  })
})
