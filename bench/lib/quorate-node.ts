/**
 * Real Quorate node processes, for benchmarks and integration tests: `quorate init`-style data
 * folders and `quorate start` child processes of the built CLI (dist/, made by `npm run build`,
 * which `npm test` and the bench scripts run first).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createNodeKeys, writeNodeFiles } from '../../src/node/init.js'
import { devAccounts, type DevAccount } from '../../src/crypto/dev-accounts.js'
import type { GenesisInput } from '../../src/chain/genesis.js'
import type { NodeConfigInput } from '../../src/node/config.js'
import type { Address } from '../../src/types.js'

// This file runs from bench/lib (vitest) or dist/bench/lib (built): find the CLI from the repository root.
export const CLI = resolve(fileURLToPath(new URL('.', import.meta.url)), import.meta.url.includes('/dist/') ? '../../src/cli/main.js' : '../../dist/src/cli/main.js')

const PORT_LOW = 20_000
const PORT_SPAN = 12_000
/** Ports this process already handed out: a port checked free and not yet listened on must not be handed out again. */
const handedOut = new Set<number>()

/**
 * A free loopback port below Linux's ephemeral range (32768–60999): a port taken from that range
 * can later be held by an outgoing connection's source port, and a node restarted on it would then
 * fail to listen. Test files run in parallel workers, and a port is only checked free, not held:
 * each worker (VITEST_POOL_ID) draws from its own slice of the range, so two files never pick the
 * same port, and no port is handed out twice in one process.
 */
export async function freePort(): Promise<number> {
  const pool = Number(process.env.VITEST_POOL_ID ?? 0)
  const slices = pool > 0 ? 4 : 1
  const span = Math.floor(PORT_SPAN / slices)
  const low = PORT_LOW + (pool > 0 ? ((pool - 1) % slices) * span : 0)
  for (;;) {
    const port = low + Math.floor(Math.random() * span)
    if (handedOut.has(port)) continue
    const free = await new Promise<boolean>((res) => {
      const srv = createServer()
      srv.unref()
      srv.once('error', () => res(false))
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)))
    })
    if (free) {
      handedOut.add(port)
      return port
    }
  }
}

export interface DevChain {
  dataDir: string
  address: Address
  rpcPort: number
  accounts: DevAccount[]
}

/** A one-validator chain with the dev accounts prefunded, in `dataDir`. */
export async function initDevChain(dataDir: string, opts: { blockPeriodMs?: number; genesis?: Partial<GenesisInput>; config?: NodeConfigInput } = {}): Promise<DevChain> {
  const { address } = await createNodeKeys(dataDir)
  const rpcPort = await freePort()
  const accounts = devAccounts(10)
  await writeNodeFiles(
    dataDir,
    {
      config: { chainId: 1337, blockPeriodMs: opts.blockPeriodMs ?? 200 },
      validators: [address],
      alloc: Object.fromEntries(accounts.map((a) => [a.address, { balance: (10n ** 24n).toString() }])),
      ...opts.genesis,
    },
    { rpc: { port: rpcPort }, logLevel: 'info', ...opts.config },
  )
  return { dataDir, address, rpcPort, accounts }
}

export interface NodeProcess {
  child: ChildProcess
  rpcUrl: string
  wsUrl: string
  /** Graceful stop (SIGTERM); resolves with the exit code. */
  stop(): Promise<number | null>
  /** kill -9. */
  kill(): Promise<void>
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

/**
 * `readyTimeoutMs`: how long the node may take to answer RPC (default 30 s; a large genesis takes longer).
 * `nodeArgs`: options for node itself before the CLI, e.g. `--cpu-prof` to profile the node process.
 * `logLevel`: the node's log level instead of its config's (`debug` logs each block's build and execution times).
 */
/** Node options that write a V8 CPU profile of the process into `dir` when it exits; none without a folder. */
export function cpuProfileArgs(dir: string | undefined): { nodeArgs?: string[] } {
  return dir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] } : {}
}

export async function startNodeProcess(dataDir: string, rpcPort: number, opts: { readyTimeoutMs?: number; nodeArgs?: string[]; logLevel?: string } = {}): Promise<NodeProcess> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000
  const rpcUrl = `http://127.0.0.1:${rpcPort}`
  // Something still answering on the port would pass the readiness check below in our place.
  if (await rpc(rpcUrl, 'eth_blockNumber').then(() => true, () => false)) throw new Error(`port ${rpcPort} is still in use`)
  const log = openSync(join(dataDir, 'node.log'), 'a')
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'start', '--data-dir', dataDir, ...(opts.logLevel ? ['--log-level', opts.logLevel] : [])], { stdio: ['ignore', log, log] })
  closeSync(log)
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  const deadline = Date.now() + readyTimeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      // The log's last lines say why: in CI the temp folder is gone when the report is read.
      const tail = readFileSync(join(dataDir, 'node.log'), 'utf8').trimEnd().split('\n').slice(-5).join('\n')
      throw new Error(`node exited with ${child.exitCode}; ${join(dataDir, 'node.log')} ends:\n${tail}`)
    }
    try {
      await rpc(rpcUrl, 'eth_blockNumber')
      break
    } catch {
      if (Date.now() > deadline) {
        // Not left running behind the caller's back: nobody holds it once this throws.
        child.kill('SIGKILL')
        await exited
        throw new Error(`node at ${rpcUrl} did not answer within ${readyTimeoutMs / 1000} s`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    child,
    rpcUrl,
    wsUrl: `ws://127.0.0.1:${rpcPort}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
