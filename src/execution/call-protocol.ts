/**
 * The messages between the CallPool (main thread) and a call worker (call-worker.ts), over the
 * worker's MessagePort. Values go by structured clone (bigint and Uint8Array included).
 *
 * Main → worker: a job (one at a time per worker), and replies to the worker's reads.
 * Worker → main: `ready` once its VM exists, a job's outcome, and reads the worker cannot do itself
 * because the main process holds the LevelDB lock: trie nodes and code (the store's trie DB),
 * canonical block hashes (BLOCKHASH) and governance's code approval at the job's block.
 */
import { hexToBytes } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'
import type { Hex } from '../types.js'
import { ExecutionRevertedError, type CallRequest } from './call.js'

export interface CallWorkerData {
  chainId: bigint
  gasLimit: bigint
  /** Contract creation needs governance's approval of the code (reads `codeApproved`). */
  codeApproval: boolean
}

export type CallKind = 'call' | 'estimate'

export interface CallJob {
  type: 'job'
  id: number
  kind: CallKind
  /** RLP of the header of the block whose state the call reads. */
  header: Uint8Array
  req: CallRequest
}

export type WorkerRead =
  | { kind: 'trieNode'; key: string }
  | { kind: 'blockHash'; number: bigint }
  | { kind: 'codeApproved'; job: number; codeHash: Hex }

export type ReadValue = Uint8Array | boolean | undefined

export type MainToWorker = CallJob | { type: 'reply'; rid: number; value?: ReadValue; error?: string }

/** A failed job's error as it crosses the thread boundary: QuorateErrors keep code, message and data. */
export interface WireError {
  code?: string
  message: string
  data?: unknown
}

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'done'; id: number; value: Uint8Array | bigint }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'read'; rid: number; read: WorkerRead }

export function toWireError(err: unknown): WireError {
  if (err instanceof QuorateError) return { code: err.code, message: err.shortMessage, ...(err.data !== undefined ? { data: err.data } : {}) }
  return { message: err instanceof Error ? err.message : String(err) }
}

/** The error on the main thread: the same code, message and data the in-thread executor gives. */
export function fromWireError(wire: WireError): Error {
  if (wire.code === 'EXECUTION_REVERTED' && typeof wire.data === 'string') return new ExecutionRevertedError(hexToBytes(wire.data as Hex))
  if (wire.code !== undefined) return new QuorateError(wire.code, wire.message, wire.data !== undefined ? { data: wire.data } : {})
  return new Error(`call worker: ${wire.message}`)
}
