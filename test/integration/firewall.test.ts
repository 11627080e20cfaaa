/**
 * A validator behind a corporate firewall (issue #14), on hosts in network namespaces made by this
 * test: a lan namespace with a bridge, one namespace per host. Validators 1–3 listen on the lan
 * (port 30303). Party D's validator (4) sits in a namespace whose iptables drop every inbound packet
 * but those of connections it opened, and let out only TCP to its HTTP proxy (Debian tinyproxy,
 * CONNECT allowed to port 30303 only). It runs outbound-only (no p2p.listen) with `p2p.proxy`.
 * - The firewall holds: nothing reaches party D's host, and it reaches nothing but its proxy.
 * - The firewalled validator syncs, proposes and commits blocks, and a transaction it receives
 *   becomes final on every node; its own socket list shows only connections to the proxy (and its
 *   JSON-RPC port on loopback), nothing else listening.
 * - Finality latency of a transaction sent to it vs to a directly peered validator (printed only).
 * - A partition made in the namespaces (its cable pulled) heals with no manual action.
 * - Two outbound-only parties at once: party C's validator goes behind its own firewall and proxy too.
 * - A proxy that refuses CONNECT: a clear error in the node's log and readiness, and no crash.
 *
 * Needs root, iproute2, iptables and tinyproxy (.ci/run installs them). The root namespace's
 * interfaces, routes and iptables are never touched.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Wallet } from 'ethers'
import { createNetworkKeys, writeNodeFiles, type NetworkNode } from '../../src/node/init.js'
import type { NodeConfigInput } from '../../src/node/config.js'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { CLI, waitFor } from '../helpers/node-process.js'
import { getOverSocket, NetnsLab, netnsUnavailable, rpcOverSocket, type LabHost } from '../helpers/netns.js'
import { tempDir } from '../helpers/tmp.js'

const P2P_PORT = 30303
const RPC_PORT = 8545
const PROXY_PORT = 3128
/** A second tinyproxy on party D's proxy host that allows CONNECT to port 443 only. */
const REFUSING_PROXY_PORT = 3129
const CHAIN_ID = 1337

