/**
 * The things a benchmark can measure: a Hardhat 2 node, a one-validator Quorate node, a Quorate
 * network of validator processes (each started here on loopback, in a temporary folder that
 * stopping removes), or any node already running at a URL. A target only starts and stops; the
 * workload is run by `runBenchTargets`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QuorateError, errorMessage } from '../../src/errors.js'
import { startAnvilNode } from './anvil.js'
import { startHardhatNode } from './hardhat.js'
import { TestNetwork } from './quorate-network.js'
import { cpuProfileArgs, initDevChain, rpc, startNodeProcess, waitFor } from './quorate-node.js'

export interface RunningTarget {
  /** The node that runs the set-up and whose chain is watched for the transactions. */
  rpcUrl: string
  /** Nodes that take the measured transfers (senders spread round-robin); default [rpcUrl]. */
  submitUrls?: string[]
  /** One line for the log, e.g. what was started where. */
  description: string
  /** The folder of the nodes' data and logs, if the target made one. */
  files?: string
  /** The node processes started here (their CPU time is measured over the run). */
  pids?: number[]
  /** Stops what was started and removes its files, unless asked to keep them for a look after a failure. */
  stop(opts?: { keepFiles?: boolean }): Promise<unknown>
}

export interface BenchTarget {
  label: string
  start(): Promise<RunningTarget>
}

export function hardhatTarget(label = 'hardhat'): BenchTarget {
  return {
    label,
    start: async () => {
      const node = await startHardhatNode()
      return { rpcUrl: node.rpcUrl, pids: pidsOf(node), description: `started hardhat node at ${node.rpcUrl}`, stop: () => node.stop() }
    },
  }
}

/**
 * Anvil (Foundry) started here. By default it automines, a block per transaction before
 * eth_sendRawTransaction answers, as the Hardhat node runs: the two reference peers on the same terms.
 */
export function anvilTarget(opts: { blockTimeSeconds?: number; label?: string } = {}): BenchTarget {
  return {
    label: opts.label ?? 'anvil',
    start: async () => {
      const node = await startAnvilNode(opts.blockTimeSeconds === undefined ? {} : { blockTimeSeconds: opts.blockTimeSeconds })
      return { rpcUrl: node.rpcUrl, pids: pidsOf(node), description: `started anvil at ${node.rpcUrl}, ${node.mining}`, stop: () => node.stop() }
    },
  }
}

const pidsOf = (node: { pid: number }): number[] => (node.pid > 0 ? [node.pid] : [])

/** A node somebody else runs: nothing is started or stopped. */
export function urlTarget(label: string, url: string): BenchTarget {
  return { label, start: async () => ({ rpcUrl: url, description: `using ${url}`, stop: async () => undefined }) }
}

/**
 * A fresh one-validator chain with the dev accounts prefunded. `profileDir`: the node runs with
 * `--cpu-prof` and writes its CPU profile there when it stops.
 */
export function quorateNodeTarget(opts: { blockPeriodMs: number; label?: string; profileDir?: string }): BenchTarget {
  return {
    label: opts.label ?? 'quorate',
    start: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-'))
      try {
        const chain = await initDevChain(dir, { blockPeriodMs: opts.blockPeriodMs, config: { logLevel: 'warn' } })
        const node = await startNodeProcess(dir, chain.rpcPort, cpuProfileArgs(opts.profileDir))
        return {
          rpcUrl: node.rpcUrl,
          ...(node.child.pid === undefined ? {} : { pids: [node.child.pid] }),
          description: `started a one-validator Quorate node at ${node.rpcUrl} (block period ${opts.blockPeriodMs} ms${opts.profileDir ? `, CPU profile to ${opts.profileDir}` : ''})`,
          files: dir,
          stop: async (o) => {
            await node.stop()
            if (!o?.keepFiles) await rm(dir, { recursive: true, force: true })
          },
        }
      } catch (err) {
        throw new QuorateError('BENCH_TARGET_FAILED', `${errorMessage(err)}; its data and node log are kept in ${dir}`, { cause: err })
      }
    },
  }
}

export interface QuorateNetworkTargetOptions {
  validators: number
  blockPeriodMs: number
  /** Block period when no transaction waits; default the product default (10 s). */
  emptyBlockPeriodMs?: number
  /** The node whose chain is watched for finality; default 0. */
  watch?: number
  label?: string
  /** Writes a V8 CPU profile of each node process into this folder (node-<pid>-….cpuprofile). */
  cpuProfileDir?: string
  /** Every node's log level (`debug`: each block's build and execution times). */
  logLevel?: string
}

/**
 * A fresh network of validator processes that dial each other over TLS on loopback. The load
 * enters through every node's RPC; finality is observed on one node. Ready once every node has a
 * connection to every other, so that no early transaction waits for a peer to appear.
 */
export function quorateNetworkTarget(opts: QuorateNetworkTargetOptions): BenchTarget {
  const watch = opts.watch ?? 0
  return {
    label: opts.label ?? 'quorate-network',
    start: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-net-'))
      let net: TestNetwork | undefined
      const stop = async (o?: { keepFiles?: boolean }): Promise<void> => {
        await net?.stopAll()
        if (!o?.keepFiles) await rm(dir, { recursive: true, force: true })
      }
      try {
        net = await TestNetwork.create(dir, {
          validators: opts.validators,
          blockPeriodMs: opts.blockPeriodMs,
          emptyBlockPeriodMs: opts.emptyBlockPeriodMs ?? 10_000,
          ...cpuProfileArgs(opts.cpuProfileDir),
          ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
        })
        await net.start()
        const urls = net.nodes.map((n) => n.rpcUrl)
        await waitFor(
          `every node of the network connected to the other ${urls.length - 1}`,
          async () => (await Promise.all(urls.map((u) => rpc<string>(u, 'net_peerCount')))).every((c) => Number(c) >= urls.length - 1),
          30_000,
        )
        return {
          rpcUrl: urls[watch]!,
          submitUrls: urls,
          pids: net.processes.flatMap((p) => (p?.child.pid === undefined ? [] : [p.child.pid])),
          description: `started ${opts.validators} validators at ${urls.join(' ')} (block period ${opts.blockPeriodMs} ms), watching node ${watch + 1}`,
          files: dir,
          stop,
        }
      } catch (err) {
        await stop({ keepFiles: true })
        throw new QuorateError('BENCH_TARGET_FAILED', `${errorMessage(err)}; its data and node logs are kept in ${dir}`, { cause: err })
      }
    },
  }
}
