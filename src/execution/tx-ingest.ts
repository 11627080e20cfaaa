/**
 * The ingest pipeline of a transaction submitted by a client (eth_sendRawTransaction): a few are
 * taken at a time, fewer while the node builds, executes or commits a block; a full pool refuses at once; bytes that are
 * already pooled are answered at once, before decoding; then the bytes are decoded once and
 * the sender is recovered once (native secp256k1). The recovered key stays on the decoded (frozen)
 * transaction object, which is the one the pool keeps, the block builder executes and gossip
 * serialises: none of them recovers it again. Then the pool admits it (state checks, limits,
 * permissions); the pool's `added` event is the hand-off to gossip and to pending-transaction
 * subscriptions.
 *
 * JSON-RPC depends on the `TxIngestPort` only, not on the node or the pool.
 */
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { publicKeyToAddress } from '../crypto/keys.js'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { decodeRawTransaction } from './tx-decode.js'
import { invalidSignature } from './txpool-errors.js'

/** What JSON-RPC needs to submit a transaction. */
export interface TxIngestPort {
  /** Resolves with the transaction hash once the pool holds it; rejects with the TxPoolError (or permission error) that refused it. */
  submitRaw(raw: Uint8Array): Promise<Hex>
}

/** What the pipeline needs from the pool. */
export interface IngestPool {
  has(hash: Hex): boolean
  /** The error a new transaction would get now because the pool is full, checked before any decoding; undefined when there is room. */
  fullError(): Error | undefined
  /** Admits a decoded transaction whose serialized size is `size`. */
  add(tx: TypedTransaction, size?: number): Promise<Hex>
}

export interface TxIngestOptions {
  common: Common
  /** Largest serialized transaction accepted. */
  maxTxBytes: number
  /** A transaction refused before it reached the pool (bad bytes, bad signature, already pooled, pool full). */
  onRejected?: (code: string, error: unknown) => void
  /**
   * The node's block work (building, executing, committing a block). Submissions are taken a few
   * at a time (`maxInFlight`, fewer while block work runs) and the others wait their turn: each
   * submission's work spans several turns of the event loop, and hundreds at once would take every
   * turn from block building (and from every other JSON-RPC answer). Under a load above capacity
   * blocks keep the CPU they need and clients wait, or are refused once the pool is full.
   */
  blockWork?: { busy(): boolean }
  /** Submissions taken at a time; default 16. */
  maxInFlight?: number
  /** Submissions taken at a time while block work runs; default 4. */
  maxInFlightDuringBlockWork?: number
}

export class TxIngest implements TxIngestPort {
  private inFlight = 0
  /** Submissions waiting for their turn, first come first served. */
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly opts: TxIngestOptions,
    private readonly pool: IngestPool,
  ) {}

  async submitRaw(raw: Uint8Array): Promise<Hex> {
    while (this.inFlight >= this.limit()) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.inFlight++
    try {
      return await this.ingest(raw)
    } finally {
      this.inFlight--
      this.waiting.shift()?.()
    }
  }

  private limit(): number {
    return this.opts.blockWork?.busy() ? (this.opts.maxInFlightDuringBlockWork ?? 4) : (this.opts.maxInFlight ?? 16)
  }

  private async ingest(raw: Uint8Array): Promise<Hex> {
    let tx: TypedTransaction
    try {
      // A full pool refuses at once: under overload, refusing must cost less than admitting.
      const full = this.pool.fullError()
      if (full) throw full
      tx = decodeRawTransaction(raw, { common: this.opts.common, maxTxBytes: this.opts.maxTxBytes, isKnown: (hash) => this.pool.has(hash) })
      recoverSender(tx)
    } catch (err) {
      this.opts.onRejected?.(err instanceof QuorateError ? err.code : 'UNKNOWN', err)
      throw err
    }
    return this.pool.add(tx, raw.length)
  }
}

/**
 * The sender of a signed transaction. ethereumjs keeps the recovered public key on a frozen
 * transaction (the decoders freeze), so a second call, here or in the pool, the builder or the
 * EVM, costs a keccak and no recovery.
 */
export function recoverSender(tx: TypedTransaction): Address {
  try {
    return publicKeyToAddress(tx.getSenderPublicKey())
  } catch (err) {
    throw invalidSignature(err)
  }
}
