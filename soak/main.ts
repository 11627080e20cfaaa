/**
 * `npm run soak`: a bounded soak of a validator network under load with seeded faults.
 *
 *   node dist/soak/main.js                          # 20 minutes, 4 validators, a random seed
 *   node dist/soak/main.js --minutes 5 --seed 42
 *   node dist/soak/main.js --faults kill,pause,partition,wipe   # without the disk-full fault (no root needed)
 *
 * Exits 0 when every invariant held, 1 when one broke, 2 when the soak could not run.
 */
import { Command } from 'commander'
import { z } from 'zod'
import { parseWith } from '../src/validation.js'
import { runMain } from '../bench/lib/run-targets.js'
import { formatJson, formatReport } from './report.js'
import { FAULT_KINDS, parseKinds } from './schedule.js'
import { runSoak } from './soak.js'

const optionsSchema = z.object({
  minutes: z.coerce.number().positive().max(24 * 60),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).optional(),
  validators: z.coerce.number().int().min(4).max(10),
  senders: z.coerce.number().int().min(1).max(9),
  faults: z.string(),
  maxFaults: z.coerce.number().int().positive().optional(),
  blockPeriodMs: z.coerce.number().int().min(100),
  livenessLimitS: z.coerce.number().positive(),
  catchUpLimitS: z.coerce.number().positive(),
  diskMb: z.coerce.number().int().min(8),
  keepFiles: z.boolean().optional(),
  json: z.boolean().optional(),
})

async function main(argv: string[]): Promise<number> {
  const program = new Command('soak')
    .description('Runs a validator network under a steady load of transfers with a seeded schedule of faults, checking no fork, no lost transaction and liveness after each fault')
    .option('--minutes <n>', 'time for faults (set-up and final checks come on top)', '20')
    .option('--seed <n>', 'seed of the fault schedule (printed; default random)')
    .option('--validators <n>', 'validator processes', '4')
    .option('--senders <n>', 'accounts sending transfers, one in flight each', '6')
    .option('--faults <kinds>', `fault kinds, comma-separated (${FAULT_KINDS.join(',')})`, FAULT_KINDS.join(','))
    .option('--max-faults <n>', 'stop after this many faults')
    .option('--block-period-ms <ms>', 'block period of the network', '1000')
    .option('--liveness-limit-s <s>', 'a new block must come within this of each heal', '10')
    .option('--catch-up-limit-s <s>', 'the faulted node must have that block within this (a wiped node resyncs)', '60')
    .option('--disk-mb <n>', 'size of the small disk (tmpfs) of the last node', '64')
    .option('--keep-files', 'keep the nodes\' data and logs after a passing run')
    .option('--json', 'print the result as JSON')
    .parse(argv)
  const o = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32)
  // Ctrl-C ends the faults; the checks and the report still come, and every process is stopped.
  const abort = new AbortController()
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort())
  const result = await runSoak({
    minutes: o.minutes,
    seed,
    validators: o.validators,
    senders: o.senders,
    kinds: parseKinds(o.faults),
    ...(o.maxFaults ? { maxFaults: o.maxFaults } : {}),
    blockPeriodMs: o.blockPeriodMs,
    livenessLimitMs: o.livenessLimitS * 1000,
    catchUpLimitMs: o.catchUpLimitS * 1000,
    diskMb: o.diskMb,
    keepFiles: o.keepFiles ?? false,
    log: (line) => process.stderr.write(`${line}\n`),
    signal: abort.signal,
  })
  process.stdout.write(`${o.json ? formatJson(result) : `\n${formatReport(result)}`}\n`)
  return result.violations.length === 0 ? 0 : 1
}

runMain('soak', main)
