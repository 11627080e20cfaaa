/**
 * Readiness rules (pure), NodeHealth over a fake of its narrow port (HealthNode: no node, no
 * process), and the /health and /ready routes of a real node behind a real RpcServer on an
 * ephemeral port: a validator that makes blocks but whose only configured peer is down is alive
 * and not ready, and says why.
 */
import { EventEmitter } from 'node:events'
import { createBlock } from '@ethereumjs/block'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadNodeConfig } from '../../../src/node/config.js'
import { createNodeKeys, writeNodeFiles } from '../../../src/node/init.js'
import { Node } from '../../../src/node/node.js'
import { evaluateReadiness, NodeHealth, stalledAfterMs, type HealthNode, type ReadinessCheck, type ReadinessSnapshot, type StorageFault } from '../../../src/ops/health.js'
import { silentLogger } from '../../../src/ops/logger.js'
import { RpcServer } from '../../../src/rpc/server.js'
import { freePort, waitFor } from '../../helpers/node-process.js'
import { tempDir } from '../../helpers/tmp.js'
import type { Address } from '../../../src/types.js'

const healthy: ReadinessSnapshot = {
  now: 1_000_000,
  height: 100n,
  bestKnown: 100n,
  syncing: false,
  peers: 3,
  otherNodes: 3,
  lastBlockAt: 1_000_000 - 2_000,
  emptyBlockPeriodMs: 10_000,
}

const check = (checks: ReadinessCheck[], name: string): ReadinessCheck => checks.find((c) => c.name === name)!

