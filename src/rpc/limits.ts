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
export const DEFAULT_MAX_PENDING_RESPONSE_BYTES = 256 * 1024 * 1024
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
  private full = false

  constructor(private readonly opts: ResponseBudgetOptions) {}

  /** Bytes the next result may still take. */
  get remaining(): number {
    return Math.max(0, this.opts.maxBytes - this.spent)
  }

  /** Why the next batch item must not run (answered instead of running it), or undefined. */
  refusal(): RpcError | undefined {
    if (this.full || this.spent >= this.opts.maxBytes) return this.sizeExceeded()
    if (this.opts.deadline !== undefined && Date.now() > this.opts.deadline) {
      this.opts.onLimited?.('batch_time')
      return new RpcError(
        RpcErrorCode.LIMIT_EXCEEDED,
        'batch time limit reached (rpc.batchTimeoutMs): this request was not run; send the rest in another batch',
      )
    }
    const memory = this.opts.memory
    if (memory && memory.bytes >= memory.limit && this.spent >= SMALL_RESPONSE_BYTES) return this.busy(memory)
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
    if (memory) {
      memory.take(bytes)
      this.held += bytes
    }
    return undefined
  }

  /** Gives the response's bytes back to the node-wide pool (it was sent, or never will be). Idempotent. */
  release(): void {
    this.opts.memory?.give(this.held)
    this.held = 0
  }

  /** The error for a result larger than what is left of the budget; the batch's later items do not run. */
  sizeExceeded(): RpcError {
    // The remaining items would be built only to be dropped.
    this.full = true
    this.opts.onLimited?.('response_size')
    return new RpcError(
      RpcErrorCode.LIMIT_EXCEEDED,
      `response size limit of ${mib(this.opts.maxBytes)} reached (rpc.maxResponseBytes): this request was not answered; ` +
        'ask for less per request (e.g. hashes instead of full transactions, a smaller block range) or split the batch',
    )
  }

  private busy(memory: ResponseMemory): RpcError {
    this.opts.onLimited?.('pending_memory')
    return new RpcError(
      RpcErrorCode.LIMIT_EXCEEDED,
      `the node holds ${mib(memory.bytes)} of responses not yet read by clients (rpc.maxPendingResponseBytes is ${mib(memory.limit)}): ` +
        'this request was not run; retry shortly, and read responses before sending more',
    )
  }
}

/** Thrown by a size-limited serialisation as soon as its output is sure to exceed the limit. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError'
}
