/**
 * `npm run bench:network`: the sustained ERC-20 transfer rate of a Quorate network of validator
 * processes (4 by default, block period 1000 ms as in the product) and its submit-to-final latency
 * p50/p95, side by side with a Hardhat 2 node in the same run, and the ratio of their tx/s.
 *
 * The senders are spread round-robin over the validators' RPC URLs, so the load enters through
 * every node and reaches the proposer by transaction gossip; finality is observed on one node (in
 * QBFT a block in a node's chain is final). Each sender keeps at most `--window` transfers
 * submitted and not yet final, so the run measures a steady stream over many blocks rather than
 * the drain of one large queue; Hardhat gets the same workload. Targets run one after the other.
 *
 * It also prints the ceiling of this machine for that many validators (bench/lib/ceiling.ts: each
 * validator admits and executes every transaction once) and how close the network came to it, and
 * with `--cpu-prof <dir>` writes a CPU profile of each validator process (bench/profile-summary.ts).
 *
 *   node dist/bench/network.js                                # all: hardhat + anvil + a 4-validator network (--target both: without anvil)
 *   node dist/bench/network.js --target network --validators 7 --block-period-ms 500
 *   node dist/bench/network.js --target network --rate 350 --window 0 --tx 7000   # latency at a fixed offered load
 *   node dist/bench/network.js --json
 */
import { resolve } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { parseWith } from '../src/validation.js'
import { addWorkloadFlags, printRun, runBenchTargets, runMain, workloadFlagsSchema, workloadOf } from './lib/run-targets.js'
import { describeCeiling, describeMeasuredCeiling, measureCeiling } from './lib/ceiling.js'
import { cpuMsPerTx } from './lib/report.js'
import { anvilTarget, hardhatTarget, quorateNetworkTarget, type BenchTarget } from './lib/targets.js'

const optionsSchema = workloadFlagsSchema
  .extend({
    target: z.enum(['hardhat', 'anvil', 'network', 'both', 'all']),
    validators: z.coerce.number().int().min(1).max(16),
    watch: z.coerce.number().int().min(1),
    blockPeriodMs: z.coerce.number().int().min(50),
    cpuProf: z.string().optional(),
    nodeLogLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).optional(),
  })
  .refine((o) => o.watch <= o.validators, { path: ['watch'], message: 'must be one of the validators (1..--validators)' })

async function main(argv: string[]): Promise<number> {
  const program = addWorkloadFlags(
    new Command('bench:network').description('Sustained ERC-20 transfer rate and submit-to-final latency of a Quorate network, side by side with a Hardhat 2 node and an Anvil node'),
    { tx: 3000, senders: 40, window: 15, timeoutSeconds: 240 },
  )
    .option('--target <target>', 'hardhat | anvil | network | both (hardhat and network) | all', 'all')
    .option('--validators <n>', 'validator processes of the network', '4')
    .option('--watch <n>', 'the node (1-based) whose chain is watched for finality', '1')
    .option('--block-period-ms <ms>', 'block period of the network', '1000')
    .option('--node-log-level <level>', 'log level of the validators (debug: each block\'s build and execution times); with --keep to read the logs after the run')
    .option('--cpu-prof <dir>', 'write a V8 CPU profile of each validator process into this folder (open it in Chrome DevTools, or see bench/README.md)')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const network = quorateNetworkTarget({ validators: opts.validators, blockPeriodMs: opts.blockPeriodMs, watch: opts.watch - 1, ...(opts.cpuProf ? { cpuProfileDir: resolve(opts.cpuProf) } : {}), ...(opts.nodeLogLevel ? { logLevel: opts.nodeLogLevel } : {}) })
  const byName: Record<typeof opts.target, () => BenchTarget[]> = {
    hardhat: () => [hardhatTarget()],
    anvil: () => [anvilTarget()],
    network: () => [network],
    both: () => [hardhatTarget(), network],
    all: () => [hardhatTarget(), anvilTarget(), network],
  }
  const targets = byName[opts.target]()
  // Measured before the targets start, so that they do not compete with it for the cores.
  const ceiling = targets.includes(network) ? await measureCeiling(opts.validators) : undefined
  const run = await runBenchTargets(targets, workloadOf(opts))
  const window = `${opts.window > 0 ? `, at most ${opts.window} in flight per sender` : ''}${opts.rate ? `, offered at ${opts.rate} tx/s` : ''}`
  const code = printRun(run, {
    json: opts.json,
    title: `ERC-20 transfers: ${opts.tx} per target, ${opts.senders} senders${window}, gas limit 60000; network: ${opts.validators} validators, block period ${opts.blockPeriodMs} ms, latency = submit to final`,
  })
  const row = run.rows.find((r) => r.label === network.label)
  const measured = row?.result
  if (ceiling && !opts.json) {
    if (measured) process.stdout.write(`${network.label}: lost ${measured.accepted - measured.succeeded - measured.reverted} of ${measured.accepted} accepted transfers\n`)
    process.stdout.write(`${describeCeiling(ceiling, measured && { label: network.label, txPerSecond: measured.txPerSecond })}\n`)
    if (row?.cpu) process.stdout.write(`${describeMeasuredCeiling(ceiling.cores, opts.validators, cpuMsPerTx(row), { label: network.label, txPerSecond: row.result.chainTxPerSecond })}\n`)
  }
  return code
}

runMain('bench:network', main)