describe('evaluateReadiness', () => {
  it('is ready when synced, peered and not stalled', () => {
    const report = evaluateReadiness(healthy)
    expect(report.ready).toBe(true)
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['synced', true],
      ['peered', true],
      ['not_stalled', true],
      ['disk', true],
    ])
    expect(report.checks.every((c) => c.reason === undefined)).toBe(true)
  })

  it('fails synced when peers announced more than maxBlocksBehind blocks above the head', () => {
    expect(evaluateReadiness({ ...healthy, bestKnown: 102n, syncing: true }).ready).toBe(true)
    const report = evaluateReadiness({ ...healthy, bestKnown: 103n, syncing: true })
    expect(report.ready).toBe(false)
    expect(check(report.checks, 'synced')).toMatchObject({ ok: false, value: 3, threshold: 2 })
    expect(check(report.checks, 'synced').reason).toMatch(/3 blocks behind.*block sync is running/)
    expect(evaluateReadiness({ ...healthy, bestKnown: 110n }, { maxBlocksBehind: 10 }).ready).toBe(true)
  })

  it('a node stopped before a protocol upgrade is not ready, and its synced and stall checks say why', () => {
    const why = 'governance scheduled protocol quorate/2 from block 101, but this node supports only quorate/1; …'
    const report = evaluateReadiness({ ...healthy, bestKnown: 140n, lastBlockAt: healthy.now - 60_000, stoppedAtUpgrade: why })
    expect(report.ready).toBe(false)
    expect(check(report.checks, 'synced').reason).toBe(`head is block 100 but peers announced block 140: 40 blocks behind (at most 2 allowed); ${why}`)
    expect(check(report.checks, 'not_stalled').reason).toBe(`no new final block for 60 s (head 100), more than 30 s: ${why}`)
  })

  it('needs a peer only when the network has other nodes, and never more than there are', () => {
    const isolated = evaluateReadiness({ ...healthy, peers: 0 })
    expect(isolated.ready).toBe(false)
    expect(check(isolated.checks, 'peered').reason).toMatch(/0 peers connected, at least 1 needed: the network has 3 other nodes/)
    expect(evaluateReadiness({ ...healthy, peers: 0, otherNodes: 0 }).ready).toBe(true)
    expect(check(evaluateReadiness({ ...healthy, peers: 1 }, { minPeers: 2 }).checks, 'peered').ok).toBe(false)
    expect(check(evaluateReadiness({ ...healthy, peers: 1, otherNodes: 1 }, { minPeers: 2 }).checks, 'peered')).toMatchObject({ ok: true, threshold: 1 })
  })

  it('names why dialling fails in the peered reason (a proxy refusing CONNECT), and only when peers are missing', () => {
    const refused = 'Could not connect to wss://10.0.0.1:30303: Proxy answered "HTTP/1.1 403 Forbidden" to CONNECT 10.0.0.1:30303'
    const reason = check(evaluateReadiness({ ...healthy, peers: 0, dialErrors: [refused, 'Could not connect to wss://10.0.0.2:30303: timeout'] }).checks, 'peered').reason
    expect(reason).toMatch(/0 peers connected, at least 1 needed: .*; dialling fails: Could not connect to wss:\/\/10\.0\.0\.1:30303: Proxy answered "HTTP\/1\.1 403 Forbidden".*; Could not connect to wss:\/\/10\.0\.0\.2:30303: timeout$/)
    expect(check(evaluateReadiness({ ...healthy, peers: 0, dialErrors: [] }).checks, 'peered').reason).not.toContain('dialling fails')
    expect(check(evaluateReadiness({ ...healthy, peers: 1, dialErrors: [refused] }).checks, 'peered').ok).toBe(true)
  })

  it('fails the disk check when a store refuses writes, and then blames a stall on the disk, not on the quorum', () => {
    const full = { ...healthy, lastBlockAt: healthy.now - 31_000, storageFaults: [{ component: 'chain store', reason: 'disk full: cannot write block 7' }] }
    const report = evaluateReadiness(full)
    expect(report.ready).toBe(false)
    expect(check(report.checks, 'disk')).toMatchObject({ ok: false, value: 1, threshold: 0, reason: 'chain store: disk full: cannot write block 7' })
    expect(check(report.checks, 'not_stalled').reason).toMatch(/cannot write blocks to its disk/)
    expect(check(report.checks, 'not_stalled').reason).not.toMatch(/quorum/)
    expect(check(evaluateReadiness({ ...full, storageFaults: [] }).checks, 'not_stalled').reason).toMatch(/no quorum/)
  })

  it('calls a node stalled after max(3 × emptyBlockPeriodMs, 30 s) without a new block', () => {
    expect(stalledAfterMs(1_000)).toBe(30_000)
    expect(stalledAfterMs(20_000)).toBe(60_000)
    expect(stalledAfterMs(20_000, { stalledAfterMs: 5_000 })).toBe(5_000)
    expect(evaluateReadiness({ ...healthy, lastBlockAt: healthy.now - 30_000 }).ready).toBe(true)
    const stalled = evaluateReadiness({ ...healthy, lastBlockAt: healthy.now - 31_000 })
    expect(check(stalled.checks, 'not_stalled')).toMatchObject({ ok: false, value: 31, threshold: 30 })
    expect(check(stalled.checks, 'not_stalled').reason).toMatch(/no new final block for 31 s/)
    expect(evaluateReadiness({ ...healthy, lastBlockAt: healthy.now - 50_000, emptyBlockPeriodMs: 20_000 }).ready).toBe(true)
  })

  it('names the cause of a stall in the quorum words of the fleet view (fleet.ts), as the dashboard does', () => {
    const quorum = 'Quorum lost: 2 of 4 validators unreachable — chain halted since #100 (needs 3 of 4)'
    const stalled = evaluateReadiness({ ...healthy, lastBlockAt: healthy.now - 31_000, quorum })
    expect(check(stalled.checks, 'not_stalled').reason).toBe(`no new final block for 31 s (head 100), more than 30 s: ${quorum}`)
  })
})

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address

