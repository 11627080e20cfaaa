/**
 * `npm run bench:sync`: how fast a joining node replays the chain. A one-validator chain of blocks
 * full of ERC-20 transfers (50,000 by default) is built in its validator's data folder, sealed by
 * that validator as consensus would; the validator then runs as a process, and a fresh node that
 * knows it as a peer joins and syncs every block: it fetches them, checks their commit seals and
 * re-executes them (every state root checked). Prints replay tx/s and the CPU of the joining node,
 * all threads and its main thread alone (Linux /proc).
 *
 *   node dist/bench/sync.js
 *   node dist/bench/sync.js --tx 20000 --senders 100
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { pino } from 'pino'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { createAddressFromString, createContractAddress } from '@ethereumjs/util'
import { ContractFactory, Interface, type InterfaceAbi } from 'ethers'
import { encodeExtraData } from '../src/chain/extra-data.js'
import { sealDigest } from '../src/chain/finality.js'
import { createCommitSeal, privateKeySigner } from '../src/consensus/qbft/index.js'
import { devAccounts } from '../src/crypto/dev-accounts.js'
import { generatePrivateKey, hexToBytes, privateKeyToAddress } from '../src/crypto/keys.js'
import { loadNodeConfig } from '../src/node/config.js'
import { readKeyFile } from '../src/node/keyfile.js'
import { Node } from '../src/node/node.js'
import { parseWith } from '../src/validation.js'
import { cpuProfileArgs, rpc, waitFor } from './lib/quorate-node.js'
import { TestNetwork } from './lib/quorate-network.js'
import { describeError, runMain } from './lib/run-targets.js'
import { tokenArtifact } from './lib/token.js'

const optionsSchema = z.object({
  tx: z.coerce.number().int().min(1),
  senders: z.coerce.number().int().min(1),
  timeout: z.coerce.number().positive(),
  keep: z.boolean().optional(),
  json: z.boolean().optional(),
  cpuProf: z.string().optional(),
})

interface BuiltChain {
  blocks: number
  transfers: number
  /** Transactions in blocks 1..blocks (set-up included). */
  transactions: number
  buildMs: number
}

/**
 * Builds the chain in the validator's folder, in process: blocks made by the node's own executor,
 * each sealed by the validator's key over its seal digest and committed as consensus commits.
 */
async function buildChain(dataDir: string, opts: { tx: number; senders: number }, log: (m: string) => void): Promise<BuiltChain> {
  const started = performance.now()
  const config = await loadNodeConfig(dataDir)
  const node = await Node.open(dataDir, config, { logger: pino({ level: 'warn' }) })
  try {
    const signer = privateKeySigner(await readKeyFile(join(dataDir, config.nodeKeyFile)))
    const common = node.common
    const validators = [node.address]
    let blocks = 0
    let transactions = 0
    /** Puts `txs` into as many blocks as they fill, in order. */
    const seal = async (txs: TypedTransaction[]): Promise<void> => {
      let rest = txs
      while (rest.length > 0) {
        const parent = node.store.head
        const timestamp = BigInt(Math.max(Math.floor(Date.now() / 1000), Number(parent.header.timestamp) + 1))
        const built = await node.executor.build(parent, rest, { timestamp, coinbase: hexToBytes(node.address), extraData: encodeExtraData({ vanity: new Uint8Array(32), validators, round: 0, seals: [] }) })
        if (built.rejected.length > 0) throw new Error(`a transaction was rejected while building: ${describeError(built.rejected[0]!.error)}`)
        const included = built.block.transactions.length
        if (included === 0) throw new Error('a block with no room for the next transaction')
        const sealBytes = createCommitSeal(sealDigest(built.block, 0, common), signer)
        await node.store.commit({ block: built.block, finality: { round: 0, seals: [sealBytes] }, receipts: built.receipts, changes: built.changes })
        blocks++
        transactions += included
        rest = rest.slice(included)
      }
    }
    const funderKey = hexToBytes(devAccounts(1)[0]!.privateKey)
    const { abi, bytecode } = tokenArtifact()
    const iface = new Interface(abi as unknown as InterfaceAbi)
    const legacy = (key: Uint8Array, nonce: number, to: `0x${string}` | undefined, data: string, gasLimit: bigint): TypedTransaction =>
      createLegacyTx({ nonce, gasPrice: 0n, gasLimit, ...(to ? { to } : {}), data: hexToBytes(data as `0x${string}`) }, { common }).sign(key)
    const deployData = (await new ContractFactory(abi as unknown as InterfaceAbi, bytecode).getDeployTransaction('Bench Token', 'BENCH', BigInt(opts.tx) * 10n)).data
    const token = createContractAddress(createAddressFromString(privateKeyToAddress(funderKey)), 0n).toString() as `0x${string}`
    await seal([legacy(funderKey, 0, undefined, deployData, 3_000_000n)])
    const senders = Array.from({ length: opts.senders }, () => generatePrivateKey())
    const perSender = Math.ceil(opts.tx / opts.senders)
    await seal(senders.map((key, i) => legacy(funderKey, i + 1, token, iface.encodeFunctionData('transfer', [privateKeyToAddress(key), BigInt(perSender)]), 100_000n)))
    log(`set-up: Token at ${token}, ${opts.senders} senders funded; signing ${opts.tx} transfers`)
    // Round-robin over the senders, each in nonce order.
    const transfers: TypedTransaction[] = []
    for (let n = 0; transfers.length < opts.tx; n++) {
      for (const key of senders) {
        if (transfers.length >= opts.tx) break
        const recipient = privateKeyToAddress(generatePrivateKey())
        transfers.push(legacy(key, n, token, iface.encodeFunctionData('transfer', [recipient, 1n]), 60_000n))
      }
    }
    log(`building blocks of ${opts.tx} transfers`)
    await seal(transfers)
    return { blocks, transfers: transfers.length, transactions, buildMs: performance.now() - started }
  } finally {
    await node.stop()
  }
}

