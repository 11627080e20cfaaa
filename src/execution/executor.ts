/**
 * BlockExecutor: runs transactions on the EVM (@ethereumjs/vm) over the state of a parent block.
 * `build` makes a new block from candidate transactions (skipping those that fail); `execute`
 * re-runs a received block and checks every root it claims; `apply` enters a final block from its
 * receipts and state changes (state-changes.ts) without running it, checking the same roots. Each
 * gives the block's state changes, kept with it. None writes to disk: the trie nodes they create
 * wait in the store's TrieDb until ChainStore.commit puts them in the block's batch.
 *
 * One executor owns one VM and its state; calls are serialised, since the state follows whichever
 * block was executed last.
 */
import { Block, createBlock, createBlockHeader, type HeaderData } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, equalsBytes, ValueEncoding, type Address as EthAddress, type DB } from '@ethereumjs/util'
import { Bloom, createVM, encodeReceipt, runTx, type RunTxResult, type TxReceipt, type VM } from '@ethereumjs/vm'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { errorMessage, QuorateError } from '../errors.js'
import type { ChainStore } from '../chain/store.js'
import { receiptBloom, type StoredReceipt } from '../chain/receipts.js'
import { Mutex } from '../util/mutex.js'
import { FlatStateManager, TrieNodeCache } from './flat-state.js'
import { decodeStateChanges, encodeStateChanges } from './state-changes.js'
import './jump-analysis-cache.js'
import { Pacer } from '../util/pacer.js'
import { buildTrie } from '../chain/trie.js'
import { keccak256 } from '../crypto/native.js'
import { blockOptions, FIXED_HEADER_FIELDS } from '../chain/common.js'

export class InvalidBlockError extends QuorateError {
  override name = 'InvalidBlockError'
  constructor(reason: string, details?: string) {
    super('INVALID_BLOCK', `invalid block: ${reason}`, details !== undefined ? { details } : {})
  }
}

export interface ExecutedBlock {
  block: Block
  receipts: StoredReceipt[]
  /** What the block changed in the state (state-changes.ts), kept with the block for peers that sync. */
  changes: Uint8Array
}

export interface BuildResult extends ExecutedBlock {
  results: RunTxResult[]
  rejected: { tx: TypedTransaction; error: unknown }[]
}

export interface BuildHeader {
  timestamp: bigint
  coinbase: EthAddress | Uint8Array
  extraData: Uint8Array
  /**
   * Stop adding transactions at this time (ms since epoch). Every validator re-executes the block
   * before its round timer runs out, so a block must stay executable in well under that time.
   */
  deadlineMs?: number
}

/** A check a transaction must pass to be in a block (governance plugs permissions in here). */
export type TxAdmission = (tx: TypedTransaction, parent: Block) => Promise<void>

/**
 * The rules of the child of `parent` that the executor enforces: its gas limit. It may throw to
 * refuse building or executing that child at all (a protocol version this node does not support).
 * Without it, every block keeps its parent's gas limit.
 */
export type BlockRules = (parent: Block) => Promise<{ gasLimit: bigint }>

/**
 * What a VM reads from the chain: trie nodes and code, and canonical blocks for BLOCKHASH (only
 * their hash). The ChainStore is one; the eth_call workers read both through the main thread.
 */
export interface ExecutionSource {
  readonly trieDb: DB<string, Uint8Array>
  getBlockByNumber(number: bigint): Promise<{ hash(): Uint8Array } | undefined>
}

export function createStateManager(common: Common, store: ExecutionSource, pace?: () => Promise<void>): FlatStateManager {
  const trie = new MerklePatriciaTrie({ db: new TrieNodeCache(store.trieDb), useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common })
  return new FlatStateManager({ trie, common, ...(pace ? { pace } : {}) })
}

/** BLOCKHASH reads canonical blocks from the store. */
function blockchainOf(store: ExecutionSource): EVMMockBlockchainInterface {
  const chain: EVMMockBlockchainInterface = {
    async getBlock(n: number) {
      const block = await store.getBlockByNumber(BigInt(n))
      if (!block) throw new Error(`block ${n} not found`)
      return block
    },
    async putBlock() {},
    shallowCopy: () => chain,
  }
  return chain
}

export async function createExecutionVM(common: Common, store: ExecutionSource, pace?: () => Promise<void>): Promise<VM> {
  return createVM({ common, stateManager: createStateManager(common, store, pace), blockchain: blockchainOf(store) })
}

export interface BlockExecutorOptions {
  /**
   * Longest stretch (ms) of block work before it lets the event loop turn, so that JSON-RPC reads
   * and consensus messages are answered during the execution of a received block and while a
   * block's changes are written to the trie, not after; default 25. 0 never yields. (The
   * transactions of a block being built are run without yielding: see build.)
   */
  sliceMs?: number
}

