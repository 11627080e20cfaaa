/**
 * Budgets that bound what one JSON-RPC message may cost: the bytes of its response (per request
 * or batch, geth's `--rpc.batch-response-max-size`, 25 MB), the time a batch may run, and the
 * node-wide memory held by responses that are built but not yet taken by their clients (a client
 * that stops reading must not make the node hold gigabytes for it).
 *
 * It owns the arithmetic and the errors answered (-32005 with what to do). It does no I/O: the
 * dispatcher charges each result, the transports release a response's bytes once it is flushed.
 */
import { RpcError, RpcErrorCode } from './errors.js'

export const DEFAULT_MAX_RESPONSE_BYTES = 25 * 1024 * 1024
export const DEFAULT_MAX_PENDING_RESPONSE_BYTES = 128 * 1024 * 1024
export const DEFAULT_BATCH_TIMEOUT_MS = 30_000
/**
 * Responses up to this size are answered even when the node-wide memory is taken, so that a node
 * under load still answers eth_blockNumber; each transport holds at most one message in work per
 * connection, so these stay bounded by the connection limits.
 */
export const SMALL_RESPONSE_BYTES = 64 * 1024

const MIB = 1024 * 1024

function mib(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB` : `${bytes} bytes`
}

/** Node-wide bytes of responses built or waiting for slow clients. */
export class ResponseMemory {
  private used = 0

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used
  }

  take(n: number): void {
    this.used += n
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n)
  }

  get full(): boolean {
    return this.used >= this.limit
  }
}

export interface ResponseBudgetOptions {
  /** Largest response of the message (a request or a whole batch). */
  maxBytes: number
  /** Node-wide pool the response's bytes are held in until `release`. */
  memory?: ResponseMemory
  /** A batch's items not started by this time (ms since epoch) answer -32005. */
  deadline?: number
  /** Called for each request answered -32005 (for the metric). */
  onLimited?: (reason: LimitReason) => void
}

export type LimitReason = 'response_size' | 'pending_memory' | 'batch_time'

/** The budget of one HTTP body or WebSocket message. */
export class ResponseBudget {
  private spent = 0
  private held = 0
  /** Once a limit is hit, the batch's later items answer the same error without running. */
  private stopped: { error: RpcError; reason: LimitReason } | undefined

  constructor(private readonly opts: ResponseBudgetOptions) {}

  /** Bytes the next result may still take. */
  get remaining(): number {
    return Math.max(0, this.opts.maxBytes - this.spent)
  }

  /** Why the next batch item must not run (answered instead of running it), or undefined. */
  refusal(): RpcError | undefined {
    if (this.stopped) {
      this.opts.onLimited?.(this.stopped.reason)
      return this.stopped.error
    }
    if (this.opts.deadline !== undefined && Date.now() > this.opts.deadline) {
      return this.stop('batch_time', 'batch time limit reached (rpc.batchTimeoutMs): this request was not run; send the rest in another batch')
    }
    const memory = this.opts.memory
    if (memory?.full && this.spent >= SMALL_RESPONSE_BYTES) return this.busy(memory)
    return undefined
  }

  /**
   * Counts a result's response text. Returns the error to answer instead if it does not fit
   * (the text is then dropped, and nothing is charged).
   */
  charge(bytes: number): RpcError | undefined {
    if (this.spent + bytes > this.opts.maxBytes) return this.sizeExceeded()
    const memory = this.opts.memory
    if (memory && memory.bytes + bytes > memory.limit && this.spent + bytes > SMALL_RESPONSE_BYTES) return this.busy(memory)
    this.spent += bytes
    memory?.take(bytes)
    this.held += bytes
    return undefined
  }

  /**
   * The whole response text is `bytes` long (results plus error answers and framing): holds
   * exactly that in the node-wide pool until `release`.
   */
  settle(bytes: number): void {
    this.opts.memory?.take(bytes - this.held)
    this.held = bytes
  }

  /** Gives the response's bytes back to the node-wide pool (it was sent, or never will be). Idempotent. */
  release(): void {
    this.opts.memory?.give(this.held)
    this.held = 0
  }

  /** The error for a result larger than what is left of the budget; the batch's later items do not run. */
  sizeExceeded(): RpcError {
    return this.stop(
      'response_size',
      `response size limit of ${mib(this.opts.maxBytes)} reached (rpc.maxResponseBytes): this request was not answered; ` +
        'ask for less per request (e.g. hashes instead of full transactions, a smaller block range) or split the batch',
    )
  }

  private busy(memory: ResponseMemory): RpcError {
    return this.stop(
      'pending_memory',
      `the node holds ${mib(memory.bytes)} of responses not yet read by clients (rpc.maxPendingResponseBytes is ${mib(memory.limit)}): ` +
        'this request was not run; retry shortly, and read responses before sending more',
    )
  }

  private stop(reason: LimitReason, message: string): RpcError {
    const error = new RpcError(RpcErrorCode.LIMIT_EXCEEDED, message)
    this.stopped = { error, reason }
    this.opts.onLimited?.(reason)
    return error
  }
}

/** Thrown by a size-limited serialisation as soon as its output is sure to exceed the limit. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError'
}

export const DEFAULT_MAX_CONCURRENT_PER_IP = 4

/** Work done between two turns of the event loop at most, in ms, by a JSON-RPC batch (dispatch.ts, with a Pacer). */
export const BATCH_SLICE_MS = 20

/**
 * Messages in work at once per client address, the others wait in arrival order. One address
 * opening 100 WebSocket connections gets no more of the node's CPU and memory than one opening a
 * few: the work of each message in progress is bounded by the budgets above, so this bounds the
 * address's share, and other addresses' requests run between its items.
 */
export class WorkSlots {
  private readonly busy = new Map<string, { running: number; waiting: (() => void)[] }>()

  constructor(readonly perKey: number) {}

  /** Resolves when a slot is free for `key`; call the returned function once the work is done. */
  async acquire(key: string): Promise<() => void> {
    let entry = this.busy.get(key)
    if (!entry) this.busy.set(key, (entry = { running: 0, waiting: [] }))
    if (entry.running >= this.perKey) await new Promise<void>((resolve) => entry.waiting.push(resolve))
    else entry.running++
    let released = false
    return () => {
      if (released) return
      released = true
      const next = entry.waiting.shift()
      // The slot passes to the next in line after pending I/O: handed over at once (a microtask),
      // one address's queued messages ran back to back and starved every other client's socket
      // (a probe waited 9–30 s under a 100-connection flood).
      if (next) setImmediate(next)
      else if (--entry.running === 0) this.busy.delete(key)
    }
  }
}
