/**
 * `npm run ops:alert-timing`: how fast the shipped alert rules fire and resolve, measured with a real
 * Prometheus (the `prometheus` binary, Debian package `prometheus`) loading ops/prometheus/alerts.yml
 * with the intervals of the sample ops/prometheus/prometheus.yml, against a network of 4 validator
 * processes on loopback (emptyBlockPeriodMs at its default, 10 s):
 *
 * 1. halt: stop 2 of the 4 validators (no quorum left) → QuorateChainHeadStale firing (target ≤ 90 s);
 * 2. recovery: start them again → first new block → QuorateChainHeadStale resolved (target ≤ 60 s
 *    after the first new block);
 *    The round changes the halt made: QuorateRoundChangesRising, if it fired, resolved (target ≤ 180 s
 *    after the first new block: the rule looks 2 minutes back);
 * 3. node down: kill -9 one validator → QuorateNodeDown firing for it (target ≤ 90 s); start it
 *    again → QuorateNodeDown resolved (target ≤ 60 s).
 *
 * It also runs every query of the Grafana dashboard against that Prometheus, so a query that does
 * not parse is caught. Prints the figures; exits 1 if a target is missed or a query fails. Takes
 * about 6 minutes. Not part of `npm test`.
 *
 *   npm run ops:alert-timing
 *   node dist/ops/alert-timing.js --interval 5s    # other scrape and evaluation intervals
 *   node dist/ops/alert-timing.js --keep           # keep the temp folder (node and Prometheus logs)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { parse, stringify } from 'yaml'
import { TestNetwork } from '../bench/lib/quorate-network.js'
import { freePort, rpc } from '../bench/lib/quorate-node.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), import.meta.url.includes('/dist/') ? '../..' : '..')
const RULES = join(ROOT, 'ops/prometheus/alerts.yml')
const SAMPLE_CONFIG = join(ROOT, 'ops/prometheus/prometheus.yml')
const DASHBOARD = join(ROOT, 'ops/grafana/quorate-dashboard.json')
const TARGETS = { haltFiring: 90, resolved: 60, roundsResolved: 180, nodeDownFiring: 90, nodeDownResolved: 60 }
const STALE = 'QuorateChainHeadStale'
const DOWN = 'QuorateNodeDown'
const ROUNDS = 'QuorateRoundChangesRising'

interface Alert {
  labels: Record<string, string>
  state: 'pending' | 'firing'
}

interface Figure {
  what: string
  seconds: number
  target?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const since = (t: number): number => Math.round((Date.now() - t) / 100) / 10
const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`)

async function until<T>(what: string, timeoutS: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutS * 1000
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutS} s waiting for ${what}`)
    await sleep(500)
  }
}

class Prometheus {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Starts `prometheus` on the sample config with the shipped rules, scraping `targets`, in `dir`. */
  static async start(dir: string, targets: string[], interval: string | undefined): Promise<Prometheus> {
    const config = parse(await readFile(SAMPLE_CONFIG, 'utf8')) as {
      global: Record<string, string>
      rule_files: string[]
      scrape_configs: { static_configs: { targets: string[] }[] }[]
    }
    if (interval) {
      config.global.scrape_interval = interval
      config.global.evaluation_interval = interval
      delete config.global.scrape_timeout
    }
    config.rule_files = [RULES]
    config.scrape_configs[0]!.static_configs = [{ targets }]
    const file = join(dir, 'prometheus.yml')
    await writeFile(file, stringify(config))
    const port = await freePort()
    const out = openSync(join(dir, 'prometheus.log'), 'a')
    const child = spawn('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', out, out] })
    closeSync(out)
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`cannot start prometheus (Debian package \`prometheus\`): ${err.message}`)))
      child.once('exit', (code) => reject(new Error(`prometheus exited with ${code}; see ${join(dir, 'prometheus.log')}`)))
    })
    const p = new Prometheus(child, `http://127.0.0.1:${port}`)
    await Promise.race([failed, until('Prometheus ready', 60, async () => ((await fetch(`${p.url}/-/ready`)).ok ? true : undefined))])
    log(`Prometheus ${p.url}: scrape ${config.global.scrape_interval}, evaluation ${config.global.evaluation_interval}, rules ${RULES}`)
    return p
  }

  async alerts(name: string): Promise<Alert[]> {
    const body = (await (await fetch(`${this.url}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }
    return body.data.alerts.filter((a) => a.labels.alertname === name)
  }

  async firing(name: string, instances: string[]): Promise<Alert | undefined> {
    return (await this.alerts(name)).find((a) => a.state === 'firing' && instances.includes(a.labels.instance ?? ''))
  }

  async query(expr: string): Promise<{ ok: boolean; error?: string; values: { metric: Record<string, string>; value: [number, string] }[] }> {
    const body = (await (await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      status: string
      error?: string
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] }
    }
    return body.status === 'success' ? { ok: true, values: body.data?.result ?? [] } : { ok: false, error: body.error ?? body.status, values: [] }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    await exited
  }
}

async function dashboardQueries(): Promise<string[]> {
  const out: string[] = []
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'expr' && typeof v === 'string') out.push(v)
        else walk(v)
      }
    }
  }
  walk(JSON.parse(await readFile(DASHBOARD, 'utf8')))
  return out
}

async function run(opts: { interval?: string; keep: boolean }): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-alert-timing-'))
  log(`working in ${dir}`)
  const net = await TestNetwork.create(dir, { validators: 4, blockPeriodMs: 1000, emptyBlockPeriodMs: 10_000 })
  let prom: Prometheus | undefined
  const figures: Figure[] = []
  let badQueries = 0
  try {
    await net.start()
    const instance = (i: number): string => `127.0.0.1:${net.nodes[i]!.rpcPort}`
    const height = (i: number): Promise<number> => net.height(i)
    await until('block 2', 60, async () => ((await height(0)) >= 2 ? true : undefined))
    prom = await Prometheus.start(dir, net.nodes.map((_, i) => instance(i)), opts.interval)
    const p = prom
    await until('all 4 nodes up in Prometheus', 120, async () => ((await p.query('sum(up{job="quorate"})')).values[0]?.value[1] === '4' ? true : undefined))
    await until('a scrape of the head age on every node', 120, async () => ((await p.query('count(quorate_chain_head_timestamp_seconds)')).values[0]?.value[1] === '4' ? true : undefined))

    for (const expr of await dashboardQueries()) {
      const r = await p.query(expr.replaceAll('$instance', '.*'))
      if (!r.ok) {
        badQueries++
        log(`dashboard query fails: ${expr}: ${r.error}`)
      }
    }
    log(`dashboard queries checked; ${badQueries} failing`)

    // 1. Halt: 2 of 4 validators stopped, no quorum.
    const live = [instance(0), instance(1)]
    const haltedAt = Date.now()
    await Promise.all([net.stop(2), net.stop(3)])
    const lastBlock = await height(0)
    const head = await rpc<{ timestamp: string }>(net.url(0), 'eth_getBlockByNumber', ['latest', false])
    log(`halted: validators 3 and 4 stopped; head #${lastBlock}`)
    let roundsFired = false
    const roundsFiring = async (): Promise<boolean> => (await p.alerts(ROUNDS)).some((a) => a.state === 'firing')
    const fired = await until(`${STALE} firing`, 600, async () => {
      roundsFired ||= await roundsFiring()
      return p.firing(STALE, live)
    })
    figures.push({ what: `halt → ${STALE} firing (${fired.labels.instance})`, seconds: since(haltedAt), target: TARGETS.haltFiring })
    figures.push({ what: `  (the head block's timestamp → firing)`, seconds: since(Number(head.timestamp) * 1000) })
    log(figures.at(-2)!.what + `: ${figures.at(-2)!.seconds} s`)

    // 2. Recovery: the two validators back.
    const restartedAt = Date.now()
    roundsFired ||= await roundsFiring()
    await net.start(2, 3)
    await until('a new block', 300, async () => ((await height(0)) > lastBlock ? true : undefined))
    const blockAt = Date.now()
    log(`recovered: block #${lastBlock + 1} ${since(restartedAt)} s after the restart`)
    await until(`${STALE} resolved`, 600, async () => {
      roundsFired ||= await roundsFiring()
      return (await p.alerts(STALE)).some((a) => a.state === 'firing') ? undefined : true
    })
    figures.push({ what: `recovery (first new block) → ${STALE} resolved`, seconds: since(blockAt), target: TARGETS.resolved })
    figures.push({ what: `restart of the 2 validators → ${STALE} resolved`, seconds: since(restartedAt) })
    log(figures.at(-2)!.what + `: ${figures.at(-2)!.seconds} s`)
    // The rounds the halted validators started: the alert (if the halt lasted long enough for it)
    // ends once they are out of its 2-minute window; the metric counts rounds, not timer re-arms.
    // Up to one evaluation later the rule may still be pending from the halt's last rounds: wait it out.
    await until(`${ROUNDS} resolved`, 600, async () => {
      roundsFired ||= await roundsFiring()
      return (await p.alerts(ROUNDS)).length === 0 ? true : undefined
    })
    figures.push({ what: `recovery (first new block) → ${ROUNDS} ${roundsFired ? 'resolved' : 'gone (it never fired)'}`, seconds: since(blockAt), target: TARGETS.roundsResolved })
    log(figures.at(-1)!.what + `: ${figures.at(-1)!.seconds} s`)

    // 3. Node down: all up again first, then kill -9 one validator.
    await until('all 4 nodes up again', 120, async () => ((await p.query('sum(up{job="quorate"})')).values[0]?.value[1] === '4' ? true : undefined))
    await until(`no ${DOWN} left`, 120, async () => ((await p.alerts(DOWN)).length === 0 ? true : undefined))
    const killedAt = Date.now()
    await net.kill(3)
    log(`killed validator 4 (${instance(3)})`)
    await until(`${DOWN} firing`, 600, () => p.firing(DOWN, [instance(3)]))
    figures.push({ what: `kill -9 → ${DOWN} firing`, seconds: since(killedAt), target: TARGETS.nodeDownFiring })
    log(figures.at(-1)!.what + `: ${figures.at(-1)!.seconds} s`)
    const chainGoesOn = await rpc<string>(net.url(0), 'eth_blockNumber')
    log(`the chain goes on with 3 of 4: head #${Number(chainGoesOn)}`)
    const backAt = Date.now()
    await net.start(3)
    await until(`${DOWN} resolved`, 600, async () => ((await p.firing(DOWN, [instance(3)])) ? undefined : true))
    figures.push({ what: `start again → ${DOWN} resolved`, seconds: since(backAt), target: TARGETS.nodeDownResolved })
    log(figures.at(-1)!.what + `: ${figures.at(-1)!.seconds} s`)
  } finally {
    await prom?.stop()
    await net.stopAll()
    if (!opts.keep) await rm(dir, { recursive: true, force: true })
  }

  console.log('\nAlert timings (real Prometheus, shipped rules):')
  let missed = 0
  for (const f of figures) {
    const verdict = f.target === undefined ? '' : f.seconds <= f.target ? `  ok (target ≤ ${f.target} s)` : `  MISSED (target ≤ ${f.target} s)`
    if (f.target !== undefined && f.seconds > f.target) missed++
    console.log(`  ${f.what.padEnd(62)} ${String(f.seconds).padStart(6)} s${verdict}`)
  }
  console.log(`  Grafana dashboard queries failing in Prometheus: ${badQueries}`)
  return missed > 0 || badQueries > 0 ? 1 : 0
}

const program = new Command('ops:alert-timing')
  .description('Measure how fast the shipped alert rules fire and resolve, with a real Prometheus and a 4-validator network')
  .option('--interval <duration>', 'scrape and evaluation interval instead of the sample prometheus.yml\'s (e.g. 5s)')
  .option('--keep', 'keep the temp folder with the node and Prometheus logs', false)
  .parse(process.argv)

run(program.opts<{ interval?: string; keep: boolean }>()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(2)
  },
)
