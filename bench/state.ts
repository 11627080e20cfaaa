/**
 * `npm run bench:state`: the same ERC-20 transfer workload on a one-validator Quorate node whose
 * state holds 10k, 100k and 1M funded accounts, one size after the other in the same run. The
 * accounts are in the genesis allocation (what a consortium that migrates balances would write),
 * so the genesis file of 1M accounts is about 80 MB; the time the node takes to load it is shown.
 *
 * Per size: tx/s of the workload, CPU of the node process per transaction (user + system, over the
 * measured transfers, as /proc reads it), its resident memory after the run (and peak), and the
 * size of its chain database. Last, the ratio of CPU per transaction at the largest size to the
 * smallest (goal: at most 1.5).
 *
 *   node dist/bench/state.js                       # 10k, 100k, 1M accounts
 *   node dist/bench/state.js --accounts 10000 --accounts 100000 --tx 1000
 */
import { readFile, readdir, rm, stat, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { keccak256 } from '../src/crypto/native.js'
import { bytesToHex } from '../src/crypto/keys.js'
import { parseWith } from '../src/validation.js'
import { runErc20Bench, type Erc20BenchResult } from './lib/erc20-bench.js'
import { initDevChain, startNodeProcess } from './lib/quorate-node.js'
import { addWorkloadFlags, describeError, runMain, workloadFlagsSchema, workloadOf } from './lib/run-targets.js'

const optionsSchema = workloadFlagsSchema.extend({
  accounts: z.array(z.coerce.number().int().min(0)),
  blockPeriodMs: z.coerce.number().int().min(50),
  keep: z.boolean().optional(),
})

interface StateSizeResult {
  accounts: number
  genesisBytes: number
  /** Spawn → the node answers RPC (the genesis loaded and written). */
  startMs: number
  run: Erc20BenchResult
  /** CPU time (user + system) of the node process over the measured transfers, ms. */
  cpuMs: number
  cpuPerTxUs: number
  rssMb: number
  peakRssMb: number
  diskMb: number
}

/** The address of funded account `i`: deterministic, spread over the key space as real ones are. */
function fundedAddress(i: number): string {
  const seed = new Uint8Array(8)
  new DataView(seed.buffer).setUint32(4, i)
  return bytesToHex(keccak256(seed).subarray(12))
}

/** utime + stime of a process, ms (Linux /proc). */
async function cpuMsOf(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks * 1000) / 100 // USER_HZ is 100 on Linux
}

async function memoryMbOf(pid: number): Promise<{ rss: number; peak: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path)
  if (!s.isDirectory()) return s.size
  let total = 0
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry))
  return total
}

async function measureSize(accounts: number, opts: z.output<typeof optionsSchema>, log: (m: string) => void): Promise<StateSizeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-state-'))
  let node: Awaited<ReturnType<typeof startNodeProcess>> | undefined
  try {
    const chain = await initDevChain(dir, { blockPeriodMs: opts.blockPeriodMs, config: { logLevel: 'warn' } })
    // The dev accounts stay (the funder is one); the funded accounts are added to the allocation.
    const genesisFile = join(dir, 'genesis.json')
    const genesis = JSON.parse(await readFile(genesisFile, 'utf8')) as { alloc: Record<string, { balance: string }> }
    for (let i = 0; i < accounts; i++) genesis.alloc[fundedAddress(i)] = { balance: '1000000000000000000' }
    const json = JSON.stringify(genesis)
    await writeFile(genesisFile, json)
    log(`${accounts} accounts: genesis ${(json.length / 1e6).toFixed(1)} MB; starting the node`)
    const started = performance.now()
    node = await startNodeProcess(dir, chain.rpcPort, { readyTimeoutMs: 1_800_000 })
    const startMs = performance.now() - started
    const pid = node.child.pid
    if (pid === undefined) throw new Error('the node process has no pid')
    let cpuAtStart = Number.NaN
    const run = await runErc20Bench({
      rpcUrl: node.rpcUrl,
      ...workloadOf(opts),
      log: (m) => {
        // The workload says so just before the measured transfers start.
        if (m.startsWith('measuring')) void cpuMsOf(pid).then((ms) => (cpuAtStart = ms))
        log(`  ${m}`)
      },
    })
    const cpuMs = (await cpuMsOf(pid)) - cpuAtStart
    const memory = await memoryMbOf(pid)
    await node.stop()
    node = undefined
    const diskMb = (await sizeOf(join(dir, 'chain'))) / 1024 / 1024
    return { accounts, genesisBytes: json.length, startMs, run, cpuMs, cpuPerTxUs: (cpuMs * 1000) / run.succeeded, rssMb: memory.rss, peakRssMb: memory.peak, diskMb }
  } finally {
    await node?.stop()
    if (!opts.keep) await rm(dir, { recursive: true, force: true })
    else log(`  data kept in ${dir}`)
  }
}

function formatStateTable(rows: StateSizeResult[]): string {
  const header = ['accounts', 'genesis MB', 'start s', 'tx', 'ok', 'tx/s', 'p95 ms', 'node CPU ms', 'CPU µs/tx', 'RSS MB', 'peak RSS MB', 'disk MB']
  const body = rows.map((r) => [
    String(r.accounts),
    (r.genesisBytes / 1e6).toFixed(1),
    (r.startMs / 1000).toFixed(1),
    String(r.run.txCount),
    String(r.run.succeeded),
    r.run.txPerSecond.toFixed(1),
    r.run.latencyMs.p95.toFixed(0),
    r.cpuMs.toFixed(0),
    r.cpuPerTxUs.toFixed(0),
    r.rssMb.toFixed(0),
    r.peakRssMb.toFixed(0),
    r.diskMb.toFixed(1),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  return [header, ...body].map((row) => row.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n')
}

async function main(argv: string[]): Promise<number> {
  const program = addWorkloadFlags(new Command('bench:state').description('ERC-20 transfers on a node with 10k, 100k and 1M funded accounts in its state'), {
    tx: 2000,
    senders: 20,
    timeoutSeconds: 900,
  })
    .option('--accounts <n>', 'funded accounts in the genesis; repeatable (default 10000, 100000, 1000000)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--block-period-ms <ms>', 'block period of the node', '200')
    .option('--keep', 'keep each data folder (printed) instead of removing it')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const sizes = opts.accounts.length > 0 ? opts.accounts : [10_000, 100_000, 1_000_000]
  const log = (m: string): void => void process.stderr.write(`${m}\n`)
  const rows: StateSizeResult[] = []
  let failed = false
  for (const accounts of sizes) {
    // One more attempt after a failure: on a loaded machine a first request can meet a closed socket.
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        rows.push(await measureSize(accounts, opts, log))
        break
      } catch (err) {
        log(`${accounts} accounts: attempt ${attempt} failed: ${describeError(err)}`)
        if (attempt === 2) failed = true
      }
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`)
  } else if (rows.length > 0) {
    process.stdout.write(`\nERC-20 transfers: ${opts.tx} per size, ${opts.senders} senders, block period ${opts.blockPeriodMs} ms\n${formatStateTable(rows)}\n`)
    const first = rows[0]!
    const last = rows.at(-1)!
    if (rows.length > 1) {
      const ratio = last.cpuPerTxUs / first.cpuPerTxUs
      process.stdout.write(`CPU per tx at ${last.accounts} accounts / at ${first.accounts}: ${ratio.toFixed(2)}x (goal <= 1.5x); tx/s ratio ${(last.run.txPerSecond / first.run.txPerSecond).toFixed(2)}x\n`)
    }
  }
  return failed ? 1 : 0
}

runMain('bench:state', main)
