/**
 * The driver shared by the `bench:*` entry points: the workload flags, and `runBenchTargets`, which
 * starts each target in turn (the machines have few cores, so targets never run at once), runs the
 * same ERC-20 workload on it with fresh senders, stops it, and collects the rows that report.ts
 * prints side by side with the ratio to Hardhat. Entry points only choose their targets.
 */
import type { Command } from 'commander'
import { z } from 'zod'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { errorMessage } from '../../src/errors.js'
import type { Hex } from '../../src/types.js'
import { runErc20Bench } from './erc20-bench.js'
import { totalCpuSeconds } from './process-cpu.js'
import { formatJson, formatTable, type LabelledResult } from './report.js'
import type { BenchTarget, RunningTarget } from './targets.js'

export interface WorkloadOptions {
  funderKey: Hex
  txCount: number
  senders: number
  pollMs: number
  /** Per target, set-up included. */
  timeoutMs: number
  /** Per-sender bound on transactions submitted and not yet seen in a block; undefined = none. */
  window?: number
  /** Offered load, transfers per second; undefined = as fast as submits return. */
  rate?: number
  /** Keep each target's data and node logs after a successful run too (their folder is printed). */
  keepFiles?: boolean
}

export interface BenchRun {
  rows: LabelledResult[]
  /** A target failed to start or run, or not every transfer succeeded. */
  failed: boolean
}

/**
 * Runs the workload on each target, one after the other. A target that fails is logged and
 * counted, and the next one still runs. SIGINT/SIGTERM stop the running target before exiting.
 */
export async function runBenchTargets(
  targets: BenchTarget[],
  workload: WorkloadOptions,
  log: (label: string, message: string) => void = (label, m) => void process.stderr.write(`[${label}] ${m}\n`),
): Promise<BenchRun> {
  let running: RunningTarget | undefined
  const onSignal = (): void => {
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const rows: LabelledResult[] = []
  let failed = false
  try {
    for (const target of targets) {
      const say = (m: string): void => log(target.label, m)
      let ok = true
      try {
        running = await target.start()
        say(running.description)
        const pids = running.pids ?? []
        const cpuBefore = await totalCpuSeconds(pids)
        const result = await runErc20Bench({
          rpcUrl: running.rpcUrl,
          ...(running.submitUrls ? { submitUrls: running.submitUrls } : {}),
          ...(workload.window !== undefined ? { window: workload.window } : {}),
          ...(workload.rate !== undefined ? { rate: workload.rate } : {}),
          funderKey: workload.funderKey,
          txCount: workload.txCount,
          senders: workload.senders,
          pollMs: workload.pollMs,
          timeoutMs: workload.timeoutMs,
          log: say,
        })
        const cpuAfter = await totalCpuSeconds(pids)
        const cpu = pids.length > 0 && cpuBefore !== undefined && cpuAfter !== undefined ? { seconds: cpuAfter - cpuBefore, processes: pids.length } : undefined
        rows.push({ label: target.label, result, ...(cpu ? { cpu } : {}) })
        if (result.succeeded !== result.txCount) {
          ok = false
          say(`only ${result.succeeded} of ${result.txCount} transfers succeeded (${result.rejected} refused, ${result.reverted} reverted)`)
        }
        say(`${result.txPerSecond.toFixed(1)} tx/s (chain ${result.chainTxPerSecond.toFixed(1)}), p50 ${result.latencyMs.p50.toFixed(1)} ms, p95 ${result.latencyMs.p95.toFixed(1)} ms, ${result.blocks} blocks`)
      } catch (err) {
        ok = false
        say(`failed: ${describeError(err)}`)
      } finally {
        failed ||= !ok
        const keep = !ok || workload.keepFiles === true
        await running?.stop({ keepFiles: keep })
        if (keep && running?.files) say(`its data and node logs are kept in ${running.files}`)
        running = undefined
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
  return { rows, failed }
}

/** An error's message and its innermost cause's, which says what happened (`fetch failed` → `read ECONNRESET`). */
export function describeError(err: unknown): string {
  let inner: unknown = err
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause
  if (inner === err || !(inner instanceof Error)) return errorMessage(err)
  return `${errorMessage(err)} (${inner.message})`
}

/** The workload flags every bench entry point takes; `defaults` sets its own sizes. */
export function addWorkloadFlags(command: Command, defaults: { tx: number; senders: number; timeoutSeconds: number; window?: number }): Command {
  return command
    .option('--tx <n>', 'measured transfers per target', String(defaults.tx))
    .option('--senders <n>', 'parallel senders (each sends in nonce order)', String(defaults.senders))
    .option('--window <n>', 'most transfers per sender submitted and not yet in a block (0: no bound)', String(defaults.window ?? 0))
    .option('--rate <tx/s>', 'offer the transfers at this fixed rate, all senders together (open loop; best with --window 0); default: as fast as submits return')
    .option('--funder-key <hex>', 'key that deploys Token and funds the senders (default: dev account 0)', devAccounts(1)[0]!.privateKey)
    .option('--timeout <seconds>', 'limit per target, set-up included', String(defaults.timeoutSeconds))
    .option('--poll <ms>', 'block polling interval (latency resolution)', '20')
    .option('--keep', 'keep the data and node logs of every target, not only of one that failed (see also bench:network --node-log-level)')
    .option('--json', 'print the results as JSON instead of a table')
}

/** Validates what addWorkloadFlags added; extend it with an entry point's own flags. */
export const workloadFlagsSchema = z.object({
  tx: z.coerce.number().int().min(1),
  senders: z.coerce.number().int().min(1),
  window: z.coerce.number().int().min(0),
  rate: z.coerce.number().positive().optional(),
  funderKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte 0x-prefixed private key'),
  timeout: z.coerce.number().positive(),
  poll: z.coerce.number().int().min(1),
  keep: z.boolean().optional(),
  json: z.boolean().optional(),
})

export function workloadOf(flags: z.output<typeof workloadFlagsSchema>): WorkloadOptions {
  return {
    funderKey: flags.funderKey as Hex,
    txCount: flags.tx,
    senders: flags.senders,
    pollMs: flags.poll,
    timeoutMs: flags.timeout * 1000,
    ...(flags.window > 0 ? { window: flags.window } : {}),
    ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
    ...(flags.keep ? { keepFiles: true } : {}),
  }
}

/** Prints the rows to stdout (JSON or a table under `title`); returns the process exit code. */
export function printRun(run: BenchRun, opts: { json?: boolean | undefined; title: string }): number {
  if (opts.json) process.stdout.write(`${formatJson(run.rows)}\n`)
  else if (run.rows.length > 0) process.stdout.write(`\n${opts.title}\n${formatTable(run.rows)}\n`)
  return run.failed ? 1 : 0
}

/** Runs an entry point's main and exits with its code (2 when it throws, e.g. on a bad flag). */
export function runMain(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(2)
    },
  )
}
