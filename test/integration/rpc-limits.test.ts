/**
 * Issue #9 findings against a real node process, each now bounded:
 * - a batch of full-block reads bigger than the response budget answers -32005 for the rest
 *   instead of building gigabytes (it ran 134 s, reached 2.8 GB and ended in HTTP 500);
 * - 100 WebSocket clients that stop reading and keep sending batches of 1,000 full-block reads
 *   leave the node's memory bounded and the node serving (it died of heap exhaustion);
 * - one client cannot fill the node-wide filter table;
 * - ~20,000 idle sockets do not lock a new client out (they exhausted the file limit for 60 s).
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { TxSender } from '../helpers/governance.js'
import { initDevChain, rpc, startNodeProcess, waitFor, type NodeProcess } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'
import type { Hex } from '../../src/types.js'

const GB = 1024 ** 3
/** A probe not answered by then counts as the node not serving. */
const PROBE_TIMEOUT_MS = 10_000
const FLOOD = fileURLToPath(new URL('../helpers/ws-flood.mjs', import.meta.url))
let tmp: Awaited<ReturnType<typeof tempDir>>
let node: NodeProcess
/** The number (hex) of a block of ~25 transactions with 120 KB of calldata each: ~6 MB as JSON with full transactions. */
let heavy: Hex

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!
  return Number(line.replace(/\D+/g, '')) * 1024
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

async function post(body: unknown, timeoutMs = 30_000): Promise<{ status: number; json: unknown }> {
  const res = await fetch(node.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) })
  return { status: res.status, json: await res.json() }
}

/** eth_blockNumber over a fresh connection, in ms (throws after `timeoutMs`). */
async function probe(timeoutMs = 5000, url = node.rpcUrl): Promise<number> {
  const started = Date.now()
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await res.json()) as { result?: string }
  if (typeof body.result !== 'string') throw new Error(`eth_blockNumber answered ${JSON.stringify(body)}`)
  return Date.now() - started
}

const fullBlockBatch = (n: number): object[] => Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: [heavy, true] }))

/** A one-node dev chain in a temp folder, its RPC on a free port. */
async function startRpcNode(): Promise<{ tmp: Awaited<ReturnType<typeof tempDir>>; node: NodeProcess; chain: Awaited<ReturnType<typeof initDevChain>> }> {
  const tmp = await tempDir()
  const chain = await initDevChain(tmp.dir, { blockPeriodMs: 1000, config: { rpc: { port: 0 } } })
  const cfg = JSON.parse(readFileSync(`${tmp.dir}/config.json`, 'utf8')) as { rpc: { port: number } }
  cfg.rpc.port = chain.rpcPort
  writeFileSync(`${tmp.dir}/config.json`, JSON.stringify(cfg))
  return { tmp, node: await startNodeProcess(tmp.dir, chain.rpcPort), chain }
}

beforeAll(async () => {
  const started = await startRpcNode()
  tmp = started.tmp
  node = started.node
  const chain = started.chain
  const sender = new TxSender(chain.accounts[0]!)
  const data = `0x${'ff'.repeat(120_000)}` as Hex
  // Pre-signed and sent at once, so that they wait in the pool together and fill a block even on a
  // busy machine (sent one after the other, they spread over several blocks).
  const raws: Hex[] = []
  for (let i = 0; i < 25; i++) raws.push(await sender.signNext(node.rpcUrl, { to: chain.accounts[1]!.address, data, gas: 2_000_000n }))
  const hashes = await Promise.all(raws.map((raw) => rpc<Hex>(node.rpcUrl, 'eth_sendRawTransaction', [raw])))
  // The block holding the most of them.
  const counts = new Map<string, number>()
  for (const h of hashes) {
    for (;;) {
      const r = await rpc<{ blockNumber: Hex } | null>(node.rpcUrl, 'eth_getTransactionReceipt', [h])
      if (r) {
        counts.set(r.blockNumber, (counts.get(r.blockNumber) ?? 0) + 1)
        break
      }
      await new Promise((res) => setTimeout(res, 100))
    }
  }
  heavy = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0] as Hex
  expect(counts.get(heavy)).toBeGreaterThanOrEqual(10)
}, 120_000)