interface Validator {
  name: string
  host: LabHost
  node: NetworkNode
  child?: ChildProcess
  exited?: Promise<number | null>
  socket?: string
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let lab: NetnsLab
let validators: Validator[] = []
let proxyD: LabHost
let proxyC: LabHost
let proxyCProcess: ChildProcess
const accounts = devAccounts(10)
const nonces = new Map<string, number>()

const [V1, V2, V3, V4] = [0, 1, 2, 3]
const v = (i: number): Validator => validators[i]!
const call = <T>(i: number, method: string, params: unknown[] = []): Promise<T> => rpcOverSocket<T>(v(i).socket!, method, params)
const height = async (i: number): Promise<number> => Number(await call<string>(i, 'eth_blockNumber'))
const hex = (n: number): string => `0x${n.toString(16)}`
/** The environment of the nodes: no proxy but the one their config names. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no)_proxy$/i.test(k)))

async function startTinyproxy(host: LabHost, port: number, connectPort: number): Promise<ChildProcess> {
  const conf = join(tmp.dir, `tinyproxy-${host.name}-${port}.conf`)
  await writeFile(
    conf,
    [
      'User nobody',
      'Group nogroup',
      `Port ${port}`,
      `Listen ${host.ip}`,
      'Timeout 600',
      'MaxClients 100',
      'LogLevel Connect',
      `Allow ${lab.subnet}.0/24`,
      `ConnectPort ${connectPort}`,
      'DisableViaHeader Yes',
      '',
    ].join('\n'),
  )
  const child = lab.spawn(host, ['tinyproxy', '-d', '-c', conf], join(tmp.dir, `tinyproxy-${host.name}-${port}.log`))
  await waitFor(`tinyproxy on ${host.ip}:${port}`, async () => (await lab.probe(host, host.ip, port)) === 'open', 10_000)
  return child
}

/**
 * The corporate firewall of a party's host: inbound only what belongs to connections the host
 * opened; outbound only TCP to its proxy; loopback free.
 */
async function firewall(host: LabHost, proxy: LabHost, port = PROXY_PORT): Promise<void> {
  for (const chain of ['INPUT', 'OUTPUT', 'FORWARD']) await lab.iptables(host, '-P', chain, 'DROP')
  await lab.iptables(host, '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT')
  await lab.iptables(host, '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT')
  await lab.iptables(host, '-A', 'OUTPUT', '-o', 'lo', '-j', 'ACCEPT')
  await lab.iptables(host, '-A', 'OUTPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT')
  await allowProxy(host, proxy, port)
}

async function allowProxy(host: LabHost, proxy: LabHost, port: number): Promise<void> {
  await lab.iptables(host, '-A', 'OUTPUT', '-p', 'tcp', '-d', proxy.ip, '--dport', String(port), '-j', 'ACCEPT')
}

const peerUrl = (i: number): string => `wss://${v(i).host.ip}:${P2P_PORT}`
/**
 * The name a firewalled party dials a listening validator by: only the proxies resolve it (the
 * hosts behind them resolve nothing outside), as behind a corporate proxy.
 */
const peerName = (i: number): string => `node.${v(i).name}.example`
const namedUrl = (i: number): string => `wss://${peerName(i)}:${P2P_PORT}`

/** A listening validator: dials the other listening ones. */
function directConfig(i: number, listening: number[]): NodeConfigInput {
  return {
    name: v(i).name,
    rpc: { port: RPC_PORT },
    p2p: {
      listen: { host: v(i).host.ip, port: P2P_PORT },
      peers: listening.filter((j) => j !== i).map((j) => ({ url: peerUrl(j), address: v(j).node.address })),
      allowedNodes: validators.filter((_, j) => j !== i).map((o) => o.node.address),
    },
  }
}

/** An outbound-only validator behind `proxy`: no listener, dials the listening ones through the proxy. */
function firewalledConfig(i: number, listening: number[], proxy: LabHost | undefined, port = PROXY_PORT): NodeConfigInput {
  return {
    name: v(i).name,
    rpc: { port: RPC_PORT },
    p2p: {
      peers: listening.map((j) => ({ url: namedUrl(j), address: v(j).node.address })),
      allowedNodes: validators.filter((_, j) => j !== i).map((o) => o.node.address),
      ...(proxy ? { proxy: `http://${proxy.ip}:${port}` } : {}),
    },
  }
}

async function writeConfig(i: number, config: NodeConfigInput): Promise<void> {
  await writeFile(join(v(i).node.dataDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
}

async function logOf(i: number): Promise<string> {
  return readFile(join(v(i).node.dataDir, 'node.log'), 'utf8').catch(() => '')
}

async function start(i: number, extraEnv: Record<string, string> = {}): Promise<void> {
  const val = v(i)
  const child = lab.spawn(val.host, [process.execPath, CLI, 'start', '--data-dir', val.node.dataDir], join(val.node.dataDir, 'node.log'), { ...env, ...extraEnv })
  val.child = child
  val.exited = new Promise((r) => child.once('exit', (code) => r(code)))
  val.socket = await lab.relay(val.host, RPC_PORT)
  await waitFor(
    `${val.name} answering JSON-RPC`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${val.name} exited with ${child.exitCode}:\n${(await logOf(i)).split('\n').slice(-5).join('\n')}`)
      return height(i).then(() => true)
    },
    30_000,
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; log ends:\n${(await logOf(i)).trimEnd().split('\n').slice(-5).join('\n')}`)
  })
}

async function stop(i: number): Promise<void> {
  const val = v(i)
  if (val.child && val.child.exitCode === null && val.child.signalCode === null) val.child.kill('SIGTERM')
  await val.exited
  val.child = undefined
}

/** Sends `value` wei between dev accounts through validator `i`; resolves with the hash. */
async function send(i: number, from: number): Promise<string> {
  const wallet = new Wallet(accounts[from]!.privateKey)
  const nonce = nonces.get(wallet.address) ?? Number(await call<string>(i, 'eth_getTransactionCount', [wallet.address, 'pending']))
  nonces.set(wallet.address, nonce + 1)
  const raw = await wallet.signTransaction({ to: accounts[9]!.address, value: 1n, nonce, gasLimit: 21000, gasPrice: 0, chainId: CHAIN_ID })
  return call<string>(i, 'eth_sendRawTransaction', [raw])
}

async function receipt(i: number, hash: string, timeoutMs = 20_000): Promise<{ blockHash: string; blockNumber: string; status: string }> {
  return waitFor(`receipt of ${hash} on ${v(i).name}`, () => call<{ blockHash: string; blockNumber: string; status: string } | null>(i, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined), timeoutMs)
}

/** Blocks proposed by each validator (lower-case address) in [from, head] as node `on` sees them. */
async function proposers(on: number, from: number): Promise<Map<string, number>> {
  const metrics = await call<{ address: string; proposedBlockCount: number }[]>(on, 'qbft_getSignerMetrics', [hex(Math.max(1, from)), 'latest'])
  return new Map(metrics.map((m) => [m.address.toLowerCase(), Number(m.proposedBlockCount)]))
}

async function waitProposes(i: number, from: number, timeoutMs = 30_000): Promise<void> {
  const address = v(i).node.address.toLowerCase()
  await waitFor(`${v(i).name} proposing a block after block ${from}`, async () => ((await proposers(V1, from + 1)).get(address) ?? 0) > 0, timeoutMs)
}

interface SocketRow {
  state: string
  local: string
  peer: string
  process: string
}

/** The TCP sockets of a host's namespace (`ss -tanp`), optionally only those of one process. */
async function sockets(host: LabHost, pid?: number): Promise<SocketRow[]> {
  const { stdout } = await lab.exec(host, ['ss', '-tanpH'])
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [state, , , local, peer, ...rest] = line.trim().split(/\s+/)
      return { state: state!, local: local!, peer: peer!, process: rest.join(' ') }
    })
    .filter((row) => pid === undefined || row.process.includes(`pid=${pid},`))
}

