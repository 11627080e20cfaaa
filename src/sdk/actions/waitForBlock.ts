/**
 * Waits until the client's ledger (the node it talks to) has block `blockNumber`: for reading what
 * a transaction sent through another node did, once this node has imported the block that holds it.
 * The head is polled every `pollingInterval` ms, as the receipt watcher and event streams poll;
 * nothing is reported while waiting. A head already at or past the block answers at once.
 */
import type { LedgerClient } from '../client.js'
import { LedgerError } from '../errors.js'

export interface WaitForBlockParameters {
  /** The block to wait for (a whole number, 0 or more). */
  blockNumber: bigint | number
  /** Give up after this many ms with a BlockNotReachedError (UNREACHABLE); default 60 s. */
  timeoutMs?: number
}

/** The ledger did not reach the block in time: `head` is the last block number it answered. */
export class BlockNotReachedError extends LedgerError {
  override name = 'BlockNotReachedError'
  readonly blockNumber: bigint
  readonly head: bigint | undefined
  constructor(blockNumber: bigint, head: bigint | undefined, timeoutMs: number) {
    super('UNREACHABLE', `the ledger did not reach block ${blockNumber} within ${timeoutMs} ms${head === undefined ? '' : ` (its head is block ${head})`}`)
    this.blockNumber = blockNumber
    this.head = head
  }
}

/** Resolves with the ledger's head block number once it is at least `blockNumber`. */
export async function waitForBlock(client: Pick<LedgerClient, 'public' | 'fabric' | 'pollingInterval'>, p: WaitForBlockParameters): Promise<bigint> {
  const target = toBlockNumber(p.blockNumber)
  const timeoutMs = p.timeoutMs ?? 60_000
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new LedgerError('INVALID_INPUT', `timeoutMs: expected a number of ms, 0 or more, got ${String(timeoutMs)}`)
  const deadline = Date.now() + timeoutMs
  let head: bigint | undefined
  for (;;) {
    try {
      head = await client.public.getBlockNumber({ cacheTime: 0 })
    } catch (err) {
      throw client.fabric.toLedgerError(err)
    }
    if (head >= target) return head
    const left = deadline - Date.now()
    if (left <= 0) throw new BlockNotReachedError(target, head, timeoutMs)
    await new Promise((resolve) => setTimeout(resolve, Math.min(client.pollingInterval, left)))
  }
}

function toBlockNumber(n: bigint | number): bigint {
  if (typeof n === 'bigint' ? n >= 0n : Number.isSafeInteger(n) && n >= 0) return BigInt(n)
  throw new LedgerError('INVALID_INPUT', `blockNumber: expected a whole number, 0 or more, got ${String(n)}`)
}
