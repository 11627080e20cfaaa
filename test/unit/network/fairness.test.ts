/**
 * Fair peer scoring (issue #9): refusals caused by this node's own settings are no peer fault,
 * validators are throttled and never banned, per-peer budgets for gossip and requests, and
 * deadlines and per-IP caps on inbound connections that are not yet authenticated. Real hosts on
 * loopback sockets, a real transaction pool.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { nativeCrypto } from '../../../src/crypto/native.js'
import { TxPool, type AccountReader } from '../../../src/execution/txpool.js'
import { RemoteRequestError } from '../../../src/network/errors.js'
import type { P2PHost } from '../../../src/network/host.js'
import { PeerBudget, TokenBucket } from '../../../src/network/budget.js'
import { PeerScores } from '../../../src/network/scoring.js'
import { PEER_FAULT, wireTxGossip } from '../../../src/network/tx-gossip.js'
import { TX_POOL_ERROR_CODES } from '../../../src/execution/txpool-errors.js'
import { silentLogger } from '../../../src/ops/logger.js'
import type { Address, Hex } from '../../../src/types.js'
import { encodeFrame, FrameKind } from '../../../src/network/frame.js'
import { dialRawPeer, openSilentConnection, type SilentConnection } from '../../helpers/rogue-peer.js'
import { CHAIN_ID, GENESIS, makeNode, sleep, startHost, until, utf8, type TestNode } from './helpers.js'

const hosts: P2PHost[] = []
const silent: SilentConnection[] = []
afterEach(async () => {
  for (const c of silent.splice(0)) c.destroy()
  await Promise.all(hosts.splice(0).map((h) => h.stop()))
})

const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, { hardfork: Hardfork.Cancun, customCrypto: nativeCrypto })
const rich: AccountReader = { getAccount: async () => ({ nonce: 0n, balance: 10n ** 24n }) }
const newPool = (maxTxBytes: number, minGasPrice = 0n): TxPool => new TxPool({ common, blockGasLimit: 30_000_000n, maxTxBytes, minGasPrice }, rich)

/** A valid signed EIP-1559 transaction with `size` bytes of calldata. */
function bigTx(sender: TestNode, nonce: bigint, size: number, tip = 0n): ReturnType<ReturnType<typeof createFeeMarket1559Tx>['sign']> {
  const data = new Uint8Array(size).fill(1)
  return createFeeMarket1559Tx({ nonce, maxPriorityFeePerGas: tip, maxFeePerGas: tip, gasLimit: 21_000n + 16n * BigInt(size), to: `0x${'11'.repeat(20)}`, data }, { common }).sign(sender.key)
}

async function linked(opts: Parameters<typeof startHost>[0], peer: TestNode, peerOpts: Partial<Parameters<typeof startHost>[0]> = {}): Promise<[P2PHost, P2PHost]> {
  const h = await startHost(opts)
  const p = await startHost({ node: peer, listening: false, ...peerOpts })
  hosts.push(h, p)
  await p.connect(h.listenUrl()!, opts.node.address)
  await until(() => h.isConnected(peer.address), 3000, 'peer connected')
  return [h, p]
}

describe('network fairness: local refusals are no peer fault', () => {
  it('every pool refusal code is classified, and only bytes that are no valid transaction are faults', () => {
    expect(Object.keys(PEER_FAULT).sort()).toEqual([...TX_POOL_ERROR_CODES].sort())
    const faults = Object.entries(PEER_FAULT).filter(([, f]) => f).map(([c]) => c).sort()
    expect(faults).toEqual(['FEE_CAP_BELOW_TIP', 'INVALID_SIGNATURE', 'MALFORMED', 'UNSUPPORTED_TX_TYPE', 'WRONG_CHAIN_ID'])
  })

  it('a node with a smaller maxTxBytes or a higher minGasPrice does not penalise a peer relaying valid transactions, but does penalise garbage', async () => {
    const [small, relay, sender] = [makeNode(), makeNode(), makeNode()]
    const [hs, hr] = await linked({ node: small, scoring: { decayPerSecond: 0 } }, relay)
    const smallPool = newPool(8 * 1024, 5n)
    const relayPool = newPool(128 * 1024)
    wireTxGossip(hs, smallPool, silentLogger())
    wireTxGossip(hr, relayPool, silentLogger())
    // 10 large transactions (OVERSIZED here) and 10 small ones paying no tip (UNDERPRICED here).
    for (let n = 0n; n < 10n; n++) await relayPool.add(bigTx(sender, n, 32 * 1024))
    for (let n = 10n; n < 20n; n++) await relayPool.add(bigTx(sender, n, 100))
    const refused: string[] = []
    smallPool.on('rejected', (code) => refused.push(code))
    await until(() => refused.length === 20, 5000, 'twenty refusals')
    expect(refused.filter((c) => c === 'OVERSIZED')).toHaveLength(10)
    expect(refused.filter((c) => c === 'UNDERPRICED')).toHaveLength(10)
    expect(hs.stats().penalisedPeers).toEqual([])
    expect(hs.stats().bannedPeers).toEqual([])
    expect(hs.isConnected(relay.address)).toBe(true)

    // Bytes that are no transaction at all are the sender's fault.
    hr.gossip('tx', Uint8Array.of(0x02, 0xc0, 0x01))
    await until(() => hs.stats().penalties['invalid transaction: MALFORMED'] === 1, 3000, 'garbage penalised')
    expect(hs.stats().penalisedPeers).toEqual([{ address: relay.address, score: 20 }])
  })
})

