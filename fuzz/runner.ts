/**
 * `npm run fuzz`: runs every fuzz target (fuzz/targets) with fast-check, each in its own worker
 * thread with a bounded heap, for a number of inputs or until its time cap, and prints per target:
 * inputs, crashes, hangs, seed and time. A failing target prints its counterexample and the command
 * that replays it; the exit code is 1 when any target crashed or hung.
 *
 *   npm run fuzz -- [--runs 100000] [--seed N] [--target tx-decode,p2p-frame] [--path P]
 *                   [--time-limit 900] [--input-ms 2000] [--stall-ms 30000] [--memory-mb 512]
 */
import { Worker } from 'node:worker_threads'
import { Command, InvalidArgumentError } from 'commander'
import type { RunReport } from './lib/target.js'
import { TARGETS } from './targets/index.js'
import type { WorkerReply, WorkerRequest } from './worker.js'

interface Options {
  runs: number
  seed?: number
  target?: string[]
  path?: string
  timeLimit: number
  inputMs: number
  stallMs: number
  memoryMb: number
}

function positive(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer')
  return n
}

function integer(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer')
  return n
}

function targetList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean)
  for (const n of names) if (!TARGETS[n]) throw new InvalidArgumentError(`unknown target ${n}; targets: ${Object.keys(TARGETS).join(', ')}`)
  return names
}

/** Time a target may take to set up (the rpc target opens a node) before its first input. */
const SETUP_MS = 180_000

type Result = RunReport & { stats?: unknown }

/** Runs one target in a worker; a stalled or out-of-memory worker becomes a hang or crash report. */
function runInWorker(name: string, seed: number, opts: Options): Promise<Result> {
  const heartbeat = new SharedArrayBuffer(4)
  const beat = new Int32Array(heartbeat)
  const request: WorkerRequest = {
    target: name,
    options: { runs: opts.runs, seed, timeLimitMs: opts.timeLimit * 1000, inputMs: opts.inputMs, ...(opts.path !== undefined ? { path: opts.path } : {}) },
    heartbeat,
  }
  const started = performance.now()
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: request, resourceLimits: { maxOldGenerationSizeMb: opts.memoryMb } })
  return new Promise<Result>((resolve) => {
    let settled = false
    let last = 0
    let lastChange = performance.now()
    const finish = (r: Result): void => {
      if (settled) return
      settled = true
      clearInterval(watchdog)
      resolve(r)
    }
    const lost = (kind: 'crash' | 'hang', message: string): Result => {
      const input = Atomics.load(beat, 0)
      return {
        target: name,
        inputs: input,
        crashes: kind === 'crash' ? 1 : 0,
        hangs: kind === 'hang' ? 1 : 0,
        seed,
        ms: Math.round(performance.now() - started),
        capped: false,
        failure: { kind, message, counterexample: `input #${input} of the run`, path: String(Math.max(0, input - 1)) },
      }
    }
    const watchdog = setInterval(() => {
      const now = Atomics.load(beat, 0)
      if (now !== last) {
        last = now
        lastChange = performance.now()
      } else if (performance.now() - lastChange > (now === 0 ? SETUP_MS : opts.stallMs)) {
        void worker.terminate()
        finish(lost('hang', now === 0 ? `the target did not start within ${SETUP_MS} ms` : `no progress for ${opts.stallMs} ms: one input never returned`))
      }
    }, 500)
    worker.on('message', (reply: WorkerReply) => finish({ ...reply.report, ...(reply.stats !== undefined ? { stats: reply.stats } : {}) }))
    worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      finish(lost('crash', oom ? `the worker ran out of its ${opts.memoryMb} MiB heap: an input allocated without bound` : `the target failed outside an input: ${err.stack ?? String(err)}`))
    })
    worker.on('exit', (code) => finish(lost('crash', `the worker exited (code ${code}) without a report`)))
  })
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n)
}

async function main(): Promise<void> {
  const program = new Command('fuzz')
    .description('Fuzz the decoders and parsers that take untrusted input (transactions, QBFT messages, P2P frames and handshake, JSON-RPC)')
    .option('--runs <n>', 'inputs per target', positive, 100_000)
    .option('--seed <n>', 'fast-check seed (default: random, printed)', integer)
    .option('--target <names>', `comma-separated targets (default: all): ${Object.keys(TARGETS).join(', ')}`, targetList)
    .option('--path <path>', 'fast-check replay path of a counterexample (with --seed and one --target)')
    .option('--time-limit <s>', 'time cap per target in seconds; the inputs done by then are reported', positive, 900)
    .option('--input-ms <ms>', 'one input taking longer than this is a hang', positive, 2_000)
    .option('--stall-ms <ms>', 'a target making no progress this long is stopped and reported as a hang', positive, 30_000)
    .option('--memory-mb <mb>', 'heap limit of each target worker; exceeding it is a crash', positive, 512)
    .parse()
  const opts = program.opts<Options>()
  const names = opts.target ?? Object.keys(TARGETS)
  if (opts.path !== undefined && (opts.seed === undefined || names.length !== 1)) program.error('--path needs --seed and exactly one --target')

  const results: Result[] = []
  for (const name of names) {
    const seed = opts.seed ?? (Math.random() * 0x7fffffff) | 0
    process.stdout.write(`fuzz ${name}: up to ${opts.runs} inputs or ${opts.timeLimit} s, seed ${seed}\n`)
    const r = await runInWorker(name, seed, opts)
    results.push(r)
    process.stdout.write(`  ${r.inputs} inputs, ${r.crashes} crashes, ${r.hangs} hangs in ${(r.ms / 1000).toFixed(1)} s${r.capped ? ' (time cap)' : ''}\n`)
    if (r.stats !== undefined) process.stdout.write(`  outcomes: ${JSON.stringify(r.stats)}\n`)
  }

  process.stdout.write(`\n${'target'.padEnd(16)}${pad('inputs', 9)}${pad('crashes', 9)}${pad('hangs', 7)}${pad('seed', 12)}${pad('time s', 9)}\n`)
  for (const r of results) {
    process.stdout.write(`${r.target.padEnd(16)}${pad(r.inputs, 9)}${pad(r.crashes, 9)}${pad(r.hangs, 7)}${pad(r.seed, 12)}${pad((r.ms / 1000).toFixed(1), 9)}\n`)
  }
  const failed = results.filter((r) => r.failure)
  for (const r of failed) {
    const f = r.failure!
    process.stdout.write(`\n${f.kind.toUpperCase()} in ${r.target}: ${f.message}\n  counterexample: ${f.counterexample}\n`)
    process.stdout.write(`  replay: npm run fuzz -- --target ${r.target} --seed ${r.seed} --path ${f.path}\n`)
  }
  process.exitCode = failed.length > 0 ? 1 : 0
}

await main()
