import { connect as netConnect, createServer as createNetServer, type Server } from 'node:net'
import { X509Certificate } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { dialWebSocket } from '../../../src/network/dial.js'
import { PeerDisconnectedError, PeerNotConnectedError, RemoteRequestError, RequestTimeoutError } from '../../../src/network/errors.js'
import { encodeFrame, FrameKind } from '../../../src/network/frame.js'
import { channelBinding, runHandshake } from '../../../src/network/handshake.js'
import { ConfigError } from '../../../src/errors.js'
import { P2PHost, type P2PMessage } from '../../../src/network/host.js'
import { matchesNoProxy, resolveProxy } from '../../../src/network/proxy.js'
import { backoffDelay } from '../../../src/network/reconnect.js'
import { generateTlsIdentity } from '../../../src/network/tls.js'
import type { Address } from '../../../src/types.js'
import { CHAIN_ID, GENESIS, makeNode, sleep, startHost, text, until, utf8, type TestNode } from './helpers.js'

const hosts: P2PHost[] = []
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()))
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

function collect(host: P2PHost, protocol: string): P2PMessage[] {
  const got: P2PMessage[] = []
  host.on('message', (m) => m.protocol === protocol && got.push(m))
  return got
}

/** A minimal HTTP CONNECT proxy, recording the request heads it saw. */
async function startProxy(opts: { refuseWith?: number } = {}): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = []
  const server = createNetServer((client) => {
    client.on('error', () => {})
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      client.off('data', onData)
      const head = buf.subarray(0, end).toString('latin1')
      seen.push(head)
      const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.1$/.exec(head.split('\r\n')[0]!)
      if (!m || opts.refuseWith) {
        client.end(`HTTP/1.1 ${opts.refuseWith ?? 400} Refused\r\nContent-Length: 0\r\n\r\n`)
        return
      }
      const upstream = netConnect(Number(m[2]), m[1]!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        client.pipe(upstream).pipe(client)
      })
      // Tear both sides down together (a piped socket left paused would never see its peer's FIN).
      upstream.on('error', () => client.destroy())
      upstream.on('close', () => client.destroy())
      client.on('close', () => upstream.destroy())
    }
    client.on('data', onData)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen }
}

