/**
 * Per-account nonces under concurrency. Sends from one account go out one after the other, in
 * call order, each with the next nonce; only the send is serialised (signing and submitting take
 * milliseconds), waiting for receipts stays parallel. In-order submission matters: an automining
 * ledger (Hardhat) refuses a nonce ahead of the account's, and a pool with a per-sender limit on
 * queued transactions would drop a gap. A send that fails with a nonce error makes the manager
 * ask the ledger again and retry; any other failed send also drops what it knows, since the
 * nonce it reserved may or may not have been used.
 */
import type { Address } from 'viem'

export interface NonceManagerOptions {
  /** The account's next nonce as the ledger sees it (pending transactions included). */
  fetchNonce(address: Address): Promise<number>
  /** Whether an error from a send means the nonce was wrong (taken, too low, too high). */
  isNonceError?(err: unknown): boolean
  /** How many times a send is retried after a nonce error (default 3). */
  retries?: number
}

export interface NonceManager {
  /** Runs `send` with `address`'s next nonce, after every earlier send from `address` settled. */
  send<T>(address: Address, send: (nonce: number) => Promise<T>): Promise<T>
  /** Forgets `address`'s nonce: the next send asks the ledger. */
  reset(address: Address): void
}

export function createNonceManager(opts: NonceManagerOptions): NonceManager {
  const next = new Map<string, number>()
  const queue = new Map<string, Promise<unknown>>()
  const retries = opts.retries ?? 3

  async function sendNow<T>(address: Address, key: string, send: (nonce: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let nonce = next.get(key)
      if (nonce === undefined) {
        nonce = await opts.fetchNonce(address)
        next.set(key, nonce)
      }
      try {
        const out = await send(nonce)
        next.set(key, nonce + 1)
        return out
      } catch (err) {
        next.delete(key)
        if (attempt >= retries || !opts.isNonceError?.(err)) throw err
      }
    }
  }

  return {
    send<T>(address: Address, send: (nonce: number) => Promise<T>): Promise<T> {
      const key = address.toLowerCase()
      const before = queue.get(key) ?? Promise.resolve()
      const mine = before.then(
        () => sendNow(address, key, send),
        () => sendNow(address, key, send),
      )
      const settled = mine.catch(() => undefined)
      queue.set(key, settled)
      // Drop the queue entry once it is the last one, so idle accounts hold nothing.
      void settled.then(() => {
        if (queue.get(key) === settled) queue.delete(key)
      })
      return mine
    },
    reset(address: Address): void {
      next.delete(address.toLowerCase())
    },
  }
}
