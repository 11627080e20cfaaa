/**
 * The soak: a network of real validator processes under a steady load of signed transfers, and a
 * seeded schedule of faults one after another (kill -9 and restart, SIGSTOP/SIGCONT, partitions,
 * a wiped chain folder, a full disk). The invariants (invariants.ts) are checked while it runs and
 * at the end; the result says what happened and what broke.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcHttpClient } from '../bench/lib/json-rpc.js'
import { errorMessage } from '../src/errors.js'
import { inject, type NodeState } from './faults.js'
import { lostTransactions, violations, type Fork, type Lost, type Recovery } from './invariants.js'
import { SteadyLoad, type Acknowledged } from './load.js'
import { ChainMonitor } from './monitor.js'
import { SoakNetwork } from './network.js'
import { buildSchedule, FAULT_KINDS, type Fault, type FaultKind } from './schedule.js'

export interface SoakOptions {
  /** Time for faults, minutes (set-up and the final checks come on top). */
  minutes: number
  seed: number
  validators: number
  kinds: readonly FaultKind[]
  /** Stop after this many faults even if time is left. */
  maxFaults?: number
  senders?: number
  blockPeriodMs?: number
  livenessLimitMs?: number
  catchUpLimitMs?: number
  diskMb?: number
  gapMs?: [number, number]
  holdMs?: [number, number]
  /** Keep the nodes' folders (always kept when an invariant broke). */
  keepFiles?: boolean
  log?: (line: string) => void
  /** Ends the faults early (e.g. on Ctrl-C); the final checks still run. */
  signal?: AbortSignal
}

export interface SoakResult {
  seed: number
  validators: number
  durationMs: number
  faults: Record<FaultKind, number>
  injected: Fault[]
  recoveries: Recovery[]
  acknowledged: number
  submitted: number
  resent: number
  lost: Lost[]
  forks: Fork[]
  incidents: string[]
  height: number
  violations: string[]
  limits: { livenessMs: number; catchUpMs: number }
  /** Where the nodes' data and logs are, when kept. */
  files?: string
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const began = Date.now()
  const stamp = (): string => {
    const s = Math.floor((Date.now() - began) / 1000)
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
  }
  const log = (line: string): void => opts.log?.(`[${stamp()}] ${line}`)
  const limits = { livenessMs: opts.livenessLimitMs ?? 10_000, catchUpMs: opts.catchUpLimitMs ?? 60_000 }
  const diskNode = opts.kinds.includes('disk-full') ? opts.validators - 1 : undefined
  const schedule = buildSchedule({
    seed: opts.seed,
    validators: opts.validators,
    kinds: opts.kinds,
    count: opts.maxFaults ?? 10_000,
    diskNode: diskNode ?? 0,
    ...(opts.gapMs ? { gapMs: opts.gapMs } : {}),
    ...(opts.holdMs ? { holdMs: opts.holdMs } : {}),
  })

