/**
 * Starts a real Hardhat 2 node (`hardhat node`) as a child process: the reference peer that tests
 * and benchmarks compare Quorate with. Owns the child process and its temporary project folder (a
 * generated hardhat.config.cjs); it does not compile contracts or keep any state across runs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { QuorateError } from '../../src/errors.js'
import { DEV_MNEMONIC } from '../../src/crypto/dev-accounts.js'

const require = createRequire(import.meta.url)

export interface HardhatNodeOptions {
  /** TCP port on 127.0.0.1; default 0 (an ephemeral port chosen by the OS, read back from the node). */
  port?: number
  /** Default 31337. */
  chainId?: number
  /** Number of pre-funded accounts derived from the mnemonic; default 10. */
  accounts?: number
  /** Default: the standard `test test ... junk` mnemonic. */
  mnemonic?: string
  /** Hardhat hardfork name; default: Hardhat's own default. */
  hardfork?: string
  /** How long to wait for the node to answer eth_chainId; default 60 s. */
  startTimeoutMs?: number
}

export interface HardhatNode {
  rpcUrl: string
  wsUrl: string
  chainId: number
  port: number
  pid: number
  /** Terminates the node (SIGTERM, then SIGKILL after 5 s) and removes its temporary folder. */
  stop(): Promise<void>
}

export class HardhatNodeError extends QuorateError {
  override name = 'HardhatNodeError'
  constructor(shortMessage: string, output: string, opts: { cause?: unknown } = {}) {
    super('HARDHAT_NODE_FAILED', shortMessage, { ...opts, details: output ? `last output of hardhat node:\n${output}` : 'no output' })
  }
}

/** The folder that holds the node_modules in which `hardhat` is installed: Hardhat insists on a local install. */
function hardhatInstallation(): { bootstrap: string; projectRoot: string } {
  let pkg: string
  try {
    pkg = realpathSync(require.resolve('hardhat/package.json'))
  } catch (cause) {
    throw new HardhatNodeError('The hardhat package is not installed; run `npm install` (it is a dev dependency)', '', { cause })
  }
  const hardhatDir = dirname(pkg)
  const nodeModules = dirname(hardhatDir)
  if (basename(nodeModules) !== 'node_modules') {
    throw new HardhatNodeError(`hardhat resolved to ${hardhatDir}, which is not inside a node_modules folder`, '')
  }
  return { bootstrap: join(hardhatDir, 'internal', 'cli', 'bootstrap.js'), projectRoot: dirname(nodeModules) }
}

const READY_LINE = /Started HTTP and WebSocket JSON-RPC server at http:\/\/([0-9.]+):(\d+)\//

export async function startHardhatNode(opts: HardhatNodeOptions = {}): Promise<HardhatNode> {
  const chainId = opts.chainId ?? 31337
  const { bootstrap, projectRoot } = hardhatInstallation()
  const dir = mkdtempSync(join(tmpdir(), 'quorate-hardhat-'))
  const config = {
    paths: { sources: './contracts', cache: './cache', artifacts: './artifacts' },
    networks: {
      hardhat: {
        chainId,
        ...(opts.hardfork ? { hardfork: opts.hardfork } : {}),
        mining: { auto: true, interval: 0 },
        accounts: { mnemonic: opts.mnemonic ?? DEV_MNEMONIC, count: opts.accounts ?? 10 },
        // Mine failing transactions with status 0 instead of answering eth_sendRawTransaction with an
        // error, as geth, Besu and Quorate do. Failing eth_calls still return an error with revert data.
        throwOnTransactionFailures: false,
        throwOnCallFailures: true,
        loggingEnabled: false,
      },
    },
  }
  const configPath = join(dir, 'hardhat.config.cjs')
  writeFileSync(configPath, `module.exports = ${JSON.stringify(config, null, 2)}\n`)

  // Hardhat refuses to run unless `hardhat` resolves from the working directory to the same
  // package that runs, so the child runs in the folder holding node_modules, with --config
  // pointing at the temporary project (whose folder becomes the project root for cache files).
  const child = spawn(
    process.execPath,
    [bootstrap, 'node', '--config', configPath, '--hostname', '127.0.0.1', '--port', String(opts.port ?? 0)],
    {
      cwd: projectRoot,
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const output = new OutputTail(40)
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  const cleanup = (): void => {
    process.removeListener('exit', killOnExit)
    rmSync(dir, { recursive: true, force: true })
  }

  let port: number
  try {
    port = await waitForReadyLine(child, output, opts.startTimeoutMs ?? 60_000)
  } catch (err) {
    await terminate(child)
    cleanup()
    throw err
  }
  const rpcUrl = `http://127.0.0.1:${port}`
  try {
    const answered = await rpcChainId(rpcUrl)
    if (answered !== chainId) throw new HardhatNodeError(`hardhat node answered chain id ${answered}, expected ${chainId}`, output.text())
  } catch (err) {
    await terminate(child)
    cleanup()
    throw err instanceof HardhatNodeError ? err : new HardhatNodeError(`hardhat node at ${rpcUrl} did not answer eth_chainId`, output.text(), { cause: err })
  }

  let stopped: Promise<void> | undefined
  return {
    rpcUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    chainId,
    port,
    pid: child.pid ?? -1,
    stop: () => {
      stopped ??= terminate(child).finally(cleanup)
      return stopped
    },
  }
}

/** Keeps the last lines a child printed, for error messages; reading also keeps the pipe drained. */
class OutputTail {
  private lines: string[] = []
  private partial = ''
  constructor(private readonly max: number) {}
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split('\n')
    this.partial = parts.pop() ?? ''
    for (const line of parts) {
      this.lines.push(line)
      if (this.lines.length > this.max) this.lines.shift()
    }
    return parts
  }
  text(): string {
    return [...this.lines, this.partial].join('\n').trim()
  }
}

function waitForReadyLine(child: ChildProcess, output: OutputTail, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (fn: () => void): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      child.removeListener('exit', onExit)
      child.removeListener('error', onError)
      fn()
    }
    const timer = setTimeout(() => {
      finish(() => reject(new HardhatNodeError(`hardhat node did not start within ${timeoutMs} ms`, output.text())))
    }, timeoutMs)
    const onExit = (code: number | null, signal: string | null): void => {
      finish(() => reject(new HardhatNodeError(`hardhat node exited before it was ready (code ${code}, signal ${signal})`, output.text())))
    }
    const onError = (err: Error): void => {
      finish(() => reject(new HardhatNodeError(`could not start hardhat node: ${err.message}`, output.text(), { cause: err })))
    }
    child.on('exit', onExit)
    child.on('error', onError)
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk))
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of output.push(chunk)) {
        const m = READY_LINE.exec(line)
        if (m) finish(() => resolve(Number(m[2])))
      }
    })
  })
}

async function rpcChainId(rpcUrl: string): Promise<number> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(10_000),
  })
  const body = (await res.json()) as { result?: string }
  if (typeof body.result !== 'string') throw new Error(`unexpected eth_chainId answer: ${JSON.stringify(body)}`)
  return Number(BigInt(body.result))
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