describe('transaction gossip hands the pool to a peer that connects', () => {
  it('transactions pooled before any peer was connected (e.g. reloaded from the journal) reach a peer when it connects', async () => {
    const [a, b, sender] = [makeNode(), makeNode(), makeNode()]
    const ha = await startHost({ node: a })
    const poolA = newPool(128 * 1024)
    wireTxGossip(ha, poolA, silentLogger())
    hosts.push(ha)
    for (let n = 0n; n < 5n; n++) await poolA.add(bigTx(sender, n, 100))
    const hb = await startHost({ node: b, listening: false })
    const poolB = newPool(128 * 1024)
    wireTxGossip(hb, poolB, silentLogger())
    hosts.push(hb)
    await hb.connect(ha.listenUrl()!, a.address)
    await until(() => poolB.size === 5, 3000, 'the pool handed over')
    expect(poolB.serializedTransactions().map((t) => bytesToHex(t))).toEqual(poolA.serializedTransactions().map((t) => bytesToHex(t)))
    expect(ha.stats().penalisedPeers).toEqual([])
    expect(hb.stats().penalisedPeers).toEqual([])
  })
})

describe('network fairness: validators are throttled, never banned', () => {
  it('a validator past the ban threshold stays connected and visible as throttled; its traffic over the reduced budget is dropped; a non-validator is banned', async () => {
    const [h, validator, observer] = [makeNode(), makeNode(), makeNode()]
    const budget = { gossipBytesPerSecond: 1000, gossipBurstBytes: 40_000, throttledShare: 0.25 }
    const validators = new Set<Address>([validator.address])
    const hh = await startHost({ node: h, isValidator: (a) => validators.has(a), scoring: { decayPerSecond: 0 }, budget })
    hh.subscribe('app/1')
    const hv = await startHost({ node: validator, listening: false })
    const ho = await startHost({ node: observer, listening: false })
    hosts.push(hh, hv, ho)
    await hv.connect(hh.listenUrl()!, h.address)
    await ho.connect(hh.listenUrl()!, h.address)
    const delivered: Address[] = []
    hh.on('message', (m) => {
      if (m.protocol === 'app/1') delivered.push(m.from)
    })

    // 20 messages on a protocol nobody here listens to: 5 points each reach the threshold of 100.
    for (let i = 0; i < 20; i++) {
      hv.send(h.address, 'nobody/1', utf8(`v${i}`))
      ho.send(h.address, 'nobody/1', utf8(`o${i}`))
    }
    await until(() => hh.stats().bannedPeers.length === 1 && hh.stats().throttledPeers.length === 1, 3000, 'ban and throttle')
    expect(hh.stats().invalidFrames.UNKNOWN_PROTOCOL).toBe(40)
    expect(hh.stats().bannedPeers.map((b) => b.address)).toEqual([observer.address])
    expect(hh.stats().throttledPeers.map((t) => t.address)).toEqual([validator.address])
    await until(() => !hh.isConnected(observer.address), 2000, 'observer disconnected')
    await sleep(100)
    expect(hh.isConnected(validator.address)).toBe(true)
    const info = hh.peers().find((p) => p.address === validator.address)
    expect(info?.throttledUntil).toBeGreaterThan(Date.now())

    // Throttled: a quarter of the 40 kB burst. 10 kB messages: the first fits, the rest are dropped.
    for (let i = 0; i < 5; i++) hv.send(h.address, 'app/1', new Uint8Array(9_000).fill(i))
    await until(() => (hh.stats().overBudget.GOSSIP_BYTES ?? 0) === 4, 3000, 'four dropped')
    expect(delivered).toEqual([validator.address])
    // More points (unknown protocol, or over budget) keep it throttled, never banned: it stays a peer.
    for (let i = 0; i < 30; i++) hv.send(h.address, 'nobody/1', utf8(`again ${i}`))
    await until(() => (hh.stats().invalidFrames.UNKNOWN_PROTOCOL ?? 0) + (hh.stats().overBudget.GOSSIP_BYTES ?? 0) === 40 + 4 + 30, 3000, 'more penalties')
    expect(hh.isConnected(validator.address)).toBe(true)
    expect(hh.stats().bannedPeers.map((b) => b.address)).toEqual([observer.address])

    // A node banned before it became a validator is let in again (and only throttled from now on).
    await expect(ho.connect(hh.listenUrl()!, h.address)).rejects.toMatchObject({ reason: 'BANNED', byPeer: true })
    validators.add(observer.address)
    await ho.connect(hh.listenUrl()!, h.address)
    expect(hh.isConnected(observer.address)).toBe(true)
  })
})

