/**
 * Governed chain parameters on a network of four real validator processes, without restarts:
 * - a vote changes the block period, the empty-block period and the gas limit from block N: on every
 *   node, headers before N carry the old gas limit and may be a second apart; from N on they carry
 *   the new gas limit and are at least the new period apart;
 * - a vote schedules protocol quorate/2 from block M: the three upgraded validators pass M (they
 *   keep a quorum of 3 of 4), while node-4, restricted to quorate/1 as an older release would be,
 *   stops at M-1 with one clear error, still answers RPC (its /ready says why), and holds the same
 *   blocks as the others; restarted without the restriction, it syncs past M onto the same chain.
 * The proposal goes through the CLI's functions (gov propose / show / params) against real RPC.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runGovParams, runGovPropose, runGovShow, type GovIo } from '../../src/cli/gov.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'
import { Board, governedConsortium, ROLES, TxSender } from '../helpers/governance.js'

const OLD = 3 // node-4 (the regulator's validator): the other three keep a quorum
const NODES = [0, 1, 2, 3]
const UPGRADED = [0, 1, 2]

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let board: Board

interface Header {
  number: string
  hash: string
  timestamp: string
  gasLimit: string
}

async function header(i: number, n: number): Promise<Header> {
  const h = await rpc<Header | null>(net.url(i), 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
  if (!h) throw new Error(`node-${i + 1} has no block ${n}`)
  return h
}

function capture(): GovIo & { text: () => string } {
  let out = ''
  return { out: (t) => (out += t), err: () => undefined, now: () => Date.now(), text: () => out }
}

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 4, blockPeriodMs: 1000, emptyBlockPeriodMs: 1000, consortium: governedConsortium })
  // node-4 acts as a release that knows only quorate/1 (config.supportedProtocols, docs/operations.md).
  const configFile = join(net.nodes[OLD]!.dataDir, 'config.json')
  await writeFile(configFile, JSON.stringify({ ...JSON.parse(await readFile(configFile, 'utf8')), supportedProtocols: ['quorate/1'] }, null, 2))
  await net.start()
  board = await Board.connect(net.url(0))
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2, 30_000)
}, 120_000)

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('governed chain parameters', () => {
  it('a vote changes the block period and the gas limit at block N on every node, without restarts', async () => {
    const before = await header(0, await net.height(0))
    expect(BigInt(before.gasLimit)).toBe(50_000_000n)
    // The deciding vote must come 11 blocks before n (MIN_NOTICE_BLOCKS); the rest is room for the votes on a busy machine.
    const n = (await net.height(0)) + 30
    const proposed = capture()
    await runGovPropose(
      'set-chain-parameters',
      { rpc: net.url(0), description: 'slower blocks, smaller gas limit', key: ROLES.admins.pensionfund.privateKey, atBlock: n, blockPeriodMs: 2000, emptyBlockPeriodMs: 2000, gasLimit: 40_000_000 },
      proposed,
    )
    const id = Number(/proposal #(\d+) opened/.exec(proposed.text())?.[1])
    expect(proposed.text()).toContain(`SetChainParameters from block ${n}: block period 2000 ms, empty-block period 2000 ms, gas limit 40000000`)

    const shown = capture()
    await runGovShow(id, { rpc: net.url(0), json: false }, shown)
    const diff = shown.text().split('\n')
    expect(diff).toContain(`  chain parameters from block ${n} (now → proposed)`)
    expect(diff).toContain('    block period          1000 ms → 2000 ms')
    expect(diff).toContain('    empty-block period    1000 ms → 2000 ms')
    expect(diff).toContain('    gas limit             50000000 → 40000000')
    expect(diff).toContain('    protocol              quorate/1 (unchanged)')

    await board.vote(id, ['pensionfund', 'employer', 'insurer'])
    expect((await board.proposal(id)).state).toBe('approved')
    const params = capture()
    await runGovParams({ rpc: net.url(2), json: false }, params)
    expect(params.text().split('\n')).toContain(`  gas limit             50000000  → 40000000 from block ${n}`)

    await waitFor(`block ${n + 4} on every node`, async () => (await Promise.all(NODES.map((i) => net.height(i)))).every((h) => h >= n + 4), 90_000)
    for (const i of NODES) {
      const headers = await Promise.all(Array.from({ length: 13 }, (_, k) => header(i, n - 8 + k)))
      const gap = (k: number) => Number(BigInt(headers[k]!.timestamp) - BigInt(headers[k - 1]!.timestamp))
      const gapsBefore = [1, 2, 3, 4, 5, 6, 7, 8].map(gap) // blocks n-7 .. n-1 (and n-8's child)
      const gapsAfter = [8, 9, 10, 11, 12].map(gap) // blocks n .. n+4
      expect({ node: i, gasBefore: headers.slice(0, 8).map((h) => BigInt(h.gasLimit)) }).toEqual({ node: i, gasBefore: Array(8).fill(50_000_000n) })
      expect({ node: i, gasAfter: headers.slice(8).map((h) => BigInt(h.gasLimit)) }).toEqual({ node: i, gasAfter: Array(5).fill(40_000_000n) })
      expect({ node: i, before: gapsBefore.every((g) => g >= 1) && gapsBefore.some((g) => g < 2) }).toEqual({ node: i, before: true })
      expect({ node: i, after: gapsAfter }).toEqual({ node: i, after: gapsAfter.map((g) => Math.max(g, 2)) })
      expect(headers.map((h) => h.hash)).toEqual(await Promise.all(headers.map((h) => header(0, Number(h.number)).then((x) => x.hash))))
    }
    // Every pool follows the new limit: a transaction above it is refused at admission, naming it.
    for (const i of NODES) {
      const out = await new TxSender(ROLES.deployer).submit(net.url(i), { to: ROLES.deployer.address, gas: 45_000_000n })
      expect(out.error?.message).toContain('above the block gas limit 40000000')
    }
  }, 240_000)

  it('a scheduled protocol upgrade passes on upgraded nodes; the old node stops before it with one clear error, serves RPC, does not fork, and syncs on once upgraded', async () => {
    const m = (await net.height(0)) + 26
    // Proposed through the old node, the version it does not run is refused before sending.
    const count = (await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length
    const propose = (via: number) =>
      runGovPropose('set-chain-parameters', { rpc: net.url(via), description: 'protocol quorate/2', key: ROLES.admins.pensionfund.privateKey, atBlock: m, protocol: 'quorate/2' }, capture())
    await expect(propose(OLD)).rejects.toThrow(
      `propose refused before sending (rule: supported protocol): the node behind ${net.url(OLD)} supports only quorate/1; with quorate/2 in force from block ${m}, every node that does not support it stops at block ${m - 1}`,
    )
    expect((await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length).toBe(count)
    const proposal = await board.decide({ decision: 'SetChainParameters', activationBlock: m, protocol: 'quorate/2' }, 'protocol quorate/2')
    expect(proposal.state).toBe('approved')
    const warned = capture()
    await runGovParams({ rpc: net.url(OLD), json: false }, warned)
    expect(warned.text().split('\n')).toContain(`WARNING: protocol quorate/2 is scheduled from block ${m}; this node will stop before it: upgrade its software first`)

    await waitFor(`block ${m + 3} on the upgraded nodes`, async () => (await Promise.all(UPGRADED.map((i) => net.height(i)))).every((h) => h >= m + 3), 120_000)
    // The old node stopped at m-1 and stays there; it still answers.
    expect(await net.height(OLD)).toBe(m - 1)
    expect(await rpc(net.url(OLD), 'eth_getBlockByNumber', [`0x${m.toString(16)}`, false])).toBeNull()
    const report = await rpc<{ stoppedAtUpgrade: { block: number; protocol: string; message: string } | null; supportedProtocols: string[] }>(net.url(OLD), 'gov_getChainParameters')
    expect(report.supportedProtocols).toEqual(['quorate/1'])
    expect(report.stoppedAtUpgrade).toMatchObject({ block: m, protocol: 'quorate/2' })
    // No fork: every block the old node has is the upgraded nodes' block.
    for (let n = m - 5; n < m; n++) {
      const hashes = await Promise.all(NODES.map((i) => header(i, n).then((h) => h.hash)))
      expect(new Set(hashes).size).toBe(1)
    }
    for (const i of UPGRADED) {
      expect((await rpc<{ stoppedAtUpgrade: unknown }>(net.url(i), 'gov_getChainParameters')).stoppedAtUpgrade).toBeNull()
    }
    // Its /ready says why it is behind (a load balancer takes it out; /health stays ok).
    const ready = await fetch(`${net.url(OLD)}/ready`)
    expect(ready.status).toBe(503)
    const body = (await ready.json()) as { checks: { name: string; ok: boolean; reason?: string }[] }
    expect(body.checks.find((c) => c.name === 'synced')?.reason).toContain(`governance scheduled protocol quorate/2 from block ${m}`)
    expect((await fetch(`${net.url(OLD)}/health`)).status).toBe(200)
    // One clear error in its log, naming what is scheduled, where, what it supports, and what to do.
    const log = (await readFile(join(net.nodes[OLD]!.dataDir, 'node.log'), 'utf8')).split('\n').filter((l) => l.includes('PROTOCOL_UNSUPPORTED'))
    expect(log).toHaveLength(1)
    const entry = JSON.parse(log[0]!) as { level: number; msg: string }
    expect(entry.level).toBe(50)
    expect(entry.msg).toBe(
      `governance scheduled protocol quorate/2 from block ${m}, but this node supports only quorate/1; it stops at block ${m - 1} and will not import or make block ${m}: upgrade the Quorate software to a release that supports quorate/2`,
    )

    // Upgraded (the restriction removed) and started again, it syncs past the upgrade onto the same chain.
    await net.stop(OLD)
    const configFile = join(net.nodes[OLD]!.dataDir, 'config.json')
    const { supportedProtocols: _dropped, ...config } = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>
    await writeFile(configFile, JSON.stringify(config, null, 2))
    await net.start(OLD)
    await waitFor(`node-4 past block ${m + 2}`, async () => (await net.height(OLD)) >= m + 2, 60_000)
    expect((await header(OLD, m)).hash).toBe((await header(0, m)).hash)
    expect((await rpc<{ stoppedAtUpgrade: unknown }>(net.url(OLD), 'gov_getChainParameters')).stoppedAtUpgrade).toBeNull()
  }, 240_000)
})
