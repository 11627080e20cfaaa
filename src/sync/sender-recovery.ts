/**
 * Sender recovery for block import, off the main thread: the `prepare` hook of block import
 * (block-import.ts). For each block of a batch, the signatures of its transactions go to a worker
 * thread (native secp256k1) as one job; when the public keys come back they are set in each
 * transaction's cache, where ethereumjs looks first, so re-execution does not recover them on the
 * main thread. Blocks are answered in order, so the first block's keys are back while the worker
 * goes on with the next ones and the main thread executes.
 *
 * What stays on the main thread, and stays the check: the message hash each transaction signed is
 * computed here from the transaction itself; a signature ethereumjs would refuse (high s, a bad
 * recovery id, a transaction object that is not frozen) is not sent, so the transaction's own
 * check refuses it as it would without this. A key that cannot be recovered is not cached either.
 * A failing worker costs only speed: the promises resolve, and recovery happens in execution.
 */
import { Worker } from 'node:worker_threads'
import type { Block } from '@ethereumjs/block'
import { Capability, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToBytes, calculateSigRecovery, SECP256K1_ORDER_DIV_2, setLengthLeft } from '@ethereumjs/util'
import type { RecoveryJob, RecoveryResult } from './sender-recovery-protocol.js'

export function defaultRecoveryWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/src/sync/sender-recovery-worker.js', import.meta.url) : new URL('./sender-recovery-worker.js', import.meta.url)
}

/** A transaction whose sender is not cached yet, with what its recovery needs. */
interface Pending {
  tx: TypedTransaction
  hash: Uint8Array
  signature: Uint8Array
  recovery: number
}

export class SenderRecovery {
  private worker: Worker | undefined
  private nextId = 0
  private readonly waiting = new Map<number, { txs: Pending[]; done: () => void }>()

  constructor(private readonly workerUrl: URL = defaultRecoveryWorkerUrl()) {}

  /** One promise per block, resolved once its transactions' senders are cached (or given up on). Never rejects. */
  prepare(blocks: readonly Block[]): Promise<void>[] {
    return blocks.map((block) => {
      const txs = block.transactions.map(pendingOf).filter((p): p is Pending => p !== undefined)
      if (txs.length === 0) return Promise.resolve()
      return new Promise<void>((done) => {
        const id = this.nextId++
        const hashes = new Uint8Array(txs.length * 32)
        const signatures = new Uint8Array(txs.length * 64)
        const recoveries = new Uint8Array(txs.length)
        for (const [i, p] of txs.entries()) {
          hashes.set(p.hash, i * 32)
          signatures.set(p.signature, i * 64)
          recoveries[i] = p.recovery
        }
        const job: RecoveryJob = { id, hashes, signatures, recoveries }
        this.waiting.set(id, { txs, done })
        try {
          this.thread().postMessage(job, [hashes.buffer, signatures.buffer, recoveries.buffer])
        } catch {
          this.waiting.delete(id)
          done()
        }
      })
    })
  }

  /** Stops the worker; blocks still waiting resolve (their senders are recovered in execution). */
  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    this.giveUp()
    await worker?.terminate()
  }

  private thread(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(this.workerUrl)
    worker.unref() // an idle worker does not keep the process alive
    worker.on('message', (result: RecoveryResult) => this.answer(result))
    const lost = (): void => {
      if (this.worker === worker) this.worker = undefined
      this.giveUp()
    }
    worker.on('error', lost)
    worker.on('exit', lost)
    this.worker = worker
    return worker
  }

  private answer(result: RecoveryResult): void {
    const entry = this.waiting.get(result.id)
    if (!entry) return
    this.waiting.delete(result.id)
    for (const [i, p] of entry.txs.entries()) {
      if (result.ok[i] !== 1 || p.tx.cache.senderPubKey !== undefined) continue
      p.tx.cache.senderPubKey = result.publicKeys.slice(i * 64, i * 64 + 64)
    }
    entry.done()
  }

  private giveUp(): void {
    for (const entry of this.waiting.values()) entry.done()
    this.waiting.clear()
  }
}

/** What recovering `tx`'s sender needs, or undefined when it is cached or must be left to the transaction's own check. */
function pendingOf(tx: TypedTransaction): Pending | undefined {
  if (tx.cache.senderPubKey !== undefined || !Object.isFrozen(tx) || !tx.isSigned()) return undefined
  const { v, r, s } = tx
  // A larger s than n / 2 is refused (EIP-2): left to the transaction's own check.
  if (v === undefined || r === undefined || s === undefined || s > SECP256K1_ORDER_DIV_2) return undefined
  let recovery: bigint
  try {
    recovery = calculateSigRecovery(v, tx.supports(Capability.EIP155ReplayProtection) ? tx.common.chainId() : undefined)
  } catch {
    return undefined
  }
  if (recovery !== 0n && recovery !== 1n) return undefined
  const signature = new Uint8Array(64)
  signature.set(setLengthLeft(bigIntToBytes(r), 32), 0)
  signature.set(setLengthLeft(bigIntToBytes(s), 32), 32)
  return { tx, hash: tx.getMessageToVerifySignature(), signature, recovery: Number(recovery) }
}
