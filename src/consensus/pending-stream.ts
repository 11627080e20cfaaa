/**
 * The candidates of a block built while its period runs. A proposer that waited for the due time
 * and then executed every pending transaction left a core idle for the period and made the
 * transactions wait for the whole build after it; streaming them lets the build run while they
 * arrive, so that at the due time little is left to execute.
 */
import type { TypedTransaction } from '@ethereumjs/tx'

/** What the stream needs from the pool: its executable transactions now, and each one that becomes executable. */
export interface StreamingPool {
  pending(gasLimit: bigint): TypedTransaction[]
  on(event: 'pending', fn: (tx: TypedTransaction) => void): unknown
  off(event: 'pending', fn: (tx: TypedTransaction) => void): unknown
}

/**
 * The pool's executable transactions in its order (as many as `budget` gas reserves), then each
 * transaction as it becomes executable (a sender's in nonce order, as the pool announces them),
 * each once, until `due` (ms since epoch) has passed with nothing left to give, or `signal` aborts.
 * It waits, without holding the event loop, while nothing is there.
 *
 * An arrival may so come before older transactions of its sender that the budget left out: the
 * build leaves out what is not its sender's next nonce (BlockExecutor.build), it does not refuse it.
 */
export async function* pendingUntil(pool: StreamingPool, budget: bigint, due: number, signal: AbortSignal): AsyncGenerator<TypedTransaction, void, undefined> {
  const arrived: TypedTransaction[] = []
  let wake: (() => void) | undefined
  const onPending = (tx: TypedTransaction): void => {
    arrived.push(tx)
    wake?.()
  }
  const onAbort = (): void => wake?.()
  // Listening before the snapshot is taken: nothing that becomes pending in between is missed.
  pool.on('pending', onPending)
  signal.addEventListener('abort', onAbort)
  try {
    const given = new Set<TypedTransaction>()
    for (const tx of pool.pending(budget)) {
      if (signal.aborted) return
      await giveWayBeforeDue(due)
      given.add(tx)
      yield tx
    }
    for (let next = 0; !signal.aborted; ) {
      if (next < arrived.length) {
        const tx = arrived[next++]!
        if (given.has(tx)) continue
        await giveWayBeforeDue(due)
        given.add(tx)
        yield tx
        continue
      }
      arrived.length = next = 0
      const left = due - Date.now()
      if (left <= 0) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left)
        function done(): void {
          clearTimeout(timer)
          wake = undefined
          resolve()
        }
        wake = done
      })
    }
  } finally {
    pool.off('pending', onPending)
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Before the due time, the build runs in the gaps: what is waiting on the event loop (submissions,
 * answers, consensus messages) goes first, so a client's submission does not wait behind the
 * execution of others'. From the due time on, the build runs without giving way.
 */
async function giveWayBeforeDue(due: number): Promise<void> {
  if (Date.now() < due) await new Promise<void>((resolve) => setImmediate(resolve))
}