/** An allowed node that speaks the handshake correctly and then whatever the test sends. */
async function rogue(url: string, node: TestNode): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const { ws, socket } = await dialWebSocket(url, { timeoutMs: 2000, maxPayload: 1 << 24 })
  ws.on('error', () => {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const outcome = await runHandshake(ws, { privateKey: node.key, chainId: CHAIN_ID, genesisHash: GENESIS, channelBinding: channelBinding(socket), role: 'dialer', timeoutMs: 2000 })
  outcome.takeOver()
  return { ws, closed }
}

describe('network/P2PHost transport', () => {
  it('an outbound-only host (listening on nothing) connects and receives gossip', async () => {
    const [a, b, o] = [makeNode(), makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    const ha = await startHost({ node: a, staticPeers: [{ url: hb.listenUrl()! }] })
    const ho = await startHost({ node: o, listening: false, staticPeers: [{ url: hb.listenUrl()!, address: b.address }] })
    hosts.push(ha, hb, ho)
    expect(ho.listenAddress()).toBeUndefined()
    await until(() => hb.peers().length === 2 && ho.isConnected(b.address), 3000, 'connected')
    hb.on('message', (m) => m.kind === 'gossip' && hb.gossip(m.protocol, m.payload))
    const atO = collect(ho, 'qbft/1')
    ha.gossip('qbft/1', utf8('commit'))
    await until(() => atO.length === 1, 2000, 'gossip at O')
    expect(atO[0]).toMatchObject({ from: b.address, kind: 'gossip' })
    // And it takes part: its own gossip reaches A through B.
    const atA = collect(ha, 'qbft/1')
    ho.gossip('qbft/1', utf8('prepare from O'))
    await until(() => atA.length === 1, 2000, 'gossip at A')
    expect(text(atA[0]!.payload)).toBe('prepare from O')
    expect(ho.peers()[0]).toMatchObject({ address: b.address, direction: 'outbound', url: hb.listenUrl() })
  })

  it('dials through an HTTP CONNECT proxy (explicit option and HTTPS_PROXY), and NO_PROXY bypasses it', async () => {
    const [a, b, c] = [makeNode(), makeNode(), makeNode()]
    const proxy = await startProxy()
    const hb = await startHost({ node: b })
    hosts.push(hb)
    const port = hb.listenAddress()!.port
    const ha = await startHost({ node: a, listening: false, proxy: proxy.url })
    hosts.push(ha)
    expect(await ha.connect(hb.listenUrl()!)).toBe(b.address)
    expect(proxy.seen).toHaveLength(1)
    expect(proxy.seen[0]).toMatch(new RegExp(`^CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1\\r\\nHost: 127\\.0\\.0\\.1:${port}$`))
    const atB = collect(hb, 'tx/1')
    ha.send(b.address, 'tx/1', utf8('through the tunnel'))
    await until(() => atB.length === 1)

    // From the environment, as a node behind a corporate proxy would be configured.
    const hc = await startHost({ node: c, listening: false, proxy: undefined }, { HTTPS_PROXY: proxy.url })
    hosts.push(hc)
    expect(await hc.connect(hb.listenUrl()!)).toBe(b.address)
    expect(proxy.seen).toHaveLength(2)
    await hc.stop()
    const hd = await startHost({ node: makeNode(), listening: false, proxy: undefined }, { https_proxy: proxy.url, NO_PROXY: 'localhost,127.0.0.1,::1' })
    hosts.push(hd)
    await hd.connect(hb.listenUrl()!)
    expect(proxy.seen).toHaveLength(2)
  })

  it('reports a proxy that refuses CONNECT with an actionable DialError', async () => {
    const proxy = await startProxy({ refuseWith: 407 })
    const hb = await startHost({ node: makeNode() })
    const ha = await startHost({ node: makeNode(), listening: false, proxy: proxy.url })
    hosts.push(ha, hb)
    const err = await ha.connect(hb.listenUrl()!).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'P2P_DIAL_FAILED' })
    expect(String((err as Error).message)).toMatch(/407.*credentials/)
  })

  it('reconnects to a static peer after it restarts on the same port', async () => {
    const [a, b] = [makeNode(), makeNode()]
    let hb = await startHost({ node: b })
    const port = hb.listenAddress()!.port
    const ha = await startHost({ node: a, listening: false, staticPeers: [{ url: hb.listenUrl()!, address: b.address }] })
    hosts.push(ha)
    await until(() => ha.isConnected(b.address), 3000, 'first connection')
    const events: string[] = []
    ha.on('peer:disconnect', (addr, reason) => events.push(`down ${addr} ${reason}`))
    ha.on('peer:connect', (addr) => events.push(`up ${addr}`))
    await hb.stop()
    await until(() => !ha.isConnected(b.address), 2000, 'disconnect seen')
    expect(events[0]).toBe(`down ${b.address} remote: SHUTDOWN`)
    await sleep(150) // a few failed redials while B is down
    hb = await startHost({ node: b, port })
    hosts.push(hb)
    await until(() => ha.isConnected(b.address), 3000, 'reconnection')
    expect(events.at(-1)).toBe(`up ${b.address}`)
    expect(ha.stats().dialFailures).toBeGreaterThan(0)
    const atB = collect(hb, 'tx/1')
    ha.send(b.address, 'tx/1', utf8('after restart'))
    await until(() => atB.length === 1)
  })

  it('drops garbage and oversized frames, counts and penalises them, bans at the threshold, and keeps serving others', async () => {
    const [h, good, bad, big] = [makeNode(), makeNode(), makeNode(), makeNode()]
    const hh = await startHost({ node: h, maxFrameBytes: 64 * 1024, scoring: { banThreshold: 100, decayPerSecond: 0, banDurationMs: 60_000 }, invalidFramePenalty: 20, oversizedFramePenalty: 50 })
    const hg = await startHost({ node: good, staticPeers: [{ url: hh.listenUrl()! }] })
    hosts.push(hh, hg)
    hh.handle('echo/1', (_from, p) => p)
    await until(() => hg.isConnected(h.address), 3000, 'good peer')
    const banned: Address[] = []
    hh.on('peer:banned', (a) => banned.push(a))

    const r = await rogue(hh.listenUrl()!, bad)
    await until(() => hh.isConnected(bad.address), 2000, 'rogue connected')
    r.ws.send('a text frame')
    r.ws.send(new Uint8Array([0x7f, 0x00, 1, 2, 3])) // unknown kind
    r.ws.send(new Uint8Array([0x12, 10, 0x61])) // truncated request
    await until(() => hh.peers().find((p) => p.address === bad.address)?.invalidFrames === 3, 2000, 'three invalid frames')
    expect(hh.stats().invalidFrames).toEqual({ TEXT_FRAME: 1, UNKNOWN_KIND: 1, TRUNCATED: 1 })
    expect(hh.peers().find((p) => p.address === bad.address)?.score).toBe(60)
    expect(hh.isConnected(bad.address)).toBe(true)
    // The good peer is served meanwhile.
    expect(text(await hg.request(h.address, 'echo/1', utf8('still here'), 1000))).toBe('still here')

    r.ws.send(encodeFrame({ kind: FrameKind.ACCEPT })) // handshake frame after the handshake
    r.ws.send(new Uint8Array([0x11, 3, 0x41, 0x42, 0x43])) // bad protocol name
    expect(await r.closed).toEqual({ code: 4001, reason: 'BANNED' })
    expect(banned).toEqual([bad.address])
    expect(hh.stats().invalidFrames).toMatchObject({ UNEXPECTED_HANDSHAKE: 1, BAD_PROTOCOL: 1 })
    expect(hh.stats().bannedPeers.map((b) => b.address)).toEqual([bad.address])
    // A banned node is refused at the handshake.
    await expect(rogue(hh.listenUrl()!, bad)).rejects.toMatchObject({ reason: 'BANNED', byPeer: true })

    // An oversized frame: ws fails that connection (1009); the node is penalised, not yet banned.
    const r2 = await rogue(hh.listenUrl()!, big)
    r2.ws.send(new Uint8Array(64 * 1024 + 1))
    expect((await r2.closed).code).toBe(1009)
    await until(() => hh.stats().invalidFrames.OVERSIZED === 1, 2000, 'oversized counted')
    expect(hh.stats().penalisedPeers).toEqual([{ address: big.address, score: 50 }])
    expect(hh.isConnected(big.address)).toBe(false)
    // Sending an oversized payload ourselves is refused locally.
    expect(() => hh.send(good.address, 'tx/1', new Uint8Array(64 * 1024))).toThrow(/frame limit/)

    expect(text(await hg.request(h.address, 'echo/1', utf8('and still'), 1000))).toBe('and still')
    expect(hh.peers().map((p) => p.address)).toEqual([good.address])
  })

  it('answers requests, times out slow ones, reports remote errors, and fails pending requests on disconnect', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    const ha = await startHost({ node: a, staticPeers: [{ url: hb.listenUrl()! }] })
    hosts.push(ha, hb)
    await until(() => ha.isConnected(b.address), 3000, 'connected')
    const seenFrom: Address[] = []
    hb.handle('sync/headers/1', async (from, payload) => {
      seenFrom.push(from)
      return utf8(`headers from ${text(payload)}`)
    })
    hb.handle('sync/slow/1', () => sleep(300).then(() => utf8('late')))
    hb.handle('sync/fail/1', () => {
      throw new Error('db closed')
    })
    let release: () => void = () => {}
    hb.handle('sync/hang/1', () => new Promise<Uint8Array>((r) => (release = () => r(utf8('x')))))

    const answers = await Promise.all([1, 2, 3].map((n) => ha.request(b.address, 'sync/headers/1', utf8(String(n)), 1000)))
    expect(answers.map(text)).toEqual(['headers from 1', 'headers from 2', 'headers from 3'])
    expect(seenFrom).toEqual([a.address, a.address, a.address])

    const t0 = Date.now()
    const slow = await ha.request(b.address, 'sync/slow/1', utf8(''), 100).catch((e: unknown) => e)
    expect(slow).toBeInstanceOf(RequestTimeoutError)
    expect(Date.now() - t0).toBeLessThan(290)
    // The late answer is dropped and counted, not delivered anywhere.
    await until(() => ha.stats().invalidFrames.UNSOLICITED_RESPONSE === 1, 1000, 'late response counted')

    await expect(ha.request(b.address, 'sync/none/1', utf8(''), 1000)).rejects.toMatchObject({ remoteCode: 'NO_HANDLER' })
    const failed = await ha.request(b.address, 'sync/fail/1', utf8(''), 1000).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(RemoteRequestError)
    expect(failed).toMatchObject({ remoteCode: 'HANDLER_FAILED' })
    await expect(ha.request(makeNode().address, 'sync/headers/1', utf8(''))).rejects.toBeInstanceOf(PeerNotConnectedError)

    const hanging = ha.request(b.address, 'sync/hang/1', utf8(''), 5000)
    await sleep(50)
    expect(ha.disconnect(b.address, 'REQUESTED')).toBe(true)
    await expect(hanging).rejects.toBeInstanceOf(PeerDisconnectedError)
    release()
  })

  it('refreshAllowList drops a node removed from the allow-list, and its redials are refused', async () => {
    const [a, b, c] = [makeNode(), makeNode(), makeNode()]
    const allow = new Set<Address>([b.address, c.address])
    const ha = await startHost({ node: a, allow })
    const hb = await startHost({ node: b, staticPeers: [{ url: ha.listenUrl()! }] })
    const hc = await startHost({ node: c, staticPeers: [{ url: ha.listenUrl()! }] })
    hosts.push(ha, hb, hc)
    await until(() => ha.peers().length === 2, 3000, 'both connected')
    const cDown: string[] = []
    hc.on('peer:disconnect', (_addr, reason) => cDown.push(reason))
    expect(ha.refreshAllowList()).toEqual([])
    allow.delete(c.address)
    expect(ha.refreshAllowList()).toEqual([c.address])
    await until(() => cDown.length === 1, 2000, 'C dropped')
    expect(cDown[0]).toBe('remote: UNKNOWN_NODE')
    await until(() => (hc.stats().handshakesRefusedByPeers.UNKNOWN_NODE ?? 0) >= 1, 2000, 'redial refused')
    expect(ha.peers().map((p) => p.address)).toEqual([b.address])
  })

  it('stop() closes connections and the listener', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    const ha = await startHost({ node: a, staticPeers: [{ url: hb.listenUrl()! }, { url: 'wss://127.0.0.1:1' }] })
    hosts.push(hb)
    await until(() => hb.peers().length === 1, 3000, 'connected')
    const t0 = Date.now()
    await ha.stop()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(ha.peers()).toEqual([])
    await until(() => hb.peers().length === 0, 2000, 'B sees A leave')
    await expect(ha.connect(hb.listenUrl()!)).rejects.toMatchObject({ code: 'P2P_HOST_STOPPED' })
    expect(() => ha.send(b.address, 'x/1', utf8(''))).toThrow(/stopped/)
    // A host can be started again and reconnects to its static peers.
    await ha.start()
    hosts.push(ha)
    await until(() => hb.peers().length === 1, 3000, 'reconnected after restart')

    // A connection stalled before TLS, and one stalled in the handshake, do not hold up stop().
    const port = hb.listenAddress()!.port
    const stalled = netConnect(port, '127.0.0.1')
    stalled.on('error', () => {})
    await new Promise<void>((r) => stalled.once('connect', () => r()))
    const { ws: silent } = await dialWebSocket(hb.listenUrl()!, { timeoutMs: 2000, maxPayload: 1 << 20 })
    silent.on('error', () => {})
    const t1 = Date.now()
    await hb.stop()
    expect(Date.now() - t1).toBeLessThan(1500)
    await until(() => stalled.destroyed || stalled.readableEnded, 1000, 'stalled socket closed')
    stalled.destroy()
  })
})