/**
 * A firewalled validator's own sockets: it listens only on its JSON-RPC port on loopback, and every
 * connection is either to its proxy or on loopback; at least `minTunnels` go to the proxy.
 */
async function expectOnlyProxyConnections(i: number, proxy: LabHost, minTunnels: number): Promise<SocketRow[]> {
  const rows = await sockets(v(i).host, v(i).child!.pid)
  const proxyAddr = `${proxy.ip}:${PROXY_PORT}`
  const loopback = (addr: string): boolean => addr.startsWith('127.0.0.1:') || addr.startsWith('[::1]:') || addr.startsWith('[::ffff:127.0.0.1]:')
  for (const row of rows) {
    if (row.state === 'LISTEN') expect(row.local, `${v(i).name} listens only on its RPC port on loopback`).toBe(`127.0.0.1:${RPC_PORT}`)
    else expect(row.peer === proxyAddr || (loopback(row.local) && loopback(row.peer)), `${v(i).name}: ${row.state} ${row.local} -> ${row.peer} is neither to the proxy nor on loopback`).toBe(true)
  }
  expect(rows.filter((r) => r.state === 'ESTAB' && r.peer === proxyAddr).length, `${v(i).name}'s tunnels through ${proxyAddr}`).toBeGreaterThanOrEqual(minTunnels)
  return rows
}

