/**
 * Remembers gossip message ids (keccak256 of protocol and payload) for a bounded time and count, and
 * which peers are known to have each one, so a payload that arrives from several peers is delivered
 * once and relayed only to peers that do not have it. Oldest entries go first (insertion order).
 */
import type { Address } from '../types.js'

export interface SeenCacheOptions {
  maxEntries: number
  ttlMs: number
  now?: () => number
}

interface Entry {
  expiresAt: number
  /** Peers we received this message from or sent it to. */
  peers: Set<Address>
  relayed: boolean
}

export class SeenCache {
  private readonly entries = new Map<string, Entry>()
  private readonly now: () => number

  constructor(private readonly opts: SeenCacheOptions) {
    this.now = opts.now ?? Date.now
  }

  get size(): number {
    return this.entries.size
  }

  /** The live entry for `id`, expiring stale entries on the way. */
  get(id: string): Entry | undefined {
    const entry = this.entries.get(id)
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(id)
      return undefined
    }
    return entry
  }

  /** Creates the entry for `id`, evicting expired and then oldest entries to stay in bounds. */
  add(id: string): Entry {
    const now = this.now()
    this.prune(now)
    while (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done) break
      this.entries.delete(oldest.value)
    }
    const entry: Entry = { expiresAt: now + this.opts.ttlMs, peers: new Set(), relayed: false }
    this.entries.set(id, entry)
    return entry
  }

  /** Drops expired entries from the front (entries are in insertion order, so expiry order too). */
  prune(now = this.now()): void {
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break
      this.entries.delete(id)
    }
  }

  clear(): void {
    this.entries.clear()
  }
}
