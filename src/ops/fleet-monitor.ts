/**
 * Gathers what a running node knows of the other nodes (governance's node list, its P2P peers and
 * the heads they announce, peers that left, recent seals) and hands it to the pure rules of
 * fleet.ts. It owns when the head last changed here; it changes nothing in the node.
 */
import type { Block } from '@ethereumjs/block'
import type { BlockSync } from '../sync/block-sync.js'
import type { Address } from '../types.js'
import { assessFleet, type FleetInput, type FleetNodeInput, type FleetReport } from './fleet.js'

/** Blocks without a seal or proposal after which a validator counts as not sealing: a validator
 * in a quorum-only seal set may miss many blocks in a row, but proposes about every n blocks. */
export function sealWindow(validatorCount: number): number {
  return Math.max(10, 2 * validatorCount + 2)
}

/** What the monitor reads from the node. */
export interface FleetNodePort {
  readonly address: Address
  readonly head: Block
  readonly host: { peers(): { address: Address }[] } | undefined
  readonly sync: Pick<BlockSync, 'peerReports'> | undefined
  readonly producer: { status(): { validators: readonly Address[] } | undefined }
  on(event: 'block', listener: () => void): unknown
  off(event: 'block', listener: () => void): unknown
}

export interface FleetSources {
  /** Governance's node list at the head; absent on a chain without governance. */
  nodes?: () => Promise<FleetNodeInput[]>
  /** The validator set after the head, when consensus has not reported one yet (a node just started). */
  validators?: () => Promise<readonly Address[]>
  /** Last block each validator sealed or proposed over blocks [from, to] (lowercase keys). */
  lastActive?: (from: number, to: number) => Promise<Map<string, number>>
}

export interface FleetMonitorOptions {
  /** Read at each report: the empty-block period it derives from may change by vote. */
  stalledAfterMs: () => number
  maxBlocksBehind: number
  now?: () => number
}

export class FleetMonitor {
  private lastBlockAt: number
  private readonly now: () => number
  private readonly onBlock = (): void => {
    this.lastBlockAt = this.now()
  }

  constructor(
    private readonly node: FleetNodePort,
    private readonly opts: FleetMonitorOptions,
    private readonly sources: FleetSources = {},
  ) {
    this.now = opts.now ?? Date.now
    this.lastBlockAt = this.now()
    node.on('block', this.onBlock)
  }

  /** When the head last changed here (the monitor's start before the first block). */
  get headChangedAt(): number {
    return this.lastBlockAt
  }

  /** The input from what the node holds in memory; seals and governance nodes as given. */
  input(extra: { nodes?: FleetNodeInput[]; lastActive?: Map<string, number>; validators?: readonly Address[] } = {}): FleetInput {
    const head = Number(this.node.head.header.number)
    const fromConsensus = this.node.producer.status()?.validators ?? []
    const validators = fromConsensus.length > 0 ? fromConsensus : (extra.validators ?? [])
    const reports = this.node.sync?.peerReports() ?? { announced: [], departed: [] }
    const announced = new Map(reports.announced.map((a) => [a.address.toLowerCase(), a]))
    const peers = (this.node.host?.peers() ?? []).map((p) => {
      const a = announced.get(p.address.toLowerCase())
      return a ? { address: p.address, head: Number(a.head), headAt: a.at } : { address: p.address }
    })
    const departed = reports.departed.map((d) => ({
      address: d.address,
      lastSeenAt: d.lastSeenAt,
      ourHeadAtLeave: Number(d.ourHeadAtLeave),
      ...(d.head !== undefined ? { head: Number(d.head) } : {}),
    }))
    return {
      now: this.now(),
      self: this.node.address,
      head,
      lastBlockAt: this.lastBlockAt,
      stalledAfterMs: this.opts.stalledAfterMs(),
      validators,
      nodes: extra.nodes ?? [],
      peers,
      departed,
      lastActive: extra.lastActive ?? new Map(),
      sealWindow: sealWindow(validators.length),
      maxBlocksBehind: this.opts.maxBlocksBehind,
    }
  }

  /** The full report, with governance's nodes and the recent seals read from the chain. */
  async report(): Promise<FleetReport> {
    const head = Number(this.node.head.header.number)
    let validators = this.node.producer.status()?.validators ?? []
    if (validators.length === 0 && this.sources.validators) validators = await this.sources.validators()
    const window = sealWindow(validators.length)
    const [nodes, lastActive] = await Promise.all([
      this.sources.nodes?.() ?? Promise.resolve(undefined),
      head >= 1 && this.sources.lastActive ? this.sources.lastActive(Math.max(1, head - window + 1), head) : Promise.resolve(undefined),
    ])
    return assessFleet(this.input({ validators, ...(nodes ? { nodes } : {}), ...(lastActive ? { lastActive } : {}) }))
  }

  close(): void {
    this.node.off('block', this.onBlock)
  }
}
