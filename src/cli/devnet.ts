/**
 * `quorate devnet`: a local consortium in one command. Each validator is its own `quorate start`
 * process with its own data folder under `<dataDir>/node-<i>`; the ten accounts of the well-known
 * development mnemonic are prefunded. A node that dies is reported and NOT restarted: an operator
 * must see a failure, not have it hidden. Ctrl-C stops every node cleanly; running again resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { devAccounts, type DevAccount } from '../crypto/dev-accounts.js'
import { QuorateError } from '../errors.js'
import type { Address } from '../types.js'
import { parse as parseYaml } from 'yaml'
import { createNetworkKeys, exists, writeNetworkFiles, type NetworkNode } from '../node/init.js'
import { parseConsortium, type Consortium } from '../governance/consortium.js'
import { consortiumGenesis } from '../governance/genesis.js'
import { rpcCall } from '../rpc/http-client.js'

export interface DevnetOptions {
  dataDir: string
  /** Consortium file (governed chain); undefined for a plain chain of `validators` nodes. */
  consortium: string | undefined
  validators: number
  rpcPort: number
  p2pPort: number
  chainId: number
  blockPeriodMs: number
  reset: boolean
}

export interface DevnetNode {
  name: string
  dataDir: string
  address: Address
  rpcUrl: string
  wsUrl: string
  p2pUrl: string
  startCommand: string
}

export interface DevnetFile {
  chainId: number
  /** Name of the consortium when the devnet is governed. */
  consortium?: string
  nodes: DevnetNode[]
  accounts: DevAccount[]
}

const DEV_BALANCE = 10_000n * 10n ** 18n
const CLI = fileURLToPath(new URL('./main.js', import.meta.url))

/** The consortium file `npm run devnet` uses unless told otherwise (four parties, one validator each). */
export const DEFAULT_CONSORTIUM = fileURLToPath(new URL('../../../examples/consortium/devnet.yaml', import.meta.url))

/**
 * Creates the devnet's folders (keys, one shared genesis, configs) unless they exist. With a
 * consortium file, the genesis holds the governance contract and each node named in the file gets a
 * generated key; with `consortium: undefined`, a plain chain of `validators` nodes.
 */
export async function prepareDevnet(opts: DevnetOptions): Promise<DevnetFile> {
  const file = join(opts.dataDir, 'devnet.json')
  if (opts.reset) await rm(opts.dataDir, { recursive: true, force: true })
  if (await exists(file)) return JSON.parse(await readFile(file, 'utf8')) as DevnetFile
  const accounts = devAccounts(10)
  const alloc = Object.fromEntries(accounts.map((a) => [a.address, { balance: `0x${DEV_BALANCE.toString(16)}` }]))
  const consortium = opts.consortium ? await loadConsortiumTemplate(opts.consortium) : undefined
  const names = consortium ? consortium.nodeNames : Array.from({ length: opts.validators }, (_, i) => `node-${i + 1}`)
  const specs = names.map((name, i) => ({ name, dataDir: resolve(opts.dataDir, name), rpcPort: opts.rpcPort + i, p2pPort: opts.p2pPort + i }))
  const created = await createNetworkKeys(specs)
  const completed = consortium?.complete(created, { chainId: opts.chainId, blockPeriodMs: opts.blockPeriodMs, alloc })
  const genesis = completed
    ? await consortiumGenesis(completed)
    : { config: { chainId: opts.chainId, blockPeriodMs: opts.blockPeriodMs }, validators: created.map((n) => n.address), alloc }
  // No CORS: the dashboard is served by the node itself (same origin); browsers elsewhere are not trusted.
  await writeNetworkFiles(created, genesis)
  const nodes: DevnetNode[] = created.map((n) => ({
    name: n.name,
    dataDir: n.dataDir,
    address: n.address,
    rpcUrl: n.rpcUrl,
    wsUrl: n.wsUrl,
    p2pUrl: n.p2pUrl!,
    startCommand: `node ${CLI} start --data-dir ${n.dataDir}`,
  }))
  const devnet: DevnetFile = { chainId: opts.chainId, ...(consortium ? { consortium: consortium.name } : {}), nodes, accounts }
  // The admin key of party i (in the consortium file's order) as <dataDir>/admin-<i>.key, for
  // `--key-file` in governance commands (the runbooks use them): development keys, like the accounts.
  for (const [i, party] of (completed?.parties ?? []).entries()) {
    const admin = accounts.find((a) => a.address.toLowerCase() === party.admins[0]?.toLowerCase())
    if (admin) await writeFile(join(opts.dataDir, `admin-${i + 1}.key`), `${admin.privateKey}\n`, { mode: 0o600 })
  }
  await writeFile(file, `${JSON.stringify(devnet, null, 2)}\n`)
  return devnet
}

