/**
 * Block execution micro-benchmark: ERC-20 transfers per second when building blocks, with the old
 * state (MerkleStateManager + Caches: the trie updated after every transaction) and the new flat
 * state (FlatStateManager: the trie updated once per block), side by side in one run, each on its
 * own LevelDB chain in a temp folder, and the ratio of their tx/s. A third row is the real
 * BlockExecutor.build (whatever state createStateManager gives it).
 *
 *   npm run build && node dist/bench/execution.js [--tx 2000] [--block-size 500] [--senders 50]
 *     [--accounts 5000] [--rounds 3] [--only old|new|executor] [--profile <dir>] [--json]
 *
 * Set-up (not measured): genesis with the senders and `--accounts` other funded accounts (a state
 * of some size), Token deployed, every sender given tokens. Measured: blocks of transfers of 1 token
 * to fresh addresses, built as BlockExecutor.build does (runTx for each transaction, state root,
 * transactions and receipts roots), each block then committed to the store (not measured). Senders
 * are recovered before the clock starts, as the transaction pool does on admission. Variants run
 * interleaved for `--rounds` rounds and the median is reported, since other load on a shared
 * machine only ever slows a run down; tx per CPU-second of this process is shown beside wall-clock
 * tx/s. Every run must produce the same state root for every block, or the benchmark fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlock, genTransactionsTrieRoot, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import {
  bigIntToBytes,
  bytesToHex,
  createAddressFromString,
  generateAddress,
  hexToBytes,
  utf8ToBytes,
  ValueEncoding,
  type Address as EthAddress,
} from '@ethereumjs/util'
import { createVM, encodeReceipt, runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { Command } from 'commander'
import { encodeDeployData, encodeFunctionData } from 'viem'
import { z } from 'zod'
import { blockOptions, createChainCommon, FIXED_HEADER_FIELDS } from '../src/chain/common.js'
import { encodeExtraData } from '../src/chain/extra-data.js'
import { createGenesisBlock, parseGenesis, writeGenesisState, type Genesis } from '../src/chain/genesis.js'
import { ChainStore } from '../src/chain/store.js'
import { privateKeyToAddress } from '../src/crypto/keys.js'
import { keccak256 } from '../src/crypto/native.js'
import { errorMessage, QuorateError } from '../src/errors.js'
import { BlockExecutor, createStateManager } from '../src/execution/executor.js'
import type { Address } from '../src/types.js'
import { parseWith } from '../src/validation.js'
import { tokenArtifact } from './lib/token.js'

const CHAIN_ID = 1337n
const TRANSFER_GAS = 60_000n

interface Options {
  tx: number
  blockSize: number
  senders: number
  accounts: number
}

/** Builds one block on `parent` the way BlockExecutor.build does. */
type BuildFn = (parent: Block, txs: TypedTransaction[], timestamp: bigint) => Promise<{ block: Block; results: RunTxResult[]; phases?: Phases }>

/** Milliseconds of one build spent running the transactions and computing the state root. */
interface Phases {
  runTx: number
  stateRoot: number
}

interface Variant {
  label: string
  /** Opens the variant's state over `store`, writes the genesis state with it, and returns its block builder. */
  open(common: Common, store: ChainStore, genesis: Genesis): Promise<{ stateRoot: Uint8Array; build: BuildFn }>
}

interface VariantResult {
  label: string
  txPerSecond: number
  /** Transactions per second of CPU time of this process (less sensitive to other load on the machine). */
  txPerCpuSecond: number
  msPerBlock: number
  /** Per block: running the transactions, and the state root (VM variants only). */
  runTxMsPerBlock?: number
  stateRootMsPerBlock?: number
  roots: string[]
}

const key = (label: string, i: number): Uint8Array => keccak256(utf8ToBytes(`quorate-bench-execution/${label}/${i}`))

function blockchainOf(store: ChainStore): EVMMockBlockchainInterface {
  const chain: EVMMockBlockchainInterface = {
    async getBlock(n: number) {
      const block = await store.getBlockByNumber(BigInt(n))
      if (!block) throw new QuorateError('BENCH_NO_BLOCK', `block ${n} not found`)
      return block
    },
    async putBlock() {},
    shallowCopy: () => chain,
  }
  return chain
}

function headerOf(parent: Block, timestamp: bigint, coinbase: EthAddress) {
  return {
    parentHash: parent.hash(),
    number: parent.header.number + 1n,
    gasLimit: parent.header.gasLimit,
    timestamp,
    coinbase,
    extraData: encodeExtraData({ vanity: new Uint8Array(32), validators: [coinbase.toString() as Address], round: 0, seals: [] }),
    ...FIXED_HEADER_FIELDS,
  }
}

