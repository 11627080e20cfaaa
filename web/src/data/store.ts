/**
 * What the dashboard knows about the chain, refreshed from the node on every new head (pushed over
 * WebSocket) and on a slow timer (peers change without blocks; a stalled chain sends no heads).
 * Framework-free: React subscribes through `useStore`. Blocks are final when seen (QBFT), so they
 * are cached by number and never re-read.
 */
import { hexToNumber } from '../format.js'
import { metricsWindow } from '../health.js'
import { METHOD_NOT_FOUND, RpcError, RpcUnreachableError, type RpcClient } from '../rpc/client.js'
import type { LiveStatus } from '../rpc/live.js'
import type { Address, FleetReport, RpcBlock, RpcHead, RpcNodeInfo, RpcPeer, RpcSignerMetric } from '../rpc/types.js'

/** Blocks kept for the recent-blocks view and the block-time average. */
export const RECENT_BLOCKS = 20
/** Live arrivals kept for the finality-latency average. */
const ARRIVALS_KEPT = 20

export interface Arrival {
  number: number
  /** Header timestamp, seconds. */
  timestamp: number
  /** When the head reached this page, ms. */
  receivedAt: number
}

export interface ChainState {
  loaded: boolean
  /** Set while the node does not answer; the data shown is then the last known. */
  unreachable?: string
  clientVersion?: string
  chainId?: number
  nodeInfo?: RpcNodeInfo
  head?: number
  blocks: RpcBlock[]
  validators: Address[]
  metrics: RpcSignerMetric[]
  metricsFrom: number
  metricsTo: number
  peers: RpcPeer[]
  /** The node's fleet and quorum view (ops_getFleet); absent from a node without the ops_ methods. */
  fleet?: FleetReport
  arrivals: Arrival[]
  live: LiveStatus
  /** Last successful refresh, ms. */
  updatedAt?: number
}

export class ChainStore {
  private state: ChainState = {
    loaded: false,
    blocks: [],
    validators: [],
    metrics: [],
    metricsFrom: 0,
    metricsTo: 0,
    peers: [],
    arrivals: [],
    live: { state: 'connecting', attempts: 0 },
  }
  private readonly listeners = new Set<() => void>()
  private readonly blockCache = new Map<number, RpcBlock>()
  private running: Promise<void> | undefined
  private again = false

  constructor(private readonly rpc: RpcClient) {}

  get snapshot(): ChainState {
    return this.state
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  setLive(live: LiveStatus): void {
    this.update({ live })
  }

  onHead(head: RpcHead, receivedAt: number): void {
    const number = hexToNumber(head.number)
    const timestamp = hexToNumber(head.timestamp)
    if (number !== undefined && timestamp !== undefined && !this.state.arrivals.some((a) => a.number === number)) {
      this.update({ arrivals: [...this.state.arrivals, { number, timestamp, receivedAt }].slice(-ARRIVALS_KEPT) })
    }
    void this.refresh()
  }

  /** Re-reads the node; calls made while one runs fold into one more run after it. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = (async () => {
      do {
        this.again = false
        await this.load()
      } while (this.again)
    })().finally(() => (this.running = undefined))
    return this.running
  }

  private async load(): Promise<void> {
    try {
      // The fleet view reads seals and governance on the node: slower, so it does not hold up the height.
      const fleet = this.rpc.call<FleetReport>('ops_getFleet').catch((err: unknown) => {
        if (err instanceof RpcError && err.code === METHOD_NOT_FOUND) return undefined
        throw err
      })
      fleet.catch(() => {}) // a failure is reported below, once
      const [headHex, nodeInfo, peers, clientVersion, chainIdHex] = await Promise.all([
        this.rpc.call<string>('eth_blockNumber'),
        this.rpc.call<RpcNodeInfo>('admin_nodeInfo'),
        this.rpc.call<RpcPeer[]>('admin_peers'),
        this.state.clientVersion ? Promise.resolve(this.state.clientVersion) : this.rpc.call<string>('web3_clientVersion'),
        this.state.chainId !== undefined ? Promise.resolve(undefined) : this.rpc.call<string>('eth_chainId'),
      ])
      const head = hexToNumber(headHex) ?? 0
      const validators = await this.rpc.call<Address[]>('qbft_getValidatorsByBlockNumber', [headHex])
      const from = Math.max(1, head - metricsWindow(validators.length) + 1)
      const [metrics, blocks] = await Promise.all([
        head >= 1 ? this.rpc.call<RpcSignerMetric[]>('qbft_getSignerMetrics', [toHex(from), headHex]) : Promise.resolve([]),
        this.recentBlocks(head),
      ])
      this.update({
        loaded: true,
        unreachable: undefined,
        clientVersion,
        chainId: this.state.chainId ?? hexToNumber(chainIdHex),
        nodeInfo,
        head,
        validators,
        metrics,
        metricsFrom: from,
        metricsTo: head,
        peers,
        blocks,
        updatedAt: Date.now(),
      })
      this.update({ fleet: await fleet })
    } catch (err) {
      const message = err instanceof RpcUnreachableError ? 'The node does not answer.' : err instanceof Error ? err.message : String(err)
      this.update({ unreachable: message })
    }
  }

  private async recentBlocks(head: number): Promise<RpcBlock[]> {
    const wanted: number[] = []
    for (let n = head; n >= 0 && n > head - RECENT_BLOCKS; n--) wanted.push(n)
    const missing = wanted.filter((n) => !this.blockCache.has(n))
    const fetched = await Promise.all(missing.map((n) => this.rpc.call<RpcBlock | null>('eth_getBlockByNumber', [toHex(n), true])))
    for (const b of fetched) {
      const n = hexToNumber(b?.number)
      if (b && n !== undefined) this.blockCache.set(n, b)
    }
    for (const n of this.blockCache.keys()) if (n <= head - RECENT_BLOCKS || n > head) this.blockCache.delete(n)
    return wanted.flatMap((n) => this.blockCache.get(n) ?? [])
  }

  private update(patch: Partial<ChainState>): void {
    this.state = { ...this.state, ...patch }
    for (const l of this.listeners) l()
  }
}

function toHex(n: number): string {
  return `0x${n.toString(16)}`
}