/**
 * A consortium file whose nodes are named but may lack addresses and endpoints: the devnet fills
 * them from the keys it generates, then validates the whole file.
 */
async function loadConsortiumTemplate(path: string) {
  const raw = parseYaml(await readFile(path, 'utf8').catch(() => {
    throw new QuorateError('CONSORTIUM_UNREADABLE', `cannot read the consortium file ${path}`)
  })) as { name?: string; parties?: { nodes?: { name?: string; address?: string; endpoint?: string }[] }[] }
  const nodeNames = (raw.parties ?? []).flatMap((p) => (p.nodes ?? []).map((n, i) => n.name ?? `${i}`))
  return {
    name: raw.name ?? 'consortium',
    nodeNames,
    complete(nodes: NetworkNode[], overrides: { chainId: number; blockPeriodMs: number; alloc: Record<string, { balance: string }> }): Consortium {
      for (const party of raw.parties ?? []) {
        for (const n of party.nodes ?? []) {
          const made = nodes.find((m) => m.name === n.name)
          if (made) Object.assign(n, { address: made.address, endpoint: made.p2pUrl ?? '', encryptionKey: made.encryptionKey })
        }
      }
      return parseConsortium(JSON.stringify({ ...raw, ...overrides }), path)
    },
  }
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new QuorateError('NODE_EXITED', `the node behind ${url} exited with code ${child.exitCode}`)
    if (await rpcCall(url, 'eth_blockNumber', [], 2000).then(() => true, () => false)) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new QuorateError('NODE_TIMEOUT', `no answer from ${url} within ${timeoutMs / 1000} s`)
}

/** Starts every node as a child process; resolves when the devnet has stopped. */
export async function runDevnet(opts: DevnetOptions, out: (line: string) => void): Promise<number> {
  const devnet = await prepareDevnet(opts)
  const children = devnet.nodes.map((node) => {
    const log = openSync(join(node.dataDir, 'node.log'), 'a')
    const child = spawn(process.execPath, [CLI, 'start', '--data-dir', node.dataDir], { stdio: ['ignore', log, log] })
    closeSync(log)
    return { node, child }
  })
  let stopping = false
  const exited = children.map(
    ({ node, child }) =>
      new Promise<number>((res) =>
        child.on('exit', (code, signal) => {
          if (!stopping) out(`!! ${node.name} stopped unexpectedly (${signal ?? `exit code ${code}`}); see ${join(node.dataDir, 'node.log')}. It is not restarted.`)
          res(code ?? 1)
        }),
      ),
  )
  const stop = () => {
    if (stopping) return
    stopping = true
    out('stopping the devnet…')
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM')
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    await Promise.all(children.map(({ node, child }) => waitForRpc(node.rpcUrl, child)))
  } catch (err) {
    stop()
    await Promise.all(exited)
    throw err
  }
  out(`Quorate devnet: ${devnet.nodes.length} validator${devnet.nodes.length > 1 ? 's' : ''}, chain id ${devnet.chainId}${devnet.consortium ? `, consortium "${devnet.consortium}" (governance on chain: quorate gov --help)` : ''}`)
  out('')
  for (const n of devnet.nodes) {
    out(`  ${n.name}  ${n.address}  RPC ${n.rpcUrl}  WS ${n.wsUrl}`)
    out(`          start alone: ${n.startCommand}`)
  }
  out('')
  out('Accounts (10,000 ETH each; development keys, never use them elsewhere):')
  devnet.accounts.forEach((a, i) => out(`  (${i}) ${a.address}  ${a.privateKey}`))
  out('')
  if (devnet.consortium) out(`Party admin keys (for gov --key-file): ${join(opts.dataDir, 'admin-<i>.key')}, i = 1, 2, … in the consortium file's order of parties.`)
  out(`Everything above is in ${resolve(opts.dataDir, 'devnet.json')}. Logs: <node folder>/node.log. Ctrl-C stops the devnet.`)
  const codes = await Promise.all(exited)
  process.off('SIGINT', stop)
  process.off('SIGTERM', stop)
  return stopping ? 0 : Math.max(...codes, 1)
}
