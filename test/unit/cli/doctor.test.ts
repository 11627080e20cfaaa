/**
 * `quorate doctor` on real temp data folders made like `quorate init` does, with real sockets on
 * loopback for busy ports, peers and a CONNECT proxy.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatDoctorReport, runDoctor, runDoctorCommand, type CheckResult, type DoctorReport } from '../../../src/cli/doctor.js'
import { generateTlsIdentity } from '../../../src/network/tls.js'
import { createNodeKeys, writeNodeFiles } from '../../../src/node/init.js'
import type { NodeConfigInput } from '../../../src/node/config.js'
import { tempDir } from '../../helpers/tmp.js'
import { closedPort, startConnectProxy, startFakeNode, startTcpListener } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
const cleanups: (() => Promise<void>)[] = []

beforeEach(async () => {
  tmp = await tempDir('quorate-doctor-')
})

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
  await tmp.cleanup()
})

interface Made {
  dir: string
  address: string
  rpcPort: number
  p2pPort: number
}

async function makeNode(config: (ports: { rpcPort: number; p2pPort: number }) => NodeConfigInput = ({ rpcPort, p2pPort }) => ({
  name: 'pensionfund',
  rpc: { port: rpcPort },
  p2p: { listen: { host: '127.0.0.1', port: p2pPort } },
})): Promise<Made> {
  const dir = join(tmp.dir, 'node')
  const { address } = await createNodeKeys(dir)
  const rpcPort = await closedPort()
  const p2pPort = await closedPort()
  await writeNodeFiles(dir, { config: { chainId: 1337 }, validators: [address] }, config({ rpcPort, p2pPort }))
  return { dir, address, rpcPort, p2pPort }
}

/** No disk thresholds: the machine's free space must not decide these tests. */
const doctor = (dataDir: string, extra: Partial<Parameters<typeof runDoctor>[0]> = {}) =>
  runDoctor({ dataDir, diskWarnBytes: 0, diskFailBytes: 0, timeoutMs: 1000, env: {}, ...extra })

function check(report: DoctorReport, id: string): CheckResult {
  const found = report.checks.find((c) => c.id === id)
  if (!found) throw new Error(`no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`)
  return found
}

