/**
 * `npm run bench:node`: ERC-20 transfer throughput and latency of a node, side by side with a
 * Hardhat 2 node started here, and the ratio of their tx/s. Targets run one after the other (the
 * machines have few cores), each on fresh senders.
 *
 *   node dist/bench/node.js                                   # both: hardhat + a Quorate node it starts
 *   node dist/bench/node.js --target hardhat --tx 500
 *   node dist/bench/node.js --target hardhat --target url=http://127.0.0.1:8545
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { devAccounts } from '../src/crypto/dev-accounts.js'
import { errorMessage } from '../src/errors.js'
import type { Hex } from '../src/types.js'
import { parseWith } from '../src/validation.js'
import { runErc20Bench } from './lib/erc20-bench.js'
import { startHardhatNode } from './lib/hardhat.js'
import { initDevChain, startNodeProcess } from './lib/quorate-node.js'
import { formatTable, type LabelledResult } from './lib/report.js'

type Target = { label: string; kind: 'hardhat' | 'quorate' } | { label: string; kind: 'url'; url: string }

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL')

const optionsSchema = z.object({
  tx: z.coerce.number().int().min(1),
  senders: z.coerce.number().int().min(1),
  target: z.array(z.union([z.enum(['hardhat', 'quorate', 'both']), z.string().regex(/^url=https?:\/\/\S+$/, 'expected hardhat, both or url=<http-url>')])),
  quorateUrl: httpUrl.optional(),
  funderKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte 0x-prefixed private key'),
  timeout: z.coerce.number().positive(),
  poll: z.coerce.number().int().min(1),
  json: z.boolean().optional(),
  blockPeriodMs: z.coerce.number().int().min(50),
})

function targetsOf(opts: z.output<typeof optionsSchema>): Target[] {
  const targets: Target[] = []
  let urls = 0
  for (const t of opts.target.length > 0 ? opts.target : ['both']) {
    if (t === 'hardhat' || t === 'quorate') targets.push({ label: t, kind: t })
    else if (t === 'both') {
      targets.push(
        { label: 'hardhat', kind: 'hardhat' },
        opts.quorateUrl ? { label: 'quorate', kind: 'url', url: opts.quorateUrl } : { label: 'quorate', kind: 'quorate' },
      )
    } else {
      urls++
      targets.push({ label: urls === 1 ? 'url' : `url${urls}`, kind: 'url', url: t.slice('url='.length) })
    }
  }
  return targets
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench:node')
    .description('ERC-20 transfer throughput and latency, side by side with a Hardhat 2 node')
    .option('--tx <n>', 'measured transfers per target', '2000')
    .option('--senders <n>', 'parallel senders (each sends in nonce order)', '20')
    .option('--target <target>', 'hardhat | url=<http-url> | both (hardhat + --quorate-url); repeatable', (v: string, acc: string[]) => [...acc, v], [])
    .option('--quorate-url <url>', 'JSON-RPC URL of a running Quorate node for --target both (default: start one)')
    .option('--block-period-ms <ms>', 'block period of the Quorate node the benchmark starts', '1000')
    .option('--funder-key <hex>', 'key that deploys Token and funds the senders (default: dev account 0)', devAccounts(1)[0]!.privateKey)
    .option('--timeout <seconds>', 'limit per target, set-up included', '300')
    .option('--poll <ms>', 'block polling interval (latency resolution)', '20')
    .option('--json', 'print the results as JSON instead of a table')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const targets = targetsOf(opts)

  let running: { stop(): Promise<unknown> } | undefined
  const onSignal = (): void => {
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const rows: LabelledResult[] = []
  let failed = false
  for (const target of targets) {
    const log = (m: string): void => void process.stderr.write(`[${target.label}] ${m}\n`)
    try {
      let url: string
      if (target.kind === 'hardhat') {
        const hardhat = await startHardhatNode()
        running = hardhat
        url = hardhat.rpcUrl
        log(`started hardhat node at ${url}`)
      } else if (target.kind === 'quorate') {
        const quorate = await startBenchQuorate(opts.blockPeriodMs)
        running = quorate
        url = quorate.rpcUrl
        log(`started a one-validator Quorate node at ${url} (block period ${opts.blockPeriodMs} ms)`)
      } else if ('url' in target) {
        url = target.url
      } else {
        throw new Error(`unknown target ${target.label}`)
      }
      const result = await runErc20Bench({
        rpcUrl: url,
        funderKey: opts.funderKey as Hex,
        txCount: opts.tx,
        senders: opts.senders,
        pollMs: opts.poll,
        timeoutMs: opts.timeout * 1000,
        log,
      })
      rows.push({ label: target.label, result })
      if (result.succeeded !== result.txCount) {
        failed = true
        log(`only ${result.succeeded} of ${result.txCount} transfers succeeded (${result.rejected} refused, ${result.reverted} reverted)`)
      }
      log(`${result.txPerSecond.toFixed(1)} tx/s, p50 ${result.latencyMs.p50.toFixed(1)} ms, p95 ${result.latencyMs.p95.toFixed(1)} ms`)
    } catch (err) {
      failed = true
      log(`failed: ${errorMessage(err)}`)
    } finally {
      await running?.stop()
      running = undefined
    }
  }
  process.removeListener('SIGINT', onSignal)
  process.removeListener('SIGTERM', onSignal)

  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`)
  } else if (rows.length > 0) {
    process.stdout.write(`\nERC-20 transfers: ${opts.tx} per target, ${opts.senders} senders, gas limit 60000\n${formatTable(rows)}\n`)
  }
  return failed ? 1 : 0
}

/** A fresh one-validator chain in a temp folder; stopping it removes the folder. */
async function startBenchQuorate(blockPeriodMs: number): Promise<{ rpcUrl: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-'))
  const chain = await initDevChain(dir, { blockPeriodMs, config: { logLevel: 'warn' } })
  const node = await startNodeProcess(dir, chain.rpcPort)
  return {
    rpcUrl: node.rpcUrl,
    stop: async () => {
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:node: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(2)
  },
)