export class BlockExecutor {
  private readonly lock = new Mutex()
  private stateRoot: Uint8Array | undefined
  /** A build is waiting for its next candidate (streamed while the block period runs): no block work is running. */
  private awaitingCandidates = false
  /** Ends a build's streamed candidates: other block work waits for the executor. */
  private endCandidates: (() => void) | undefined
  /** The parent of the block being built or executed (governance reads its state). */
  parent: Block | undefined

  private constructor(
    private readonly vm: VM,
    private readonly pacer: Pacer,
    private readonly common: Common,
    private readonly admit?: TxAdmission,
    private readonly rules?: BlockRules,
  ) {}

  static async create(common: Common, store: ChainStore, admit?: TxAdmission, rules?: BlockRules, opts: BlockExecutorOptions = {}): Promise<BlockExecutor> {
    const pacer = new Pacer(opts.sliceMs ?? 25)
    return new BlockExecutor(await createExecutionVM(common, store, () => pacer.pace()), pacer, common, admit, rules)
  }

  private async gasLimitAfter(parent: Block): Promise<bigint> {
    return this.rules ? (await this.rules(parent)).gasLimit : parent.header.gasLimit
  }

  get evm(): VM['evm'] {
    return this.vm.evm
  }

  get stateManager(): MerkleStateManager {
    return this.state
  }

  private get state(): FlatStateManager {
    return this.vm.stateManager as FlatStateManager
  }

  /**
   * A build or execution is running or waiting (the transaction ingest holds back meanwhile: blocks
   * go first); not while a build waits for candidates still to come.
   */
  get busy(): boolean {
    return this.lock.busy && !this.awaitingCandidates
  }

  /**
   * Builds a block on `parent` from `candidates` in order; a candidate that fails is skipped and
   * reported. The candidates may be streamed (an async iterable, e.g. consensus/pending-stream.ts):
   * the build runs each as it comes, and ends when they do, the gas is used up or the deadline
   * passes, or as soon as other block work (a received block, sync) asks for the executor: a build
   * waiting for transactions never holds that work up.
   */
  async build(parent: Block, candidates: Iterable<TypedTransaction> | AsyncIterable<TypedTransaction>, header: BuildHeader): Promise<BuildResult> {
    return this.lock.run(async () => {
      this.pacer.start()
      const gasLimit = await this.gasLimitAfter(parent)
      this.parent = parent
      await this.moveTo(parent.header.stateRoot)
      const headerData: HeaderData = {
        parentHash: parent.hash(),
        number: parent.header.number + 1n,
        gasLimit,
        timestamp: header.timestamp,
        coinbase: header.coinbase,
        extraData: header.extraData,
        ...FIXED_HEADER_FIELDS,
      }
      const env = createBlock({ header: headerData }, blockOptions(this.common))
      const included: TypedTransaction[] = []
      const results: RunTxResult[] = []
      const rejected: BuildResult['rejected'] = []
      let gasUsed = 0n
      // Not paced between transactions: each turn given away here went to the ingest and HTTP, which
      // ate the wall-clock budget, so blocks shrank and latency grew (bench:node, 4 runs of 4).
      for await (const tx of this.awaiting(candidates)) {
        if (header.deadlineMs !== undefined && Date.now() >= header.deadlineMs) break
        if (tx.gasLimit > gasLimit - gasUsed) {
          if (gasLimit - gasUsed < 21_000n) break
          continue
        }
        // Not its sender's next nonce here: left out, not refused. An earlier one was left out (the
        // gas left, the pool's order for the block) or is still to come, or it is already in: run,
        // it would fail on its nonce and be dropped from the pool.
        if (tx.nonce !== ((await this.state.getAccount(tx.getSenderAddress()))?.nonce ?? 0n)) continue
        try {
          if (this.admit) await this.admit(tx, parent)
          const result = await runTx(this.vm, { tx, block: env, blockGasUsed: gasUsed, skipHardForkValidation: true })
          gasUsed += result.totalGasSpent
          included.push(tx)
          results.push(result)
        } catch (error) {
          rejected.push({ tx, error })
        }
      }
      const stateRoot = await this.state.getStateRoot()
      this.stateRoot = stateRoot
      const changes = encodeStateChanges(this.state.written)
      const sealedHeader = createBlockHeader(
        {
          ...headerData,
          stateRoot,
          gasUsed,
          transactionsTrie: transactionsRoot(included),
          receiptTrie: receiptRoot(included, results.map((r) => r.receipt)),
          logsBloom: bloomOf(results.map((r) => r.bloom), this.common),
        },
        blockOptions(this.common),
      )
      // The Block constructor takes the transaction objects as they are; createBlock would rebuild each one.
      const block = new Block(sealedHeader, included, [], [], blockOptions(this.common))
      return { block, receipts: results.map(toStoredReceipt), changes, results, rejected }
    })
  }

