/**
 * The fleet and quorum state of a consortium as one node sees it, pure: the same input always
 * gives the same report. The dashboard shows this report (ops_getFleet) and readiness (health.ts)
 * words a stall with it, so the two never disagree.
 *
 * Rules:
 * - A node is `up` when it is this node, or connected to it over P2P; `behind` when connected but
 *   the head it last announced is more than `maxBlocksBehind` below this node's head; `down` when not
 *   connected. A validator that is not connected but sealed or proposed one of the last
 *   `sealWindow` blocks of a chain that is not stalled, and a block made after its connection to
 *   this node ended, is `up` too (it reaches the others, not us).
 * - A validator is `sealing` only when it is up and sealed or proposed one of the last `sealWindow`
 *   blocks, and the chain is not stalled. A validator that is down is never sealing.
 * - Validators reachable = those up or behind. Quorum is QBFT's ceil(2n/3), the fault budget
 *   (n-1) div 3. Fewer reachable than the quorum is "quorum lost"; more unreachable than the budget
 *   but a quorum left cannot happen for n ≤ 3f+1 (it is reported as lost when it does).
 * - The chain is stalled when the head has not changed for `stalledAfterMs`.
 *
 * It owns these rules and the wording; it reads nothing itself.
 */
import { maxFaulty, quorumSize } from '../consensus/qbft/quorum.js'
import type { Address } from '../types.js'

export interface FleetPeerInput {
  address: Address
  /** Head it last announced (block sync status), if any. */
  head?: number
  /** When it announced that head, ms. */
  headAt?: number
}

export interface FleetDepartedInput {
  address: Address
  /** When the connection ended, ms. */
  lastSeenAt: number
  /** The head it last announced. */
  head?: number
  /** This node's head when the connection ended: seals of later blocks show it is alive. */
  ourHeadAtLeave: number
}

export interface FleetNodeInput {
  address: Address
  party?: string
  validator: boolean
  /** Governance status of the node (active, removed); absent for nodes only seen on P2P. */
  status?: string
}

export interface FleetInput {
  now: number
  self: Address
  head: number
  /** When the head last changed here (ms); the node's start before its first block. */
  lastBlockAt: number
  stalledAfterMs: number
  /** The validators deciding the next block. */
  validators: readonly Address[]
  /** Nodes governance lists (empty on a chain without governance). */
  nodes: readonly FleetNodeInput[]
  /** Peers connected now. */
  peers: readonly FleetPeerInput[]
  /** Peers that were connected since this node started and are not now. */
  departed: readonly FleetDepartedInput[]
  /** Last block each validator sealed or proposed, over the last `sealWindow` blocks (lowercase keys). */
  lastActive: ReadonlyMap<string, number>
  sealWindow: number
  maxBlocksBehind: number
}

export type FleetNodeState = 'up' | 'behind' | 'down'
export type SealingState = 'sealing' | 'idle' | 'stalled' | 'down'

export interface FleetNode {
  address: Address
  party?: string
  validator: boolean
  self: boolean
  connected: boolean
  state: FleetNodeState
  /** Its own view of the height: this node's head, a peer's last announced head, or the last one before it left. */
  head?: number
  /** When that head was reported (ms). */
  headAt?: number
  /** For a node that is down: when this node last had a connection to it (ms), if since start. */
  lastSeenAt?: number
  /** Validators only. */
  sealing?: SealingState
  lastActive?: number
  status?: string
}

export type QuorumState = 'healthy' | 'degraded' | 'lost' | 'stalled' | 'no-validators'
export type Tone = 'ok' | 'warn' | 'bad'

export interface QuorumReport {
  state: QuorumState
  tone: Tone
  /** One line for people, e.g. "Quorum lost: 2 of 4 validators unreachable — chain halted since #107". */
  summary: string
  validators: number
  quorum: number
  faultBudget: number
  reachable: number
  unreachable: number
  sealing: number
  head: number
  stalled: boolean
  headAgeMs: number
}

export interface FleetReport {
  at: number
  self: Address
  head: number
  quorum: QuorumReport
  nodes: FleetNode[]
}

