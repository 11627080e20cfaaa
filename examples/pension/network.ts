/**
 * The ledgers the example runs on. `startPensionDevnet`: the example's own devnet, made by the same
 * code as `quorate devnet` from examples/pension/consortium.yaml (four validator nodes, one per
 * founding party, each a `quorate start` process), in its own data folder and ports; and the fifth
 * node, of the fund the consortium admits by vote, made as the onboarding runbook says
 * (`quorate party join-request`, then after the votes `quorate party join` and `quorate start`).
 * `startPensionAnvil`: one Anvil node for the public parts.
 */
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hex } from 'viem'
import { startAnvilNode, type AnvilNode } from '../../bench/lib/anvil.js'
import { CLI, rpc, startNodeProcess, waitFor, type NodeProcess } from '../../bench/lib/quorate-node.js'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { prepareDevnet, type DevnetFile } from '../../src/cli/devnet.js'
import type { PartyConfig, PartyId } from './app/deployment.js'
import type { JoinRequest } from './app/setup.js'

/** The example's consortium file, found from the source tree or from dist/. */
export const PENSION_CONSORTIUM = resolve(fileURLToPath(new URL('.', import.meta.url)), import.meta.url.includes('/dist/') ? '../../../examples/pension/consortium.yaml' : 'consortium.yaml')

export const FUND_B = { id: 'fundb', name: 'Pensioenfonds Zorg en Welzijn Noord' } as const

const PARTY_NAMES: Record<PartyId, string> = {
  pensionfund: 'Stichting Pensioenfonds Horizon',
  fundb: FUND_B.name,
  employer: 'Bouwbedrijf De Vries B.V.',
  insurer: 'Verzekeraar Noordzee N.V.',
  regulator: 'Toezichthouder Pensioenen',
}

/** Application accounts of the founding parties in the consortium file (dev accounts 4, 6, 7, 8), admins 0..3. */
const FOUNDER_ACCOUNTS = { pensionfund: { app: 4, admin: 0 }, employer: { app: 6, admin: 1 }, insurer: { app: 7, admin: 2 }, regulator: { app: 8, admin: 3 } } as const

export interface DevnetOptions {
  dataDir: string
  rpcPort: number
  p2pPort: number
  blockPeriodMs?: number
}

export interface PensionDevnet {
  dataDir: string
  devnet: DevnetFile
  nodes: NodeProcess[]
  /** Folder of fund B's node (made by `party join-request`). */
  fundBDir: string
  fundBRpcUrl: string
  fundB: NodeProcess | undefined
  /** Party configs; fund B's keys are its own admin key once the join request is made. */
  parties: Record<PartyId, PartyConfig>
  /** Every node's data folder by party (fund B's once started). */
  nodeDirs: Record<PartyId, string>
  joinRequest: JoinRequest
  /** Writes fund B's config and genesis, starts its node and waits until it is in sync. */
  startFundB(): Promise<void>
  stop(): Promise<void>
}

/**
 * A call may take up to 20 s instead of the default 5 s: on a loaded laptop the governance contract's
 * simulated votes can take longer, and the example should not fail for it.
 */
async function relaxCallTimeout(dataDir: string): Promise<void> {
  const file = join(dataDir, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8')) as { rpc?: Record<string, unknown> }
  config.rpc = { ...config.rpc, evmTimeoutMs: 20_000 }
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
}

function cli(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`quorate ${args.join(' ')} failed: ${stderr || stdout || err.message}`))
      else res(stdout)
    })
  })
}