afterAll(async () => {
  await node?.stop()
  await tmp?.cleanup()
})

describe('JSON-RPC limits on a real node (issue #9)', () => {
  it('a batch of 1,000 full-block reads past the 25 MiB budget answers -32005 for the rest, quickly and without the memory exploding', async () => {
    const started = Date.now()
    const { status, json } = await post(fullBlockBatch(1000))
    expect(status).toBe(200)
    const out = json as { id: number; result?: unknown; error?: { code: number; message: string } }[]
    expect(out).toHaveLength(1000)
    const answered = out.filter((r) => r.result !== undefined).length
    expect(answered).toBeGreaterThan(0)
    expect(answered).toBeLessThan(20)
    expect(out.slice(answered).every((r) => r.error?.code === -32005)).toBe(true)
    expect(out[999]!.error!.message).toMatch(/rpc\.maxResponseBytes/)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(rssBytes(node.child.pid!)).toBeLessThan(GB)
    await probe()
  }, 60_000)

  it('one client cannot fill the filter table: 100 filters per WebSocket connection, freed when it closes', async () => {
    const ws = new WebSocket(node.wsUrl)
    await new Promise((r) => ws.once('open', r))
    const replies: { id: number; result?: string; error?: { code: number; message: string } }[] = []
    ws.on('message', (d) => replies.push(...([JSON.parse(String(d))].flat() as typeof replies)))
    ws.send(JSON.stringify(Array.from({ length: 150 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_newBlockFilter', params: [] }))))
    await new Promise<void>((r) => { const t = setInterval(() => { if (replies.length >= 150) { clearInterval(t); r() } }, 20) })
    expect(replies.filter((r) => typeof r.result === 'string')).toHaveLength(100)
    const refused = replies.filter((r) => r.error)
    expect(refused).toHaveLength(50)
    expect(refused[0]!.error).toMatchObject({ code: -32005, message: expect.stringMatching(/rpc\.maxFiltersPerClient/) })
    // Another client is not affected; and HTTP clients are counted per address.
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'eth_newBlockFilter', params: [] })).json).toMatchObject({ result: expect.any(String) })
    const first = replies.find((r) => r.id === 0)!.result!
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'eth_getFilterChanges', params: [first] })).json).toMatchObject({ result: expect.any(Array) })
    ws.terminate()
    // A closed connection's filters are gone.
    await waitFor('the closed connection\'s filters to go', async () => {
      const { json } = await post({ jsonrpc: '2.0', id: 1, method: 'eth_getFilterChanges', params: [first] })
      return (json as { error?: { code: number } }).error?.code === -32001
    }, 5000)
  }, 30_000)

  it('100 WebSocket clients that stop reading and flood batches of full-block reads leave RSS bounded and the node serving', async () => {
    const batchFile = join(tmp.dir, 'flood-batch.json')
    writeFileSync(batchFile, JSON.stringify(fullBlockBatch(1000)))
    // From another process and address than the probes: per-address limits are what keep the node
    // serving others, and the probes must time the node, not a flooding event loop of their own.
    const flood = spawn(process.execPath, [FLOOD, node.wsUrl, '127.0.0.5', '100', batchFile], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    flood.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<void>((resolve) => flood.once('exit', () => resolve()))
    const rss: number[] = []
    const probes: number[] = []
    try {
      const until = Date.now() + 30_000
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250))
        rss.push(rssBytes(node.child.pid!))
        probes.push(await probe(PROBE_TIMEOUT_MS).catch(() => Infinity))
      }
    } finally {
      flood.kill('SIGTERM')
      await exited
    }
    const { connects, drops } = JSON.parse(out) as { connects: number; drops: number }
    const sorted = [...probes].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]!
    const p90 = sorted[Math.floor(sorted.length * 0.9)]!
    console.log(`flood: RSS max ${(Math.max(...rss) / 2 ** 20).toFixed(0)} MiB; eth_blockNumber median ${median} ms, p90 ${p90} ms, slowest ${sorted.at(-1)} ms over ${probes.length} probes; ${connects} connections, ${drops} dropped`)
    // Unbounded, this attack took the node to 4.4 GB and killed it, and no probe was answered. Bounded,
    // what RSS shows beyond the bounded work and unsent responses is garbage V8 collects lazily under
    // its default heap limit (1.1–1.6 GiB measured here; under 0.9 GiB with --max-old-space-size=768,
    // see docs/operations.md "Memory").
    expect(Math.max(...rss)).toBeLessThan(2 * GB)
    // Serving: every probe is answered (the figures above are printed, not asserted: this machine is
    // shared). Before each client got a turn between another address's messages and between a
    // batch's items, probes went unanswered for 9–30 s; test/unit/rpc/limits.test.ts holds the turns.
    expect(probes.filter((ms) => ms === Infinity)).toHaveLength(0)
    expect(drops).toBeGreaterThan(0) // non-readers are dropped, not kept
    await probe(15_000)
  }, 60_000)
})

