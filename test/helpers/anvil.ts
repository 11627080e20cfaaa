/**
 * A real Anvil node (Foundry, from npm: @foundry-rs/anvil-linux-amd64) on a free loopback port,
 * for tests that run against another Ethereum ledger. Owns the child process only.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { freePort, rpc } from '../../bench/lib/quorate-node.js'

const require = createRequire(import.meta.url)

export interface AnvilNode {
  rpcUrl: string
  wsUrl: string
  chainId: number
  stop(): Promise<void>
}

export interface AnvilOptions {
  /** Interval mining every this many seconds; default: automine (a block per transaction). */
  blockTimeSeconds?: number
  /** Slots per epoch: the `finalized` tag trails the head by two epochs (Anvil's default 32). */
  slotsInAnEpoch?: number
  chainId?: number
}

export function anvilBinary(): string {
  return join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil')
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilNode> {
  const port = await freePort()
  const chainId = opts.chainId ?? 31337
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent']
  if (opts.blockTimeSeconds !== undefined) args.push('--block-time', String(opts.blockTimeSeconds))
  if (opts.slotsInAnEpoch !== undefined) args.push('--slots-in-an-epoch', String(opts.slotsInAnEpoch))
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const rpcUrl = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      await rpc(rpcUrl, 'eth_chainId')
      break
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop()
        throw new Error(`anvil did not start on port ${port}: ${stderr || String(err)}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return { rpcUrl, wsUrl: `ws://127.0.0.1:${port}`, chainId, stop }
}