/** A node as readiness sees it: four validators, three of them configured peers; the test moves the chain, peers and faults. */
function fakeHealthNode() {
  const [self, b, c, d] = [addr(1), addr(2), addr(3), addr(4)]
  const events = new EventEmitter()
  const world = {
    head: createBlock({ header: { number: 10n } }),
    peers: [b, c, d],
    highestKnown: 10n,
    syncing: false,
    dialErrors: [] as string[],
    faults: [] as StorageFault[],
    upgradeStop: undefined as { shortMessage: string } | undefined,
  }
  const node: HealthNode = {
    address: self,
    get head() {
      return world.head
    },
    config: { p2p: { peers: [{ address: b }, { address: c }, { address: d }] } },
    host: { peers: () => world.peers.map((address) => ({ address })), unreachablePeers: () => world.dialErrors.map((error) => ({ error })) },
    sync: {
      get syncing() {
        return world.syncing
      },
      highestKnown: () => world.highestKnown,
      peerReports: () => ({ announced: [], departed: [] }),
    },
    producer: { status: () => ({ validators: [self, b, c, d] }) },
    paramsOfNextBlock: { emptyBlockPeriodMs: 5_000 },
    get upgradeStop() {
      return world.upgradeStop
    },
    storageFaults: () => world.faults,
    on: (e, l) => events.on(e, l),
    off: (e, l) => events.off(e, l),
  }
  const newBlock = (): void => {
    world.head = createBlock({ header: { number: world.head.header.number + 1n } })
    events.emit('block')
  }
  return { node, world, newBlock }
}

describe('NodeHealth over a fake HealthNode', () => {
  it('takes its snapshot from the port: head, best announced block, peers, configured nodes, dial errors, faults', () => {
    const { node, world } = fakeHealthNode()
    const now = 50_000
    const health = new NodeHealth(node, {}, () => now)
    world.highestKnown = 12n
    world.syncing = true
    world.dialErrors = ['wss://10.0.0.4:30303: timeout']
    world.faults = [{ component: 'txpool journal', reason: 'disk full' }]
    expect(health.snapshot()).toMatchObject({
      now,
      height: 10n,
      bestKnown: 12n,
      syncing: true,
      peers: 3,
      otherNodes: 3,
      lastBlockAt: now,
      dialErrors: ['wss://10.0.0.4:30303: timeout'],
      emptyBlockPeriodMs: 5_000,
      storageFaults: [{ component: 'txpool journal', reason: 'disk full' }],
    })
    health.close()
  })

  it('a halted chain is not ready: no new block for longer than the stall limit; a new block makes it ready again', () => {
    const { node, newBlock } = fakeHealthNode()
    let now = 1_000_000
    const health = new NodeHealth(node, {}, () => now)
    expect(health.report().ready).toBe(true)
    now += 30_000
    expect(health.report().ready).toBe(true)
    now += 1_000
    const halted = health.report()
    expect(halted.ready).toBe(false)
    expect(check(halted.checks, 'not_stalled')).toMatchObject({ ok: false, value: 31, threshold: 30 })
    expect(check(halted.checks, 'not_stalled').reason).toMatch(/^no new final block for 31 s \(head 10\), more than 30 s: /)
    expect(check(halted.checks, 'synced').ok).toBe(true)
    newBlock()
    expect(health.report().ready).toBe(true)
    health.close()
  })

  it('is not ready without peers, nor far behind the announced head, nor with a store that refuses writes', () => {
    const { node, world } = fakeHealthNode()
    const health = new NodeHealth(node, {}, () => 0)
    world.peers = []
    world.dialErrors = ['wss://10.0.0.2:30303: refused']
    expect(check(health.report().checks, 'peered').reason).toMatch(/0 peers connected, at least 1 needed: the network has 3 other nodes.*dialling fails: wss:\/\/10\.0\.0\.2:30303: refused$/)
    world.peers = [addr(2)]
    expect(health.report().ready).toBe(true)
    world.highestKnown = 13n
    expect(check(health.report().checks, 'synced')).toMatchObject({ ok: false, value: 3 })
    world.upgradeStop = { shortMessage: 'governance scheduled protocol quorate/9 from block 11' }
    expect(check(health.report().checks, 'synced').reason).toMatch(/; governance scheduled protocol quorate\/9 from block 11$/)
    world.highestKnown = 10n
    world.faults = [{ component: 'chain store', reason: 'disk full' }]
    expect(health.report()).toMatchObject({ ready: false })
    expect(check(health.report().checks, 'disk').reason).toBe('chain store: disk full')
    health.close()
  })
})