/** The work of BlockExecutor.build (without admission checks), on any VM. */
function vmBuilder(vm: VM, common: Common, coinbase: EthAddress): BuildFn {
  return async (parent, txs, timestamp) => {
    const headerData = headerOf(parent, timestamp, coinbase)
    const env = createBlock({ header: headerData }, blockOptions(common))
    const results: RunTxResult[] = []
    let gasUsed = 0n
    const t0 = performance.now()
    for (const tx of txs) {
      const result = await runTx(vm, { tx, block: env, blockGasUsed: gasUsed, skipHardForkValidation: true })
      gasUsed += result.totalGasSpent
      results.push(result)
    }
    const t1 = performance.now()
    const stateRoot = await vm.stateManager.getStateRoot()
    const phases = { runTx: t1 - t0, stateRoot: performance.now() - t1 }
    const receiptTrie = new MerklePatriciaTrie({ common })
    for (const [i, r] of results.entries()) await receiptTrie.put(RLP.encode(i), encodeReceipt(r.receipt, txs[i]!.type))
    const block = createBlock(
      {
        header: {
          ...headerData,
          stateRoot,
          gasUsed,
          transactionsTrie: await genTransactionsTrieRoot(txs, new MerklePatriciaTrie({ common })),
          receiptTrie: receiptTrie.root(),
        },
        transactions: txs,
      },
      blockOptions(common),
    )
    return { block, results, phases }
  }
}

function vmVariant(label: string, makeState: (common: Common, store: ChainStore) => MerkleStateManager, coinbase: EthAddress): Variant {
  return {
    label,
    async open(common, store, genesis) {
      const stateManager = makeState(common, store)
      const stateRoot = await writeGenesisState(genesis, stateManager)
      const vm = await createVM({ common, stateManager, blockchain: blockchainOf(store) })
      return { stateRoot, build: vmBuilder(vm, common, coinbase) }
    },
  }
}

function executorVariant(coinbase: EthAddress): Variant {
  return {
    label: 'new: BlockExecutor.build',
    async open(common, store, genesis) {
      const stateRoot = await writeGenesisState(genesis, createStateManager(common, store))
      const executor = await BlockExecutor.create(common, store)
      const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [coinbase.toString() as Address], round: 0, seals: [] })
      return {
        stateRoot,
        build: async (parent, txs, timestamp) => {
          const built = await executor.build(parent, txs, { timestamp, coinbase, extraData })
          if (built.rejected.length > 0) throw new QuorateError('BENCH_TX_REJECTED', `a transaction was rejected: ${errorMessage(built.rejected[0]!.error)}`)
          return built
        },
      }
    },
  }
}

function gasLimitFor(opts: Options): bigint {
  return BigInt(Math.max(50_000_000, opts.blockSize * Number(TRANSFER_GAS) * 2))
}

interface Workload {
  genesis: Genesis
  setup: TypedTransaction[][]
  measured: TypedTransaction[][]
}

function workload(common: Common, opts: Options, coinbase: Address): Workload {
  const token = tokenArtifact()
  const deployerKey = key('deployer', 0)
  const deployer = privateKeyToAddress(deployerKey)
  const senderKeys = Array.from({ length: opts.senders }, (_, i) => key('sender', i))
  const senders = senderKeys.map(privateKeyToAddress)
  const alloc: Record<string, { balance: string }> = { [deployer]: { balance: '1000000000000000000000' } }
  for (const s of senders) alloc[s] = { balance: '1000000000000000000' }
  for (let i = 0; i < opts.accounts; i++) alloc[bytesToHex(keccak256(utf8ToBytes(`account/${i}`)).subarray(0, 20))] = { balance: '1' }
  const genesis = parseGenesis({ config: { chainId: Number(CHAIN_ID) }, gasLimit: gasLimitFor(opts).toString(), validators: [coinbase], alloc })

  const tokenAddress = bytesToHex(generateAddress(hexToBytes(deployer), bigIntToBytes(0n)))
  const legacy = (k: Uint8Array, nonce: number, to: string | undefined, data: `0x${string}`, gas: bigint): TypedTransaction =>
    createLegacyTx({ nonce, gasPrice: 0n, gasLimit: gas, to: to === undefined ? undefined : createAddressFromString(to), data: hexToBytes(data) }, { common }).sign(k)
  const transfer = (to: string, amount: bigint): `0x${string}` =>
    encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [to as Address, amount] })

  const perSender = BigInt(Math.ceil(opts.tx / opts.senders))
  const deploy = legacy(deployerKey, 0, undefined, encodeDeployData({ abi: token.abi, bytecode: token.bytecode, args: ['Bench', 'BEN', 10n ** 30n] }), 3_000_000n)
  const funding = senders.map((s, i) => legacy(deployerKey, i + 1, tokenAddress, transfer(s, perSender), 100_000n))

  const nonces = new Array<number>(opts.senders).fill(0)
  const all: TypedTransaction[] = []
  for (let i = 0; i < opts.tx; i++) {
    const s = i % opts.senders
    const recipient = bytesToHex(keccak256(utf8ToBytes(`recipient/${i}`)).subarray(0, 20))
    all.push(legacy(senderKeys[s]!, nonces[s]!++, tokenAddress, transfer(recipient, 1n), TRANSFER_GAS))
  }
  const measured: TypedTransaction[][] = []
  for (let i = 0; i < all.length; i += opts.blockSize) measured.push(all.slice(i, i + opts.blockSize))
  const fundingBlocks: TypedTransaction[][] = []
  for (let i = 0; i < funding.length; i += opts.blockSize) fundingBlocks.push(funding.slice(i, i + opts.blockSize))
  // Recover every sender and hash now, as the pool does on admission: the clock measures execution.
  for (const tx of [deploy, ...funding, ...all]) {
    tx.getSenderAddress()
    tx.hash()
  }
  return { genesis, setup: [[deploy], ...fundingBlocks], measured }
}

