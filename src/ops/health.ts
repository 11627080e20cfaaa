/**
 * Liveness and readiness of a node, for load balancers, orchestrators and operators.
 *
 * - `GET /health`: the process is alive and answering HTTP. Always 200 `{"status":"ok", checks}`
 *   with the `disk` check only; it does not look at the chain, so a restart loop is never
 *   triggered by a network problem (nor by a full disk: the node recovers by itself).
 * - `GET /ready`: the node can serve current data and take part. 200 `{"status":"ready", checks}`
 *   when every check passes, else 503 `{"status":"not ready", checks}`; each check says whether it
 *   passed, the value it saw, its threshold and, when it failed, why.
 *
 * Checks and their defaults (all configurable through `ReadinessThresholds`):
 * - `synced`: the highest block any peer announced is at most `maxBlocksBehind` (default 2) above
 *   this node's head. Block sync running alone does not fail it: it also runs briefly when a peer
 *   announces a block a moment before this node finalises it.
 * - `peered`: at least `minPeers` (default 1) connected peers, when the network has other nodes
 *   (validators other than this node, or configured static peers). A lone validator needs none.
 *   The requirement never exceeds the number of other nodes.
 * - `not_stalled`: a new final block within `stalledAfterMs`, default max(3 × emptyBlockPeriodMs,
 *   30 s): three empty-block periods is longer than a healthy network ever goes without a block,
 *   and 30 s rides out a few round changes. Before the first block after start, the start counts.
 *   When the disk check fails, a stall is blamed on the disk; otherwise the reason is the quorum
 *   state of fleet.ts, in the words the dashboard shows ("Quorum lost: 2 of 4 validators unreachable …").
 * - `disk`: no store of the node is refusing writes (disk full, I/O error); value is the number of
 *   stores failing, each named in the reason. Clears when the node has recovered the store.
 *
 * It owns these rules and the two HTTP handlers; it changes nothing in the node.
 */
import type { ServerResponse } from 'node:http'
import type { ChainParams } from '../chain/params.js'
import type { SyncView } from '../node/ports.js'
import type { HttpRoute } from '../rpc/server.js'
import type { BlockSync } from '../sync/block-sync.js'
import type { Address } from '../types.js'
import { assessFleet } from './fleet.js'
import { FleetMonitor, type FleetNodePort } from './fleet-monitor.js'

export interface ReadinessThresholds {
  /** Blocks the head may be behind the best announced head; default 2. */
  maxBlocksBehind?: number
  /** Peers needed when the network has other nodes; default 1. */
  minPeers?: number
  /** No new final block for longer than this is a stall; default max(3 × emptyBlockPeriodMs, 30 s). */
  stalledAfterMs?: number
}

export const DEFAULT_MAX_BLOCKS_BEHIND = 2
export const DEFAULT_MIN_PEERS = 1
export const MIN_STALLED_AFTER_MS = 30_000

/** What readiness is decided from, read from a node at one moment. */
export interface ReadinessSnapshot {
  now: number
  height: bigint
  bestKnown: bigint
  syncing: boolean
  peers: number
  /** Nodes of the network besides this one that it could connect to. */
  otherNodes: number
  /** When the head last changed (ms since epoch); the node's start before its first block. */
  lastBlockAt: number
  /** Why dialling configured peers fails now, one entry per peer (`<url>: <error>`); none when absent. */
  dialErrors?: string[]
  /** Of the next block: a vote may change it (chain parameters). */
  emptyBlockPeriodMs: number
  /** Why the node stopped before a protocol upgrade it does not support, if it did. */
  stoppedAtUpgrade?: string
  /** Stores that cannot write now; none when absent. */
  storageFaults?: StorageFault[]
  /** The quorum state in words (fleet.ts), the same the dashboard shows: names the cause of a stall. */
  quorum?: string
}

/** A store of the node that refuses writes, and why (e.g. "disk full: …"). */
export interface StorageFault {
  component: string
  reason: string
}

export type ReadinessCheckName = 'synced' | 'peered' | 'not_stalled' | 'disk'

export interface ReadinessCheck {
  name: ReadinessCheckName
  ok: boolean
  /** What was measured (blocks behind, peers, seconds since the last block). */
  value: number
  /** The limit it is held to. */
  threshold: number
  /** Why it failed; absent when ok. */
  reason?: string
}

export interface ReadinessReport {
  ready: boolean
  checks: ReadinessCheck[]
}

export function stalledAfterMs(emptyBlockPeriodMs: number, thresholds: ReadinessThresholds = {}): number {
  return thresholds.stalledAfterMs ?? Math.max(3 * emptyBlockPeriodMs, MIN_STALLED_AFTER_MS)
}

