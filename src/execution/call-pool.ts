/**
 * CallPool: clients' eth_call and eth_estimateGas, bounded, off the event loop. Each job runs in a
 * worker thread (call-worker.ts) with its own VM, so block production, consensus and other RPC
 * never wait on a client's EVM code. As geth (`--rpc.gascap`, `--rpc.evmtimeout`):
 * - a gas above the cap is lowered to the cap (no gas given: the block gas limit, capped too);
 * - a job (an estimate's whole binary search included) that outlives the time limit is answered
 *   "execution aborted (timeout = 5s)", and its worker is terminated and replaced: the EVM loop is
 *   synchronous, so terminating the thread is the only sure stop.
 * Jobs wait in a bounded queue for a free worker; past it they are refused (-32005).
 *
 * The main thread answers the workers' reads (trie nodes, block hashes, code approval) from the
 * store: a worker cannot open the LevelDB the node holds.
 *
 * Must not: run a client's EVM code on the main thread.
 */
import { Worker } from 'node:worker_threads'
import type { Block } from '@ethereumjs/block'
import { hexToBytes } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { QuorateError } from '../errors.js'
import type { GovernanceReader } from '../governance/enforce.js'
import type { Hash } from '../types.js'
import type { CallRequest } from './call.js'
import { fromWireError, type CallKind, type CallWorkerData, type MainToWorker, type ReadValue, type WorkerRead, type WorkerToMain } from './call-protocol.js'

export class CallTimeoutError extends QuorateError {
  override name = 'CallTimeoutError'
  constructor(timeoutMs: number) {
    super('CALL_TIMEOUT', `execution aborted (timeout = ${goDuration(timeoutMs)})`, {
      details: 'the call ran past the node\'s time limit (rpc.evmTimeoutMs); lower its gas or ask the operator',
    })
  }
}

export class CallQueueFullError extends QuorateError {
  override name = 'CallQueueFullError'
  constructor(max: number) {
    super('CALL_QUEUE_FULL', `too many calls waiting (${max}); try again later`)
  }
}

export class CallPoolError extends QuorateError {
  override name = 'CallPoolError'
}

export interface CallPoolOptions {
  chainId: bigint
  /** The chain's block gas limit (the genesis one: it never changes). */
  gasLimit: bigint
  /** Highest gas a call may use; 0 = no cap. */
  gasCap: bigint
  /** Time limit of one call or one whole estimate, ms; 0 = none. */
  timeoutMs: number
  workers: number
  /** Jobs that may wait for a worker. */
  maxQueued: number
  /** The compiled worker script; default: call-worker.js of the build (see `defaultWorkerUrl`). */
  workerUrl?: URL
}

export interface CallPoolModules {
  /** Trie nodes and code by trie key, and canonical block hashes. */
  store: { readonly trieDb: { get(key: string): Promise<Uint8Array | undefined> }; getHashByNumber(n: bigint): Promise<Hash | undefined> }
  /** Present when contract creation needs governance's approval of the code. */
  codeApproval?: Pick<GovernanceReader, 'isCodeApproved'> | undefined
  logger: Logger
}

interface Job {
  id: number
  kind: CallKind
  block: Block
  req: CallRequest
  resolve: (value: Uint8Array | bigint) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker | undefined
  ready: boolean
  job: Job | undefined
  timer: NodeJS.Timeout | undefined
}

/**
 * Built (dist/src/execution/call-pool.js), the worker is compiled next to this file. Run from the
 * sources (vitest), a worker cannot load .ts files: it uses the build's copy (`npm run build`).
 */
export function defaultWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/src/execution/call-worker.js', import.meta.url) : new URL('./call-worker.js', import.meta.url)
}

export class CallPool {
  private readonly slots: Slot[]
  private readonly queue: Job[] = []
  private nextId = 0
  private stopped = false

  constructor(
    private readonly opts: CallPoolOptions,
    private readonly modules: CallPoolModules,
  ) {
    this.slots = Array.from({ length: Math.max(1, opts.workers) }, () => ({ worker: undefined, ready: false, job: undefined, timer: undefined }))
  }

  /** eth_call: the return data, or ExecutionRevertedError with the revert data (as CallExecutor.call). */
  async call(block: Block, req: CallRequest): Promise<Uint8Array> {
    return (await this.submit('call', block, req)) as Uint8Array
  }

  /** eth_estimateGas: the least gas with which the call succeeds, searched below the (capped) gas. */
  async estimateGas(block: Block, req: CallRequest): Promise<bigint> {
    return (await this.submit('estimate', block, req)) as bigint
  }

  /** Starts the workers now, so that the first calls do not wait for their start-up (else: at the first call). */
  start(): void {
    if (this.stopped) return
    for (const slot of this.slots) if (slot.worker === undefined) this.spawn(slot)
  }

  /** Calls waiting for a worker (not counting those running). */
  get queued(): number {
    return this.queue.length
  }

