/**
 * `quorate status` against loopback JSON-RPC servers that answer like nodes: here for what a real
 * network cannot show on demand (a /ready that says 503, a node far behind, another chain).
 * test/integration/cli-status.test.ts runs it against real node processes.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collectStatus, formatStatusTable, resolveTargets, runStatus, type StatusTarget } from '../../../src/cli/status.js'
import { ConfigError } from '../../../src/errors.js'
import { tempDir } from '../../helpers/tmp.js'
import { closedPort, startFakeNode, type FakeNode, type FakeNodeOptions } from './helpers.js'

const hex = (n: number) => `0x${n.toString(16)}`
const A = '0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const C = '0xcccccccccccccccccccccccccccccccccccccccc'

let tmp: Awaited<ReturnType<typeof tempDir>>
const nodes: FakeNode[] = []

beforeEach(async () => {
  tmp = await tempDir('quorate-status-')
})

afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close()
  await tmp.cleanup()
})

interface Fake {
  id: string
  name: string
  height: number
  peers?: number
  genesis?: string
  syncing?: { highest: number }
  ready?: FakeNodeOptions['ready']
  metrics?: { address: string; lastSealedBlockNumber: string | null; lastProposedBlockNumber?: string | null }[]
  /** The validators at the head (qbft_getValidatorsByBlockNumber); default: the addresses in metrics. */
  validators?: string[]
  /** A governed chain's validator set (gov_getValidators); absent: the node has no gov_ methods. */
  governance?: string[]
}

async function fake(f: Fake): Promise<FakeNode> {
  const node = await startFakeNode({
    methods: {
      eth_blockNumber: () => hex(f.height),
      net_peerCount: () => hex(f.peers ?? 2),
      admin_nodeInfo: () => ({
        id: f.id,
        name: f.name,
        genesis: f.genesis ?? '0x01',
        head: { number: hex(f.height), hash: '0x02' },
        sync: { syncing: f.syncing !== undefined, highestKnownBlock: hex(f.syncing?.highest ?? f.height) },
      }),
      qbft_getSignerMetrics: () => f.metrics ?? [],
      qbft_getValidatorsByBlockNumber: () => f.validators ?? (f.metrics ?? []).map((m) => m.address),
      ...(f.governance ? { gov_getValidators: () => f.governance } : {}),
    },
    ...(f.ready ? { ready: f.ready } : {}),
  })
  nodes.push(node)
  return node
}

const metrics = [
  { address: A, lastSealedBlockNumber: hex(100) },
  { address: B, lastSealedBlockNumber: null },
  { address: C, lastSealedBlockNumber: hex(97) },
]