/** CPU time (user + system) of a process, all its threads; or, with `thread`, of that thread only (the main thread's id is the pid). */
async function cpuMsOf(pid: number, thread?: number): Promise<number> {
  const text = await readFile(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench:sync')
    .description('replay speed of a node joining a chain of blocks full of ERC-20 transfers')
    .option('--tx <n>', 'ERC-20 transfers in the chain', '50000')
    .option('--senders <n>', 'senders of the transfers', '200')
    .option('--timeout <seconds>', 'limit for the joining node to reach the head', '1800')
    .option('--keep', 'keep the data folders (printed) instead of removing them')
    .option('--json', 'print the result as JSON')
    .option('--cpu-prof <dir>', 'write a V8 CPU profile of each node process (validator and joining node) into this folder (bench/profile-summary.ts)')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const log = (m: string): void => void process.stderr.write(`${m}\n`)
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-sync-'))
  const net = await TestNetwork.create(dir, {
    validators: 1,
    observers: 1,
    blockPeriodMs: 500,
    emptyBlockPeriodMs: 10_000,
    ...cpuProfileArgs(opts.cpuProf && resolve(opts.cpuProf)),
  })
  try {
    const chain = await buildChain(net.nodes[0]!.dataDir, opts, log)
    log(`built ${chain.blocks} blocks (${chain.transactions} transactions) in ${(chain.buildMs / 1000).toFixed(1)} s; starting the validator`)
    await net.start(0)
    const started = performance.now()
    await net.start(1)
    const readyMs = performance.now() - started
    const pid = net.processes[1]!.child.pid!
    const cpuAtReady = await cpuMsOf(pid)
    const mainCpuAtReady = await cpuMsOf(pid, pid)
    const readyAt = performance.now()
    log('joining node started; syncing')
    await waitFor('the joining node to reach the built head', async () => (await net.height(1)) >= chain.blocks, opts.timeout * 1000)
    const syncMs = performance.now() - readyAt
    const cpuMs = (await cpuMsOf(pid)) - cpuAtReady
    // The main thread executes; worker threads (sender recovery) run beside it on another core.
    const mainThreadCpuMs = (await cpuMsOf(pid, pid)) - mainCpuAtReady
    const head = await rpc<{ hash: string }>(net.url(1), 'eth_getBlockByNumber', [`0x${chain.blocks.toString(16)}`, false])
    const source = await rpc<{ hash: string }>(net.url(0), 'eth_getBlockByNumber', [`0x${chain.blocks.toString(16)}`, false])
    if (head.hash !== source.hash) throw new Error(`block ${chain.blocks} differs: ${head.hash} on the joining node, ${source.hash} on the validator`)
    const result = {
      blocks: chain.blocks,
      transactions: chain.transactions,
      startMs: readyMs,
      syncMs,
      replayTxPerSecond: (chain.transactions * 1000) / syncMs,
      cpuMs,
      cpuPerTxUs: (cpuMs * 1000) / chain.transactions,
      mainThreadCpuMs,
      mainThreadCpuPerTxUs: (mainThreadCpuMs * 1000) / chain.transactions,
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    else {
      process.stdout.write(
        `\nJoining node: ${result.blocks} blocks, ${result.transactions} transactions (ERC-20 transfers, ${opts.senders} senders)\n` +
          `  started in ${(readyMs / 1000).toFixed(1)} s, synced in ${(syncMs / 1000).toFixed(1)} s\n` +
          `  replay: ${result.replayTxPerSecond.toFixed(0)} tx/s (goal >= 3000); joining node CPU ${(cpuMs / 1000).toFixed(1)} s, ${result.cpuPerTxUs.toFixed(0)} µs/tx\n` +
          `  of which its main thread ${(mainThreadCpuMs / 1000).toFixed(1)} s, ${result.mainThreadCpuPerTxUs.toFixed(0)} µs/tx (the rest: worker threads)\n`,
      )
    }
    return 0
  } finally {
    await net.stopAll()
    if (!opts.keep) await rm(dir, { recursive: true, force: true })
    else log(`data kept in ${dir}`)
  }
}

runMain('bench:sync', main)
