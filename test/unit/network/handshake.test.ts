import { createServer as createNetServer, type Server } from 'node:net'
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { keccak256 } from '../../../src/crypto/native.js'
import { dialWebSocket } from '../../../src/network/dial.js'
import { HandshakeError } from '../../../src/network/errors.js'
import { decodeFrame, encodeFrame, FrameKind, toBytes } from '../../../src/network/frame.js'
import { channelBinding, CLOSE_CODE_REFUSED, createHello, runHandshake, verifyHello } from '../../../src/network/handshake.js'
import type { HandshakeFailure, P2PHost } from '../../../src/network/host.js'
import { captureLogger, CHAIN_ID, GENESIS, makeNode, startHost, testTls, until } from './helpers.js'

const hosts: P2PHost[] = []
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()))
  for (const s of servers.splice(0)) s.close()
})

function failures(host: P2PHost): HandshakeFailure[] {
  const out: HandshakeFailure[] = []
  host.on('handshake:failed', (f) => out.push(f))
  return out
}

/** Collects the frames and the close of a raw WebSocket. */
function record(ws: WebSocket): { frames: ReturnType<typeof decodeFrame>[]; closed: Promise<{ code: number; reason: string }> } {
  const frames: ReturnType<typeof decodeFrame>[] = []
  ws.on('message', (data) => frames.push(decodeFrame(toBytes(data))))
  ws.on('error', () => {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  ws.resume() // dialWebSocket hands the socket over paused
  return { frames, closed }
}

describe('network/handshake', () => {
  it('verifyHello accepts a hello only for the same channel binding, role, chain and genesis', () => {
    const node = makeNode()
    const binding = keccak256(new Uint8Array([1]))
    const ctx = { chainId: CHAIN_ID, genesisHash: GENESIS, channelBinding: binding }
    const hello = createHello(node.key, 'dialer', ctx)
    expect(verifyHello(hello, 'dialer', ctx)).toEqual({ ok: true, address: node.address })
    expect(verifyHello(hello, 'listener', ctx)).toMatchObject({ ok: false, reason: 'BAD_HANDSHAKE' })
    expect(verifyHello(hello, 'dialer', { ...ctx, channelBinding: keccak256(new Uint8Array([2])) })).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' })
    expect(verifyHello(hello, 'dialer', { ...ctx, genesisHash: keccak256(GENESIS) })).toMatchObject({ ok: false, reason: 'WRONG_GENESIS' })
    expect(verifyHello(hello, 'dialer', { ...ctx, chainId: 1n })).toMatchObject({ ok: false, reason: 'WRONG_CHAIN' })
    expect(verifyHello(hello, 'dialer', { ...ctx, version: 2 })).toMatchObject({ ok: false, reason: 'WRONG_VERSION' })
    // Flip a bit of the signature.
    const tampered = hello.slice()
    tampered[tampered.length - 10]! ^= 1
    expect(verifyHello(tampered, 'dialer', ctx)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' })
    expect(verifyHello(new Uint8Array([0xc0]), 'dialer', ctx)).toMatchObject({ ok: false, reason: 'BAD_HANDSHAKE' })
    expect(verifyHello(new Uint8Array(600), 'dialer', ctx)).toMatchObject({ ok: false, reason: 'BAD_HANDSHAKE' })
  })

  it('frame decoding never throws on random garbage', () => {
    let ok = 0
    for (let i = 0; i < 3000; i++) {
      const bytes = new Uint8Array(Math.floor(Math.random() * 80))
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(Math.random() * 256)
      if (i % 3 === 0 && bytes.length > 1) bytes[0] = [0x10, 0x11, 0x12, 0x13][i % 4]!
      const r = decodeFrame(bytes)
      if (r.ok) ok++
    }
    // Some random frames are well-formed (e.g. a RESPONSE with any payload); none threw.
    expect(ok).toBeLessThan(3000)
    const roundTrip = decodeFrame(encodeFrame({ kind: FrameKind.REQUEST, protocol: 'sync/blocks/1', id: 0xfffffffe, payload: new Uint8Array([9]) }))
    expect(roundTrip).toEqual({ ok: true, frame: { kind: FrameKind.REQUEST, protocol: 'sync/blocks/1', id: 0xfffffffe, payload: new Uint8Array([9]) } })
  })

  it('refuses a peer on another genesis with WRONG_GENESIS, sent to the peer before closing', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    hosts.push(hb)
    const fb = failures(hb)
    // A raw client with a valid key but another genesis: it sends its hello and reads the answer.
    const { ws, socket } = await dialWebSocket(hb.listenUrl()!, { timeoutMs: 2000, maxPayload: 1 << 20 })
    const rec = record(ws)
    const otherGenesis = keccak256(GENESIS)
    ws.send(encodeFrame({ kind: FrameKind.HELLO, payload: createHello(a.key, 'dialer', { chainId: CHAIN_ID, genesisHash: otherGenesis, channelBinding: channelBinding(socket) }) }))
    const closed = await rec.closed
    expect(closed).toEqual({ code: CLOSE_CODE_REFUSED, reason: 'WRONG_GENESIS' })
    const refuse = rec.frames.find((f) => f.ok && f.frame.kind === FrameKind.REFUSE)
    expect(refuse).toEqual({ ok: true, frame: { kind: FrameKind.REFUSE, reason: 'WRONG_GENESIS' } })
    await until(() => fb.length === 1)
    expect(fb[0]!.error).toBeInstanceOf(HandshakeError)
    expect(fb[0]!.error).toMatchObject({ reason: 'WRONG_GENESIS', byPeer: false, code: 'P2P_HANDSHAKE_REFUSED' })
    expect(hb.stats().handshakesRefused).toEqual({ WRONG_GENESIS: 1 })

    // Two real hosts on different genesis: the dialler gets a typed WRONG_GENESIS error too.
    const ha = await startHost({ node: a, genesisHash: otherGenesis })
    hosts.push(ha)
    await expect(ha.connect(hb.listenUrl()!)).rejects.toMatchObject({ name: 'HandshakeError', reason: 'WRONG_GENESIS' })
    expect(hb.peers()).toHaveLength(0)
  })

  it('refuses a node key that is not on the allow-list with UNKNOWN_NODE', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const hb = await startHost({ node: b, allow: new Set([]) })
    const ha = await startHost({ node: a })
    hosts.push(ha, hb)
    const fb = failures(hb)
    const err = await ha.connect(hb.listenUrl()!).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HandshakeError)
    expect(err).toMatchObject({ reason: 'UNKNOWN_NODE', byPeer: true, code: 'P2P_REFUSED_BY_PEER', peerAddress: b.address })
    await until(() => fb.length === 1)
    expect(fb[0]).toMatchObject({ direction: 'inbound', error: { reason: 'UNKNOWN_NODE', byPeer: false, peerAddress: a.address } })
    expect(ha.peers()).toHaveLength(0)
    expect(ha.stats().handshakesRefusedByPeers).toEqual({ UNKNOWN_NODE: 1 })
  })

  it('logs a refused handshake at warn, and the routine DUPLICATE of two nodes dialling each other at once at info', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const logA = captureLogger()
    const logB = captureLogger()
    const hb = await startHost({ node: b, allow: new Set([]) }, {}, logB.logger)
    const ha = await startHost({ node: a }, {}, logA.logger)
    hosts.push(ha, hb)
    await ha.connect(hb.listenUrl()!).catch(() => undefined)
    const failed = (lines: ReturnType<typeof logA.lines>) => lines.filter((l) => l.msg === 'handshake failed')
    await until(() => failed(logB.lines()).length === 1)
    expect(failed(logB.lines())[0]).toMatchObject({ level: 40, reason: 'UNKNOWN_NODE' })
    expect(failed(logA.lines())[0]).toMatchObject({ level: 40, reason: 'UNKNOWN_NODE' })

    // Simultaneous dials: one connection is kept, the other refused as DUPLICATE; the race may also
    // end with the newer link replacing the older, so try until a refusal happened.
    let duplicates: ReturnType<typeof logA.lines> = []
    for (let round = 0; round < 10 && duplicates.length === 0; round++) {
      const [c, d] = [makeNode(), makeNode()]
      const [logC, logD] = [captureLogger(), captureLogger()]
      const hc = await startHost({ node: c }, {}, logC.logger)
      const hd = await startHost({ node: d }, {}, logD.logger)
      hosts.push(hc, hd)
      await Promise.allSettled([hc.connect(hd.listenUrl()!), hd.connect(hc.listenUrl()!)])
      await until(() => hc.peers().length === 1 && hd.peers().length === 1, 2000, 'one link')
      duplicates = [...failed(logC.lines()), ...failed(logD.lines())].filter((l) => l.reason === 'DUPLICATE')
    }
    expect(duplicates.length).toBeGreaterThan(0)
    for (const l of duplicates) expect(l.level).toBe(30)
  })

  it('at trace level writes a line per frame received (peer, protocol, size), and none at debug', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const traced = captureLogger('trace')
    const debug = captureLogger('debug')
    const hb = await startHost({ node: b }, {}, traced.logger)
    const hc = await startHost({ node: makeNode() }, {}, debug.logger)
    const ha = await startHost({ node: a })
    hosts.push(ha, hb, hc)
    await ha.connect(hb.listenUrl()!)
    await ha.connect(hc.listenUrl()!)
    await until(() => hb.peers().length === 1 && hc.peers().length === 1)
    expect(ha.send(b.address, 'ping/1', new TextEncoder().encode('hi'))).toBe(true)
    expect(ha.send(hc.address, 'ping/1', new TextEncoder().encode('hi'))).toBe(true)
    const frames = () => traced.lines().filter((l) => l.msg === 'frame received' && l.protocol === 'ping/1')
    await until(() => frames().length === 1)
    expect(frames()[0]).toMatchObject({ level: 10, peer: a.address })
    expect(frames()[0]!.bytes).toBeGreaterThan(2)
    expect(debug.lines().filter((l) => l.level === 10)).toEqual([])
  })

  it('refuses dialling itself (SELF) and a different node than configured (UNEXPECTED_PEER)', async () => {
    const [a, b, c] = [makeNode(), makeNode(), makeNode()]
    const ha = await startHost({ node: a })
    const hb = await startHost({ node: b })
    hosts.push(ha, hb)
    await expect(ha.connect(ha.listenUrl()!)).rejects.toMatchObject({ reason: 'SELF' })
    await expect(ha.connect(hb.listenUrl()!, c.address)).rejects.toMatchObject({ reason: 'UNEXPECTED_PEER', byPeer: false, peerAddress: b.address })
    expect(await ha.connect(hb.listenUrl()!, b.address)).toBe(b.address)
  })

  it('times out a peer that never sends its hello, telling it TIMEOUT', async () => {
    const b = makeNode()
    const hb = await startHost({ node: b, handshakeTimeoutMs: 200 })
    hosts.push(hb)
    const fb = failures(hb)
    const { ws } = await dialWebSocket(hb.listenUrl()!, { timeoutMs: 2000, maxPayload: 1 << 20 })
    const rec = record(ws)
    expect(await rec.closed).toEqual({ code: CLOSE_CODE_REFUSED, reason: 'TIMEOUT' })
    // Before the refusal the host sent its own hello.
    expect(rec.frames.map((f) => f.ok && f.frame.kind)).toEqual([FrameKind.HELLO, FrameKind.REFUSE])
    await until(() => fb.length === 1)
    expect(fb[0]!.error.reason).toBe('TIMEOUT')
  })

  it('a TLS-terminating relay in the middle cannot reuse the signatures: BAD_SIGNATURE', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    const ha = await startHost({ node: a })
    hosts.push(ha, hb)
    const target = hb.listenAddress()!
    const tls = await testTls()
    // The attacker terminates TLS from A with its own certificate and opens its own TLS to B,
    // forwarding the decrypted bytes (HTTP upgrade, hellos, everything) unchanged.
    const relay = createTlsServer({ cert: tls.certPem, key: tls.keyPem }, (client) => {
      const upstream = tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false })
      client.pipe(upstream).pipe(client)
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
    })
    servers.push(relay)
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()))
    const port = (relay.address() as { port: number }).port
    const fb = failures(hb)
    await expect(ha.connect(`wss://127.0.0.1:${port}`)).rejects.toMatchObject({ reason: 'BAD_SIGNATURE' })
    await until(() => fb.length === 1)
    expect(fb[0]!.error.reason).toBe('BAD_SIGNATURE')
    expect(ha.peers()).toHaveLength(0)
    expect(hb.peers()).toHaveLength(0)
  })

  it('runHandshake hands over frames that arrive right after the handshake', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    hosts.push(hb)
    const got: string[] = []
    hb.on('message', (m) => got.push(new TextDecoder().decode(m.payload)))
    const { ws, socket } = await dialWebSocket(hb.listenUrl()!, { timeoutMs: 2000, maxPayload: 1 << 20 })
    ws.on('error', () => {})
    const outcome = await runHandshake(ws, { privateKey: a.key, chainId: CHAIN_ID, genesisHash: GENESIS, channelBinding: channelBinding(socket), role: 'dialer', timeoutMs: 2000 })
    expect(outcome.address).toBe(b.address)
    outcome.takeOver()
    // Several frames in one burst right after the handshake all reach the app, in order.
    for (let i = 0; i < 5; i++) ws.send(encodeFrame({ kind: FrameKind.MESSAGE, protocol: 'x/1', payload: new TextEncoder().encode(String(i)) }))
    await until(() => got.length === 5)
    expect(got).toEqual(['0', '1', '2', '3', '4'])
    ws.close()
  })

  it('a port that is not TLS fails the dial with a DialError, not a crash', async () => {
    const plain = createNetServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    servers.push(plain)
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()))
    const a = makeNode()
    const ha = await startHost({ node: a, listening: false })
    hosts.push(ha)
    const port = (plain.address() as { port: number }).port
    await expect(ha.connect(`wss://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'P2P_DIAL_FAILED' })
    expect(ha.stats().dialFailures).toBe(1)
  })
})
