/**
 * `npm run bench:node`: ERC-20 transfer throughput and latency of a node, side by side with a
 * Hardhat 2 node started here, and the ratio of their tx/s. Targets run one after the other (the
 * machines have few cores), each on fresh senders.
 *
 *   node dist/bench/node.js                                   # both: hardhat + a Quorate node it starts
 *   node dist/bench/node.js --target hardhat --tx 500
 *   node dist/bench/node.js --target hardhat --target url=http://127.0.0.1:8545
 */
import { Command } from 'commander'
import { z } from 'zod'
import { parseWith } from '../src/validation.js'
import { addWorkloadFlags, printRun, runBenchTargets, runMain, workloadFlagsSchema, workloadOf } from './lib/run-targets.js'
import { hardhatTarget, quorateNodeTarget, urlTarget, type BenchTarget } from './lib/targets.js'

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL')

const optionsSchema = workloadFlagsSchema.extend({
  target: z.array(z.union([z.enum(['hardhat', 'quorate', 'both']), z.string().regex(/^url=https?:\/\/\S+$/, 'expected hardhat, quorate, both or url=<http-url>')])),
  quorateUrl: httpUrl.optional(),
  blockPeriodMs: z.coerce.number().int().min(50),
})

function targetsOf(opts: z.output<typeof optionsSchema>): BenchTarget[] {
  const targets: BenchTarget[] = []
  const quorate = (): BenchTarget => (opts.quorateUrl ? urlTarget('quorate', opts.quorateUrl) : quorateNodeTarget({ blockPeriodMs: opts.blockPeriodMs }))
  let urls = 0
  for (const t of opts.target.length > 0 ? opts.target : ['both']) {
    if (t === 'hardhat') targets.push(hardhatTarget())
    else if (t === 'quorate') targets.push(quorateNodeTarget({ blockPeriodMs: opts.blockPeriodMs }))
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
    new Command('bench:node').description('ERC-20 transfer throughput and latency, side by side with a Hardhat 2 node'),
    { tx: 2000, senders: 20, timeoutSeconds: 300 },
  )
    .option('--target <target>', 'hardhat | quorate | url=<http-url> | both (hardhat + --quorate-url); repeatable', (v: string, acc: string[]) => [...acc, v], [])
    .option('--quorate-url <url>', 'JSON-RPC URL of a running Quorate node for --target both (default: start one)')
    .option('--block-period-ms <ms>', 'block period of the Quorate node the benchmark starts', '1000')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const run = await runBenchTargets(targetsOf(opts), workloadOf(opts))
  return printRun(run, { json: opts.json, title: `ERC-20 transfers: ${opts.tx} per target, ${opts.senders} senders, gas limit 60000` })
}

runMain('bench:node', main)