describe('network fairness: per-peer budgets', () => {
  it('drops gossip beyond the byte budget even when every payload is a duplicate nobody is blamed for, penalises each drop and bans the sender', async () => {
    const [h, rogue] = [makeNode(), makeNode()]
    const hh = await startHost({ node: h, scoring: { decayPerSecond: 0 }, budget: { gossipBytesPerSecond: 10_000, gossipBurstBytes: 200_000 } })
    hosts.push(hh)
    let delivered = 0
    hh.on('message', () => delivered++)
    const raw = await dialRawPeer(hh.listenUrl()!, h.address, { privateKey: rogue.key, chainId: CHAIN_ID, genesisHash: bytesToHex(GENESIS) as Hex })
    await until(() => hh.isConnected(rogue.address), 2000, 'rogue connected')
    const frame = encodeFrame({ kind: FrameKind.GOSSIP, protocol: 'app/1', payload: new Uint8Array(50_000).fill(7) })
    // The same gossip 40 times: the host delivers it once and counts 39 duplicates, which are no fault.
    for (let i = 0; i < 40; i++) raw.ws.send(frame)
    await until(() => !hh.isConnected(rogue.address), 5000, 'rogue banned')
    const stats = hh.stats()
    expect(delivered).toBe(1)
    expect(stats.bannedPeers.map((b) => b.address)).toEqual([rogue.address])
    expect(stats.overBudget.GOSSIP_BYTES).toBe(20)
    expect(stats.penalties['over budget: GOSSIP_BYTES']).toBe(20)
  })

  it('answers requests beyond the request budget with BUSY, penalises each and bans the requester', async () => {
    const [h, rogue] = [makeNode(), makeNode()]
    const [hh, hr] = await linked({ node: h, scoring: { decayPerSecond: 0 }, budget: { requestsPerSecond: 1, requestBurst: 10 } }, rogue)
    let served = 0
    hh.handle('sync/blocks', () => {
      served++
      return new Uint8Array(1000)
    })
    const ask = (n: number): Promise<string[]> =>
      Promise.all(Array.from({ length: n }, () => hr.request(h.address, 'sync/blocks', utf8('x'), 3000).then(() => 'ok', (e: unknown) => (e instanceof RemoteRequestError ? e.remoteCode : 'other'))))
    expect(await ask(10)).toEqual(Array(10).fill('ok'))
    // 30 more at once: over the budget each is refused BUSY and costs 5 points; the 20th bans it.
    const outcomes = await ask(30)
    expect(served).toBe(10)
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(0)
    expect(outcomes.filter((o) => o === 'BUSY').length).toBeGreaterThanOrEqual(1)
    expect(hh.stats().overBudget.REQUESTS).toBeGreaterThanOrEqual(20)
    await until(() => !hh.isConnected(rogue.address), 3000, 'rogue banned')
    expect(hh.stats().bannedPeers.map((b) => b.address)).toEqual([rogue.address])
  })

  it('stops serving a peer whose answers exceeded the served-bytes budget until it refills', async () => {
    const [h, peer] = [makeNode(), makeNode()]
    const [hh, hp] = await linked({ node: h, budget: { servedBytesPerSecond: 1000, servedBurstBytes: 100_000 } }, peer)
    hh.handle('sync/blocks', () => new Uint8Array(60_000))
    await hp.request(h.address, 'sync/blocks', utf8('1'))
    await hp.request(h.address, 'sync/blocks', utf8('2'))
    await expect(hp.request(h.address, 'sync/blocks', utf8('3'))).rejects.toMatchObject({ remoteCode: 'BUSY' })
    expect(hh.stats().overBudget.SERVED_BYTES).toBe(1)
  })

  it('token buckets refill at their rate, cap at their burst, and shrink to the throttled share', () => {
    let now = 0
    const bucket = new TokenBucket(10, 100, () => now)
    expect(bucket.take(100)).toBe(true)
    expect(bucket.take(1)).toBe(false)
    now = 5000
    expect(bucket.available()).toBe(50)
    now = 60_000
    expect(bucket.available()).toBe(100)
    expect(bucket.available(0.25)).toBe(25)
    bucket.spend(40, 0.25)
    expect(bucket.available(0.25)).toBe(-15)
    const budget = new PeerBudget({ gossipBytesPerSecond: 1, gossipBurstBytes: 10, requestsPerSecond: 1, requestBurst: 1, servedBytesPerSecond: 1, servedBurstBytes: 10, throttledShare: 0.5 }, () => now)
    expect(budget.takeRequest()).toBeUndefined()
    expect(budget.takeRequest()).toBe('REQUESTS')
    budget.spendServed(20)
    now += 2000
    expect(budget.takeRequest()).toBe('SERVED_BYTES')
    const scores = new PeerScores({ banThreshold: 10, banDurationMs: 1000, decayPerSecond: 0 }, () => now)
    const a = '0x00000000000000000000000000000000000000aa' as Address
    expect(scores.penalise(a, 'x', 10, { protected: true })).toBe('throttled')
    expect(scores.bannedUntil(a)).toBeUndefined()
    expect(scores.throttledUntil(a)).toBe(now + 1000)
    expect(scores.penalise(a, 'x', 10)).toBe('banned')
  })
})