describe('quorate status', () => {
  it('takes the validator set from governance: a removed validator\'s old seals do not make it one, and a silent validator not listed is not "all healthy"', async () => {
    const D = '0xdddddddddddddddddddddddddddddddddddddddd'
    // C was removed (its seals of blocks up to 97 remain); D is a validator in governance that nobody asked and that seals nothing.
    const gov = { governance: [A, B, D], metrics: [...metrics, { address: D, lastSealedBlockNumber: null, lastProposedBlockNumber: null }] }
    const a = await fake({ id: A, name: 'alpha', height: 100, ...gov })
    const b = await fake({ id: B, name: 'beta', height: 100, ...gov })
    const c = await fake({ id: C, name: 'gamma', height: 100, ...gov })
    const status = await collectStatus([{ rpcUrl: a.url }, { rpcUrl: b.url }, { rpcUrl: c.url }])
    expect(status.validators).toEqual({ source: 'governance', addresses: [A, B, D] })
    expect(status.nodes.map((n) => [n.name, n.validator, n.health])).toEqual([['alpha', true, 'up'], ['beta', true, 'up'], ['gamma', false, 'up']])
    expect(status.silentValidators).toEqual([D])
    expect(status.healthy).toBe(false)
    const table = formatStatusTable(status)
    expect(table).toMatch(/^gamma\s+0xc+\s+\S+\s+100\s+2\s+not validator\s/m)
    expect(table).toContain(`validator ${D} (not among the nodes asked) has not sealed or proposed in blocks 1-100`)
    expect(table.trimEnd().split('\n').at(-1)).toMatch(/, 3 validators \(governance\): 1 validator not listed here and silent$/)
    // Once D seals again, all healthy.
    const live = { governance: [A, B, D], metrics: [{ address: A, lastSealedBlockNumber: hex(100) }, { address: B, lastSealedBlockNumber: null, lastProposedBlockNumber: hex(98) }, { address: D, lastSealedBlockNumber: hex(99) }] }
    const d = await fake({ id: A, name: 'alpha', height: 100, ...live })
    expect((await collectStatus([{ rpcUrl: d.url }])).healthy).toBe(true)
  })

  it('calls no validator silent on a young chain: over fewer blocks than two proposer rotations, a live one may have no seal yet', async () => {
    const D = '0xdddddddddddddddddddddddddddddddddddddddd'
    // Blocks 1-5 of 3 validators: D sealed none of them (each block carries the first quorum of seals only).
    const young = { governance: [A, B, D], metrics: [{ address: A, lastSealedBlockNumber: hex(5) }, { address: B, lastSealedBlockNumber: hex(5) }, { address: D, lastSealedBlockNumber: null, lastProposedBlockNumber: null }] }
    const a = await fake({ id: A, name: 'alpha', height: 5, ...young })
    const status = await collectStatus([{ rpcUrl: a.url }])
    expect(status.sealWindow).toEqual({ from: 1, to: 5 })
    expect(status.silentValidators).toEqual([])
    expect(status.healthy).toBe(true)
    // From six blocks (two rotations of three) on, the same gap counts.
    const older = await fake({ id: A, name: 'alpha', height: 6, ...young })
    expect((await collectStatus([{ rpcUrl: older.url }])).silentValidators).toEqual([D])
  })

  it('reads every node, measures lag against the best one, and takes seals from the best node', async () => {
    const a = await fake({ id: A, name: 'alpha', height: 100, metrics })
    const b = await fake({ id: B, name: 'beta', height: 98, metrics: [] })
    const status = await collectStatus([{ rpcUrl: a.url }, { rpcUrl: b.url }])
    expect(status.bestHeight).toBe(100)
    expect(status.sealWindow).toEqual({ from: 1, to: 100 })
    expect(status.healthy).toBe(true)
    expect(status.nodes).toMatchObject([
      { name: 'alpha', address: A, height: 100, peers: 2, lag: 0, validator: true, lastSealedBlock: 100, health: 'up', ready: null },
      { name: 'beta', address: B, height: 98, lag: 2, validator: true, lastSealedBlock: null, health: 'up' },
    ])
    // Only the best node was asked for signer metrics.
    expect(a.seen).toContain('qbft_getSignerMetrics')
    expect(b.seen).not.toContain('qbft_getSignerMetrics')
    expect(a.seen).toContain('GET /ready')
  })

  it('shows a node that does not answer as down with the connection error, and the others still', async () => {
    const a = await fake({ id: A, name: 'alpha', height: 100, metrics })
    const port = await closedPort()
    const targets: StatusTarget[] = [{ rpcUrl: a.url }, { name: 'gamma', address: C, rpcUrl: `http://127.0.0.1:${port}` }]
    const status = await collectStatus(targets)
    expect(status.healthy).toBe(false)
    expect(status.nodes[0]!.health).toBe('up')
    expect(status.nodes[1]).toMatchObject({ name: 'gamma', health: 'down', height: null, lag: null, lastSealedBlock: 97 })
    expect(status.nodes[1]!.reasons[0]).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`)
  })

  it('uses /ready: 503 makes a node "not ready" with its failing checks; 404 is "not available"', async () => {
    const a = await fake({
      id: A,
      name: 'alpha',
      height: 100,
      metrics,
      ready: { status: 503, body: { ready: false, checks: [{ name: 'peers', ok: false, message: '0 of 3 connected' }, { name: 'head', ok: true }] } },
    })
    const b = await fake({ id: B, name: 'beta', height: 100, ready: { status: 200, body: { ready: true, checks: [{ name: 'peers', ok: true }] } } })
    const c = await fake({ id: C, name: 'gamma', height: 100 })
    // The shape src/ops/health.ts answers: { status, checks: [{ name, ok, value, threshold, reason }] }.
    const d = await fake({
      id: '0xdddddddddddddddddddddddddddddddddddddddd',
      name: 'delta',
      height: 100,
      ready: { status: 503, body: { status: 'not ready', checks: [{ name: 'synced', ok: true, value: 0, threshold: 2 }, { name: 'not_stalled', ok: false, value: 95, threshold: 30, reason: 'no new final block for 95 s' }] } },
    })
    const e = await fake({ id: '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', name: 'eps', height: 100, ready: { status: 200, body: { status: 'ready', checks: [] } } })
    const status = await collectStatus([a, b, c, d, e].map((n) => ({ rpcUrl: n.url })))
    expect(status.nodes.map((n) => [n.health, n.ready, n.reasons])).toEqual([
      ['not ready', false, ['peers: 0 of 3 connected']],
      ['up', true, []],
      ['up', null, []],
      ['not ready', false, ['not_stalled: no new final block for 95 s']],
      ['up', true, []],
    ])
    expect(status.healthy).toBe(false)
  })

  it('flags a node too far behind, one syncing, one with no peers, and one on another chain', async () => {
    const best = await fake({ id: A, name: 'alpha', height: 100, metrics })
    const behind = await fake({ id: B, name: 'beta', height: 90 })
    const lonely = await fake({ id: C, name: 'gamma', height: 100, peers: 0 })
    const other = await fake({ id: '0xdddddddddddddddddddddddddddddddddddddddd', name: 'delta', height: 99, genesis: '0xffff' })
    const syncing = await fake({ id: '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', name: 'eps', height: 98, syncing: { highest: 400 } })
    const status = await collectStatus([best, behind, lonely, other, syncing].map((n) => ({ rpcUrl: n.url })), { maxLag: 5 })
    expect(status.nodes.map((n) => n.reasons)).toEqual([
      [],
      ['10 blocks behind (more than 5)'],
      ['no peers'],
      ['another chain (genesis 0xffff…)'],
      ['syncing: 302 blocks behind its peers'],
    ])
    expect(status.nodes[3]!.validator).toBe(false)
  })

  it('prints a table with one row per node and a summary', async () => {
    const a = await fake({ id: A, name: 'alpha', height: 100, metrics })
    const port = await closedPort()
    const status = await collectStatus([{ rpcUrl: a.url }, { name: 'gamma', address: C, rpcUrl: `http://127.0.0.1:${port}` }])
    const lines = formatStatusTable(status).trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NODE\s+ADDRESS\s+RPC\s+HEIGHT\s+PEERS\s+LAST SEALED\s+LAG\s+HEALTH$/)
    expect(lines[1]).toMatch(new RegExp(`^alpha\\s+${A}\\s+${a.url}\\s+100\\s+2\\s+#100\\s+0\\s+up$`))
    expect(lines[2]).toMatch(new RegExp(`^gamma\\s+${C}\\s+http://127.0.0.1:${port}\\s+-\\s+-\\s+#97\\s+-\\s+down: connect ECONNREFUSED`))
    // B is a validator nobody asked, and it sealed nothing: named, and not healthy.
    expect(lines.at(-2)).toBe(`validator ${B} (not among the nodes asked) has not sealed or proposed in blocks 1-100`)
    expect(lines.at(-1)).toBe('2 nodes, best height 100, seals counted over blocks 1-100, 3 validators (consensus): 1 not healthy, 1 validator not listed here and silent')
  })

  it('returns exit code 0 when all nodes are up and 1 otherwise, as table or JSON', async () => {
    const a = await fake({ id: A, name: 'alpha', height: 3, metrics: [{ address: A, lastSealedBlockNumber: '0x3' }] })
    let out = ''
    expect(await runStatus({ rpc: [a.url], json: true }, { out: (t) => (out += t) })).toBe(0)
    expect(JSON.parse(out)).toMatchObject({ healthy: true, bestHeight: 3, nodes: [{ name: 'alpha', lastSealedBlock: 3 }] })
    out = ''
    expect(await runStatus({ rpc: [`${a.url},http://127.0.0.1:${await closedPort()}`] }, { out: (t) => (out += t) })).toBe(1)
    expect(out).toContain('1 not healthy')
  })

  it('takes the nodes from --devnet, from .devnet/devnet.json by default, or from --rpc', async () => {
    const devnet = { chainId: 1337, nodes: [{ name: 'node-1', dataDir: '/x', address: A.toUpperCase().replace('0X', '0x'), rpcUrl: 'http://127.0.0.1:8545', wsUrl: 'ws://127.0.0.1:8545', p2pUrl: 'wss://127.0.0.1:30303', startCommand: 'x' }], accounts: [] }
    await mkdir(join(tmp.dir, '.devnet'))
    await writeFile(join(tmp.dir, '.devnet', 'devnet.json'), JSON.stringify(devnet))
    expect(await resolveTargets({}, tmp.dir)).toEqual([{ name: 'node-1', address: A, rpcUrl: 'http://127.0.0.1:8545' }])
    expect(await resolveTargets({ devnet: '.devnet', rpc: ['http://h:1'] }, tmp.dir)).toHaveLength(2)
    expect(await resolveTargets({ rpc: ['http://h:1'] }, tmp.dir)).toEqual([{ rpcUrl: 'http://h:1' }])
    await expect(resolveTargets({}, join(tmp.dir, '.devnet'))).rejects.toThrow(/no nodes to check/)
    await expect(resolveTargets({ rpc: ['ftp://h'] }, tmp.dir)).rejects.toBeInstanceOf(ConfigError)
    await expect(resolveTargets({ devnet: 'missing' }, tmp.dir)).rejects.toThrow(/no devnet.json/)
    await writeFile(join(tmp.dir, '.devnet', 'devnet.json'), JSON.stringify({ nodes: [{ name: 'x', address: A }] }))
    await expect(resolveTargets({}, tmp.dir)).rejects.toThrow(/nodes\.0\.rpcUrl/)
  })
})