  /**
   * `candidates`, with `awaitingCandidates` set while the next one is awaited; streamed ones end
   * early when `endCandidates` is called (the one awaited then is left to the stream's own end).
   */
  private async *awaiting(candidates: Iterable<TypedTransaction> | AsyncIterable<TypedTransaction>): AsyncGenerator<TypedTransaction, void, undefined> {
    if (!(Symbol.asyncIterator in candidates)) return yield* candidates
    const it = candidates[Symbol.asyncIterator]()
    let ended = false
    const end = new Promise<'end'>((resolve) => {
      this.endCandidates = () => {
        ended = true
        resolve('end')
      }
    })
    try {
      while (!ended) {
        this.awaitingCandidates = true
        const next = await Promise.race([it.next(), end])
        this.awaitingCandidates = false
        if (next === 'end' || next.done) return
        yield next.value
      }
    } finally {
      this.awaitingCandidates = false
      this.endCandidates = undefined
      // Not awaited when ended early: the stream's pending step settles at its own time (due time, abort).
      const closing = it.return?.()
      if (ended) void closing?.catch(() => undefined)
      else await closing
    }
  }

  /** Re-executes `block` on `parent`'s state; throws InvalidBlockError unless every root matches. */
  async execute(parent: Block, block: Block): Promise<ExecutedBlock> {
    this.endCandidates?.()
    return this.lock.run(async () => {
      const h = block.header
      await this.checkHeader(parent, block)
      this.parent = parent
      await this.moveTo(parent.header.stateRoot)
      const results: RunTxResult[] = []
      let gasUsed = 0n
      try {
        for (const [i, tx] of block.transactions.entries()) {
          await this.pacer.pace()
          if (tx.gasLimit > h.gasLimit - gasUsed) throw new InvalidBlockError(`transaction ${i} exceeds the block gas left`)
          if (this.admit) {
            try {
              await this.admit(tx, parent)
            } catch (err) {
              // Keep the refusal's rule (e.g. account permissions) in the message that gets logged.
              throw new InvalidBlockError(`transaction ${i} is not admitted: ${errorMessage(err)}`)
            }
          }
          const result = await runTx(this.vm, { tx, block, blockGasUsed: gasUsed, skipHardForkValidation: true })
          gasUsed += result.totalGasSpent
          results.push(result)
        }
        const stateRoot = await this.state.getStateRoot()
        this.stateRoot = stateRoot
        const changes = encodeStateChanges(this.state.written)
        if (gasUsed !== h.gasUsed) throw new InvalidBlockError('gas used mismatch', `header ${h.gasUsed}, executed ${gasUsed}`)
        if (!equalsBytes(stateRoot, h.stateRoot)) throw new InvalidBlockError('state root mismatch', `header ${bytesToHex(h.stateRoot)}, executed ${bytesToHex(stateRoot)}`)
        if (!equalsBytes(receiptRoot(block.transactions, results.map((r) => r.receipt)), h.receiptTrie)) throw new InvalidBlockError('receipts root mismatch')
        if (!equalsBytes(bloomOf(results.map((r) => r.bloom), this.common), h.logsBloom)) throw new InvalidBlockError('logs bloom mismatch')
        return { block, receipts: results.map(toStoredReceipt), changes }
      } catch (err) {
        await this.reset(parent.header.stateRoot)
        if (err instanceof InvalidBlockError) throw err
        throw new InvalidBlockError('a transaction cannot be executed', (err as Error).message)
      }
    })
  }

