/**
 * `quorate status` and `quorate doctor` (the built CLI, as an operator runs it) against a real
 * network of 4 validator processes: the rows match what each node's RPC says; a stopped node is a
 * "down" row with exit code 1 while the others stay up; doctor sees a running node's ports as its
 * own and a stopped node's ports as free.
 */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DevnetFile } from '../../src/cli/devnet.js'
import type { NetworkStatus } from '../../src/cli/status.js'
import type { DoctorReport } from '../../src/cli/doctor.js'
import { TestNetwork } from '../helpers/network.js'
import { CLI, rpc, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const STOPPED = 3

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

function quorate(args: string[], cwd?: string): Promise<CliResult> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 30_000, env: { ...process.env, HTTPS_PROXY: '', https_proxy: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      res({ code, stdout, stderr })
    })
  })
}

const rpcArgs = () => net.nodes.flatMap((n) => ['--rpc', n.rpcUrl])

beforeAll(async () => {
  tmp = await tempDir('quorate-cli-status-')
  net = await TestNetwork.create(join(tmp.dir, 'net'), { validators: 4 })
  await net.start()
  await waitFor('height 3 on every node', async () => (await Promise.all(net.nodes.map((_, i) => net.height(i)))).every((h) => h >= 3))
  // The same nodes as a devnet file, in the default place `quorate status` looks.
  const devnet: DevnetFile = {
    chainId: 1337,
    nodes: net.nodes.map((n) => ({ name: n.name, dataDir: n.dataDir, address: n.address, rpcUrl: n.rpcUrl, wsUrl: n.wsUrl, p2pUrl: n.p2pUrl!, startCommand: '' })),
    accounts: [],
  }
  await mkdir(join(tmp.dir, '.devnet'))
  await writeFile(join(tmp.dir, '.devnet', 'devnet.json'), JSON.stringify(devnet))
})

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('quorate status and doctor on a 4-node network', () => {
  it('prints one JSON row per node that matches the RPC of each node, and exits 0', async () => {
    const before = await Promise.all(net.nodes.map((_, i) => net.height(i)))
    const { code, stdout, stderr } = await quorate(['status', ...rpcArgs(), '--json'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const after = await Promise.all(net.nodes.map((_, i) => net.height(i)))
    const status = JSON.parse(stdout) as NetworkStatus
    expect(status.healthy).toBe(true)
    expect(status.nodes).toHaveLength(4)
    const best = Math.max(...status.nodes.map((n) => n.height!))
    expect(status.bestHeight).toBe(best)
    expect(status.sealWindow).toEqual({ from: Math.max(1, best - 99), to: best })
    // Blocks are final: the seals over a fixed window are the same on every node, now and later.
    const metrics = await rpc<{ address: string; lastSealedBlockNumber: string | null }[]>(net.url(0), 'qbft_getSignerMetrics', [`0x${status.sealWindow!.from.toString(16)}`, `0x${best.toString(16)}`])
    for (const [i, row] of status.nodes.entries()) {
      const node = net.nodes[i]!
      expect(row).toMatchObject({ name: node.name, address: node.address, rpcUrl: node.rpcUrl, health: 'up', reasons: [], validator: true })
      expect(row.height).toBeGreaterThanOrEqual(before[i]!)
      expect(row.height).toBeLessThanOrEqual(after[i]!)
      expect(row.lag).toBe(best - row.height!)
      expect(row.peers).toBe(Number(await rpc<string>(node.rpcUrl, 'net_peerCount')))
      expect(row.peers).toBe(3)
      // /ready is used when the node serves it, and "not available" (null) when it answers 404.
      const ready = await fetch(`${node.rpcUrl}/ready`)
      await ready.body?.cancel()
      expect(row.ready).toBe(ready.status === 404 ? null : ready.status === 200)
      const sealed = metrics.find((m) => m.address === node.address)!.lastSealedBlockNumber
      expect(row.lastSealedBlock).toBe(sealed === null ? null : Number(sealed))
    }
    expect(status.nodes.some((n) => n.lastSealedBlock === best)).toBe(true)
  })

  it('prints the table from .devnet/devnet.json by default', async () => {
    const { code, stdout } = await quorate(['status'], tmp.dir)
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NODE\s+ADDRESS\s+RPC\s+HEIGHT\s+PEERS\s+LAST SEALED\s+LAG\s+HEALTH$/)
    for (const [i, node] of net.nodes.entries()) {
      expect(lines[i + 1]).toMatch(new RegExp(`^${node.name}\\s+${node.address}\\s+${node.rpcUrl}\\s+\\d+\\s+3\\s+(#\\d+|none in last \\d+)\\s+\\d+\\s+up$`))
    }
    // A plain chain (no governance): the validator set is the nodes' consensus view.
    expect(lines.at(-1)).toMatch(/^4 nodes, best height \d+, seals counted over blocks \d+-\d+, 4 validators \(consensus\): all healthy$/)
    expect(stdout).not.toContain('\u001b')
  })

  it('doctor sees the ports of a running node as in use by this node', async () => {
    const node = net.nodes[0]!
    const { code, stdout } = await quorate(['doctor', '--data-dir', node.dataDir, '--peer-rpc', net.url(1), '--disk-fail-gb', '0'])
    expect(stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([])
    expect(code).toBe(0)
    expect(stdout).toMatch(new RegExp(`^OK\\s+node\\s+running, answers on http://127.0.0.1:${node.rpcPort} as ${node.address}`, 'm'))
    expect(stdout).toMatch(new RegExp(`^OK\\s+RPC port\\s+127.0.0.1:${node.rpcPort} is in use by this node$`, 'm'))
    expect(stdout).toMatch(new RegExp(`^OK\\s+P2P port\\s+127.0.0.1:${node.p2pPort} is in use by this node$`, 'm'))
    for (const peer of net.nodes.slice(1)) expect(stdout).toMatch(new RegExp(`^OK\\s+peer ${peer.p2pUrl}\\s+reachable`, 'm'))
    expect(stdout).toMatch(/^OK\s+clock \(own chain\)\s+latest block #\d+ is \d+ s old/m)
    expect(stdout).toMatch(new RegExp(`^OK\\s+genesis vs ${net.url(1)}\\s+same genesis as the peer$`, 'm'))
  })

  it('shows a stopped node as down with its connection error, the others up, and exits 1', async () => {
    await net.stop(STOPPED)
    const down = net.nodes[STOPPED]!
    const json = await quorate(['status', ...rpcArgs(), '--json'])
    expect(json.code).toBe(1)
    const status = JSON.parse(json.stdout) as NetworkStatus
    expect(status.healthy).toBe(false)
    for (const [i, row] of status.nodes.entries()) {
      if (i === STOPPED) continue
      expect(row).toMatchObject({ health: 'up', peers: 2 })
    }
    // Named by its host:port (a stopped node cannot say its name), with the exact connection error.
    expect(status.nodes[STOPPED]).toMatchObject({ name: `127.0.0.1:${down.rpcPort}`, health: 'down', height: null, peers: null, lag: null, reasons: [`connect ECONNREFUSED 127.0.0.1:${down.rpcPort}`] })

    const table = await quorate(['status'], tmp.dir)
    expect(table.code).toBe(1)
    const row = table.stdout.split('\n').find((l) => l.startsWith(down.name))!
    expect(row).toMatch(new RegExp(`^${down.name}\\s+${down.address}\\s+${down.rpcUrl}\\s+-\\s+-\\s+\\S.*\\s+-\\s+down: connect ECONNREFUSED 127.0.0.1:${down.rpcPort}$`))
    expect(table.stdout.trimEnd().split('\n').at(-1)).toMatch(/: 1 not healthy$/)
  })

  it('doctor sees the ports of a stopped node as free and its peers reachable', async () => {
    const node = net.nodes[STOPPED]!
    const { code, stdout } = await quorate(['doctor', '--data-dir', node.dataDir, '--peer-rpc', net.url(0), '--disk-fail-gb', '0', '--json'])
    const report = JSON.parse(stdout) as DoctorReport
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([])
    expect(code).toBe(0)
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]))
    expect(byId['node']!.message).toBe(`not running (nothing answers on http://127.0.0.1:${node.rpcPort})`)
    // The test's ports come from the ephemeral range: a freed one may be, for a moment, the source
    // port of an outgoing connection, which doctor then explains (WARN) instead of calling it free.
    for (const [id, port] of [['rpc-port', node.rpcPort], ['p2p-port', node.p2pPort!]] as const) {
      const c = byId[id]!
      if (c.status === 'ok') expect(c.message).toBe(`127.0.0.1:${port} is free`)
      else expect(c).toMatchObject({ status: 'warn', message: expect.stringContaining('source port') })
    }
    for (const peer of net.nodes.slice(0, STOPPED)) expect(byId[`peer:${peer.p2pUrl}`]!.status).toBe('ok')
    expect(byId[`clock:${net.url(0)}`]!.status).toBe('ok')
    expect(byId[`genesis:${net.url(0)}`]!.status).toBe('ok')
    expect(byId['node-key']!.message).toContain(node.address)
  })
})
