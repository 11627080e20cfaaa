/**
 * Anchoring the access log's head on chain: the port the access log needs (`LogHeadAnchor`), an
 * in-memory implementation for tests, the chain implementation against PrivateDataAnchors'
 * `anchorAccessLogHead(bytes32 head, uint64 count)` / `accessLogHead(address)`, and the schedule
 * that decides when to anchor (every `everyEntries` new entries or every `intervalMs`, whichever
 * comes first, and never when nothing was appended since). An anchor is what turns "the operator
 * rewrote the log and re-signed it with the node key" into a failed verification: the chain holds
 * a (head, count) that only the original log reaches.
 */
import type { Logger } from 'pino'
import { errorMessage } from '../errors.js'
import type { Address, Hex } from '../types.js'
import type { AnchoredHead } from './access-log.js'

export interface LogHeadAnchor {
  /** Records (head, count) on chain for this node; resolves once final. */
  anchor(head: Hex, count: number): Promise<void>
  /** The latest head anchored by `node`, or undefined if it never anchored one. */
  latest(node: Address): Promise<AnchoredHead | undefined>
}

/** The ABI of the access log head functions of PrivateDataAnchors (as const: typed by viem). */
export const LOG_HEAD_ABI = [
  {
    type: 'function',
    name: 'anchorAccessLogHead',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'head', type: 'bytes32' },
      { name: 'count', type: 'uint64' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'accessLogHead',
    stateMutability: 'view',
    inputs: [{ name: 'node', type: 'address' }],
    outputs: [
      { name: 'head', type: 'bytes32' },
      { name: 'count', type: 'uint64' },
      { name: 'blockNumber', type: 'uint64' },
    ],
  },
  {
    type: 'event',
    name: 'AccessLogHeadAnchored',
    inputs: [
      { name: 'node', type: 'address', indexed: true },
      { name: 'head', type: 'bytes32', indexed: false },
      { name: 'count', type: 'uint64', indexed: false },
    ],
  },
] as const

/** The chain calls the anchor needs (PrivacyChain provides them). */
export interface LogHeadChain {
  send(functionName: 'anchorAccessLogHead', args: readonly [Hex, bigint]): Promise<unknown>
  read(functionName: 'accessLogHead', args: readonly [Address]): Promise<readonly [Hex, bigint, bigint]>
}

export function chainLogHeadAnchor(chain: LogHeadChain): LogHeadAnchor {
  return {
    async anchor(head, count) {
      await chain.send('anchorAccessLogHead', [head, BigInt(count)])
    },
    async latest(node) {
      const [head, count, blockNumber] = await chain.read('accessLogHead', [node])
      return count === 0n ? undefined : { head, count: Number(count), blockNumber: Number(blockNumber) }
    },
  }
}

/** For tests: heads kept per node in memory, with a block counter standing in for the chain. */
export function memoryLogHeadAnchor(self: Address): LogHeadAnchor & { heads: Map<Address, AnchoredHead> } {
  const heads = new Map<Address, AnchoredHead>()
  let block = 0
  return {
    heads,
    anchor(head, count) {
      heads.set(self.toLowerCase() as Address, { head, count, blockNumber: ++block })
      return Promise.resolve()
    },
    latest(node) {
      return Promise.resolve(heads.get(node.toLowerCase() as Address))
    },
  }
}

export interface LogAnchorSchedule {
  /** Anchor at least this often while entries are appended (ms). */
  intervalMs: number
  /** Anchor as soon as this many entries were appended since the last anchor. */
  everyEntries: number
}

/**
 * Decides when to anchor and does it, one anchor at a time. `appended()` is called after each
 * append; a timer covers quiet periods. A failed anchor is logged (once per kind of failure at
 * warn) and retried at the next trigger: the log keeps working, only the window grows.
 */
export class LogHeadAnchorer {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private anchoredCount = -1
  private lastFailure = ''
  private stopped = false

  constructor(
    private readonly log: { head(): Promise<{ head: Hex; count: number }>; readonly node: Address },
    private readonly anchor: LogHeadAnchor,
    private readonly schedule: LogAnchorSchedule,
    private readonly logger?: Logger,
  ) {}

  start(): void {
    void this.run()
    this.timer = setInterval(() => void this.run(), this.schedule.intervalMs)
    this.timer.unref()
  }

  /** Stops the timer and later triggers; an anchor in flight is not awaited (it may wait 30 s for its block). */
  stop(): void {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Resolves when no anchor is in flight (for tests). */
  async settled(): Promise<void> {
    await this.running
  }

  /** After an append: anchors when `everyEntries` were appended since the last anchor. */
  appended(count: number): void {
    // Before the first anchor succeeded (anchoredCount unknown) the timer alone retries.
    if (this.anchoredCount >= 0 && count - this.anchoredCount >= this.schedule.everyEntries) void this.run()
  }

  /** Anchors the current head unless it is already anchored (also the timer's job). */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.running ??= this.anchorNow().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async anchorNow(): Promise<void> {
    try {
      if (this.anchoredCount < 0) this.anchoredCount = (await this.anchor.latest(this.log.node))?.count ?? 0
      const { head, count } = await this.log.head()
      if (count <= this.anchoredCount) return
      await this.anchor.anchor(head, count)
      this.anchoredCount = count
      this.lastFailure = ''
      this.logger?.debug({ count, head }, 'anchored the access log head on chain')
    } catch (err) {
      const message = errorMessage(err)
      if (message !== this.lastFailure) this.logger?.warn({ err: message }, 'cannot anchor the access log head on chain; will retry')
      this.lastFailure = message
    }
  }
}
