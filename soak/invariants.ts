/**
 * The soak's invariants, as plain bookkeeping that the soak feeds with what it observes (and unit
 * tests feed by hand):
 * - no fork: every node has the same block hash at every height it has;
 * - no lost transaction: every acknowledged transaction (its receipt was seen) is on every node at the end;
 * - liveness: after each fault heals, the network commits a new block within the limit, and the
 *   faulted node follows it within the catch-up limit;
 * - no hang: a node asked to stop, or under a full disk, answers or exits.
 */
import type { FaultKind } from './schedule.js'

export interface Fork {
  height: number
  /** The hash first seen at this height and the node that had it, then the one that differs. */
  first: { node: number; hash: string }
  other: { node: number; hash: string }
}

/** Every (node, height, hash) seen; a second hash at a height is a fork. */
export class ChainAgreement {
  private readonly canonical = new Map<number, { node: number; hash: string }>()
  private readonly forkedHeights = new Set<number>()
  readonly forks: Fork[] = []

  /** Records node's hash at height; returns the fork when it differs from the hash seen before. */
  record(node: number, height: number, hash: string): Fork | undefined {
    const h = hash.toLowerCase()
    const seen = this.canonical.get(height)
    if (!seen) {
      this.canonical.set(height, { node, hash: h })
      return undefined
    }
    if (seen.hash === h || this.forkedHeights.has(height)) return undefined
    this.forkedHeights.add(height)
    const fork = { height, first: seen, other: { node, hash: h } }
    this.forks.push(fork)
    return fork
  }

  /** Heights with an agreed hash so far. */
  get heights(): number {
    return this.canonical.size
  }
}

export interface Lost {
  node: number
  hash: string
}

/** The acknowledged transactions missing on some node: `present(node)` is the set a node has. */
export function lostTransactions(acknowledged: readonly string[], nodes: number, present: (node: number) => ReadonlySet<string>): Lost[] {
  const lost: Lost[] = []
  for (let node = 0; node < nodes; node++) {
    const has = present(node)
    for (const hash of acknowledged) if (!has.has(hash.toLowerCase())) lost.push({ node, hash })
  }
  return lost
}

export interface Recovery {
  seq: number
  kind: FaultKind
  nodes: number[]
  /** Heal → the network's head passes the head at heal time, ms; undefined if it never did. */
  livenessMs: number | undefined
  /** Heal → every faulted node has that new block too, ms; undefined if one never did. */
  catchUpMs: number | undefined
}

export interface Limits {
  livenessMs: number
  catchUpMs: number
}

export interface Observations {
  forks: readonly Fork[]
  lost: readonly Lost[]
  recoveries: readonly Recovery[]
  /** Faults that could not be injected or healed as asked, and nodes that hung. */
  incidents: readonly string[]
  acknowledged: number
}

/** The broken invariants, one line each; empty when the run passed. */
export function violations(o: Observations, limits: Limits): string[] {
  const out: string[] = []
  for (const f of o.forks) out.push(`fork at height ${f.height}: node-${f.first.node + 1} has ${f.first.hash}, node-${f.other.node + 1} has ${f.other.hash}`)
  const lostByNode = new Map<number, number>()
  for (const l of o.lost) lostByNode.set(l.node, (lostByNode.get(l.node) ?? 0) + 1)
  for (const [node, n] of [...lostByNode].sort((a, b) => a[0] - b[0])) out.push(`node-${node + 1} is missing ${n} of ${o.acknowledged} acknowledged transactions (e.g. ${o.lost.find((l) => l.node === node)!.hash})`)
  for (const r of o.recoveries) {
    const what = `fault ${r.seq} (${r.kind} ${r.nodes.map((n) => `node-${n + 1}`).join(',')})`
    if (r.livenessMs === undefined) out.push(`${what}: no new block after it healed`)
    else if (r.livenessMs > limits.livenessMs) out.push(`${what}: the first new block came ${(r.livenessMs / 1000).toFixed(1)} s after it healed (limit ${limits.livenessMs / 1000} s)`)
    if (r.catchUpMs === undefined) out.push(`${what}: the faulted node did not catch up with the network`)
    else if (r.catchUpMs > limits.catchUpMs) out.push(`${what}: the faulted node caught up ${(r.catchUpMs / 1000).toFixed(1)} s after it healed (limit ${limits.catchUpMs / 1000} s)`)
  }
  out.push(...o.incidents)
  return out
}

export function worst(recoveries: readonly Recovery[], key: 'livenessMs' | 'catchUpMs'): Recovery | undefined {
  let w: Recovery | undefined
  for (const r of recoveries) if (w === undefined || (r[key] ?? Infinity) > (w[key] ?? Infinity)) w = r
  return w
}