beforeAll(async () => {
  const missing = await netnsUnavailable(['ip', 'iptables', 'ss', 'tinyproxy'])
  if (missing) throw new Error(`the firewall test needs root, iproute2, iptables and tinyproxy (.ci/run installs them): ${missing}`)
  tmp = await tempDir('quorate-fw-')
  lab = await NetnsLab.create(tmp.dir)
  const parties = ['party-a', 'party-b', 'party-c', 'party-d']
  const hosts: LabHost[] = []
  for (const name of parties) hosts.push(await lab.addHost(name))
  proxyD = await lab.addHost('proxy-d', 2)
  proxyC = await lab.addHost('proxy-c', 3)

  const nodes = await createNetworkKeys(parties.map((name) => ({ name, dataDir: join(tmp.dir, name), rpcPort: RPC_PORT })))
  validators = nodes.map((node, i) => ({ name: node.name, host: hosts[i]!, node }))
  const genesis = {
    config: { chainId: CHAIN_ID, blockPeriodMs: 500, emptyBlockPeriodMs: 1000, qbft: { requestTimeoutMs: 2000, maxRoundTimeoutMs: 8000 } },
    validators: nodes.map((n) => n.address),
    alloc: Object.fromEntries(accounts.map((a) => [a.address, { balance: (10n ** 24n).toString() }])),
  }
  const listening = [V1, V2, V3]
  for (const i of listening) await writeNodeFiles(v(i).node.dataDir, genesis, directConfig(i, listening))
  await writeNodeFiles(v(V4).node.dataDir, genesis, firewalledConfig(V4, listening, proxyD))

  const names = Object.fromEntries(validators.map((_, i) => [peerName(i), v(i).host.ip]))
  await lab.setHostsFile(proxyD, names)
  await lab.setHostsFile(proxyC, names)
  ;[, , proxyCProcess] = await Promise.all([startTinyproxy(proxyD, PROXY_PORT, P2P_PORT), startTinyproxy(proxyD, REFUSING_PROXY_PORT, 443), startTinyproxy(proxyC, PROXY_PORT, P2P_PORT), firewall(v(V4).host, proxyD)])
  await Promise.all(validators.map((_, i) => start(i)))
}, 120_000)

afterAll(async () => {
  await Promise.all(validators.map((val, i) => (val.child ? stop(i) : undefined)))
  await lab?.destroy()
  await tmp?.cleanup()
})