/** CPU profile of the measured blocks only (set-up excluded), for `--profile <dir>`. */
async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (file === undefined) return fn()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(file, JSON.stringify(profile))
    session.disconnect()
  }
}

async function runVariant(variant: Variant, common: Common, load: Workload, log: (m: string) => void, profileFile?: string): Promise<VariantResult> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-exec-'))
  const store = await ChainStore.open(dir, common)
  try {
    const { stateRoot, build } = await variant.open(common, store, load.genesis)
    await store.commit({ block: createGenesisBlock(load.genesis, common, stateRoot), finality: { round: 0, seals: [] }, receipts: [] })
    let timestamp = 1n
    const commit = async (block: Block, results: RunTxResult[]): Promise<void> => {
      for (const r of results) {
        if (r.execResult.exceptionError) throw new QuorateError('BENCH_TX_FAILED', `a transaction failed: ${r.execResult.exceptionError.error}`)
      }
      await store.commit({ block, finality: { round: 0, seals: [] }, receipts: [] })
    }
    for (const txs of load.setup) {
      const { block, results } = await build(store.head, txs, timestamp++)
      await commit(block, results)
    }
    const roots: string[] = []
    let elapsed = 0
    let cpuMicros = 0
    let count = 0
    let phases: Phases | undefined
    await profiled(profileFile, async () => {
      for (const txs of load.measured) {
        const start = performance.now()
        const cpu = process.cpuUsage()
        const built = await build(store.head, txs, timestamp++)
        const used = process.cpuUsage(cpu)
        elapsed += performance.now() - start
        cpuMicros += used.user + used.system
        count += txs.length
        if (built.phases) phases = { runTx: (phases?.runTx ?? 0) + built.phases.runTx, stateRoot: (phases?.stateRoot ?? 0) + built.phases.stateRoot }
        roots.push(bytesToHex(built.block.header.stateRoot))
        await commit(built.block, built.results)
      }
    })
    const blocks = load.measured.length
    const result: VariantResult = {
      label: variant.label,
      txPerSecond: (count * 1000) / elapsed,
      txPerCpuSecond: (count * 1e6) / cpuMicros,
      msPerBlock: elapsed / blocks,
      roots,
    }
    if (phases) {
      result.runTxMsPerBlock = phases.runTx / blocks
      result.stateRootMsPerBlock = phases.stateRoot / blocks
    }
    log(`  ${variant.label}: ${result.txPerSecond.toFixed(1)} tx/s`)
    return result
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const optionsSchema = z.object({
  tx: z.coerce.number().int().min(1).max(100_000),
  blockSize: z.coerce.number().int().min(1).max(5_000),
  senders: z.coerce.number().int().min(1).max(10_000),
  accounts: z.coerce.number().int().min(0).max(1_000_000),
  only: z.array(z.enum(['old', 'new', 'executor'])),
  profile: z.string().min(1).optional(),
  rounds: z.coerce.number().int().min(1).max(20),
  json: z.boolean().optional(),
})

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench:execution')
    .description('ERC-20 transfers/s when building blocks: old trie-per-transaction state vs the flat state')
    .option('--tx <n>', 'measured transfers', '2000')
    .option('--block-size <n>', 'transfers per block', '500')
    .option('--senders <n>', 'distinct senders (round robin)', '50')
    .option('--accounts <n>', 'other funded accounts in the genesis (size of the state)', '5000')
    .option('--only <variant>', 'run only old | new | executor (repeatable; for profiling)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--rounds <n>', 'runs of every variant, interleaved; the median is reported', '3')
    .option('--profile <dir>', 'write a CPU profile of the measured blocks of each variant into <dir>')
    .option('--json', 'print the results as JSON')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const log = (m: string): void => {
    if (!opts.json) console.log(m)
  }
  const coinbase = privateKeyToAddress(key('validator', 0))
  const common = createChainCommon(CHAIN_ID, gasLimitFor(opts))
  const load = workload(common, opts, coinbase)
  const cb = createAddressFromString(coinbase)
  log(`${opts.tx} ERC-20 transfers in blocks of ${opts.blockSize}, ${opts.senders} senders, ${opts.accounts} other accounts; one core, senders recovered beforehand`)

  const all: Record<'old' | 'new' | 'executor', Variant> = {
    old: vmVariant('old: MerkleStateManager+Caches', (c, store) => {
      const trie = new MerklePatriciaTrie({ db: store.trieDb, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common: c })
      return new MerkleStateManager({ trie, common: c, caches: new Caches() })
    }, cb),
    new: vmVariant('new: FlatStateManager', createStateManager, cb),
    executor: executorVariant(cb),
  }
  const names = (opts.only.length > 0 ? opts.only : (['old', 'new', 'executor'] as const)).filter((n, i, xs) => xs.indexOf(n) === i)
  const runs = new Map<string, VariantResult[]>(names.map((n) => [n, []]))
  for (let round = 1; round <= opts.rounds; round++) {
    log(`round ${round}/${opts.rounds}`)
    for (const name of names) {
      const file = opts.profile === undefined ? undefined : join(opts.profile, `execution-${name}-${round}.cpuprofile`)
      runs.get(name)!.push(await runVariant(all[name], common, load, log, file))
    }
  }

  const reference = runs.get(names[0]!)![0]!.roots
  for (const [name, rs] of runs) {
    if (rs.some((r) => r.roots.some((root, i) => root !== reference[i]))) {
      throw new QuorateError('BENCH_ROOT_MISMATCH', `${all[name as keyof typeof all].label} produced other state roots than ${all[names[0]!].label}`)
    }
  }
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b)
    const mid = Math.floor(sorted.length / 2)
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  }
  const optional = (xs: (number | undefined)[]): number | undefined => (xs.every((x) => x !== undefined) ? median(xs as number[]) : undefined)
  const summary = names.map((name) => {
    const rs = runs.get(name)!
    return {
      variant: name,
      label: all[name].label,
      txPerSecond: median(rs.map((r) => r.txPerSecond)),
      txPerSecondMin: Math.min(...rs.map((r) => r.txPerSecond)),
      txPerSecondMax: Math.max(...rs.map((r) => r.txPerSecond)),
      txPerCpuSecond: median(rs.map((r) => r.txPerCpuSecond)),
      msPerBlock: median(rs.map((r) => r.msPerBlock)),
      runTxMsPerBlock: optional(rs.map((r) => r.runTxMsPerBlock)),
      stateRootMsPerBlock: optional(rs.map((r) => r.stateRootMsPerBlock)),
    }
  })
  const old = summary.find((r) => r.variant === 'old')
  const flat = summary.find((r) => r.variant === 'new')
  const ratio = old && flat ? flat.txPerSecond / old.txPerSecond : undefined
  const cpuRatio = old && flat ? flat.txPerCpuSecond / old.txPerCpuSecond : undefined
  if (opts.json) {
    console.log(JSON.stringify({ options: opts, results: summary, ratio, cpuRatio }, null, 2))
    return 0
  }
  const width = Math.max(...summary.map((r) => r.label.length))
  const num = (n: number | undefined, w: number): string => (n === undefined ? '-' : n.toFixed(1)).padStart(w)
  console.log(`\nmedian of ${opts.rounds} round(s)`)
  console.log(`${'variant'.padEnd(width)}  ${'tx/s'.padStart(8)}  ${'min-max'.padStart(13)}  ${'tx/cpu-s'.padStart(8)}  ${'ms/block'.padStart(8)}  ${'runTx ms'.padStart(8)}  ${'root ms'.padStart(7)}`)
  for (const r of summary) {
    const range = `${r.txPerSecondMin.toFixed(0)}-${r.txPerSecondMax.toFixed(0)}`
    console.log(
      `${r.label.padEnd(width)}  ${num(r.txPerSecond, 8)}  ${range.padStart(13)}  ${num(r.txPerCpuSecond, 8)}  ${num(r.msPerBlock, 8)}  ${num(r.runTxMsPerBlock, 8)}  ${num(r.stateRootMsPerBlock, 7)}`,
    )
  }
  if (ratio !== undefined && cpuRatio !== undefined) {
    console.log(`ratio new/old: ${ratio.toFixed(2)} (tx/s), ${cpuRatio.toFixed(2)} (tx per CPU-second); state roots identical in every block`)
  }
  return 0
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(errorMessage(err))
    process.exit(1)
  },
)
