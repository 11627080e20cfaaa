/**
 * Starts Anvil (Foundry's development node, from the `@foundry-rs/anvil-linux-amd64` npm package)
 * as a child process: the second reference peer of the benchmarks, beside Hardhat 2. Owns the child
 * process only; Anvil keeps its state in memory.
 *
 * Mining: by default Anvil automines (one block per transaction, mined before
 * eth_sendRawTransaction answers), exactly as the Hardhat node is run here, so the two peers are
 * compared on the same terms. `blockTimeSeconds` switches to interval mining instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { QuorateError } from '../../src/errors.js'
import { DEV_MNEMONIC } from '../../src/crypto/dev-accounts.js'
import { freePort, rpc } from './quorate-node.js'

const require = createRequire(import.meta.url)

export interface AnvilNodeOptions {
  /** Default 31337 (Anvil's own default). */
  chainId?: number
  /** Interval mining every this many seconds; default undefined = automine (a block per transaction). */
  blockTimeSeconds?: number
  /** Slots per epoch: the `finalized` tag trails the head by two epochs (Anvil's default 32). */
  slotsInAnEpoch?: number
  /** How long to wait for the node to answer eth_chainId; default 30 s. */
  startTimeoutMs?: number
}

export interface AnvilNode {
  rpcUrl: string
  wsUrl: string
  chainId: number
  pid: number
  /** What mining mode it runs, for the benchmark's output. */
  mining: string
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>
}

export class AnvilNodeError extends QuorateError {
  override name = 'AnvilNodeError'
  constructor(shortMessage: string, output: string, opts: { cause?: unknown } = {}) {
    super('ANVIL_NODE_FAILED', shortMessage, { ...opts, details: output ? `last output of anvil:\n${output}` : 'no output' })
  }
}

/** The anvil binary of the npm package (a dev dependency). */
export function anvilBinary(): string {
  let pkg: string
  try {
    pkg = require.resolve('@foundry-rs/anvil-linux-amd64/package.json')
  } catch (cause) {
    throw new AnvilNodeError('The @foundry-rs/anvil-linux-amd64 package is not installed; run `npm install` (it is a dev dependency)', '', { cause })
  }
  const bin = join(dirname(pkg), 'bin', 'anvil')
  if (!existsSync(bin)) throw new AnvilNodeError(`no anvil binary at ${bin}`, '')
  return bin
}

export async function startAnvilNode(opts: AnvilNodeOptions = {}): Promise<AnvilNode> {
  const chainId = opts.chainId ?? 31337
  const port = await freePort()
  const mining = opts.blockTimeSeconds === undefined ? 'automine (a block per transaction)' : `interval mining every ${opts.blockTimeSeconds} s`
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--mnemonic', DEV_MNEMONIC, '--accounts', '10', '--quiet']
  if (opts.blockTimeSeconds !== undefined) args.push('--block-time', String(opts.blockTimeSeconds))
  if (opts.slotsInAnEpoch !== undefined) args.push('--slots-in-an-epoch', String(opts.slotsInAnEpoch))
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const rpcUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000)
  for (;;) {
    if (child.exitCode !== null) {
      process.removeListener('exit', killOnExit)
      throw new AnvilNodeError(`anvil exited before it was ready (code ${child.exitCode})`, output)
    }
    const answered = await rpc<string>(rpcUrl, 'eth_chainId').then(Number, () => undefined)
    if (answered !== undefined) {
      if (answered === chainId) break
      await terminate(child)
      process.removeListener('exit', killOnExit)
      throw new AnvilNodeError(`anvil answered chain id ${answered}, expected ${chainId}`, output)
    }
    if (Date.now() > deadline) {
      await terminate(child)
      process.removeListener('exit', killOnExit)
      throw new AnvilNodeError(`anvil at ${rpcUrl} did not answer within ${opts.startTimeoutMs ?? 30_000} ms`, output)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  let stopped: Promise<void> | undefined
  return {
    rpcUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    chainId,
    pid: child.pid ?? -1,
    mining,
    stop: () => {
      stopped ??= terminate(child).finally(() => process.removeListener('exit', killOnExit))
      return stopped
    },
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
