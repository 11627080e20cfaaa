/**
 * Erasure status of one private record (priv_getErasureStatus), looked up on demand: the operator
 * names a collection and a record key. A node without private data answers "method not found", a
 * node whose party is not a member answers "not a member of this collection": both are answers to
 * show, not failures.
 */
import { METHOD_NOT_FOUND, RpcError, type RpcClient } from '../rpc/client.js'

export interface ErasureMember {
  node: string
  party: string
  status: 'confirmed' | 'pending' | 'not requested'
  /** null when the confirmation is older than the log range the node searches. */
  confirmedAtBlock?: number | null
  /** Unix seconds of the erasure request. */
  pendingSince?: number
}

export interface OwedConfirmation {
  request: number
  /** Unix seconds: when this node erased the record. */
  since: number
  attempts: number
  /** Unix ms; 0 before the first attempt. */
  nextAttemptAt: number
  lastError?: string
}

export interface ErasureStatus {
  anchor: { erasedAt: number; erasureRequest: number; writer: string; anchoredAt: number }
  members: ErasureMember[]
  thisNode: OwedConfirmation[]
}

export type ErasureLookup =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; data: ErasureStatus }
  | { status: 'not-enabled' }
  | { status: 'not-member'; message: string }
  | { status: 'error'; message: string }

export async function lookupErasure(rpc: RpcClient, collection: string, key: string): Promise<ErasureLookup> {
  try {
    return { status: 'ready', data: await rpc.call<ErasureStatus>('priv_getErasureStatus', [collection, key]) }
  } catch (err) {
    if (err instanceof RpcError && err.code === METHOD_NOT_FOUND) return { status: 'not-enabled' }
    const message = err instanceof Error ? err.message.replace(/^priv_getErasureStatus: /, '') : String(err)
    if (/not a member of this collection/.test(message)) return { status: 'not-member', message }
    return { status: 'error', message }
  }
}

/** A member's status in words: "confirmed at block #12", "pending since …", "not requested". */
export function memberStatusText(m: ErasureMember, formatTime: (ms: number) => string): string {
  if (m.status === 'confirmed') return m.confirmedAtBlock != null ? `confirmed at block #${m.confirmedAtBlock}` : 'confirmed'
  if (m.status === 'pending') return m.pendingSince !== undefined ? `pending since ${formatTime(m.pendingSince * 1000)}` : 'pending'
  return 'not requested'
}