export function assessFleet(input: FleetInput): FleetReport {
  const self = input.self.toLowerCase()
  const headAgeMs = Math.max(0, input.now - input.lastBlockAt)
  const stalled = headAgeMs > input.stalledAfterMs
  const validators = new Set(input.validators.map((v) => v.toLowerCase()))
  const peers = new Map(input.peers.map((p) => [p.address.toLowerCase(), p]))
  const departed = new Map(input.departed.map((d) => [d.address.toLowerCase(), d]))
  const governed = new Map(input.nodes.map((n) => [n.address.toLowerCase(), n]))

  // Every node anyone tells us of: governance, the validator set, this node, its peers (now and before).
  const all = new Set<string>([self, ...governed.keys(), ...validators, ...peers.keys(), ...departed.keys()])
  const nodes: FleetNode[] = []
  for (const a of all) {
    const gov = governed.get(a)
    const peer = peers.get(a)
    const gone = departed.get(a)
    const isSelf = a === self
    const validator = validators.has(a)
    const connected = peer !== undefined
    const lastActive = input.lastActive.get(a)
    const recentlyActive = lastActive !== undefined && input.head - lastActive < input.sealWindow
    let state: FleetNodeState
    let head: number | undefined
    let headAt: number | undefined
    if (isSelf) {
      state = 'up'
      head = input.head
      headAt = input.lastBlockAt
    } else if (connected) {
      head = peer.head
      headAt = peer.headAt
      state = head !== undefined && input.head - head > input.maxBlocksBehind ? 'behind' : 'up'
    } else {
      // Not linked to us, but seals made since it left (or since we started) in a live chain show the others reach it.
      const sealedSince = lastActive !== undefined && (gone === undefined || lastActive > gone.ourHeadAtLeave)
      state = validator && recentlyActive && sealedSince && !stalled ? 'up' : 'down'
      head = gone?.head
    }
    const node: FleetNode = { address: (gov?.address ?? a) as Address, validator, self: isSelf, connected, state }
    if (gov?.party !== undefined) node.party = gov.party
    if (gov?.status !== undefined) node.status = gov.status
    if (head !== undefined) node.head = head
    if (headAt !== undefined) node.headAt = headAt
    if (!isSelf && !connected && gone) node.lastSeenAt = gone.lastSeenAt
    if (validator) {
      node.sealing = state === 'down' ? 'down' : stalled ? 'stalled' : recentlyActive ? 'sealing' : 'idle'
      if (lastActive !== undefined) node.lastActive = lastActive
    }
    nodes.push(node)
  }
  nodes.sort(byRole)
  return { at: input.now, self: input.self, head: input.head, quorum: assessQuorum(nodes, input.head, stalled, headAgeMs), nodes }
}

/** Validators first, then by address: a stable order for tables. */
function byRole(a: FleetNode, b: FleetNode): number {
  if (a.validator !== b.validator) return a.validator ? -1 : 1
  return a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1
}

function assessQuorum(nodes: readonly FleetNode[], head: number, stalled: boolean, headAgeMs: number): QuorumReport {
  const vals = nodes.filter((n) => n.validator)
  const n = vals.length
  const base = { validators: n, head, stalled, headAgeMs }
  if (n === 0) {
    return { ...base, state: 'no-validators', tone: 'bad', summary: 'No validators known: the validator set could not be read', quorum: 0, faultBudget: 0, reachable: 0, unreachable: 0, sealing: 0 }
  }
  const quorum = quorumSize(n)
  const faultBudget = maxFaulty(n)
  const reachable = vals.filter((v) => v.state !== 'down').length
  const unreachable = n - reachable
  const sealing = vals.filter((v) => v.sealing === 'sealing').length
  const counts = { ...base, quorum, faultBudget, reachable, unreachable, sealing }
  const down = `${unreachable} of ${n} validator${n === 1 ? '' : 's'} unreachable`
  const halt = stalled ? `chain halted since #${head}` : `no block since #${head}`
  if (reachable < quorum) {
    return { ...counts, state: 'lost', tone: 'bad', summary: `Quorum lost: ${down} — ${halt} (needs ${quorum} of ${n})` }
  }
  if (stalled) {
    return {
      ...counts,
      state: 'stalled',
      tone: 'bad',
      summary: `Chain halted since #${head} although ${reachable} of ${n} validators are reachable (quorum ${quorum}): they may be changing rounds or cannot reach each other`,
    }
  }
  if (unreachable > 0) {
    const within = unreachable <= faultBudget ? `within the fault budget (${faultBudget})` : `beyond the fault budget (${faultBudget})`
    return { ...counts, state: 'degraded', tone: 'warn', summary: `${down} — ${within}; blocks are being made` }
  }
  const all = n === 1 ? 'The only validator is reachable' : `All ${n} validators reachable`
  return { ...counts, state: 'healthy', tone: 'ok', summary: `${all} — quorum ${quorum}, fault budget ${faultBudget}` }
}