describe('network fairness: inbound connections that never finish their handshake', () => {
  it('closes a connection silent after TCP, after TLS or after the WebSocket upgrade at the inbound deadline', async () => {
    const hh = await startHost({ node: makeNode(), inboundTimeoutMs: 600, handshakeTimeoutMs: 5000 })
    hosts.push(hh)
    const port = hh.listenAddress()!.port
    const conns = await Promise.all((['tcp', 'tls', 'websocket'] as const).map((stage) => openSilentConnection(port, stage)))
    silent.push(...conns)
    expect(hh.stats().pendingInbound).toBe(3)
    for (const c of conns) {
      const { openMs } = await c.closed
      expect(openMs).toBeLessThan(3000)
    }
    await until(() => hh.stats().pendingInbound === 0, 2000, 'nothing pending')
    expect(hh.stats().inboundDropped).toEqual({ TIMEOUT_TLS: 1, TIMEOUT_UPGRADE: 1, TIMEOUT_HANDSHAKE: 1 })
  })

  it('caps pending connections per IP and in total, and a good peer still connects while silent connections from 127.0.0.1 and 127.0.0.2 are held', async () => {
    const [h, good] = [makeNode(), makeNode()]
    const hh = await startHost({ node: h, maxPendingHandshakes: 12, maxPendingHandshakesPerIp: 4, inboundTimeoutMs: 60_000, handshakeTimeoutMs: 60_000 })
    hosts.push(hh)
    const port = hh.listenAddress()!.port
    for (const ip of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      for (let i = 0; i < 10; i++) silent.push(await openSilentConnection(port, 'websocket', ip))
    }
    await until(() => hh.stats().pendingInbound <= 12, 2000, 'caps applied')
    const dropped = hh.stats().inboundDropped
    // Each of the 40 beyond the 12 pushed out one older silent connection, of its own IP or of the busiest.
    expect((dropped.PENDING_PER_IP ?? 0) + (dropped.PENDING_TOTAL ?? 0)).toBe(28)
    expect(dropped.PENDING_PER_IP).toBeGreaterThan(0)
    expect(dropped.PENDING_TOTAL).toBeGreaterThan(0)
    // The silent ones stay (their deadline is a minute away), yet a real peer gets in at once.
    const hg = await startHost({ node: good, listening: false })
    hosts.push(hg)
    await hg.connect(hh.listenUrl()!, h.address)
    expect(hh.isConnected(good.address)).toBe(true)
    expect(hh.stats().pendingInbound).toBeLessThanOrEqual(12)
  })
})
