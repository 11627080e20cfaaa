/**
 * Bounds the calls (eth_call, eth_estimateGas) one client has in flight, and retries a call the
 * ledger refused as over its limit (JSON-RPC -32005: Quorate's call queue, a provider's rate
 * limit) after a short pause. Identical calls in flight at once are made once (`shared`). Without it, 200 parallel writes would send 200 estimates at once
 * and a node with a bounded call queue would turn most of them away.
 */
import { LimitExceededRpcError } from 'viem'

export interface CallLimiter {
  run<T>(fn: () => Promise<T>): Promise<T>
  /**
   * Like `run`, but callers asking the same `key` while a call is in flight share its answer: 200
   * parallel writes of the same function cost one estimate, not 200.
   */
  shared<T>(key: string, fn: () => Promise<T>): Promise<T>
}

export function createCallLimiter(maxInFlight: number, retries = 6): CallLimiter {
  let active = 0
  const queue: (() => void)[] = []
  const acquire = async () => {
    if (active < maxInFlight) {
      active++
      return
    }
    await new Promise<void>((resolve) => queue.push(resolve))
  }
  const release = () => {
    const next = queue.shift()
    if (next) next()
    else active--
  }
  const inFlight = new Map<string, Promise<unknown>>()
  const limiter: CallLimiter = {
    shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const running = inFlight.get(key)
      if (running) return running as Promise<T>
      const p = limiter.run(fn).finally(() => inFlight.delete(key))
      inFlight.set(key, p)
      return p
    },
    async run<T>(fn: () => Promise<T>): Promise<T> {
      await acquire()
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            return await fn()
          } catch (err) {
            if (attempt >= retries || !overLimit(err)) throw err
            await new Promise((r) => setTimeout(r, 50 * 2 ** attempt))
          }
        }
      } finally {
        release()
      }
    },
  }
  return limiter
}

function overLimit(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 20; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof LimitExceededRpcError || (e as { code?: unknown }).code === -32005) return true
  }
  return false
}
