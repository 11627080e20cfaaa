/**
 * Waits for many transactions at once without asking the ledger about each one on every tick:
 * one loop per client follows the head, reads each new block's transaction hashes, and fetches
 * a receipt only for the hashes someone waits for. A hash is also looked up once when the wait
 * starts, so a transaction included before the wait began is found too, and again now and then
 * while it is waited for: that first look can miss a transaction the ledger included a moment before
 * it indexed the receipt (Anvil under load), after the loop had already read that block.
 */
import type { Hash, PublicClient, TransactionReceipt } from 'viem'

export interface ReceiptWatcher {
  /** Resolves with the receipt once the transaction is in a block. */
  wait(hash: Hash): Promise<TransactionReceipt>
  stop(): void
}

interface Waiter {
  resolve(r: TransactionReceipt): void
  reject(err: unknown): void
}

/** How often a hash still waited for is looked up on its own, besides the block scan. */
const LOOKUP_EVERY_MS = 2_000

export function createReceiptWatcher(client: PublicClient, pollingInterval: number): ReceiptWatcher {
  const waiting = new Map<string, Waiter[]>()
  const lookedUp = new Map<string, number>()
  let lastSeen: bigint | undefined
  let timer: NodeJS.Timeout | undefined
  let busy = false

  const settle = (hash: string, receipt: TransactionReceipt) => {
    const ws = waiting.get(hash)
    if (!ws) return
    waiting.delete(hash)
    lookedUp.delete(hash)
    for (const w of ws) w.resolve(receipt)
  }
  const failAll = (err: unknown) => {
    for (const ws of waiting.values()) for (const w of ws) w.reject(err)
    waiting.clear()
    lookedUp.clear()
  }

  const lookUp = (key: string) => {
    lookedUp.set(key, Date.now())
    client.getTransactionReceipt({ hash: key as Hash }).then(
      (r) => settle(key, r),
      () => undefined, // not yet included: the loop finds it
    )
  }

  async function tick(): Promise<void> {
    if (busy || waiting.size === 0) return
    busy = true
    try {
      const head = await client.getBlockNumber({ cacheTime: 0 })
      const from = lastSeen === undefined ? head : lastSeen + 1n
      for (let n = from; n <= head && waiting.size > 0; n++) {
        const block = await client.getBlock({ blockNumber: n, includeTransactions: false })
        const mine = block.transactions.filter((h) => waiting.has(h.toLowerCase()))
        const receipts = await Promise.all(mine.map((hash) => client.getTransactionReceipt({ hash })))
        for (const r of receipts) settle(r.transactionHash.toLowerCase(), r)
        lastSeen = n
      }
      const now = Date.now()
      for (const key of waiting.keys()) if (now - (lookedUp.get(key) ?? 0) >= LOOKUP_EVERY_MS) lookUp(key)
      failures = 0
    } catch (err) {
      // The ledger did not answer: keep trying a few ticks, then fail the waits.
      if (++failures >= 20) failAll(err)
    } finally {
      busy = false
    }
  }
  let failures = 0

  const ensureLoop = () => {
    timer ??= setInterval(() => {
      if (waiting.size === 0) {
        clearInterval(timer)
        timer = undefined
        lastSeen = undefined
        return
      }
      void tick()
    }, pollingInterval)
  }

  return {
    wait(hash: Hash): Promise<TransactionReceipt> {
      const key = hash.toLowerCase()
      const p = new Promise<TransactionReceipt>((resolve, reject) => {
        const list = waiting.get(key) ?? []
        list.push({ resolve, reject })
        waiting.set(key, list)
      })
      ensureLoop()
      lookUp(key)
      return p
    },
    stop(): void {
      clearInterval(timer)
      timer = undefined
    },
  }
}
