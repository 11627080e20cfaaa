/**
 * The soak's steady load: each sender (a funded dev account) sends 1-wei transfers signed with the
 * benchmark's signer, one at a time in nonce order, through the nodes that are up, round-robin.
 * A transfer is acknowledged once its receipt is seen on some node; until then the same signed
 * bytes are sent again to the next node every `resendMs` (a node killed or cut off may have
 * dropped it), so a nonce is never signed twice and a hash always means one transfer.
 */
import { signLegacyTx } from '../bench/lib/erc20-bench.js'
import { JsonRpcHttpClient } from '../bench/lib/json-rpc.js'
import type { DevAccount } from '../src/crypto/dev-accounts.js'
import { hexToBytes } from '../src/crypto/keys.js'
import type { Address } from '../src/types.js'

export interface LoadOptions {
  urls: readonly string[]
  senders: readonly DevAccount[]
  to: Address
  chainId: bigint
  gasPrice: bigint
  /** Indexes of nodes worth sending to now. */
  up: () => readonly number[]
  /** Pause between a sender's acknowledged transfer and its next, ms. */
  intervalMs?: number
  resendMs?: number
}

export interface Acknowledged {
  hash: string
  block: number
  /** Submit → receipt seen, ms. */
  latencyMs: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class SteadyLoad {
  readonly acknowledged: Acknowledged[] = []
  submitted = 0
  resent = 0
  private running = false
  private loops: Promise<void>[] = []
  private readonly clients: JsonRpcHttpClient[]
  private turn = 0

  constructor(private readonly opts: LoadOptions) {
    this.clients = opts.urls.map((u) => new JsonRpcHttpClient(u, 2000))
  }

  start(): void {
    this.running = true
    this.loops = this.opts.senders.map((s, i) => this.sender(s, i))
  }

  /** Stops sending; a transfer in flight gets `drainMs` more to be acknowledged. */
  async stop(drainMs = 15_000): Promise<void> {
    this.running = false
    this.drainUntil = Date.now() + drainMs
    await Promise.all(this.loops)
  }

  private drainUntil = Infinity

  private next(): JsonRpcHttpClient | undefined {
    const up = this.opts.up()
    if (up.length === 0) return undefined
    return this.clients[up[this.turn++ % up.length]!]
  }

  private async sender(account: DevAccount, index: number): Promise<void> {
    const key = hexToBytes(account.privateKey)
    await sleep(index * 97)
    for (let nonce = 0; this.running; nonce++) {
      const tx = signLegacyTx(key, { chainId: this.opts.chainId, nonce, gasPrice: this.opts.gasPrice, gasLimit: 21_000n, to: this.opts.to, data: '0x', value: 1n })
      const startedAt = Date.now()
      let sentAt = 0
      let block: number | undefined
      while (block === undefined && (this.running || Date.now() < this.drainUntil)) {
        if (Date.now() - sentAt >= (this.opts.resendMs ?? 4000)) {
          const client = this.next()
          if (client) {
            if (sentAt > 0) this.resent++
            else this.submitted++
            sentAt = Date.now()
            // "already known" / "nonce too low" mean a node has it or has mined it: the receipt will tell.
            await client.request('eth_sendRawTransaction', [tx.raw]).catch(() => undefined)
          }
        }
        await sleep(250)
        const reader = this.next()
        const receipt = (await reader?.request('eth_getTransactionReceipt', [tx.hash]).catch(() => null)) as { blockNumber?: string } | null | undefined
        if (receipt?.blockNumber) block = Number(receipt.blockNumber)
      }
      if (block === undefined) return
      this.acknowledged.push({ hash: tx.hash, block, latencyMs: Date.now() - startedAt })
      await sleep(this.opts.intervalMs ?? 0)
    }
  }
}