/** The readiness rules, pure: the same snapshot always gives the same report. */
export function evaluateReadiness(s: ReadinessSnapshot, thresholds: ReadinessThresholds = {}): ReadinessReport {
  const checks: ReadinessCheck[] = []

  const maxBehind = thresholds.maxBlocksBehind ?? DEFAULT_MAX_BLOCKS_BEHIND
  const behind = Number(s.bestKnown > s.height ? s.bestKnown - s.height : 0n)
  checks.push(
    behind <= maxBehind
      ? { name: 'synced', ok: true, value: behind, threshold: maxBehind }
      : {
          name: 'synced',
          ok: false,
          value: behind,
          threshold: maxBehind,
          reason: `head is block ${s.height} but peers announced block ${s.bestKnown}: ${behind} blocks behind (at most ${maxBehind} allowed); ${s.stoppedAtUpgrade ?? (s.syncing ? 'block sync is running' : 'block sync is not running')}`,
        },
  )

  const needed = s.otherNodes > 0 ? Math.min(thresholds.minPeers ?? DEFAULT_MIN_PEERS, s.otherNodes) : 0
  checks.push(
    s.peers >= needed
      ? { name: 'peered', ok: true, value: s.peers, threshold: needed }
      : {
          name: 'peered',
          ok: false,
          value: s.peers,
          threshold: needed,
          reason:
            `${s.peers} peer${s.peers === 1 ? '' : 's'} connected, at least ${needed} needed: the network has ${s.otherNodes} other node${s.otherNodes === 1 ? '' : 's'}; check that they run and that this node can reach them (firewall, proxy, allow-list)` +
            (s.dialErrors?.length ? `; dialling fails: ${s.dialErrors.join('; ')}` : ''),
        },
  )

  const disk = diskCheck(s.storageFaults ?? [])
  const limit = stalledAfterMs(s.emptyBlockPeriodMs, thresholds)
  const since = Math.max(0, s.now - s.lastBlockAt)
  const stallCause = s.stoppedAtUpgrade
    ? s.stoppedAtUpgrade
    : !disk.ok
      ? 'this node cannot write blocks to its disk (see the disk check)'
      : (s.quorum ?? 'consensus has no quorum of validators, or this node cannot reach them')
  checks.push(
    since <= limit
      ? { name: 'not_stalled', ok: true, value: since / 1000, threshold: limit / 1000 }
      : {
          name: 'not_stalled',
          ok: false,
          value: since / 1000,
          threshold: limit / 1000,
          reason: `no new final block for ${Math.round(since / 1000)} s (head ${s.height}), more than ${limit / 1000} s: ${stallCause}`,
        },
  )
  checks.push(disk)

  return { ready: checks.every((c) => c.ok), checks }
}

export function diskCheck(faults: StorageFault[]): ReadinessCheck {
  if (faults.length === 0) return { name: 'disk', ok: true, value: 0, threshold: 0 }
  return { name: 'disk', ok: false, value: faults.length, threshold: 0, reason: faults.map((f) => `${f.component}: ${f.reason}`).join('; ') }
}

/**
 * What readiness reads from a node: what the fleet monitor reads (head, peers with their announced
 * heads, consensus status, the block event), and the configured peers, dial failures, sync
 * progress, the next block's empty-block period, an upgrade stop and the stores' write faults.
 */
export interface HealthNode extends FleetNodePort {
  readonly config: { readonly p2p: { readonly peers: readonly { readonly address?: Address | undefined }[] } }
  readonly host: { peers(): { address: Address }[]; unreachablePeers(): { error: string }[] } | undefined
  readonly sync: (SyncView & Pick<BlockSync, 'peerReports'>) | undefined
  readonly paramsOfNextBlock: Pick<ChainParams, 'emptyBlockPeriodMs'>
  readonly upgradeStop: { readonly shortMessage: string } | undefined
  storageFaults(): StorageFault[]
}

/** Readiness of a running node, and the /health and /ready routes. */
export class NodeHealth {
  private readonly fleet: FleetMonitor
  /** A monitor made here is closed here; one passed in belongs to the caller. */
  private readonly ownsFleet: boolean

  constructor(
    private readonly node: HealthNode,
    private readonly thresholds: ReadinessThresholds = {},
    private readonly now: () => number = Date.now,
    fleet?: FleetMonitor,
  ) {
    this.fleet = fleet ?? new FleetMonitor(node, { stalledAfterMs: () => stalledAfterMs(node.paramsOfNextBlock.emptyBlockPeriodMs, thresholds), maxBlocksBehind: thresholds.maxBlocksBehind ?? DEFAULT_MAX_BLOCKS_BEHIND, now })
    this.ownsFleet = fleet === undefined
  }

  snapshot(): ReadinessSnapshot {
    const node = this.node
    const height = node.head.header.number
    const self = node.address.toLowerCase()
    const validators = node.producer.status()?.validators ?? []
    const known = new Set<Address>(validators.map((v) => v.toLowerCase() as Address).filter((v) => v !== self))
    let unnamedPeers = 0
    for (const p of node.config.p2p.peers) {
      if (p.address) {
        if (p.address.toLowerCase() !== self) known.add(p.address.toLowerCase() as Address)
      } else {
        unnamedPeers++
      }
    }
    return {
      now: this.now(),
      height,
      bestKnown: node.sync?.highestKnown() ?? height,
      syncing: node.sync?.syncing ?? false,
      peers: node.host?.peers().length ?? 0,
      otherNodes: known.size + unnamedPeers,
      lastBlockAt: this.fleet.headChangedAt,
      dialErrors: node.host?.unreachablePeers().map((f) => f.error) ?? [],
      emptyBlockPeriodMs: node.paramsOfNextBlock.emptyBlockPeriodMs,
      ...(node.upgradeStop ? { stoppedAtUpgrade: node.upgradeStop.shortMessage } : {}),
      storageFaults: node.storageFaults(),
      // Without seals: they count only while blocks are made, and the words are used only for a stall.
      quorum: assessFleet(this.fleet.input()).quorum.summary,
    }
  }

  report(): ReadinessReport {
    return evaluateReadiness(this.snapshot(), this.thresholds)
  }

  routes(paths: { health?: string; ready?: string } = {}): HttpRoute[] {
    return [
      {
        method: 'GET',
        path: paths.health ?? '/health',
        handler: (_req, res) => sendJson(res, 200, { status: 'ok', checks: [diskCheck(this.node.storageFaults())] }),
      },
      {
        method: 'GET',
        path: paths.ready ?? '/ready',
        handler: (_req, res) => {
          const { ready, checks } = this.report()
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks })
        },
      },
    ]
  }

  close(): void {
    if (this.ownsFleet) this.fleet.close()
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) }).end(text)
}