  const dir = await mkdtemp(join(tmpdir(), 'quorate-soak-'))
  const network = await SoakNetwork.create(dir, { validators: opts.validators, diskNode, diskMb: opts.diskMb ?? 64, blockPeriodMs: opts.blockPeriodMs ?? 1000 })
  const states: NodeState[] = network.net.nodes.map(() => 'up')
  const incidents: string[] = []
  const forks: Fork[] = []
  const injected: Fault[] = []
  const recoveries: Recovery[] = []
  const urls = network.net.nodes.map((n) => n.rpcUrl)
  const monitor = new ChainMonitor(urls, states, (fork) => {
    forks.push(fork)
    log(`FORK at height ${fork.height}: node-${fork.first.node + 1} ${fork.first.hash} vs node-${fork.other.node + 1} ${fork.other.hash}`)
  })
  const incident = (line: string): void => {
    incidents.push(line)
    log(`INCIDENT ${line}`)
  }
  let load: SteadyLoad | undefined
  let status: NodeJS.Timeout | undefined
  let passed = false
  try {
    log(`starting ${opts.validators} validators in ${dir} (P2P through relays${diskNode !== undefined ? `, node-${diskNode + 1} on a ${opts.diskMb ?? 64} MiB disk` : ''})`)
    await network.net.start()
    await waitUntil(60_000, async () => (await Promise.all(urls.map((u) => new JsonRpcHttpClient(u, 2000).request('net_peerCount')))).every((c) => Number(c) >= urls.length - 1))
    const first = new JsonRpcHttpClient(urls[0]!, 5000)
    load = new SteadyLoad({
      urls,
      senders: network.net.accounts.slice(1, 1 + (opts.senders ?? 6)),
      to: network.net.accounts[0]!.address,
      chainId: BigInt(String(await first.request('eth_chainId'))),
      gasPrice: BigInt(String(await first.request('eth_gasPrice'))),
      up: () => states.flatMap((s, i) => (s === 'up' ? [i] : [])),
    })
    load.start()
    monitor.start()
    const l = load
    status = setInterval(() => log(`status: heads ${monitor.heads.join('/')}, ${l.acknowledged.length} transfers acknowledged, ${forks.length} forks, ${injected.length} faults`), 30_000)
    log(`network up; load of ${opts.senders ?? 6} senders started; faults for ${opts.minutes} min (seed ${opts.seed})`)

    const deadline = Date.now() + opts.minutes * 60_000
    for (const fault of schedule) {
      if (Date.now() + fault.gapMs + fault.holdMs + 15_000 > deadline) break
      await sleep(fault.gapMs, opts.signal)
      if (opts.signal?.aborted) {
        log('stopped early: no more faults')
        break
      }
      const who = fault.nodes.map((n) => `node-${n + 1}`).join(',')
      log(`fault ${fault.seq}: ${fault.kind} ${who} for ${(fault.holdMs / 1000).toFixed(1)} s`)
      injected.push(fault)
      const heal = await inject(fault, { network, states, incident, log })
      await sleep(fault.holdMs, opts.signal)
      await heal()
      if (fault.kind === 'wipe') monitor.recheck(fault.nodes[0]!)
      const recovery = await measureRecovery(fault, urls, states, limits)
      recoveries.push(recovery)
      const ms = (v: number | undefined): string => (v === undefined ? 'never' : `${(v / 1000).toFixed(1)} s`)
      log(`  healed: new block after ${ms(recovery.livenessMs)}, ${who} caught up after ${ms(recovery.catchUpMs)}`)
    }

    log(`faults done; draining the load`)
    await load.stop()
    clearInterval(status)
    await monitor.stop()
    // Every node must hold the whole chain before the final checks.
    const target = Math.max(...(await Promise.all(urls.map((u) => headOf(u)))))
    const settled = await waitUntil(limits.catchUpMs, async () => (await Promise.all(urls.map((u) => headOf(u)))).every((h) => h >= target))
    if (!settled) incident(`not every node reached height ${target} within ${limits.catchUpMs / 1000} s after the load stopped`)
    log(`final checks: every block hash on every node, ${load.acknowledged.length} acknowledged transfers on every node`)
    await monitor.sweep()
    const hashes = load.acknowledged.map((a: Acknowledged) => a.hash)
    const present = await Promise.all(urls.map((_, i) => retry(() => monitor.present(i, hashes)).catch(() => new Set<string>())))
    const lost = lostTransactions(hashes, urls.length, (i) => present[i]!)
    const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, injected.filter((f) => f.kind === k).length])) as Record<FaultKind, number>
    const result: SoakResult = {
      seed: opts.seed,
      validators: opts.validators,
      durationMs: Date.now() - began,
      faults,
      injected,
      recoveries,
      acknowledged: load.acknowledged.length,
      submitted: load.submitted,
      resent: load.resent,
      lost,
      forks,
      incidents,
      height: target,
      limits,
      violations: [],
    }
    result.violations = violations({ forks, lost, recoveries, incidents, acknowledged: result.acknowledged }, limits)
    passed = result.violations.length === 0
    if (!passed || opts.keepFiles) result.files = dir
    return result
  } catch (err) {
    log(`soak stopped: ${errorMessage(err)}; files kept in ${dir}`)
    throw err
  } finally {
    clearInterval(status)
    await monitor.stop()
    await load?.stop(0)
    await network.close()
    if (passed && !opts.keepFiles) await rm(dir, { recursive: true, force: true })
  }
}

async function headOf(url: string): Promise<number> {
  return Number(await new JsonRpcHttpClient(url, 3000).request('eth_blockNumber').catch(() => 0))
}

async function waitUntil(timeoutMs: number, fn: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await fn().catch(() => false)) return true
    if (Date.now() > deadline) return false
    await sleep(200)
  }
}

async function retry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (err) {
      if (i >= attempts) throw err
      await sleep(1000)
    }
  }
}

/**
 * From the heal on: when does the network commit a block above the head it had at the heal
 * (liveness), and when do the faulted nodes have that block too (catch-up)?
 */
async function measureRecovery(fault: Fault, urls: readonly string[], states: readonly NodeState[], limits: { livenessMs: number; catchUpMs: number }): Promise<Recovery> {
  const healedAt = Date.now()
  const heads = await Promise.all(urls.map((u) => headOf(u)))
  const mark = Math.max(...heads)
  let livenessMs: number | undefined
  let catchUpMs: number | undefined
  const deadline = healedAt + Math.max(limits.livenessMs, limits.catchUpMs) + 5000
  while (Date.now() < deadline && catchUpMs === undefined) {
    const now = await Promise.all(urls.map((u, i) => (states[i] === 'up' ? headOf(u) : Promise.resolve(0))))
    const at = Date.now() - healedAt
    if (livenessMs === undefined && now.some((h) => h > mark)) livenessMs = at
    if (livenessMs !== undefined && fault.nodes.every((n) => now[n]! > mark)) catchUpMs = at
    if (catchUpMs === undefined) await sleep(100)
  }
  return { seq: fault.seq, kind: fault.kind, nodes: fault.nodes, livenessMs, catchUpMs }
}