/** A fresh devnet in `dataDir` (any earlier one there is deleted), its four nodes started, and fund B's join request made. */
export async function startPensionDevnet(opts: DevnetOptions): Promise<PensionDevnet> {
  await rm(opts.dataDir, { recursive: true, force: true })
  const devnet = await prepareDevnet({
    dataDir: opts.dataDir,
    consortium: PENSION_CONSORTIUM,
    validators: 4,
    rpcPort: opts.rpcPort,
    p2pPort: opts.p2pPort,
    chainId: 1337,
    blockPeriodMs: opts.blockPeriodMs ?? 500,
    reset: false,
  })
  for (const n of devnet.nodes) await relaxCallTimeout(n.dataDir)
  const nodes: NodeProcess[] = []
  try {
    const started = await Promise.allSettled(devnet.nodes.map((n, i) => startNodeProcess(n.dataDir, opts.rpcPort + i, { readyTimeoutMs: 90_000 })))
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value)
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()))
    throw err
  }
  const fundBDir = resolve(opts.dataDir, 'fundb-node')
  const fundBRpcPort = opts.rpcPort + devnet.nodes.length
  const fundBP2pPort = opts.p2pPort + devnet.nodes.length
  await cli(['party', 'join-request', '--data-dir', fundBDir, '--party-id', FUND_B.id, '--name', FUND_B.name, '--kind', 'member', '--endpoint', `wss://127.0.0.1:${fundBP2pPort}`])
  const joinRequest = JSON.parse(await readFile(join(fundBDir, 'join-request.json'), 'utf8')) as JoinRequest
  const fundBKey = (await readFile(join(fundBDir, 'admin.key'), 'utf8')).trim() as Hex
  const key = (i: number) => devnet.accounts[i]!.privateKey as Hex
  const founder = (id: keyof typeof FOUNDER_ACCOUNTS, node: number): PartyConfig => ({
    id,
    name: PARTY_NAMES[id],
    rpcUrl: devnet.nodes[node]!.rpcUrl,
    accountKey: key(FOUNDER_ACCOUNTS[id].app),
    adminKey: key(FOUNDER_ACCOUNTS[id].admin),
  })
  const fundBRpcUrl = `http://127.0.0.1:${fundBRpcPort}`
  const parties: Record<PartyId, PartyConfig> = {
    pensionfund: founder('pensionfund', 0),
    employer: founder('employer', 1),
    insurer: founder('insurer', 2),
    regulator: founder('regulator', 3),
    // Fund B acts through its own node once admitted; until then its RPC URL answers nothing.
    fundb: { id: 'fundb', name: FUND_B.name, rpcUrl: fundBRpcUrl, accountKey: fundBKey, adminKey: fundBKey },
  }
  const nodeDirs: Record<PartyId, string> = {
    pensionfund: devnet.nodes[0]!.dataDir,
    employer: devnet.nodes[1]!.dataDir,
    insurer: devnet.nodes[2]!.dataDir,
    regulator: devnet.nodes[3]!.dataDir,
    fundb: fundBDir,
  }
  const net: PensionDevnet = {
    dataDir: opts.dataDir,
    devnet,
    nodes,
    fundBDir,
    fundBRpcUrl,
    fundB: undefined,
    parties,
    nodeDirs,
    joinRequest,
    async startFundB() {
      const first = devnet.nodes[0]!
      await cli([
        'party', 'join', '--data-dir', fundBDir, '--genesis', join(first.dataDir, 'genesis.json'),
        ...devnet.nodes.flatMap((n) => ['--peer', `${n.p2pUrl}@${n.address}`]),
        '--rpc-port', String(fundBRpcPort), '--p2p-port', String(fundBP2pPort), '--p2p-host', '127.0.0.1',
      ])
      await relaxCallTimeout(fundBDir)
      net.fundB = await startNodeProcess(fundBDir, fundBRpcPort, { readyTimeoutMs: 90_000 })
      const target = Number(await rpc<string>(first.rpcUrl, 'eth_blockNumber'))
      await waitFor('the fund B node to sync', async () => Number(await rpc<string>(fundBRpcUrl, 'eth_blockNumber')) >= target, 60_000)
    },
    async stop() {
      await Promise.all([...nodes, ...(net.fundB ? [net.fundB] : [])].map((n) => n.stop()))
    },
  }
  return net
}

export interface PensionAnvil {
  anvil: AnvilNode
  parties: Record<PartyId, PartyConfig>
}

/** One Anvil node; every party signs with a development account it funds (no governance, no private data). */
export async function startPensionAnvil(): Promise<PensionAnvil> {
  const anvil = await startAnvilNode({ chainId: 31337 })
  const keys = devAccounts(10).map((a) => a.privateKey as Hex)
  const party = (id: PartyId, i: number): PartyConfig => ({ id, name: PARTY_NAMES[id], rpcUrl: anvil.rpcUrl, accountKey: keys[i]! })
  return {
    anvil,
    parties: { pensionfund: party('pensionfund', 4), fundb: party('fundb', 5), employer: party('employer', 6), insurer: party('insurer', 7), regulator: party('regulator', 8) },
  }
}