describe('quorate doctor', () => {
  it('passes a fresh, stopped node folder, with ports free and the clock not measured', async () => {
    const node = await makeNode()
    const report = await doctor(node.dir)
    expect(report.ok).toBe(true)
    expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([])
    expect(check(report, 'config').message).toContain('"pensionfund"')
    expect(check(report, 'node-key').message).toContain(node.address)
    expect(check(report, 'node-key').message).toContain('0600')
    expect(check(report, 'genesis').message).toContain('this node is a genesis validator')
    expect(check(report, 'tls').message).toContain('matching pair')
    expect(check(report, 'node').message).toContain('not running')
    expect(check(report, 'rpc-port').message).toBe(`127.0.0.1:${node.rpcPort} is free`)
    expect(check(report, 'p2p-port').message).toBe(`127.0.0.1:${node.p2pPort} is free`)
    expect(check(report, 'clock').status).toBe('skip')
    expect(check(report, 'disk').status).toBe('ok')
  })

  it('names the bad field of config.json, skips what depends on it, and exits 1', async () => {
    const node = await makeNode()
    const file = join(node.dir, 'config.json')
    const config = JSON.parse(await readFile(file, 'utf8')) as { rpc: { port: unknown } }
    config.rpc.port = 'eight'
    await writeFile(file, JSON.stringify(config))
    const lines: string[] = []
    const code = await runDoctorCommand({ dataDir: node.dir, diskWarnBytes: 0, diskFailBytes: 0, env: {} }, { out: (t) => lines.push(t) })
    expect(code).toBe(1)
    const report = await doctor(node.dir)
    const c = check(report, 'config')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('rpc.port')
    expect(c.fix).toContain('"rpc.port"')
    expect(check(report, 'node-key').status).toBe('skip')
    expect(check(report, 'rpc-port').status).toBe('skip')
    expect(lines.join('')).toMatch(/^FAIL\s+config\s+rpc\.port: .* -> fix: correct the field "rpc\.port"/m)
  })

  it('reports a config.json that is not JSON', async () => {
    const node = await makeNode()
    await writeFile(join(node.dir, 'config.json'), '{ "name": ')
    const c = check(await doctor(node.dir), 'config')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('not valid JSON')
  })

  it('fails a world-readable node key and warns on a group-readable one, with the chmod to run', async () => {
    const node = await makeNode()
    const key = join(node.dir, 'node.key')
    await chmod(key, 0o644)
    let report = await doctor(node.dir)
    let c = check(report, 'node-key')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('readable by every user (mode 0644)')
    expect(c.fix).toBe(`chmod 600 ${key}`)
    expect(report.ok).toBe(false)
    await chmod(key, 0o640)
    report = await doctor(node.dir)
    c = check(report, 'node-key')
    expect(c.status).toBe('warn')
    expect(c.message).toContain('mode 0640')
    expect(report.ok).toBe(true)
  })

  it('fails a node key that is not a valid key, and a missing one', async () => {
    const node = await makeNode()
    const key = join(node.dir, 'node.key')
    await writeFile(key, '0x1234\n', { mode: 0o600 })
    let c = check(await doctor(node.dir), 'node-key')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('32-byte hex private key')
    await writeFile(key, `0x${'0'.repeat(64)}\n`, { mode: 0o600 })
    c = check(await doctor(node.dir), 'node-key')
    expect(c.message).toContain('not hold a valid secp256k1 private key')
    await rm(key)
    c = check(await doctor(node.dir), 'node-key')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('cannot read the node key')
    expect(c.fix).toContain('backup')
  })

  it('names the bad field of the genesis', async () => {
    const node = await makeNode()
    await writeFile(join(node.dir, 'genesis.json'), JSON.stringify({ config: { chainId: 1337 }, validators: ['0x12'] }))
    const c = check(await doctor(node.dir), 'genesis')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('validators.0')
  })

  it('fails a TLS key that does not belong to the certificate', async () => {
    const node = await makeNode()
    const other = await generateTlsIdentity('someone-else')
    await writeFile(join(node.dir, 'tls.key'), other.keyPem, { mode: 0o600 })
    const c = check(await doctor(node.dir), 'tls')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('is not the key of')
    expect(c.fix).toContain('openssl req -x509')
  })

  it('fails a TLS file that is missing or not PEM when the node listens, and needs none when it only dials out', async () => {
    const node = await makeNode()
    await writeFile(join(node.dir, 'tls.crt'), 'not a certificate')
    let c = check(await doctor(node.dir), 'tls')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('not a PEM certificate')
    await rm(join(node.dir, 'tls.crt'))
    c = check(await doctor(node.dir), 'tls')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('ENOENT')
    await writeFile(join(node.dir, 'config.json'), JSON.stringify({ rpc: { port: node.rpcPort } }))
    const report = await doctor(node.dir)
    expect(check(report, 'tls')).toMatchObject({ status: 'ok', message: expect.stringContaining('not needed') })
    expect(check(report, 'p2p-port').message).toContain('only dials out')
  })

  it('fails ports that another process holds', async () => {
    const rpc = await startTcpListener()
    const p2p = await startTcpListener()
    cleanups.push(rpc.close, p2p.close)
    const node = await makeNode(() => ({ rpc: { port: rpc.port }, p2p: { listen: { host: '127.0.0.1', port: p2p.port } } }))
    const report = await doctor(node.dir, { timeoutMs: 300 })
    const r = check(report, 'rpc-port')
    expect(r.status).toBe('fail')
    expect(r.message).toContain(`127.0.0.1:${rpc.port} is in use by another process`)
    expect(r.fix).toContain('rpc.port')
    const p = check(report, 'p2p-port')
    expect(p.status).toBe('fail')
    expect(p.fix).toContain('p2p.listen.port')
    expect(check(report, 'node').message).toContain('something else')
    expect(report.ok).toBe(false)
  })

  it('explains a port held as the source port of an outgoing connection instead of calling it busy', async () => {
    const server = await startTcpListener()
    cleanups.push(server.close)
    const client = connect({ host: '127.0.0.1', port: server.port })
    await new Promise((res) => client.once('connect', res))
    cleanups.push(async () => void client.destroy())
    const sourcePort = client.localPort!
    const node = await makeNode(({ p2pPort }) => ({ rpc: { port: sourcePort }, p2p: { listen: { host: '127.0.0.1', port: p2pPort } } }))
    const c = check(await doctor(node.dir), 'rpc-port')
    if (process.platform === 'linux') {
      // Linux refuses to listen there; nothing listens, and the port is in the ephemeral range.
      expect(c.status).toBe('warn')
      expect(c.message).toContain('source port')
      expect(c.fix).toMatch(/choose a rpc\.port below \d+/)
    } else {
      expect(['ok', 'warn']).toContain(c.status)
    }
  })

  it('tells this node from another Quorate node answering on the RPC port', async () => {
    const node = await makeNode()
    const info = (id: string) => ({ id, name: 'x', listenAddr: `wss://127.0.0.1:${node.p2pPort}`, genesis: '0x01', head: { number: '0x5', hash: '0x02' } })
    const other = await startFakeNode({ methods: { admin_nodeInfo: () => info('0x1111111111111111111111111111111111111111') } })
    cleanups.push(other.close)
    await writeFile(join(node.dir, 'config.json'), JSON.stringify({ rpc: { port: other.port }, p2p: { listen: { host: '127.0.0.1', port: node.p2pPort } } }))
    let report = await doctor(node.dir)
    expect(check(report, 'rpc-port')).toMatchObject({ status: 'fail', message: expect.stringContaining('another Quorate node (0x1111') })
    await other.close()

    // Answers as this node: its ports are "in use by this node", and a changed genesis.json is caught.
    const self = await startFakeNode({ methods: { admin_nodeInfo: () => info(node.address), eth_getBlockByNumber: () => ({ number: '0x5', timestamp: `0x${Math.floor(Date.now() / 1000).toString(16)}` }) } })
    cleanups.push(self.close)
    await writeFile(join(node.dir, 'config.json'), JSON.stringify({ rpc: { port: self.port }, p2p: { listen: { host: '127.0.0.1', port: node.p2pPort } } }))
    report = await doctor(node.dir)
    expect(check(report, 'node').message).toContain('running')
    expect(check(report, 'rpc-port').message).toContain('in use by this node')
    expect(check(report, 'p2p-port').message).toContain('in use by this node')
    expect(check(report, 'genesis-running')).toMatchObject({ status: 'fail', message: expect.stringContaining('GENESIS_MISMATCH') })
    expect(check(report, 'clock').status).toBe('ok')
  })

  it('says which peers are reachable, and fails when none is', async () => {
    const up = await startTcpListener()
    cleanups.push(up.close)
    const down = await closedPort()
    const node = await makeNode(({ rpcPort }) => ({
      rpc: { port: rpcPort },
      p2p: { peers: [{ url: `wss://127.0.0.1:${up.port}` }, { url: `wss://127.0.0.1:${down}` }] },
    }))
    let report = await doctor(node.dir)
    expect(check(report, `peer:wss://127.0.0.1:${up.port}`)).toMatchObject({ status: 'ok', message: 'reachable (direct TCP)' })
    const d = check(report, `peer:wss://127.0.0.1:${down}`)
    expect(d.status).toBe('warn')
    expect(d.message).toContain('ECONNREFUSED')
    expect(d.fix).toContain('whether its node runs')
    expect(up.accepted()).toBe(1)
    await up.close()
    report = await doctor(node.dir)
    expect(check(report, `peer:wss://127.0.0.1:${up.port}`).status).toBe('fail')
    expect(check(report, `peer:wss://127.0.0.1:${down}`).fix).toContain('cut off')
    expect(report.ok).toBe(false)
  })

  it('dials peers through the proxy of HTTPS_PROXY with CONNECT, and fails an unreachable proxy', async () => {
    const peer = await startTcpListener()
    const proxy = await startConnectProxy()
    cleanups.push(peer.close, proxy.close)
    const node = await makeNode(({ rpcPort }) => ({ rpc: { port: rpcPort }, p2p: { peers: [{ url: `wss://127.0.0.1:${peer.port}` }] } }))
    let report = await doctor(node.dir, { env: { HTTPS_PROXY: proxy.url } })
    expect(check(report, 'proxy')).toMatchObject({ status: 'ok', message: expect.stringContaining('from HTTPS_PROXY) is reachable') })
    expect(check(report, `peer:wss://127.0.0.1:${peer.port}`).message).toContain('through the proxy')
    expect(proxy.targets).toEqual([`127.0.0.1:${peer.port}`])
    expect(peer.accepted()).toBe(1)

    const deadProxy = `http://127.0.0.1:${await closedPort()}`
    await writeFile(join(node.dir, 'config.json'), JSON.stringify({ rpc: { port: node.rpcPort }, p2p: { proxy: deadProxy, peers: [{ url: `wss://127.0.0.1:${peer.port}` }] } }))
    report = await doctor(node.dir, { env: { HTTPS_PROXY: proxy.url } })
    const p = check(report, 'proxy')
    expect(p.status).toBe('fail')
    expect(p.message).toContain('from p2p.proxy')
    expect(check(report, `peer:wss://127.0.0.1:${peer.port}`).message).toContain('Cannot reach proxy')
  })

  it('compares the clock and genesis with a peer RPC given with --peer-rpc', async () => {
    const node = await makeNode()
    const peer = await startFakeNode({ methods: { admin_nodeInfo: () => ({ id: '0x2222222222222222222222222222222222222222', name: 'peer', genesis: '0xabc' }) } })
    cleanups.push(peer.close)
    const report = await doctor(node.dir, { peerRpc: [peer.url] })
    expect(check(report, `clock:${peer.url}`)).toMatchObject({ status: 'ok', message: expect.stringMatching(/this clock is \d+\.\d s (ahead of|behind)/) })
    expect(check(report, `genesis:${peer.url}`)).toMatchObject({ status: 'fail', message: expect.stringContaining('the peer runs 0xabc') })
    expect(report.checks.some((c) => c.id === 'clock')).toBe(false)
  })

  it('warns and fails on low disk space by the thresholds', async () => {
    const node = await makeNode()
    expect(check(await doctor(node.dir, { diskWarnBytes: Number.MAX_SAFE_INTEGER }), 'disk').status).toBe('warn')
    expect(check(await doctor(node.dir, { diskFailBytes: Number.MAX_SAFE_INTEGER }), 'disk').status).toBe('fail')
  })

  it('stops at a data folder that does not exist', async () => {
    const report = await doctor(join(tmp.dir, 'nowhere'))
    expect(report.checks).toHaveLength(1)
    expect(report.checks[0]).toMatchObject({ id: 'data-dir', status: 'fail', fix: expect.stringContaining('quorate init') })
    await mkdir(join(tmp.dir, 'empty'))
    const empty = await doctor(join(tmp.dir, 'empty'))
    expect(check(empty, 'data-dir').status).toBe('ok')
    expect(check(empty, 'config').message).toContain('no config.json')
  })

  it('prints one line per check and a summary', async () => {
    const node = await makeNode()
    await chmod(join(node.dir, 'node.key'), 0o604)
    const report = await doctor(node.dir)
    const text = formatDoctorReport(report)
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toBe(`quorate doctor: ${node.dir}`)
    expect(lines).toHaveLength(report.checks.length + 2)
    expect(lines.slice(1, -1).every((l) => /^(OK|WARN|FAIL|SKIP)\s/.test(l))).toBe(true)
    expect(lines.at(-1)).toMatch(/^1 FAIL, 0 WARN: fix the FAIL lines/)
    expect(text).not.toContain('\u001b')
  })
})