describe('/health and /ready of a real node', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let node: Node
  let rpc: RpcServer
  let clock = 0
  const healths: NodeHealth[] = []

  beforeAll(async () => {
    tmp = await tempDir()
    const { address } = await createNodeKeys(tmp.dir)
    // A lone validator whose one configured peer does not exist: blocks go on, no peer ever connects.
    const { address: ghost } = await createNodeKeys(`${tmp.dir}/ghost`)
    await writeNodeFiles(
      tmp.dir,
      { config: { chainId: 1337, blockPeriodMs: 100, emptyBlockPeriodMs: 100 }, validators: [address], alloc: {} },
      { rpc: { port: 0 }, p2p: { peers: [{ url: `wss://127.0.0.1:${await freePort()}`, address: ghost }] } },
    )
    node = await Node.open(tmp.dir, await loadNodeConfig(tmp.dir), { logger: silentLogger() })
    const strict = new NodeHealth(node)
    const lenient = new NodeHealth(node, { minPeers: 0 })
    const frozen = new NodeHealth(node, { minPeers: 0 }, () => Date.now() + clock)
    healths.push(strict, lenient, frozen)
    rpc = new RpcServer({ port: 0, httpRoutes: [...strict.routes(), ...lenient.routes({ ready: '/ready-lenient', health: '/health-lenient' }), ...frozen.routes({ ready: '/ready-later', health: '/health-later' })] })
    await rpc.start()
    await node.start()
    await waitFor('two blocks', async () => node.head.header.number >= 2n)
  })

  afterAll(async () => {
    for (const h of healths) h.close()
    await rpc?.stop()
    await node?.stop()
    await tmp?.cleanup()
  })

  const get = async (path: string): Promise<{ status: number; body: { status: string; checks?: ReadinessCheck[] } }> => {
    const res = await fetch(new URL(path, rpc.url))
    return { status: res.status, body: (await res.json()) as { status: string; checks?: ReadinessCheck[] } }
  }

  it('answers /health 200 while /ready is 503 because the only peer is missing', async () => {
    expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok', checks: [{ name: 'disk', ok: true, value: 0, threshold: 0 }] } })
    const ready = await get('/ready')
    expect(ready.status).toBe(503)
    expect(ready.body.status).toBe('not ready')
    const checks = ready.body.checks!
    expect(check(checks, 'peered')).toMatchObject({ ok: false, value: 0, threshold: 1 })
    expect(check(checks, 'peered').reason).toMatch(/the network has 1 other node/)
    expect(check(checks, 'synced').ok).toBe(true)
    expect(check(checks, 'not_stalled').ok).toBe(true)
  })

  it('is ready with minPeers 0, and not ready once no block came for longer than the stall limit (30 s)', async () => {
    expect((await get('/ready-lenient')).status).toBe(200)
    expect(await get('/ready-later')).toMatchObject({ status: 200, body: { status: 'ready' } })
    // Stop block production, then let 31 s pass on the health clock.
    await node.stop()
    clock = 31_000
    const later = await get('/ready-later')
    expect(later.status).toBe(503)
    expect(check(later.body.checks!, 'not_stalled')).toMatchObject({ ok: false, threshold: 30 })
    // The cause in the fleet view's words: the lone validator is reachable, so not a lost quorum.
    expect(check(later.body.checks!, 'not_stalled').reason).toMatch(/: Chain halted since #\d+ although 1 of 1 validators are reachable \(quorum 1\)/)
  })
})
