/**
 * `npm run bench:overload`: a one-validator Quorate node under a steady offered load above what it
 * can include. ERC-20 transfers signed beforehand are offered at a fixed rate (token bucket) by many
 * senders, each sending its transfers in nonce order as JSON-RPC batches; a sender refused with the
 * pool-full error backs off and offers the refused nonce again, as a client would. Meanwhile a
 * probe asks eth_blockNumber every --probe-ms and times the answer, and every new block's
 * transaction count is recorded.
 *
 * What it shows: the node stays responsive (probe p50/p95/max), the pool stays bounded and refuses
 * with the pool-full error (-32005) instead of queueing without bound, and blocks grow to the
 * build time budget (tx per block over time).
 *
 *   node dist/bench/overload.js --rate 1500 --seconds 20
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { devAccounts } from '../src/crypto/dev-accounts.js'
import { parseWith } from '../src/validation.js'
import { retryingConnection, setUpErc20, signTransfers, type SignedTx } from './lib/erc20-bench.js'
import { JsonRpcHttpClient, hexToBigint, toHexQuantity, type RpcCall } from './lib/json-rpc.js'
import { cpuProfileArgs, initDevChain, startNodeProcess, type NodeProcess } from './lib/quorate-node.js'
import { runMain } from './lib/run-targets.js'

const optionsSchema = z.object({
  rate: z.coerce.number().positive(),
  seconds: z.coerce.number().positive(),
  senders: z.coerce.number().int().min(1),
  batch: z.coerce.number().int().min(1),
  poolMax: z.coerce.number().int().min(1),
  blockPeriodMs: z.coerce.number().int().min(50),
  probeMs: z.coerce.number().int().min(10),
  drainSeconds: z.coerce.number().min(0),
  quorateUrl: z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL').optional(),
  profile: z.string().min(1).optional(),
  json: z.boolean().optional(),
})
type Options = z.output<typeof optionsSchema>

interface BlockSeen {
  at: number
  number: bigint
  txs: number
}

interface Second {
  offered: number
  accepted: number
  poolFull: number
  otherRefused: number
  included: number
  blocks: number
  maxBlockTxs: number
  pool: number
  probeMaxMs: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const POOL_FULL_RPC_CODE = -32005

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!
}

async function startNode(opts: Options, log: (m: string) => void): Promise<{ url: string; stop: () => Promise<void> }> {
  if (opts.quorateUrl) return { url: opts.quorateUrl, stop: async () => undefined }
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-overload-'))
  const chain = await initDevChain(dir, { blockPeriodMs: opts.blockPeriodMs, config: { logLevel: 'warn', txpool: { maxTotal: opts.poolMax, maxPerSender: 1000 } } })
  const profileDir = opts.profile ? resolve(opts.profile) : undefined
  let node: NodeProcess
  try {
    node = await startNodeProcess(dir, chain.rpcPort, cpuProfileArgs(profileDir))
  } catch (err) {
    log(`the node did not start; its data and log are kept in ${dir}`)
    throw err
  }
  log(`started a one-validator Quorate node at ${node.rpcUrl} (block period ${opts.blockPeriodMs} ms, txpool.maxTotal ${opts.poolMax}${profileDir ? `, CPU profile to ${profileDir}` : ''})`)
  return {
    url: node.rpcUrl,
    stop: async () => {
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench:overload')
    .description('a one-validator node under a steady offered load above its capacity: responsiveness, pool-full refusals, block size over time')
    .option('--rate <tx/s>', 'offered load, transfers per second', '1500')
    .option('--seconds <s>', 'how long the load is offered', '20')
    .option('--senders <n>', 'senders, each in nonce order', '64')
    .option('--batch <n>', 'transfers per JSON-RPC batch of a sender', '10')
    .option('--pool-max <n>', 'txpool.maxTotal of the node it starts', '5000')
    .option('--block-period-ms <ms>', 'block period of the node it starts', '1000')
    .option('--probe-ms <ms>', 'interval of the eth_blockNumber probe', '250')
    .option('--drain-seconds <s>', 'how long to keep watching after the load stops', '20')
    .option('--quorate-url <url>', 'use a running node instead of starting one')
    .option('--profile <dir>', 'run the node it starts with node --cpu-prof, writing the .cpuprofile into <dir>')
    .option('--json', 'print the results as JSON')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const log = (m: string): void => void process.stderr.write(`[overload] ${m}\n`)
  const node = await startNode(opts, log)
  try {
    return await run(opts, node.url, log)
  } finally {
    await node.stop()
  }
}

async function run(opts: Options, url: string, log: (m: string) => void): Promise<number> {
  const rpc = new JsonRpcHttpClient(url, 60_000)
  const probeClient = new JsonRpcHttpClient(url, 10_000)
  const gasLimit = 60_000n
  const perSender = Math.ceil((opts.rate * opts.seconds) / opts.senders)
  const setup = await setUpErc20({
    rpc,
    funderKey: devAccounts(1)[0]!.privateKey,
    perSender: Array.from({ length: opts.senders }, () => perSender),
    gasLimit,
    pollMs: 20,
    deadline: performance.now() + 300_000,
    log,
  })
  log(`signing ${perSender * opts.senders} transfers`)
  const chains = signTransfers(setup, gasLimit)
  const startBlock = hexToBigint(await retryingConnection(() => rpc.request('eth_blockNumber')), 'eth_blockNumber')

  const seconds: Second[] = []
  const t0 = performance.now()
  const sec = (): Second => {
    const i = Math.floor((performance.now() - t0) / 1000)
    while (seconds.length <= i) seconds.push({ offered: 0, accepted: 0, poolFull: 0, otherRefused: 0, included: 0, blocks: 0, maxBlockTxs: 0, pool: 0, probeMaxMs: 0 })
    return seconds[i]!
  }
  const loadEnd = t0 + opts.seconds * 1000
  const refusals = new Map<string, number>()
  let poolFullMessage = ''

  // ---- Offered load: a token bucket shared by the senders. ----
  let reserved = t0
  const take = async (n: number): Promise<void> => {
    const now = performance.now()
    const at = Math.max(reserved, now)
    reserved = at + (n * 1000) / opts.rate
    if (at > now) await sleep(at - now)
  }
  const sendChain = async (chain: SignedTx[]): Promise<void> => {
    let next = 0
    while (next < chain.length && performance.now() < loadEnd) {
      const slice = chain.slice(next, next + opts.batch)
      await take(slice.length)
      if (performance.now() >= loadEnd) return
      sec().offered += slice.length
      let outcomes
      try {
        outcomes = await retryingConnection(() => rpc.batch(slice.map((t) => ({ method: 'eth_sendRawTransaction', params: [t.raw] }))))
      } catch (err) {
        refusals.set('request failed', (refusals.get('request failed') ?? 0) + slice.length)
        log(`a batch failed: ${(err as Error).message}`)
        await sleep(100)
        continue
      }
      let refusedAt = -1
      for (const [i, o] of outcomes.entries()) {
        if (o.ok || /already known/i.test(o.error.message)) {
          if (refusedAt < 0) next++
          if (o.ok) sec().accepted++
          continue
        }
        const key = o.error.rpcCode === POOL_FULL_RPC_CODE ? `pool full (${o.error.rpcCode})` : `${o.error.rpcCode ?? '?'} ${o.error.message.replace(/^.*failed: /, '').replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 50)}`
        refusals.set(key, (refusals.get(key) ?? 0) + 1)
        if (o.error.rpcCode === POOL_FULL_RPC_CODE) {
          sec().poolFull++
          poolFullMessage ||= o.error.message
        } else sec().otherRefused++
        if (refusedAt < 0) refusedAt = i
      }
      // Refused: offer the first refused nonce again after a pause, as a client would.
      if (refusedAt >= 0) await sleep(100)
    }
  }

  // ---- Probe: eth_blockNumber's answer time; new blocks' sizes; the pool's size each second. ----
  const probes: number[] = []
  const blocks: BlockSeen[] = []
  let watching = true
  let last = startBlock
  let poolMax = 0
  let failedProbes = 0
  const probe = async (): Promise<void> => {
    let lastPoolAt = 0
    while (watching) {
      const started = performance.now()
      // A probe that fails or times out (10 s) counts with the time it took.
      const head = await probeClient.request('eth_blockNumber').then(
        (n) => hexToBigint(n, 'eth_blockNumber'),
        () => undefined,
      )
      const ms = performance.now() - started
      probes.push(ms)
      const s = sec()
      s.probeMaxMs = Math.max(s.probeMaxMs, ms)
      if (head === undefined) failedProbes++
      else if (head > last) {
        const calls: RpcCall[] = []
        for (let n = last + 1n; n <= head; n++) calls.push({ method: 'eth_getBlockByNumber', params: [toHexQuantity(n), false] })
        const outcomes = await retryingConnection(() => rpc.batch(calls))
        for (const [i, o] of outcomes.entries()) {
          const txs = o.ok ? ((o.result as { transactions?: unknown[] } | null)?.transactions?.length ?? 0) : 0
          blocks.push({ at: performance.now() - t0, number: last + 1n + BigInt(i), txs })
          s.included += txs
          s.blocks++
          s.maxBlockTxs = Math.max(s.maxBlockTxs, txs)
        }
        last = head
      }
      if (performance.now() - lastPoolAt >= 1000) {
        lastPoolAt = performance.now()
        const status = (await retryingConnection(() => rpc.request('txpool_status'))) as { pending: string; queued: string }
        const size = Number(hexToBigint(status.pending, 'pending')) + Number(hexToBigint(status.queued, 'queued'))
        s.pool = Math.max(s.pool, size)
        poolMax = Math.max(poolMax, size)
      }
      const wait = opts.probeMs - (performance.now() - started)
      if (wait > 0) await sleep(wait)
    }
  }

  log(`offering ${opts.rate} transfers/s for ${opts.seconds} s from ${opts.senders} senders in batches of ${opts.batch}; probing eth_blockNumber every ${opts.probeMs} ms`)
  const prober = probe()
  await Promise.all(chains.map(sendChain))
  const loadStoppedAt = performance.now()
  // Drain: keep watching until the pool is empty or the drain time is over.
  while (performance.now() - loadStoppedAt < opts.drainSeconds * 1000) {
    const status = (await retryingConnection(() => probeClient.request('txpool_status'))) as { pending: string; queued: string }
    if (hexToBigint(status.pending, 'pending') + hexToBigint(status.queued, 'queued') === 0n) break
    await sleep(250)
  }
  await sleep(opts.probeMs * 2)
  watching = false
  await prober

  // ---- Report. ----
  const sortedProbes = [...probes].sort((a, b) => a - b)
  const during = blocks.filter((b) => b.at <= opts.seconds * 1000)
  const includedDuring = during.reduce((n, b) => n + b.txs, 0)
  const secondHalf = during.filter((b) => b.at >= (opts.seconds * 1000) / 2)
  const offered = seconds.reduce((n, s) => n + s.offered, 0)
  const accepted = seconds.reduce((n, s) => n + s.accepted, 0)
  const summary = {
    url,
    offeredPerSecond: offered / opts.seconds,
    acceptedPerSecond: accepted / opts.seconds,
    includedPerSecond: includedDuring / opts.seconds,
    refusals: Object.fromEntries(refusals),
    poolFullMessage,
    poolMax,
    probes: { count: probes.length, p50: percentile(sortedProbes, 50), p95: percentile(sortedProbes, 95), max: sortedProbes.at(-1) ?? Number.NaN, over1s: probes.filter((p) => p >= 1000).length, failed: failedProbes },
    txPerBlock: {
      max: Math.max(0, ...blocks.map((b) => b.txs)),
      meanSecondHalf: secondHalf.length ? secondHalf.reduce((n, b) => n + b.txs, 0) / secondHalf.length : 0,
    },
    blocks: blocks.map((b) => ({ atMs: Math.round(b.at), number: Number(b.number), txs: b.txs })),
    seconds,
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    return 0
  }
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-')
  const out: string[] = []
  out.push('', `Overload: ${opts.rate} ERC-20 transfers/s offered for ${opts.seconds} s (${opts.senders} senders, batches of ${opts.batch}), ${url}`)
  out.push('  s  offered  accepted  pool-full  other  included  blocks  max tx/block  pool  probe max ms')
  for (const [i, s] of seconds.entries()) {
    out.push(
      `${String(i).padStart(3)}  ${String(s.offered).padStart(7)}  ${String(s.accepted).padStart(8)}  ${String(s.poolFull).padStart(9)}  ${String(s.otherRefused).padStart(5)}  ${String(s.included).padStart(8)}  ${String(s.blocks).padStart(6)}  ${String(s.maxBlockTxs).padStart(12)}  ${String(s.pool).padStart(4)}  ${f(s.probeMaxMs).padStart(12)}`,
    )
  }
  out.push('')
  out.push(`offered ${f(summary.offeredPerSecond, 1)} tx/s, accepted ${f(summary.acceptedPerSecond, 1)} tx/s, included ${f(summary.includedPerSecond, 1)} tx/s while loaded`)
  out.push(`refused: ${[...refusals].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`)
  if (poolFullMessage) out.push(`pool-full answer: ${poolFullMessage.replace(/^.*failed: /, '')}`)
  out.push(`pool size: at most ${poolMax} (txpool.maxTotal ${opts.quorateUrl ? '?' : opts.poolMax})`)
  out.push(`eth_blockNumber probes: ${probes.length}, p50 ${f(summary.probes.p50, 1)} ms, p95 ${f(summary.probes.p95, 1)} ms, max ${f(summary.probes.max, 1)} ms, ${summary.probes.over1s} at or over 1 s, ${failedProbes} failed`)
  out.push(`tx per block: max ${summary.txPerBlock.max}, mean over the second half of the load ${f(summary.txPerBlock.meanSecondHalf, 1)}`)
  out.push(`blocks (s:txs): ${blocks.map((b) => `${f(b.at / 1000, 1)}:${b.txs}`).join(' ')}`)
  process.stdout.write(`${out.join('\n')}\n`)
  return 0
}

runMain('bench:overload', main)