  /** Refuses waiting and running jobs and terminates the workers. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    const gone = new CallPoolError('CALL_POOL_STOPPED', 'the node is stopping')
    for (const job of this.queue.splice(0)) job.reject(gone)
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.job?.reject(gone)
        this.clear(slot)
        const w = slot.worker
        slot.worker = undefined
        if (w) await w.terminate()
      }),
    )
  }

  private submit(kind: CallKind, block: Block, req: CallRequest): Promise<Uint8Array | bigint> {
    if (this.stopped) return Promise.reject(new CallPoolError('CALL_POOL_STOPPED', 'the node is stopping'))
    if (this.queue.length >= this.opts.maxQueued) {
      return Promise.reject(new CallQueueFullError(this.opts.maxQueued))
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, kind, block, req: this.capped(block, req), resolve, reject })
      this.dispatch()
    })
  }

  private capped(block: Block, req: CallRequest): CallRequest {
    const gas = req.gas ?? block.header.gasLimit
    const cap = this.opts.gasCap
    return { ...req, gas: cap > 0n && gas > cap ? cap : gas }
  }

  private dispatch(): void {
    if (this.stopped) return
    for (const slot of this.slots) {
      if (this.queue.length === 0) return
      if (slot.worker === undefined) this.spawn(slot)
      if (!slot.ready || slot.job !== undefined) continue
      const job = this.queue.shift()!
      slot.job = job
      if (this.opts.timeoutMs > 0) slot.timer = setTimeout(() => this.timedOut(slot, job), this.opts.timeoutMs)
      const msg: MainToWorker = { type: 'job', id: job.id, kind: job.kind, header: job.block.header.serialize(), req: job.req }
      slot.worker!.postMessage(msg)
    }
  }

  private spawn(slot: Slot): void {
    const data: CallWorkerData = { chainId: this.opts.chainId, gasLimit: this.opts.gasLimit, codeApproval: this.modules.codeApproval !== undefined }
    const worker = new Worker(this.opts.workerUrl ?? defaultWorkerUrl(), { workerData: data })
    // The pool never keeps the process alive by itself (the node's servers do).
    worker.unref()
    slot.worker = worker
    slot.ready = false
    worker.on('message', (msg: WorkerToMain) => {
      if (slot.worker !== worker) return
      this.onMessage(slot, worker, msg)
    })
    const lost = (err: Error): void => {
      if (slot.worker !== worker) return // terminated by us
      const failed = new CallPoolError('CALL_WORKER_FAILED', 'the call worker failed', { cause: err })
      const started = slot.ready
      slot.worker = undefined
      slot.ready = false
      const job = slot.job
      this.clear(slot)
      job?.reject(failed)
      if (!started) {
        // It could not even start (e.g. no build of the worker): retrying would loop; refuse the waiting calls.
        this.modules.logger.error({ err, url: String(this.opts.workerUrl ?? defaultWorkerUrl()) }, 'call worker could not start')
        for (const waiting of this.queue.splice(0)) waiting.reject(failed)
        return
      }
      this.modules.logger.error({ err }, 'call worker failed; starting a new one')
      this.dispatch()
    }
    worker.on('error', lost)
    worker.on('exit', (code) => lost(new Error(`call worker exited with code ${code}`)))
  }

  private onMessage(slot: Slot, worker: Worker, msg: WorkerToMain): void {
    switch (msg.type) {
      case 'ready':
        slot.ready = true
        this.dispatch()
        return
      case 'done':
      case 'failed': {
        const job = slot.job
        if (!job || job.id !== msg.id) return
        this.clear(slot)
        if (msg.type === 'done') job.resolve(msg.value)
        else job.reject(fromWireError(msg.error))
        this.dispatch()
        return
      }
      case 'read':
        void this.answer(msg.read, slot.job).then(
          (value) => this.reply(slot, worker, { type: 'reply', rid: msg.rid, value }),
          (err: unknown) => this.reply(slot, worker, { type: 'reply', rid: msg.rid, error: err instanceof Error ? err.message : String(err) }),
        )
    }
  }

  private async answer(read: WorkerRead, job: Job | undefined): Promise<ReadValue> {
    switch (read.kind) {
      case 'trieNode':
        return this.modules.store.trieDb.get(read.key)
      case 'blockHash': {
        const hash = await this.modules.store.getHashByNumber(read.number)
        return hash ? hexToBytes(hash) : undefined
      }
      case 'codeApproved':
        if (!job || job.id !== read.job || !this.modules.codeApproval) return false
        return this.modules.codeApproval.isCodeApproved(job.block, read.codeHash)
    }
  }

  private reply(slot: Slot, worker: Worker, msg: MainToWorker): void {
    // A worker terminated meanwhile (timeout, stop) has nobody left to read the answer.
    if (slot.worker === worker) worker.postMessage(msg)
  }

  private timedOut(slot: Slot, job: Job): void {
    if (slot.job !== job) return
    const worker = slot.worker
    slot.worker = undefined
    slot.ready = false
    this.clear(slot)
    job.reject(new CallTimeoutError(this.opts.timeoutMs))
    void worker?.terminate()
    // A fresh worker starts now, so the next call does not wait for its start-up.
    this.spawn(slot)
    this.dispatch()
  }

  private clear(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer)
    slot.timer = undefined
    slot.job = undefined
  }
}

/** A duration as Go prints it (geth's message): 5s, 1.5s, 500ms. */
function goDuration(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`
}
