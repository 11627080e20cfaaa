import { afterEach, describe, expect, it } from 'vitest'
import type { P2PHost, P2PMessage } from '../../../src/network/host.js'
import { SeenCache } from '../../../src/network/seen-cache.js'
import { makeNode, startHost, text, until, utf8 } from './helpers.js'

const hosts: P2PHost[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()))
})

function collect(host: P2PHost, protocol: string): P2PMessage[] {
  const got: P2PMessage[] = []
  host.on('message', (m) => {
    if (m.protocol === protocol) got.push(m)
  })
  return got
}

/** The app rule under test: relay a gossip payload after "validating" it. */
function relayValid(host: P2PHost): void {
  host.on('message', (m) => {
    if (m.kind === 'gossip' && !text(m.payload).startsWith('invalid')) host.gossip(m.protocol, m.payload)
  })
}

describe('network/P2PHost gossip', () => {
  it('delivers a gossip from A to C through B exactly once when A and C are not linked', async () => {
    const [a, b, c] = [makeNode(), makeNode(), makeNode()]
    const hb = await startHost({ node: b })
    hosts.push(hb)
    const ha = await startHost({ node: a, staticPeers: [{ url: hb.listenUrl()!, address: b.address }] })
    const hc = await startHost({ node: c, staticPeers: [{ url: hb.listenUrl()! }] })
    hosts.push(ha, hc)
    await until(() => hb.peers().length === 2 && ha.peers().length === 1 && hc.peers().length === 1, 3000, 'line topology')
    expect(ha.isConnected(c.address)).toBe(false)

    relayValid(hb)
    const atC = collect(hc, 'qbft/1')
    const atA = collect(ha, 'qbft/1')
    const atB = collect(hb, 'qbft/1')
    expect(ha.gossip('qbft/1', utf8('prepare #1'))).toBe(1)
    await until(() => atC.length === 1, 2000, 'gossip at C')
    // A second send of the same payload by A is a no-op (B already has it) and cannot reach C again.
    expect(ha.gossip('qbft/1', utf8('prepare #1'))).toBe(0)
    // B's relay went only to C: A, which sent it, is not sent it back.
    await new Promise((r) => setTimeout(r, 100))
    expect(atC.map((m) => [m.from, text(m.payload), m.kind])).toEqual([[b.address, 'prepare #1', 'gossip']])
    expect(atB).toHaveLength(1)
    expect(atA).toHaveLength(0)

    // An invalid message is delivered to B's app, which does not relay it: C never sees it.
    ha.gossip('qbft/1', utf8('invalid commit'))
    await until(() => atB.length === 2, 2000, 'invalid at B')
    await new Promise((r) => setTimeout(r, 100))
    expect(atC).toHaveLength(1)
  })

  it('de-duplicates gossip in a fully linked triangle where every node relays', async () => {
    const [a, b, c] = [makeNode(), makeNode(), makeNode()]
    const ha = await startHost({ node: a })
    const hb = await startHost({ node: b, staticPeers: [{ url: ha.listenUrl()! }] })
    const hc = await startHost({ node: c, staticPeers: [{ url: ha.listenUrl()! }, { url: hb.listenUrl()! }] })
    hosts.push(ha, hb, hc)
    await until(() => [ha, hb, hc].every((h) => h.peers().length === 2), 3000, 'triangle')
    for (const h of [ha, hb, hc]) relayValid(h)
    const got = [ha, hb, hc].map((h) => collect(h, 'tx/1'))
    for (let i = 0; i < 5; i++) ha.gossip('tx/1', utf8(`tx ${i}`))
    await until(() => got[1]!.length === 5 && got[2]!.length === 5, 2000, 'all txs')
    await new Promise((r) => setTimeout(r, 150))
    expect(got[0]).toHaveLength(0)
    expect(got[1]!.map((m) => text(m.payload)).sort()).toEqual(['tx 0', 'tx 1', 'tx 2', 'tx 3', 'tx 4'])
    expect(got[2]!.map((m) => text(m.payload)).sort()).toEqual(['tx 0', 'tx 1', 'tx 2', 'tx 3', 'tx 4'])
    // B and C relay to each other (not back to A); each tx crosses the B-C link once or twice
    // (twice when both relay before either copy arrives) and every such copy is dropped, not delivered.
    const dups = hb.stats().gossipDuplicates + hc.stats().gossipDuplicates
    expect(dups).toBeGreaterThanOrEqual(5)
    expect(dups).toBeLessThanOrEqual(10)
    expect(ha.stats().gossipDuplicates).toBe(0)
  })

  it('keeps one connection when two nodes dial each other at once: the one dialled by the lower address', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = [makeNode(), makeNode()]
      const ha = await startHost({ node: a })
      const hb = await startHost({ node: b })
      hosts.push(ha, hb)
      const net = { a: 0, b: 0 }
      ha.on('peer:connect', () => net.a++)
      ha.on('peer:disconnect', () => net.a--)
      hb.on('peer:connect', () => net.b++)
      hb.on('peer:disconnect', () => net.b--)
      // Both dial in the same tick, so both connections reach the handshake together.
      const results = await Promise.allSettled([ha.connect(hb.listenUrl()!), hb.connect(ha.listenUrl()!)])
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ reason: 'DUPLICATE' })
      await until(() => ha.peers().length === 1 && hb.peers().length === 1, 2000, 'one link')
      await new Promise((r) => setTimeout(r, 50))
      expect([ha.peers().length, hb.peers().length, net.a, net.b]).toEqual([1, 1, 1, 1])
      const aDialled = a.address < b.address
      expect(ha.peers()[0]!.direction).toBe(aDialled ? 'outbound' : 'inbound')
      expect(hb.peers()[0]!.direction).toBe(aDialled ? 'inbound' : 'outbound')
      // And the link carries traffic both ways.
      const atB = collect(hb, 'ping/1')
      const atA = collect(ha, 'ping/1')
      expect(ha.send(b.address, 'ping/1', utf8('hi'))).toBe(true)
      expect(hb.send(a.address, 'ping/1', utf8('hello'))).toBe(true)
      await until(() => atB.length === 1 && atA.length === 1)
      expect(atB[0]).toMatchObject({ from: a.address, kind: 'direct' })
    }
  })

  it('static peers configured on both sides settle on one connection', async () => {
    const [a, b] = [makeNode(), makeNode()]
    const ha = await startHost({ node: a })
    const hb = await startHost({ node: b, staticPeers: [{ url: ha.listenUrl()!, address: a.address }] })
    ha.addPeer({ url: hb.listenUrl()!, address: b.address })
    hosts.push(ha, hb)
    await until(() => ha.peers().length === 1 && hb.peers().length === 1, 3000, 'connected')
    await new Promise((r) => setTimeout(r, 300))
    expect([ha.peers().length, hb.peers().length]).toEqual([1, 1])
  })

  it('broadcasts direct messages to all peers except one, without de-duplication', async () => {
    const [a, b, c] = [makeNode(), makeNode(), makeNode()]
    const ha = await startHost({ node: a })
    const hb = await startHost({ node: b, staticPeers: [{ url: ha.listenUrl()! }] })
    const hc = await startHost({ node: c, staticPeers: [{ url: ha.listenUrl()! }] })
    hosts.push(ha, hb, hc)
    await until(() => ha.peers().length === 2, 3000, 'star')
    const atB = collect(hb, 'status/1')
    const atC = collect(hc, 'status/1')
    expect(ha.broadcast('status/1', utf8('head 7'), { except: c.address })).toBe(1)
    expect(ha.broadcast('status/1', utf8('head 7'))).toBe(2)
    await until(() => atB.length === 2 && atC.length === 1, 2000, 'broadcasts')
    expect(atC[0]).toMatchObject({ from: a.address, kind: 'direct' })
    const info = ha.peers().find((p) => p.address === b.address)!
    expect(info).toMatchObject({ direction: 'inbound', score: 0 })
    expect(info.messagesOut).toBeGreaterThanOrEqual(2)
    expect(info.bytesOut).toBeGreaterThan(0)
    expect(hb.peers()[0]!.url).toBe(ha.listenUrl())
  })

  it('the seen cache is bounded in entries and time', () => {
    let now = 1000
    const cache = new SeenCache({ maxEntries: 3, ttlMs: 100, now: () => now })
    for (const id of ['a', 'b', 'c', 'd']) cache.add(id)
    expect(cache.size).toBe(3)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('d')).toBeDefined()
    now += 100
    expect(cache.get('d')).toBeUndefined()
    cache.add('e')
    expect(cache.size).toBe(1)
  })
})