describe('network/proxy and backoff', () => {
  it('resolves the proxy from options and environment, honouring NO_PROXY', () => {
    const target = new URL('wss://10.1.2.3:30303')
    expect(resolveProxy(target, {}, {})).toBeUndefined()
    expect(resolveProxy(target, {}, { HTTPS_PROXY: 'http://proxy.corp:3128' })?.host).toBe('proxy.corp:3128')
    expect(resolveProxy(target, {}, { https_proxy: 'proxy.corp:8080' })?.href).toBe('http://proxy.corp:8080/')
    expect(resolveProxy(target, { proxy: false }, { HTTPS_PROXY: 'http://p:1' })).toBeUndefined()
    expect(resolveProxy(target, { proxy: 'http://explicit:1' }, { HTTPS_PROXY: 'http://p:1' })?.hostname).toBe('explicit')
    expect(resolveProxy(target, {}, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '10.0.0.0/8' })).toBeUndefined()
    expect(() => resolveProxy(target, { proxy: 'socks5://p:1' })).toThrow(/http:\/\//)
    expect(matchesNoProxy(new URL('wss://127.0.0.1:9'), 'localhost,127.0.0.1')).toBe(true)
    expect(matchesNoProxy(new URL('wss://[::1]:9'), '::1')).toBe(true)
    expect(matchesNoProxy(new URL('wss://node1.pension.example:9'), '.pension.example')).toBe(true)
    expect(matchesNoProxy(new URL('wss://node1.pension.example:9'), 'pension.example')).toBe(true)
    expect(matchesNoProxy(new URL('wss://pension.example.evil:9'), 'pension.example')).toBe(false)
    expect(matchesNoProxy(new URL('wss://node1.pension.example:9'), 'node1.pension.example:10')).toBe(false)
    expect(matchesNoProxy(new URL('wss://anything:9'), '*')).toBe(true)
  })

  it('rejects bad host options with the path of the field', () => {
    const base = { privateKey: makeNode().key, chainId: CHAIN_ID, genesisHash: GENESIS, isAllowed: () => true }
    expect(() => new P2PHost({ ...base, staticPeers: [{ url: 'http://10.0.0.1:30303' }] })).toThrow(ConfigError)
    expect(() => new P2PHost({ ...base, staticPeers: [{ url: 'http://10.0.0.1:30303' }] })).toThrow(/p2p\.staticPeers\.0\.url/)
    expect(() => new P2PHost({ ...base, listen: { host: '127.0.0.1', port: 0 } })).toThrow(/p2p\.tls.*quorate init/)
    expect(() => new P2PHost({ ...base, genesisHash: '0x1234' })).toThrow(/p2p\.genesisHash/)
  })

  it('backs off exponentially with jitter up to a cap', () => {
    const opts = { baseMs: 100, maxMs: 1000 }
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, opts, () => 1))).toEqual([100, 200, 400, 800, 1000])
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500])
  })

  it('generates an EC self-signed TLS identity', async () => {
    const id = await generateTlsIdentity('node-7.pension.example')
    const cert = new X509Certificate(id.certPem)
    expect(cert.subject).toBe('CN=node-7.pension.example')
    expect(cert.publicKey.asymmetricKeyType).toBe('ec')
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(id.keyPem))).toBe(true)
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 5 * 365 * 86_400_000)
  })
})