describe('a validator behind a corporate firewall, in network namespaces', () => {
  it('the firewall holds: nothing reaches party D, and it reaches nothing but its proxy', async () => {
    const d = v(V4).host
    // Without a firewall a closed port answers with a reset ("refused"); behind it, nothing comes back.
    const probes = await Promise.all([
      lab.probe(v(V1).host, v(V2).host.ip, 22),
      lab.probe(v(V1).host, d.ip, 22),
      lab.probe(v(V1).host, d.ip, P2P_PORT),
      lab.probe(d, v(V1).host.ip, P2P_PORT),
      lab.probe(d, proxyC.ip, PROXY_PORT),
      lab.probe(d, proxyD.ip, PROXY_PORT),
    ])
    expect(probes).toEqual(['refused', 'blocked', 'blocked', 'blocked', 'blocked', 'open'])
    // Party D does not even resolve the peers' names: its proxy does.
    expect((await lab.exec(d, ['getent', 'hosts', peerName(V1)], { allowFail: true })).code).not.toBe(0)
    expect((await lab.exec(proxyD, ['getent', 'hosts', peerName(V1)])).stdout).toContain(v(V1).host.ip)
  })

  it('syncs, proposes and commits blocks through the proxy, and a transaction it receives becomes final everywhere', async () => {
    const from = await height(V1)
    await waitFor('party D at the head of party A', async () => (await height(V4)) >= from + 2)
    await waitFor('party D peered with the three listening validators', async () => Number(await call<string>(V4, 'net_peerCount')) >= 3)
    expect((await call<{ listenAddr: string | null }>(V4, 'admin_nodeInfo')).listenAddr).toBeNull()
    await waitProposes(V4, from)
    // Its commit seals are in blocks too (a quorum is 3 of 4, so not in every block).
    const address = v(V4).node.address.toLowerCase()
    await waitFor('a commit seal of party D', async () => {
      const metrics = await call<{ address: string; sealedBlockCount: number }[]>(V1, 'qbft_getSignerMetrics', [hex(from + 1), 'latest'])
      return metrics.some((m) => m.address.toLowerCase() === address && m.sealedBlockCount > 0)
    })

    const hash = await send(V4, 0)
    const mined = await receipt(V4, hash)
    expect(mined.status).toBe('0x1')
    for (const i of [V1, V2, V3]) expect((await receipt(i, hash)).blockHash).toBe(mined.blockHash)
  })

  it("party D's own sockets: only tunnels to its proxy, nothing listening but JSON-RPC on loopback", async () => {
    const rows = await expectOnlyProxyConnections(V4, proxyD, 3)
    console.log(`party D's sockets (ss -tanp in its namespace, its node's only):\n${(await lab.exec(v(V4).host, ['ss', '-tanp'])).stdout.split('\n').filter((l, i) => i === 0 || l.includes(`pid=${v(V4).child!.pid},`)).join('\n')}`)
    expect(rows.some((r) => r.local.endsWith(`:${P2P_PORT}`))).toBe(false)
    // The whole namespace: nothing else listens either (the relay of this test uses a Unix socket).
    for (const row of await sockets(v(V4).host)) if (row.state === 'LISTEN') expect(row.local).toBe(`127.0.0.1:${RPC_PORT}`)
    // The proxy sees the tunnels: its connections to the validators' one P2P port each.
    const upstream = (await sockets(proxyD)).filter((r) => r.state === 'ESTAB' && r.local.startsWith(`${proxyD.ip}:`) && r.peer.endsWith(`:${P2P_PORT}`))
    expect(new Set(upstream.map((r) => r.peer))).toEqual(new Set([V1, V2, V3].map((i) => `${v(i).host.ip}:${P2P_PORT}`)))
    // A listening validator: all its P2P on its one port, JSON-RPC on loopback, nothing else.
    const listens = (await sockets(v(V1).host, v(V1).child!.pid)).filter((r) => r.state === 'LISTEN').map((r) => r.local)
    expect(listens.sort()).toEqual([`${v(V1).host.ip}:${P2P_PORT}`, `127.0.0.1:${RPC_PORT}`].sort())
  })

  it('finality latency through the proxy vs direct peering (printed, not asserted)', async () => {
    const samples: Record<'direct' | 'firewalled', number[]> = { direct: [], firewalled: [] }
    for (let round = 0; round < 5; round++) {
      for (const [kind, i, from] of [['direct', V1, 1], ['firewalled', V4, 2]] as const) {
        const t0 = performance.now()
        const hash = await send(i, from)
        await receipt(i, hash)
        samples[kind].push(performance.now() - t0)
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const d = median(samples.direct)
    const f = median(samples.firewalled)
    console.log(
      `finality latency, median of ${samples.direct.length} (send to receipt on the receiving node): direct ${d.toFixed(0)} ms, ` +
        `firewalled behind tinyproxy ${f.toFixed(0)} ms, extra ${(f - d).toFixed(0)} ms (${(f / d).toFixed(2)}x); ` +
        `samples direct [${samples.direct.map((x) => x.toFixed(0)).join(', ')}], firewalled [${samples.firewalled.map((x) => x.toFixed(0)).join(', ')}]`,
    )
    expect(samples.firewalled).toHaveLength(5)
  })

  it('a partition made in the namespaces (its cable pulled) heals with no manual action', async () => {
    const d = v(V4).host
    await lab.cable(d, false)
    try {
      const cut = await height(V4)
      // The other three are a quorum: the chain goes on without party D, which stays behind.
      await waitFor('the chain moving on without party D', async () => (await height(V1)) >= cut + 4)
      expect(await height(V4)).toBeLessThanOrEqual(cut + 1)
    } finally {
      await lab.cable(d, true)
    }
    const healedAt = await height(V1)
    await waitFor('party D caught up', async () => (await height(V4)) >= healedAt, 30_000)
    await waitProposes(V4, healedAt)
    const hash = await send(V4, 3)
    expect((await receipt(V1, hash)).status).toBe('0x1')
  }, 90_000)

  it('two outbound-only parties at once: party C goes behind its own firewall and proxy too (HTTPS_PROXY)', async () => {
    await stop(V3)
    await firewall(v(V3).host, proxyC)
    // Party C names its proxy the other way: the HTTPS_PROXY environment variable.
    await writeConfig(V3, firewalledConfig(V3, [V1, V2], undefined))
    await start(V3, { HTTPS_PROXY: `http://${proxyC.ip}:${PROXY_PORT}` })
    const from = await height(V1)
    await waitFor('party C peered with the two listening validators', async () => Number(await call<string>(V3, 'net_peerCount')) >= 2)
    await waitProposes(V3, from)
    await waitProposes(V4, from)
    // A transaction sent to one firewalled party is final at the other (gossip through A and B).
    const hash = await send(V3, 4)
    const atC = await receipt(V3, hash)
    expect((await receipt(V4, hash)).blockHash).toBe(atC.blockHash)
    await expectOnlyProxyConnections(V3, proxyC, 2)
    await expectOnlyProxyConnections(V4, proxyD, 2)

    // Party C's proxy restarts: its tunnels are cut, and it comes back by itself.
    const exited = new Promise((r) => proxyCProcess.once('exit', r))
    proxyCProcess.kill('SIGKILL')
    await exited
    await waitFor('party C cut off', async () => Number(await call<string>(V3, 'net_peerCount')) === 0, 20_000)
    proxyCProcess = await startTinyproxy(proxyC, PROXY_PORT, P2P_PORT)
    const back = await height(V1)
    await waitFor('party C back with both peers and at the head', async () => Number(await call<string>(V3, 'net_peerCount')) >= 2 && (await height(V3)) >= back, 30_000)
  }, 90_000)

  it('a proxy that refuses CONNECT: a clear error in the log and in readiness, no crash', async () => {
    await stop(V4)
    await allowProxy(v(V4).host, proxyD, REFUSING_PROXY_PORT)
    await writeConfig(V4, firewalledConfig(V4, [V1, V2], proxyD, REFUSING_PROXY_PORT))
    const logBefore = (await logOf(V4)).length
    await start(V4)
    type LogLine = { level: number; msg: string; url?: string; err?: string }
    const refusals = async (): Promise<LogLine[]> =>
      (await logOf(V4))
        .slice(logBefore)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine)
        .filter((l) => l.err?.includes('to CONNECT'))
    const [first] = await waitFor('the refusal in the log', async () => ((await refusals()).length ? refusals() : undefined), 15_000)
    expect(first!.level, 'logged at warn').toBe(40)
    expect(first!.msg).toBe('cannot connect to static peer; retrying')
    expect(first!.err).toMatch(/Proxy answered "HTTP\/1\.[01] 403 [^"]*" to CONNECT node\.party-[ab]\.example:30303: the proxy does not allow CONNECT/)
    const ready = await getOverSocket<{ status: string; checks: { name: string; ok: boolean; reason?: string }[] }>(v(V4).socket!, '/ready')
    expect(ready.status).toBe(503)
    const peered = ready.body.checks.find((c) => c.name === 'peered')!
    expect(peered.ok).toBe(false)
    expect(peered.reason).toContain('403')
    // Still running and answering; the other three go on.
    const at = await height(V1)
    await waitFor('the chain going on', async () => (await height(V1)) >= at + 2)
    expect(v(V4).child!.exitCode).toBeNull()
    expect(Number(await call<string>(V4, 'net_peerCount'))).toBe(0)
    // `quorate doctor` on party D's host says the same, per peer.
    const doctor = await lab.exec(v(V4).host, [process.execPath, CLI, 'doctor', '--data-dir', v(V4).node.dataDir], { allowFail: true, timeoutMs: 30_000 })
    expect(doctor.code).not.toBe(0)
    for (const i of [V1, V2]) expect(doctor.stdout).toMatch(new RegExp(`FAIL +peer ${namedUrl(i)} +not reachable: Proxy answered "HTTP/1\\.1 403`))
    // admin_nodeInfo names each unreachable peer; dialling goes on with backoff, but the same
    // refusal is logged at warn once per peer, not at every retry.
    const unreachable = await waitFor(
      'two failed dials of each peer',
      async () => {
        const list = (await call<{ p2p: { unreachablePeers: { url: string; error: string; attempts: number }[] } }>(V4, 'admin_nodeInfo')).p2p.unreachablePeers
        return list.length === 2 && list.every((p) => p.attempts >= 2) ? list : undefined
      },
      15_000,
    )
    expect(unreachable.map((p) => p.url).sort()).toEqual([namedUrl(V1), namedUrl(V2)].sort())
    for (const p of unreachable) expect(p.error).toContain('the proxy does not allow CONNECT')
    expect((await refusals()).map((l) => l.url).sort()).toEqual([namedUrl(V1), namedUrl(V2)].sort())
  }, 60_000)
})
