/**
 * `npm run bench:node`: ERC-20 transfer throughput and latency of a node, side by side with a
 * Hardhat 2 node and an Anvil node started here, and the ratios of their tx/s. Targets run one
 * after the other (the machines have few cores), each on fresh senders. Both peers automine (a
 * block per transaction, mined before eth_sendRawTransaction answers).
 *
 *   node dist/bench/node.js                                   # all: hardhat + anvil + a Quorate node it starts
 *   node dist/bench/node.js --target hardhat --tx 500
 *   node dist/bench/node.js --target hardhat --target url=http://127.0.0.1:8545
 */
import { resolve } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { parseWith } from '../src/validation.js'
import { addWorkloadFlags, printRun, runBenchTargets, runMain, workloadFlagsSchema, workloadOf } from './lib/run-targets.js'
import { anvilTarget, hardhatTarget, quorateNodeTarget, urlTarget, type BenchTarget } from './lib/targets.js'

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL')

const optionsSchema = workloadFlagsSchema.extend({
  target: z.array(z.union([z.enum(['hardhat', 'anvil', 'quorate', 'both', 'all']), z.string().regex(/^url=https?:\/\/\S+$/, 'expected hardhat, anvil, quorate, both, all or url=<http-url>')])),
  quorateUrl: httpUrl.optional(),
  blockPeriodMs: z.coerce.number().int().min(50),
  anvilBlockTime: z.coerce.number().positive().optional(),
  profile: z.string().min(1).optional(),
})

function targetsOf(opts: z.output<typeof optionsSchema>): BenchTarget[] {
  const targets: BenchTarget[] = []
  const started = (): BenchTarget => quorateNodeTarget({ blockPeriodMs: opts.blockPeriodMs, ...(opts.profile ? { profileDir: resolve(opts.profile) } : {}) })
  const quorate = (): BenchTarget => (opts.quorateUrl ? urlTarget('quorate', opts.quorateUrl) : started())
  const anvil = (): BenchTarget => anvilTarget(opts.anvilBlockTime === undefined ? {} : { blockTimeSeconds: opts.anvilBlockTime })
  let urls = 0
  for (const t of opts.target.length > 0 ? opts.target : ['all']) {
    if (t === 'hardhat') targets.push(hardhatTarget())
    else if (t === 'anvil') targets.push(anvil())
    else if (t === 'all') targets.push(hardhatTarget(), anvil(), quorate())
    else if (t === 'quorate') targets.push(started())
    else if (t === 'both') targets.push(hardhatTarget(), quorate())
    else {
      urls++
      targets.push(urlTarget(urls === 1 ? 'url' : `url${urls}`, t.slice('url='.length)))
    }
  }
  return targets
}

async function main(argv: string[]): Promise<number> {
  const program = addWorkloadFlags(
    new Command('bench:node').description('ERC-20 transfer throughput and latency, side by side with a Hardhat 2 node and an Anvil node'),
    { tx: 2000, senders: 8, timeoutSeconds: 300 },
  )
    .option('--target <target>', 'hardhat | anvil | quorate | url=<http-url> | both (hardhat + --quorate-url) | all (hardhat, anvil, quorate); repeatable', (v: string, acc: string[]) => [...acc, v], [])
    .option('--quorate-url <url>', 'JSON-RPC URL of a running Quorate node for --target both (default: start one)')
    .option('--block-period-ms <ms>', 'block period of the Quorate node the benchmark starts', '1000')
    .option('--anvil-block-time <seconds>', 'run Anvil with interval mining instead of automine')
    .option('--profile <dir>', 'run the Quorate node it starts with node --cpu-prof, writing the .cpuprofile into <dir>')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const run = await runBenchTargets(targetsOf(opts), workloadOf(opts))
  return printRun(run, { json: opts.json, title: `ERC-20 transfers: ${opts.tx} per target, ${opts.senders} senders, gas limit 60000` })
}

runMain('bench:node', main)
