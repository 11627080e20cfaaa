/**
 * The transaction pool: signed transactions waiting for a block. It owns admission (every check a
 * node can make without executing: encoding, type, chain id, signature, fees, gas, nonce, balance,
 * limits, and a pluggable permission check), the per-sender split into pending (executable now:
 * nonces contiguous from the account nonce) and queued (a nonce gap first), the order in which a
 * block builder takes transactions, and pruning after each final block.
 *
 * It must not execute transactions nor write state: it reads the head state through an
 * `AccountReader`, and the block builder tells it (`remove`) when execution finds a transaction
 * invalid. Work per `add` is O(1) map operations plus at most one account read per sender and head;
 * only `onNewHead` and `pending` visit every sender, once per block.
 *
 * Replacement rule (same sender and nonce): the new transaction must pay at least `priceBump`
 * percent more, rounded up, in both fee cap and priority fee (a legacy or EIP-2930 gas price counts
 * as both). A transaction at price 0 can therefore be replaced by another at price 0: on a free-gas
 * network any other rule makes replacement impossible (Besu reached the same conclusion and forces
 * its price bump to 0 for zero-base-fee chains). Sending the very same bytes again is ALREADY_KNOWN.
 */
import { EventEmitter } from 'node:events'
import type { Common } from '@ethereumjs/common'
import {
  isAccessList2930Tx,
  isFeeMarket1559Tx,
  isLegacyTx,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { ConfigError, errorMessage, QuorateError } from '../errors.js'
import type { Logger } from '../ops/logger.js'
import type { Address, Hex } from '../types.js'
import { alreadyKnown, feeCapBelowTip, oversized, TxPoolError, unsigned, unsupportedType, wrongChainId } from './txpool-errors.js'
import { decodeRawTransaction } from './tx-decode.js'
import { recoverSender } from './tx-ingest.js'

export { TxPoolError } from './txpool-errors.js'
export type { TxPoolErrorCode } from './txpool-errors.js'

/** Account state at the current head. */
export interface AccountReader {
  getAccount(address: Address): Promise<{ nonce: bigint; balance: bigint }>
}

export interface TxPoolOptions {
  /** Chain id, hardfork and crypto used to decode and verify transactions. */
  common: Common
  /** A transaction whose gas limit is above this can never be included. */
  blockGasLimit: bigint
  /** Transactions (pending + queued) one sender may have in the pool; default 64. */
  maxPerSender?: number
  /** Transactions in the whole pool; default 10,000. */
  maxTotal?: number
  /** Size of one serialized transaction; default 128 KiB. */
  maxTxBytes?: number
  /**
   * Serialized bytes of all pooled transactions together; default 64 MiB (geth: 5,120 slots of
   * 32 KiB = 160 MiB for 4,096 + 1,024 slots). With only a count limit, 10,000 transactions of
   * 128 KiB could hold 1.3 GB in the heap.
   */
  maxBytes?: number
  /** Percent more a replacement must pay; default 10. */
  priceBumpPercent?: number
  /** Lowest priority fee (gas price for legacy transactions) accepted; default 0. */
  minGasPrice?: bigint
  /** How far ahead of the account nonce a queued transaction (one behind a nonce gap) may be; default 64. */
  maxFutureGap?: number
  /** Accept legacy transactions signed without a chain id (pre-EIP-155); default false. */
  allowUnprotected?: boolean
  /**
   * Permission check (governance plugs in here), called after all other checks pass and before the
   * transaction enters the pool. Throw to refuse; the error reaches the submitter unchanged.
   */
  admit?: (tx: TypedTransaction, sender: Address) => Promise<void>
}

export interface TxPoolModules {
  logger?: Logger
}

export interface TxPoolEvents {
  /** A transaction entered the pool (new, or replacing one with the same sender and nonce). */
  added: [tx: TypedTransaction, hash: Hex]
  /** A transaction became executable: its nonce follows the account nonce with no gap. */
  pending: [tx: TypedTransaction, hash: Hex]
  /** A transaction left the pool: included (its nonce is used), replaced, invalid or evicted. */
  removed: [hash: Hex, reason: string]
  /** add/addRaw refused a transaction: `code` is the TxPoolError code (or the permission check's error code). */
  rejected: [code: string, error: unknown]
}

export interface TxPoolContent {
  pending: Record<Address, Record<string, TypedTransaction>>
  queued: Record<Address, Record<string, TypedTransaction>>
}

/** A position in the pool's (sender, nonce) order: the first transaction a page starts at. */
export interface TxPoolCursor {
  sender: Address
  nonce: bigint
}

export interface TxPoolPageRequest {
  /** Where to start (inclusive); the beginning when absent. */
  start?: TxPoolCursor
  /** Only this sender's transactions. */
  sender?: Address
  /** Most transactions in the page. */
  maxTxs: number
  /** Most total weight in the page; a page holds at least one transaction if any is left. */
  budget: number
  /** What one transaction costs of the budget (e.g. the size of its JSON), from its serialized size. */
  weight: (tx: TypedTransaction, size: number) => number
}

export interface TxPoolPage extends TxPoolContent {
  /** Where the next page starts; absent when this page reached the end. */
  next?: TxPoolCursor
}

interface Account {
  nonce: bigint
  balance: bigint
}

interface Entry {
  tx: TypedTransaction
  hash: Hex
  sender: Address
  nonce: bigint
  gasLimit: bigint
  /** Most the sender pays per gas (gas price, or max fee per gas). */
  feeCap: bigint
  /** What the block producer gets per gas at base fee 0 (gas price, or max priority fee). */
  tip: bigint
  /** gasLimit × feeCap + value: what the balance must cover. */
  cost: bigint
  /** Arrival order, for ties in price. */
  seq: number
  pending: boolean
  /** Serialized size in bytes, counted against `maxBytes`. */
  size: number
}

interface Sender {
  address: Address
  txs: Map<bigint, Entry>
  /** Account nonce and balance at the head of `epoch`. */
  accountNonce: bigint
  balance: bigint
  /** First nonce after the contiguous run that starts at `accountNonce`. */
  pendingEnd: bigint
  epoch: number
}

const KiB = 1024
export const DEFAULT_TXPOOL_MAX_BYTES = 64 * KiB * KiB
/** No transaction costs less gas: once less is left, a block is full. */
const MIN_TX_GAS = 21_000n

export class TxPool extends EventEmitter<TxPoolEvents> {
  readonly chainId: bigint
  private readonly common: Common
  private blockGasLimit: bigint
  private readonly maxPerSender: number
  private readonly maxTotal: number
  private readonly maxTxBytes: number
  private readonly maxBytes: number
  private readonly priceBump: bigint
  private readonly minGasPrice: bigint
  private readonly maxFutureGap: bigint
  private readonly allowUnprotected: boolean
  private readonly admit: ((tx: TypedTransaction, sender: Address) => Promise<void>) | undefined
  private readonly logger: Logger | undefined

  private state: AccountReader
  /** Bumped by every head; cached account reads and sender records carry the epoch they are valid for. */
  private epoch = 0
  private accounts = new Map<Address, Promise<Account>>()
  private headTask: Promise<void> = Promise.resolve()

  private readonly byHash = new Map<Hex, Entry>()
  private readonly senders = new Map<Address, Sender>()
  private pendingCount = 0
  private queuedCount = 0
  /** Serialized bytes of every pooled transaction, and of the queued ones (what eviction can free). */
  private totalBytes = 0
  private queuedBytes = 0
  private seq = 0

  constructor(opts: TxPoolOptions, state: AccountReader, modules: TxPoolModules = {}) {
    super()
    this.common = opts.common
    this.chainId = opts.common.chainId()
    this.blockGasLimit = opts.blockGasLimit
    this.maxPerSender = positiveInt('txpool.maxPerSender', opts.maxPerSender ?? 64)
    this.maxTotal = positiveInt('txpool.maxTotal', opts.maxTotal ?? 10_000)
    this.maxTxBytes = positiveInt('txpool.maxTxBytes', opts.maxTxBytes ?? 128 * KiB)
    this.maxBytes = positiveInt('txpool.maxBytes', opts.maxBytes ?? DEFAULT_TXPOOL_MAX_BYTES)
    if (this.maxBytes < this.maxTxBytes) {
      throw new ConfigError('txpool.maxBytes', `must be at least txpool.maxTxBytes (${this.maxTxBytes}), got ${this.maxBytes}`)
    }
    this.priceBump = BigInt(nonNegativeInt('txpool.priceBumpPercent', opts.priceBumpPercent ?? 10))
    this.maxFutureGap = BigInt(nonNegativeInt('txpool.maxFutureGap', opts.maxFutureGap ?? 64))
    this.minGasPrice = opts.minGasPrice ?? 0n
    if (this.minGasPrice < 0n) throw new ConfigError('txpool.minGasPrice', 'must not be negative')
    if (this.blockGasLimit <= 0n) throw new ConfigError('txpool.blockGasLimit', 'must be positive')
    this.allowUnprotected = opts.allowUnprotected ?? false
    this.admit = opts.admit
    this.logger = modules.logger?.child({ module: 'txpool' })
    this.state = state
  }

  get size(): number {
    return this.byHash.size
  }

  /** Serialized bytes of all pooled transactions (bounded by `maxBytes`). */
  get bytes(): number {
    return this.totalBytes
  }

  /** Decodes a serialized transaction (legacy RLP or EIP-2718 typed envelope) and adds it. */
  addRaw(raw: Uint8Array): Promise<Hex> {
    return this.reportRejection(() => this.decodeAndAdd(raw))
  }

  /** Adds a decoded transaction; `size`: its serialized size, when the caller has the bytes. */
  add(tx: TypedTransaction, size?: number): Promise<Hex> {
    return this.reportRejection(async () => {
      if (!isSupported(tx)) throw unsupportedType(tx.type)
      return this.addDecoded(tx, size ?? tx.serialize().length)
    })
  }

  /** Emits 'rejected' with the error's code when adding fails (for metrics), and rethrows. */
  private async reportRejection(adding: () => Promise<Hex>): Promise<Hex> {
    try {
      return await adding()
    } catch (err) {
      this.emit('rejected', err instanceof QuorateError ? err.code : 'UNKNOWN', err)
      throw err
    }
  }

  private async decodeAndAdd(raw: Uint8Array): Promise<Hex> {
    // Gossip delivers the same bytes from many peers: answer duplicates before decoding.
    return this.addDecoded(decodeRawTransaction(raw, { common: this.common, maxTxBytes: this.maxTxBytes, isKnown: (hash) => this.byHash.has(hash) }), raw.length)
  }

  /**
   * The POOL_FULL error a new transaction gets now whatever it is, or undefined. While transactions
   * wait behind a nonce gap an executable one may still take a place (evicting one of them), so
   * only a pool full of executable transactions refuses before looking at the transaction.
   */
  fullError(): TxPoolError | undefined {
    if (this.byHash.size < this.maxTotal || this.queuedCount > 0) return undefined
    return this.poolFull()
  }

  private poolFull(): TxPoolError {
    return new TxPoolError('POOL_FULL', `txpool is full: it holds ${this.byHash.size} transactions (the limit is ${this.maxTotal}); retry after the next block`)
  }

  get(hash: Hex): TypedTransaction | undefined {
    return this.byHash.get(hash.toLowerCase() as Hex)?.tx
  }

  has(hash: Hex): boolean {
    return this.byHash.has(hash.toLowerCase() as Hex)
  }

  /** The recovered sender of a pooled transaction (recovered once, on entry). */
  senderOf(hash: Hex): Address | undefined {
    return this.byHash.get(hash.toLowerCase() as Hex)?.sender
  }

  /**
   * The nonce a sender's next transaction should use, counting its contiguous pooled transactions
   * (eth_getTransactionCount with 'pending').
   */
  nextNonce(address: Address, stateNonce: bigint): bigint {
    const sender = this.senders.get(address.toLowerCase() as Address)
    if (!sender) return stateNonce
    let n = stateNonce
    while (sender.txs.has(n)) n++
    return n
  }

  /**
   * Executable transactions for a block: each sender's run in nonce order from its account nonce,
   * senders interleaved by priority fee, then by arrival. A transaction that does not fit the gas
   * left ends its sender's run (its successors cannot go without it); others continue.
   */
  pending(gasLimit: bigint): TypedTransaction[] {
    const heap = new Heap<Entry>(byPriceThenArrival)
    for (const sender of this.senders.values()) {
      const head = sender.txs.get(sender.accountNonce)
      if (head?.pending) heap.push(head)
    }
    const out: TypedTransaction[] = []
    let left = gasLimit
    for (let entry = heap.pop(); entry !== undefined; entry = heap.pop()) {
      if (entry.gasLimit > left) continue
      out.push(entry.tx)
      left -= entry.gasLimit
      if (left < MIN_TX_GAS) break
      const next = this.senders.get(entry.sender)?.txs.get(entry.nonce + 1n)
      if (next?.pending) heap.push(next)
    }
    return out
  }

  /**
   * The gas limit of the next block (a governance vote can change it): a transaction above it is
   * refused at admission. Pooled transactions above a lowered limit stay until replaced or evicted.
   */
  setBlockGasLimit(gasLimit: bigint): void {
    if (gasLimit > 0n) this.blockGasLimit = gasLimit
  }

  /**
   * After a block is final: reads every pooled sender's account from the new head, drops
   * transactions whose nonce is now used (included, or replaced by another) and those the balance
   * no longer covers, and promotes queued transactions whose gap has filled (emitting 'pending').
   * If heads arrive faster than this completes, an older call settles with the newest one.
   */
  onNewHead(state: AccountReader): Promise<void> {
    this.state = state
    this.epoch++
    this.accounts = new Map()
    const task = this.reconcileAll(this.epoch)
    this.headTask = task
    return task
  }

  /** Removes a transaction, e.g. one the block builder found invalid. Its sender's later nonces become queued. */
  remove(hash: Hex, reason: string): boolean {
    const entry = this.byHash.get(hash.toLowerCase() as Hex)
    if (!entry) return false
    const sender = this.senders.get(entry.sender)!
    this.drop(sender, entry, reason)
    if (entry.pending) this.cutRun(sender, entry.nonce)
    if (sender.txs.size === 0) this.senders.delete(sender.address)
    return true
  }

  status(): { pending: number; queued: number } {
    return { pending: this.pendingCount, queued: this.queuedCount }
  }

  /** Every pooled transaction by sender and nonce (decimal), as txpool_content shows them. */
  content(): TxPoolContent {
    const pending: TxPoolContent['pending'] = {}
    const queued: TxPoolContent['queued'] = {}
    for (const sender of this.senders.values()) {
      const nonces = [...sender.txs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      for (const nonce of nonces) {
        const entry = sender.txs.get(nonce)!
        const bucket = entry.pending ? pending : queued
        ;(bucket[sender.address] ??= {})[nonce.toString()] = entry.tx
      }
    }
    return { pending, queued }
  }

  /**
   * A bounded slice of `content()`, in (sender address, nonce) order. The order does not depend on
   * arrival, so paging with `next` visits every transaction that stays in the pool meanwhile.
   * Sorts the senders (O(s log s)) but formats nothing: the caller pays only for what it returns.
   */
  contentPage(req: TxPoolPageRequest): TxPoolPage {
    const page: TxPoolPage = { pending: {}, queued: {} }
    const start = req.start && { sender: req.start.sender.toLowerCase() as Address, nonce: req.start.nonce }
    let addresses: Address[]
    if (req.sender !== undefined) {
      const only = req.sender.toLowerCase() as Address
      addresses = this.senders.has(only) ? [only] : []
    } else {
      addresses = [...this.senders.keys()].sort()
    }
    let count = 0
    let spent = 0
    for (const address of addresses) {
      if (start && address < start.sender) continue
      const sender = this.senders.get(address)!
      const nonces = [...sender.txs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      for (const nonce of nonces) {
        if (start && address === start.sender && nonce < start.nonce) continue
        const entry = sender.txs.get(nonce)!
        const weight = req.weight(entry.tx, entry.size)
        if (count >= req.maxTxs || (count > 0 && spent + weight > req.budget)) {
          page.next = { sender: address, nonce }
          return page
        }
        const bucket = entry.pending ? page.pending : page.queued
        ;(bucket[address] ??= {})[nonce.toString()] = entry.tx
        count++
        spent += weight
      }
    }
    return page
  }

  /** Every pooled transaction, in (sender, nonce) order: what the journal saves (it serializes them a slice at a time). */
  transactionsInOrder(): TypedTransaction[] {
    const out: TypedTransaction[] = []
    for (const address of [...this.senders.keys()].sort()) {
      const sender = this.senders.get(address)!
      const nonces = [...sender.txs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      for (const nonce of nonces) out.push(sender.txs.get(nonce)!.tx)
    }
    return out
  }

  /** Every pooled transaction serialized, in (sender, nonce) order. */
  serializedTransactions(): Uint8Array[] {
    return this.transactionsInOrder().map((tx) => tx.serialize())
  }

  // --- admission ---

  private async addDecoded(tx: TypedTransaction, size: number): Promise<Hex> {
    if (size > this.maxTxBytes) throw oversized(size, this.maxTxBytes)
    if (!tx.isSigned()) throw unsigned()
    const entry = this.statelessChecks(tx)
    entry.size = size
    for (;;) {
      const epoch = this.epoch
      const account = await this.account(entry.sender)
      if (epoch !== this.epoch) continue // a head arrived while reading: read again from it
      this.statefulChecks(entry, account)
      if (this.admit) {
        await this.admit(tx, entry.sender)
        if (epoch !== this.epoch) continue
        // The pool may have changed while the permission check ran.
        this.statefulChecks(entry, account)
      }
      this.insert(entry, account)
      this.logger?.trace({ hash: entry.hash, sender: entry.sender, nonce: Number(tx.nonce) }, 'transaction pooled')
      return entry.hash
    }
  }

  /** Checks that need no state; recovers the sender (once per transaction). */
  private statelessChecks(tx: TypedTransaction): Entry {
    this.checkChainId(tx)
    const hash = bytesToHex(tx.hash()) as Hex
    if (this.byHash.has(hash)) throw alreadyKnown(hash)

    let feeCap: bigint
    let tip: bigint
    if (isFeeMarket1559Tx(tx)) {
      feeCap = tx.maxFeePerGas
      tip = tx.maxPriorityFeePerGas
      if (feeCap < tip) throw feeCapBelowTip(feeCap, tip)
    } else if (isLegacyTx(tx) || isAccessList2930Tx(tx)) {
      feeCap = tx.gasPrice
      tip = tx.gasPrice
    } else {
      throw unsupportedType(tx.type)
    }
    if (tip < this.minGasPrice) {
      throw new TxPoolError(
        'UNDERPRICED',
        `transaction underpriced: it pays ${tip} wei per gas to the block producer, below this node's minimum gas price of ${this.minGasPrice}; raise ${isFeeMarket1559Tx(tx) ? 'maxPriorityFeePerGas' : 'gasPrice'} to at least ${this.minGasPrice}`,
      )
    }
    if (tx.gasLimit > this.blockGasLimit) {
      throw new TxPoolError(
        'GAS_LIMIT_EXCEEDED',
        `exceeds block gas limit: gas limit ${tx.gasLimit} is above the block gas limit ${this.blockGasLimit}; lower the transaction's gas limit`,
      )
    }
    // Equals getIntrinsicGas() until EIP-7623 (calldata floor) is active; then it is the floor.
    const minGas = tx.getMinimumGasLimit()
    if (tx.gasLimit < minGas) {
      throw new TxPoolError(
        'INTRINSIC_GAS_TOO_LOW',
        `intrinsic gas too low: gas limit ${tx.gasLimit} is below the ${minGas} gas this transaction costs before any execution; raise its gas limit to at least ${minGas}`,
      )
    }

    const sender = recoverSender(tx)
    return {
      tx,
      hash,
      sender,
      nonce: tx.nonce,
      gasLimit: tx.gasLimit,
      feeCap,
      tip,
      cost: tx.gasLimit * feeCap + tx.value,
      seq: 0,
      pending: false,
      size: 0,
    }
  }

  private checkChainId(tx: TypedTransaction): void {
    let chainId: bigint | undefined
    if (isLegacyTx(tx)) {
      const v = tx.v!
      if (v === 27n || v === 28n) {
        if (!this.allowUnprotected) {
          throw new TxPoolError(
            'UNPROTECTED_TX',
            `only replay-protected (EIP-155) transactions allowed: this legacy transaction is signed without a chain id and could be replayed on any chain; sign it for chain id ${this.chainId}`,
          )
        }
      } else {
        chainId = (v - 35n) / 2n
      }
    } else {
      chainId = tx.chainId
    }
    if (chainId !== undefined && chainId !== this.chainId) throw wrongChainId(chainId, this.chainId)
  }

  /** Checks against the head state and the pool. Throws without changing anything. */
  private statefulChecks(entry: Entry, account: Account): void {
    if (this.byHash.has(entry.hash)) throw alreadyKnown(entry.hash)
    const { nonce, sender: address } = entry
    if (nonce < account.nonce) {
      throw new TxPoolError(
        'NONCE_TOO_LOW',
        `nonce too low: nonce ${nonce} is below the account nonce ${account.nonce} of ${address}; use nonce ${this.nextNonce(address, account.nonce)}`,
      )
    }
    const sender = this.senders.get(address)
    const runEnd = sender ? this.runEnd(sender, account.nonce) : account.nonce
    const existing = sender?.txs.get(nonce)
    if (!existing && nonce > runEnd && nonce - account.nonce > this.maxFutureGap) {
      throw new TxPoolError(
        'NONCE_TOO_HIGH',
        `nonce too high: nonce ${nonce} is ${nonce - account.nonce} ahead of the account nonce ${account.nonce} of ${address}, and a transaction behind a nonce gap may be at most ${this.maxFutureGap} ahead; send nonce ${runEnd} first`,
      )
    }
    if (entry.cost > account.balance) {
      throw new TxPoolError(
        'INSUFFICIENT_FUNDS',
        `insufficient funds for gas * price + value: balance ${account.balance} of ${address} is below the ${entry.cost} wei this transaction may cost (gas limit × ${entry.feeCap} wei per gas + value ${entry.tx.value})`,
      )
    }
    if (existing) {
      const needFeeCap = bumped(existing.feeCap, this.priceBump)
      const needTip = bumped(existing.tip, this.priceBump)
      if (entry.feeCap < needFeeCap || entry.tip < needTip) {
        throw new TxPoolError(
          'UNDERPRICED_REPLACEMENT',
          `replacement transaction underpriced: nonce ${nonce} of ${address} is taken by ${existing.hash} (fee cap ${existing.feeCap}, priority fee ${existing.tip} wei per gas); a replacement must pay at least ${this.priceBump}% more: fee cap ≥ ${needFeeCap} and priority fee ≥ ${needTip}`,
        )
      }
      if (this.totalBytes - existing.size + entry.size > this.maxBytes) throw this.fullOfBytes(entry.size)
      return
    }
    const count = sender ? this.liveCount(sender, account.nonce) : 0
    if (count >= this.maxPerSender) {
      throw new TxPoolError(
        'SENDER_LIMIT',
        `account limit exceeded: ${address} already has ${count} transactions in the pool (the limit is ${this.maxPerSender}); wait until some are included in a block`,
      )
    }
    if (this.byHash.size >= this.maxTotal && !(nonce === runEnd && this.queuedCount > 0)) {
      throw this.poolFull()
    }
    // Queued transactions give way to an executable one, for bytes as for the count.
    const freeable = nonce === runEnd ? this.queuedBytes : 0
    if (this.totalBytes + entry.size > this.maxBytes + freeable) throw this.fullOfBytes(entry.size)
  }

  private fullOfBytes(size: number): TxPoolError {
    return new TxPoolError(
      'POOL_FULL',
      `txpool is full: it holds ${this.totalBytes} bytes of transactions and this one adds ${size} (the limit is ${this.maxBytes} bytes); retry after the next block, or send less calldata`,
    )
  }

  private insert(entry: Entry, account: Account): void {
    let sender = this.senders.get(entry.sender)
    if (!sender) {
      sender = {
        address: entry.sender,
        txs: new Map(),
        accountNonce: account.nonce,
        balance: account.balance,
        pendingEnd: account.nonce,
        epoch: this.epoch,
      }
      this.senders.set(entry.sender, sender)
    } else if (sender.epoch !== this.epoch) {
      this.reconcile(sender, account)
    }
    entry.seq = this.seq++

    const old = sender.txs.get(entry.nonce)
    if (old) {
      this.byHash.delete(old.hash)
      entry.pending = old.pending
      this.totalBytes += entry.size - old.size
      if (!entry.pending) this.queuedBytes += entry.size - old.size
      sender.txs.set(entry.nonce, entry)
      this.byHash.set(entry.hash, entry)
      this.emit('removed', old.hash, `replaced by ${entry.hash}`)
      this.emit('added', entry.tx, entry.hash)
      if (entry.pending) this.emit('pending', entry.tx, entry.hash)
      return
    }

    if (this.byHash.size >= this.maxTotal) this.evictQueued(sender)
    while (this.totalBytes + entry.size > this.maxBytes && this.evictQueued(sender));
    sender.txs.set(entry.nonce, entry)
    this.byHash.set(entry.hash, entry)
    this.totalBytes += entry.size
    if (entry.nonce !== sender.pendingEnd) {
      this.queuedCount++
      this.queuedBytes += entry.size
      this.emit('added', entry.tx, entry.hash)
      return
    }
    entry.pending = true
    this.pendingCount++
    sender.pendingEnd++
    const promoted = this.promoteRun(sender)
    this.emit('added', entry.tx, entry.hash)
    this.emit('pending', entry.tx, entry.hash)
    for (const p of promoted) this.emit('pending', p.tx, p.hash)
  }

  /** Extends the run from `pendingEnd` over the entries that follow it; returns those that became pending. */
  private promoteRun(sender: Sender): Entry[] {
    const promoted: Entry[] = []
    for (let e = sender.txs.get(sender.pendingEnd); e !== undefined; e = sender.txs.get(sender.pendingEnd)) {
      if (!e.pending) {
        e.pending = true
        this.pendingCount++
        this.queuedCount--
        this.queuedBytes -= e.size
        promoted.push(e)
      }
      sender.pendingEnd++
    }
    return promoted
  }

  /** Ends a sender's run at nonce `end`: entries from `end` on are queued. */
  private cutRun(sender: Sender, end: bigint): void {
    sender.pendingEnd = end
    for (const e of sender.txs.values()) {
      if (e.pending && e.nonce >= end) {
        e.pending = false
        this.pendingCount--
        this.queuedCount++
        this.queuedBytes += e.size
      }
    }
  }

  /**
   * Makes room for an executable transaction in a full pool: drops the queued transaction furthest
   * ahead of its account nonce. Scans the pool, but only when it is full. False when nothing is queued.
   */
  private evictQueued(inserting: Sender): boolean {
    let victim: Entry | undefined
    let victimGap = -1n
    for (const sender of this.senders.values()) {
      for (const e of sender.txs.values()) {
        const gap = e.nonce - sender.accountNonce
        if (!e.pending && gap > victimGap) {
          victim = e
          victimGap = gap
        }
      }
    }
    if (!victim) return false
    const sender = this.senders.get(victim.sender)!
    this.drop(sender, victim, 'evicted: the pool was full and an executable transaction arrived')
    if (sender.txs.size === 0 && sender !== inserting) this.senders.delete(sender.address)
    return true
  }

  // --- heads ---

  private async reconcileAll(epoch: number): Promise<void> {
    const list = [...this.senders.values()]
    const results = await Promise.allSettled(list.map((s) => this.account(s.address)))
    if (epoch !== this.epoch) return this.headTask // a newer head took over
    let firstError: unknown
    for (let i = 0; i < list.length; i++) {
      const sender = list[i]!
      const result = results[i]!
      if (result.status === 'rejected') {
        // Left stale; it is reconciled on its next add or head.
        firstError ??= result.reason
        this.logger?.warn({ sender: sender.address, err: errorMessage(result.reason) }, 'cannot read account for pool pruning')
        continue
      }
      if (this.senders.get(sender.address) !== sender || sender.epoch === epoch) continue
      this.reconcile(sender, result.value)
      if (sender.txs.size === 0) this.senders.delete(sender.address)
    }
    if (firstError !== undefined) throw firstError
  }

  /** Brings one sender up to the current head. */
  private reconcile(sender: Sender, account: Account): void {
    sender.accountNonce = account.nonce
    sender.balance = account.balance
    sender.epoch = this.epoch
    for (const e of [...sender.txs.values()]) {
      if (e.nonce < account.nonce) this.drop(sender, e, `nonce ${e.nonce} is used: the account nonce is now ${account.nonce}`)
      else if (e.cost > account.balance) this.drop(sender, e, `insufficient funds: cost ${e.cost} is above the balance ${account.balance}`)
    }
    sender.pendingEnd = account.nonce
    const promoted = this.promoteRun(sender)
    // Entries behind a gap that a dropped transaction left are queued again.
    this.cutRun(sender, sender.pendingEnd)
    for (const p of promoted) this.emit('pending', p.tx, p.hash)
  }

  private drop(sender: Sender, entry: Entry, reason: string): void {
    sender.txs.delete(entry.nonce)
    this.byHash.delete(entry.hash)
    this.totalBytes -= entry.size
    if (entry.pending) {
      this.pendingCount--
    } else {
      this.queuedCount--
      this.queuedBytes -= entry.size
    }
    this.logger?.debug({ hash: entry.hash, sender: entry.sender, nonce: entry.nonce.toString(), reason }, 'tx removed')
    this.emit('removed', entry.hash, reason)
  }

  // --- helpers ---

  private account(address: Address): Promise<Account> {
    let p = this.accounts.get(address)
    if (!p) {
      const accounts = this.accounts
      p = this.state.getAccount(address).then(
        (a) => ({ nonce: a.nonce, balance: a.balance }),
        (err: unknown) => {
          accounts.delete(address)
          throw err
        },
      )
      accounts.set(address, p)
    }
    return p
  }

  /** End of the contiguous run from `accountNonce`, valid even if the sender record is from an older head. */
  private runEnd(sender: Sender, accountNonce: bigint): bigint {
    if (sender.epoch === this.epoch) return sender.pendingEnd
    let n = accountNonce
    while (sender.txs.has(n)) n++
    return n
  }

  /** Transactions of a sender that the head state has not made stale. */
  private liveCount(sender: Sender, accountNonce: bigint): number {
    if (sender.epoch === this.epoch) return sender.txs.size
    let count = 0
    for (const nonce of sender.txs.keys()) if (nonce >= accountNonce) count++
    return count
  }
}

function isSupported(tx: TypedTransaction): boolean {
  return isLegacyTx(tx) || isAccessList2930Tx(tx) || isFeeMarket1559Tx(tx)
}

/** `price` raised by `percent`, rounded up. */
function bumped(price: bigint, percent: bigint): bigint {
  return (price * (100n + percent) + 99n) / 100n
}

function byPriceThenArrival(a: Entry, b: Entry): boolean {
  return a.tip !== b.tip ? a.tip > b.tip : a.seq < b.seq
}

function positiveInt(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(field, `expected a positive integer, got ${value}`)
  return value
}

function nonNegativeInt(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(field, `expected a non-negative integer, got ${value}`)
  return value
}

/** A binary heap; `before(a, b)` is true when `a` comes out first. */
class Heap<T> {
  private readonly items: T[] = []
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  push(item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  pop(): T | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]!
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let best = i
        if (l < items.length && this.before(items[l]!, items[best]!)) best = l
        if (r < items.length && this.before(items[r]!, items[best]!)) best = r
        if (best === i) break
        ;[items[i], items[best]] = [items[best]!, items[i]!]
        i = best
      }
    }
    return top
  }
}
