/**
 * Watches every node that is up: its head, and the hash of each new height, fed to ChainAgreement
 * (so a fork is seen while the soak runs, not only at the end). A node whose chain was wiped is
 * checked again from height 1 as it resyncs.
 */
import { JsonRpcHttpClient } from '../bench/lib/json-rpc.js'
import { ChainAgreement, type Fork } from './invariants.js'
import type { NodeState } from './faults.js'

const BATCH = 200

export class ChainMonitor {
  readonly agreement = new ChainAgreement()
  readonly heads: number[]
  private readonly checked: number[]
  private readonly clients: JsonRpcHttpClient[]
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> = Promise.resolve()

  constructor(
    urls: readonly string[],
    private readonly states: readonly NodeState[],
    private readonly onFork: (fork: Fork) => void,
  ) {
    this.clients = urls.map((u) => new JsonRpcHttpClient(u, 3000))
    this.heads = urls.map(() => 0)
    this.checked = urls.map(() => 0)
  }

  start(everyMs = 1000): void {
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll())
    }, everyMs)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.polling
  }

  /** After a wipe the node's chain starts again from genesis. */
  recheck(node: number): void {
    this.checked[node] = 0
    this.heads[node] = 0
  }

  /** One round: every node that is up. Nodes that do not answer are skipped this round. */
  async poll(nodes: readonly number[] = this.states.flatMap((s, i) => (s === 'up' ? [i] : []))): Promise<void> {
    await Promise.all(nodes.map((i) => this.pollNode(i).catch(() => undefined)))
  }

  /** Checks node i's hashes up to its head (at most `limit` heights this call). */
  async pollNode(i: number, limit = BATCH * 5): Promise<void> {
    const client = this.clients[i]!
    const head = Number(await client.request('eth_blockNumber'))
    this.heads[i] = head
    const to = Math.min(head, this.checked[i]! + limit)
    for (let from = this.checked[i]! + 1; from <= to; from += BATCH) {
      const heights = Array.from({ length: Math.min(BATCH, to - from + 1) }, (_, k) => from + k)
      const blocks = await client.batch(heights.map((n) => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] })))
      for (const [k, b] of blocks.entries()) {
        const hash = b.ok ? (b.result as { hash?: string } | null)?.hash : undefined
        if (!hash) return
        const fork = this.agreement.record(i, heights[k]!, hash)
        if (fork) this.onFork(fork)
        this.checked[i] = heights[k]!
      }
    }
  }

  /** Checks every node's whole chain up to its head (the final sweep). */
  async sweep(): Promise<void> {
    for (let i = 0; i < this.clients.length; i++) {
      for (let rounds = 0; rounds < 1000; rounds++) {
        const before = this.checked[i]
        await this.pollNode(i)
        if (this.checked[i] === before || this.checked[i]! >= this.heads[i]!) break
      }
    }
  }

  /** The set of `hashes` whose receipts node i has. */
  async present(i: number, hashes: readonly string[]): Promise<Set<string>> {
    const has = new Set<string>()
    for (let from = 0; from < hashes.length; from += BATCH) {
      const part = hashes.slice(from, from + BATCH)
      const receipts = await this.clients[i]!.batch(part.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })))
      for (const [k, r] of receipts.entries()) if (r.ok && r.result) has.add(part[k]!.toLowerCase())
    }
    return has
  }
}