// Its own node: the attack's tail (thousands of dead connections that the kernel keeps handing to
// the listen backlog for up to a minute after the attackers are gone) must not slow other tests.
describe('JSON-RPC socket limits on a real node (issue #9)', () => {
  let idle: Awaited<ReturnType<typeof startRpcNode>>
  beforeAll(async () => {
    idle = await startRpcNode()
  }, 60_000)
  afterAll(async () => {
    await idle?.node.stop()
    await idle?.tmp.cleanup()
  })

  it('~20,000 idle sockets do not lock out a new client, and the node holds a bounded number of them', async () => {
    const port = Number(new URL(idle.node.rpcUrl).port)
    // Two child processes (this process and the node have 20,000 descriptors each), from other loopback addresses.
    const script = `
      const net = require('node:net')
      const [port, count, local] = process.argv.slice(1).map((v, i) => (i < 2 ? Number(v) : v))
      let open = 0, made = 0, closedByServer = 0
      const one = () => {
        made++
        const s = net.connect({ host: '127.0.0.1', port, localAddress: local })
        s.on('connect', () => open++)
        s.on('error', () => {})
        s.on('close', (hadError) => { open--; closedByServer++ })
      }
      ;(async () => {
        for (let i = 0; i < count; i++) { one(); if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20)) }
        process.stdout.write(JSON.stringify({ made, closedByServer }) + '\\n')
        setInterval(() => {}, 1000)
      })()
    `
    const kids = ['127.0.0.2', '127.0.0.3'].map((local) => spawn(process.execPath, ['-e', script, String(port), '10000', local], { stdio: ['ignore', 'pipe', 'inherit'] }))
    try {
      const reports = await Promise.all(
        kids.map((k) => new Promise<{ made: number; closedByServer: number }>((resolve) => k.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as { made: number; closedByServer: number })))),
      )
      expect(reports.reduce((n, r) => n + r.made, 0)).toBe(20_000)
      // The attack is in place: the node holds at most rpc.maxConnections of them.
      expect(openFds(idle.node.child.pid!)).toBeLessThan(1500)
      // Locked out, every client waited 60 s; now a new one is answered as soon as the burst is accepted.
      const started = Date.now()
      await waitFor('a new client to be answered', async () => (await probe(5000, idle.node.rpcUrl)) > 0, 15_000)
      expect(Date.now() - started).toBeLessThan(15_000)
      const metrics = await (await fetch(new URL('/metrics', idle.node.rpcUrl))).text()
      expect(metrics).toMatch(/quorate_rpc_refused_total\{reason="idle_evicted"\} [1-9]/)
    } finally {
      await Promise.all(kids.map((k) => new Promise((resolve) => (k.exitCode !== null || k.signalCode !== null ? resolve(null) : (k.once('exit', resolve), k.kill('SIGKILL'))))))
    }
    // Refusals and evictions did not flood the log.
    const log = readFileSync(`${idle.tmp.dir}/node.log`, 'utf8')
    expect(log.split('\n').filter((l) => l.includes('connection refused')).length).toBeLessThan(50)
  }, 60_000)
})