  /**
   * Enters a final block on `parent`'s state from what it changed (`changes`) and its receipts,
   * without running its transactions: for blocks a quorum sealed (block import checks the seals).
   * Throws InvalidBlockError unless the receipts give the header's receipts root, bloom and gas
   * used, and the changes give its state root; the state is then back at `parent`.
   */
  async apply(parent: Block, block: Block, receipts: StoredReceipt[], changes: Uint8Array): Promise<ExecutedBlock> {
    this.endCandidates?.()
    return this.lock.run(async () => {
      const h = block.header
      await this.checkHeader(parent, block)
      if (receipts.length !== block.transactions.length) throw new InvalidBlockError('receipts do not match the transactions', `${receipts.length} receipts, ${block.transactions.length} transactions`)
      let gasUsed = 0n
      for (const r of receipts) {
        if (r.cumulativeGasUsed < gasUsed) throw new InvalidBlockError('receipts\' cumulative gas goes down')
        gasUsed = r.cumulativeGasUsed
      }
      if (gasUsed !== h.gasUsed) throw new InvalidBlockError('gas used mismatch', `header ${h.gasUsed}, receipts ${gasUsed}`)
      let txReceipts: TxReceipt[]
      let root: Uint8Array
      try {
        txReceipts = receipts.map((r) => ({ status: r.status, cumulativeBlockGasUsed: r.cumulativeGasUsed, logs: r.logs, bitvector: receiptBloom(r.logs, this.common) }))
        root = receiptRoot(block.transactions, txReceipts)
      } catch (err) {
        // Logs of another shape than [address, [topics], data] (bytes from a peer, decoded leniently).
        throw new InvalidBlockError('the receipts cannot be read', errorMessage(err))
      }
      if (!equalsBytes(root, h.receiptTrie)) throw new InvalidBlockError('receipts root mismatch')
      if (!equalsBytes(bloomOf(txReceipts.map((r) => new Bloom(r.bitvector, this.common)), this.common), h.logsBloom)) throw new InvalidBlockError('logs bloom mismatch')
      this.parent = parent
      await this.moveTo(parent.header.stateRoot)
      try {
        await this.state.applyChanges(decodeStateChanges(changes))
        const stateRoot = await this.state.getStateRoot()
        this.stateRoot = stateRoot
        if (!equalsBytes(stateRoot, h.stateRoot)) throw new InvalidBlockError('state root mismatch', `header ${bytesToHex(h.stateRoot)}, from the changes ${bytesToHex(stateRoot)}`)
      } catch (err) {
        await this.reset(parent.header.stateRoot)
        if (err instanceof InvalidBlockError) throw err
        throw new InvalidBlockError('the state changes cannot be applied', errorMessage(err))
      }
      return { block, receipts, changes }
    })
  }

  /** What a block's header must be on `parent` before its body is looked at. */
  private async checkHeader(parent: Block, block: Block): Promise<void> {
    const h = block.header
    if (!equalsBytes(h.parentHash, parent.hash())) throw new InvalidBlockError('parent hash mismatch')
    if (h.number !== parent.header.number + 1n) throw new InvalidBlockError('block number does not follow its parent')
    const gasLimit = await this.gasLimitAfter(parent)
    if (h.gasLimit !== gasLimit) throw new InvalidBlockError('gas limit differs from the chain gas limit', `header ${h.gasLimit}, chain parameters ${gasLimit}`)
    if (h.baseFeePerGas !== 0n) throw new InvalidBlockError('base fee must be 0')
    this.pacer.start()
    if (!equalsBytes(transactionsRoot(block.transactions), h.transactionsTrie)) throw new InvalidBlockError('transactions root mismatch')
  }

  /** Forgets uncommitted execution (e.g. a proposal that was not finalised). */
  async discard(headStateRoot: Uint8Array): Promise<void> {
    this.endCandidates?.()
    await this.lock.run(() => this.reset(headStateRoot))
  }

  private async moveTo(root: Uint8Array): Promise<void> {
    if (this.stateRoot && equalsBytes(this.stateRoot, root)) return
    await this.reset(root)
  }

  private async reset(root: Uint8Array): Promise<void> {
    await this.vm.stateManager.setStateRoot(root, true)
    this.stateRoot = root
  }
}

function toStoredReceipt(r: RunTxResult): StoredReceipt {
  const receipt = r.receipt as { status?: 0 | 1; cumulativeBlockGasUsed: bigint; logs: StoredReceipt['logs'] }
  return { status: receipt.status ?? 1, cumulativeGasUsed: receipt.cumulativeBlockGasUsed, logs: receipt.logs }
}

function bloomOf(blooms: Bloom[], common: Common): Uint8Array {
  const bloom = new Bloom(undefined, common)
  for (const b of blooms) bloom.or(b)
  return bloom.bitvector
}

/** The transactions root of a block holding `txs` (built in one pass, as every root of a block here). */
function transactionsRoot(txs: readonly TypedTransaction[]): Uint8Array {
  return buildTrie(txs.map((tx, i) => ({ key: RLP.encode(i), value: tx.serialize() })), keccak256)
}

function receiptRoot(txs: readonly TypedTransaction[], receipts: readonly TxReceipt[]): Uint8Array {
  return buildTrie(receipts.map((r, i) => ({ key: RLP.encode(i), value: encodeReceipt(r, txs[i]!.type) })), keccak256)
}
