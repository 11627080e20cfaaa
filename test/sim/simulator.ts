/**
 * Seeded, deterministic network simulation of n QBFT state machines. A virtual clock and one event
 * queue drive everything: message delivery (drops, delays, reordering, partitions before GST),
 * the machines' timers, block building and execution, block sync, crashes and restarts,
 * byzantine validators that equivocate, and a split-brain network that lets one node decide and
 * then cuts it off (so the others' locks are all that keeps them on the same block). The same
 * scenario always produces the same run, so a failing seed can be replayed.
 *
 * Checks while running:
 * - safety: no two non-byzantine nodes ever append different blocks at one height;
 * - every committed block carries a quorum of valid seals and extends the committing node's head;
 * - no node that never crashed is ever reported as faulty by another node (`invalid`, not benign);
 * and at the end, liveness: after GST every live honest node adds `heightsAfterGst` heights within
 * `livenessBoundMs` of virtual time.
 */
import {
  createQbftMachine,
  decodeMessage,
  encodeMessage,
  privateKeySigner,
  verifyCommitSeals,
  type QbftAction,
  type QbftEvent,
  type QbftMachine,
  type SignedMessage,
  type Signer,
} from '../../src/consensus/qbft/index.js'
import { keccak256 } from '../../src/crypto/native.js'
import type { Address, Hex } from '../../src/types.js'
import { Equivocator } from './adversary.js'
import { blockDigest, blockId, GENESIS, makeBlock, simBlockOps, type ChainHead, type SimBlock } from './block.js'
import { Prng } from './prng.js'
import { EventQueue } from './queue.js'
import type { Scenario } from './scenario.js'

export interface SealedBlock {
  block: SimBlock
  seals: Uint8Array[]
}

export interface SimNode {
  id: number
  signer: Signer
  address: Address
  byzantine: boolean
  alive: boolean
  /** Bumped on crash and restart so timers of an earlier life are ignored. */
  incarnation: number
  everCrashed: boolean
  chain: SealedBlock[]
  head: ChainHead
  machine: QbftMachine<SimBlock>
}

type SimEvent =
  | { kind: 'deliver'; to: number; message: SignedMessage<SimBlock> }
  | { kind: 'machine'; to: number; incarnation: number; event: QbftEvent<SimBlock> }
  | { kind: 'build'; to: number; incarnation: number; height: bigint; round: number }
  | { kind: 'syncTick'; node: number }
  | { kind: 'syncRequest'; to: number; from: number; fromHeight: bigint }
  | { kind: 'blocks'; to: number; blocks: SealedBlock[] }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number }

export interface SimResult {
  scenario: Scenario
  /** Two non-byzantine nodes appended different blocks at one height. */
  conflicts: string[]
  /** A non-byzantine node committed a block without enough valid seals, or not on its head. */
  badCommits: string[]
  honestFlagged: string[]
  liveness: { ok: boolean; detail: string; msAfterGst: number }
  heights: bigint[]
  /** Commits per round number, over all honest commits. */
  commitRounds: Map<number, number>
  /**
   * Heights that honest nodes decided in different rounds: a block decided by some was carried
   * into a later round by the others' locks. Shows the run exercised the lock rule.
   */
  carriedAcrossRounds: number
  /** Faults reported against byzantine authors, by reason. */
  byzantineReports: Map<string, number>
  events: number
}

const MAX_EVENTS = 3_000_000
/** Only encode/decode are used on the wire; they do not depend on a chain head. */
const wireOps = simBlockOps(() => GENESIS)
const SYNC_INTERVAL_MS = 1500

export function simulatorKeys(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => keccak256(new TextEncoder().encode(`quorate-sim-validator-${i}`)))
}

export class Simulation {
  readonly nodes: SimNode[]
  readonly validators: Address[]
  readonly rng: Prng
  now = 0
  private readonly queue = new EventQueue<SimEvent>()
  private readonly decided = new Map<bigint, { id: Hex; node: number }>()
  private readonly adversaries = new Map<number, Equivocator>()
  /** Before GST the network may cut a node off entirely until this time. */
  private readonly isolatedUntil: number[]
  private readonly decidedRounds = new Map<bigint, Set<number>>()
  private readonly targets = new Map<bigint, { victim: number; done: boolean } | undefined>()
  private readonly result: SimResult
  private readonly s: Scenario

  constructor(
    scenario: Scenario,
    private readonly trace?: (line: string) => void,
  ) {
    this.s = scenario
    this.rng = new Prng(scenario.seed)
    this.isolatedUntil = Array.from({ length: scenario.n }, () => 0)
    const signers = simulatorKeys(scenario.n).map((k) => privateKeySigner(k))
    this.validators = signers.map((s) => s.address.toLowerCase() as Address).sort()
    this.nodes = signers.map((signer, id) => {
      const node: SimNode = {
        id,
        signer,
        address: signer.address.toLowerCase() as Address,
        byzantine: scenario.byzantine.includes(id),
        alive: true,
        incarnation: 0,
        everCrashed: false,
        chain: [],
        head: GENESIS,
        machine: undefined as unknown as QbftMachine<SimBlock>,
      }
      node.machine = this.newMachine(node)
      return node
    })
    for (const id of scenario.byzantine) this.adversaries.set(id, new Equivocator(this, this.nodes[id]!, scenario.byzantineMode))
    this.result = {
      scenario,
      conflicts: [],
      badCommits: [],
      honestFlagged: [],
      liveness: { ok: false, detail: 'not run', msAfterGst: 0 },
      heights: [],
      commitRounds: new Map(),
      carriedAcrossRounds: 0,
      byzantineReports: new Map(),
      events: 0,
    }
  }

  private newMachine(node: SimNode): QbftMachine<SimBlock> {
    const config: Parameters<typeof createQbftMachine<SimBlock>>[0] = {
      signer: node.signer,
      blockOps: simBlockOps(() => node.head),
      roundTimeout: this.s.roundTimeout,
    }
    if (this.s.quorum) config.unsafeTesting = { quorum: this.s.quorum }
    return createQbftMachine(config)
  }

  run(): SimResult {
    const s = this.s
    for (const node of this.nodes) {
      this.handle(node, { type: 'newChainHead', height: 0n, validators: this.validators })
      this.queue.push(this.rng.int(0, SYNC_INTERVAL_MS), { kind: 'syncTick', node: node.id })
    }
    for (const c of s.crashes) {
      this.queue.push(c.at, { kind: 'crash', node: c.node })
      if (c.restartAt !== undefined) this.queue.push(c.restartAt, { kind: 'restart', node: c.node })
    }
    const mustProgress = this.nodes.filter((n) => !n.byzantine && !s.crashes.some((c) => c.node === n.id && c.restartAt === undefined))
    let target: bigint | undefined
    const deadline = s.gstMs + s.livenessBoundMs
    let events = 0
    for (;;) {
      const next = this.queue.pop()
      if (!next) break
      if (target === undefined && next.time >= s.gstMs) {
        const best = this.nodes.filter((n) => !n.byzantine).reduce((m, n) => (n.head.height > m ? n.head.height : m), 0n)
        target = best + BigInt(s.heightsAfterGst)
      }
      if (next.time > deadline) break
      this.now = next.time
      this.dispatch(next.item)
      if (++events > MAX_EVENTS) {
        this.result.liveness = { ok: false, detail: `event budget of ${MAX_EVENTS} exhausted`, msAfterGst: this.now - s.gstMs }
        break
      }
      if (target !== undefined && mustProgress.every((n) => n.head.height >= target!)) {
        this.result.liveness = { ok: true, detail: `all live honest nodes reached height ${target}`, msAfterGst: this.now - s.gstMs }
        break
      }
    }
    if (!this.result.liveness.ok && this.result.liveness.detail === 'not run') {
      const lagging = mustProgress.filter((n) => target === undefined || n.head.height < target).map((n) => `node ${n.id} at ${n.head.height} (round ${n.machine.status()?.round})`)
      this.result.liveness = { ok: false, detail: `by ${deadline} ms, target height ${target}: ${lagging.join('; ')}`, msAfterGst: this.now - s.gstMs }
    }
    this.result.heights = this.nodes.map((n) => n.head.height)
    this.result.events = events
    return this.result
  }

  // -------------------------------------------------------------------------------------------
  // Network

  /** Schedules `event` for node `to` as a message from `from`, applying the pre-GST faults. */
  send(from: number, to: number, event: SimEvent, extraDelay = 0, extraDropRate = 0): void {
    const s = this.s
    let delay: number
    if (this.now < s.gstMs) {
      if (s.partitions.some((p) => this.now >= p.from && this.now < p.to && p.side.has(from) !== p.side.has(to))) return
      if (this.isolatedUntil[from]! > this.now || this.isolatedUntil[to]! > this.now) return
      if (this.rng.chance(s.dropRate) || this.rng.chance(extraDropRate)) return
      delay = this.rng.int(1, s.maxDelayMs)
    } else {
      delay = this.rng.int(1, s.postGstMaxDelayMs)
    }
    this.queue.push(this.now + delay + extraDelay, event)
  }

  /** Encodes the message once (as the wire would), decodes it once, and sends it to `targets`. */
  sendMessage(from: number, message: SignedMessage<SimBlock>, targets: number[], extraDelay = 0): void {
    const decoded = decodeMessage(encodeMessage(message, wireOps), wireOps)
    const extraDrop = message.type === 'commit' ? this.s.commitDropRate : 0
    const target = message.type === 'commit' && this.now < this.s.gstMs ? this.targetOf(message.signed.payload.height) : undefined
    for (const to of targets) {
      if (to === from || (target && !target.done && to !== target.victim)) continue
      this.send(from, to, { kind: 'deliver', to, message: decoded }, extraDelay, extraDrop)
    }
  }

  /** Whether the split-brain adversary targets this height's Commits, and at which victim. */
  private targetOf(height: bigint): { victim: number; done: boolean } | undefined {
    if (!this.targets.has(height)) {
      const honest = this.nodes.filter((n) => !n.byzantine).map((n) => n.id)
      this.targets.set(height, this.rng.chance(this.s.targetedCommitRate) ? { victim: this.rng.pick(honest), done: false } : undefined)
    }
    return this.targets.get(height)
  }

  peersOf(id: number): number[] {
    return this.nodes.map((n) => n.id).filter((i) => i !== id)
  }

  // -------------------------------------------------------------------------------------------
  // Events

  private dispatch(e: SimEvent): void {
    switch (e.kind) {
      case 'deliver': {
        const node = this.nodes[e.to]!
        if (node.alive) this.handle(node, { type: 'message', message: e.message })
        return
      }
      case 'machine': {
        const node = this.nodes[e.to]!
        if (node.alive && node.incarnation === e.incarnation) this.handle(node, e.event)
        return
      }
      case 'build': {
        const node = this.nodes[e.to]!
        if (!node.alive || node.incarnation !== e.incarnation || node.head.height + 1n !== e.height) return
        this.handle(node, { type: 'blockProposal', block: makeBlock(node.head, e.round, node.address, this.rng.hex32()) })
        return
      }
      case 'syncTick': {
        const node = this.nodes[e.node]!
        this.queue.push(this.now + SYNC_INTERVAL_MS + this.rng.int(0, 500), e)
        if (!node.alive) return
        const peer = this.rng.pick(this.peersOf(node.id))
        this.send(node.id, peer, { kind: 'syncRequest', to: peer, from: node.id, fromHeight: node.head.height + 1n })
        return
      }
      case 'syncRequest': {
        const node = this.nodes[e.to]!
        if (!node.alive) return
        const blocks = node.chain.slice(Number(e.fromHeight) - 1, Number(e.fromHeight) - 1 + 20)
        if (blocks.length > 0) this.send(node.id, e.from, { kind: 'blocks', to: e.from, blocks })
        return
      }
      case 'blocks': {
        const node = this.nodes[e.to]!
        if (!node.alive) return
        for (const sealed of e.blocks) {
          if (sealed.block.height !== node.head.height + 1n || sealed.block.parent !== node.head.id) continue
          if (!this.sealsOk(blockDigest(sealed.block), sealed.seals)) continue
          this.append(node, sealed)
        }
        return
      }
      case 'crash': {
        const node = this.nodes[e.node]!
        node.alive = false
        node.everCrashed = true
        node.incarnation++
        return
      }
      case 'restart': {
        const node = this.nodes[e.node]!
        node.alive = true
        node.incarnation++
        node.machine = this.newMachine(node)
        this.handle(node, { type: 'newChainHead', height: node.head.height, validators: this.validators, previousProposer: node.chain.at(-1)?.block.proposer })
        return
      }
    }
  }

  private handle(node: SimNode, event: QbftEvent<SimBlock>): void {
    for (const action of node.machine.handle(event)) {
      if (this.trace) this.trace(`t=${this.now} node ${node.id} ${describeAction(action)}`)
      this.perform(node, action)
    }
  }

  private perform(node: SimNode, action: QbftAction<SimBlock>): void {
    const at = (delay: number, event: QbftEvent<SimBlock>) =>
      this.queue.push(this.now + delay, { kind: 'machine', to: node.id, incarnation: node.incarnation, event })
    switch (action.type) {
      case 'broadcast': {
        const adversary = this.adversaries.get(node.id)
        if (adversary) adversary.onBroadcast(action.message)
        else this.sendMessage(node.id, action.message, this.peersOf(node.id))
        return
      }
      case 'scheduleTimeout':
        return at(action.ms, { type: 'timeout', height: action.height, round: action.round })
      case 'requestProposal': {
        const delay = action.round === 0 ? this.s.blockPeriodMs : this.rng.int(1, 20)
        this.queue.push(this.now + delay, { kind: 'build', to: node.id, incarnation: node.incarnation, height: action.height, round: action.round })
        return
      }
      case 'validateBlock':
        return at(this.rng.int(1, 30), { type: 'blockValidated', digest: action.digest, valid: !action.block.bad })
      case 'commit': {
        const { block, seals, digest } = action
        if (!node.byzantine) {
          const bad = (detail: string) => this.result.badCommits.push(`t=${this.now} node ${node.id} ${detail}`)
          if (digest !== blockDigest(block)) bad(`committed digest ${digest} that is not its block's`)
          if (!this.sealsOk(digest, seals)) bad(`committed height ${block.height} without a quorum of valid seals`)
          if (block.height !== node.head.height + 1n || block.parent !== node.head.id) bad('committed a block that does not extend its head')
          this.result.commitRounds.set(action.round, (this.result.commitRounds.get(action.round) ?? 0) + 1)
          const rounds = this.decidedRounds.get(block.height) ?? new Set<number>()
          rounds.add(action.round)
          this.decidedRounds.set(block.height, rounds)
          if (rounds.size === 2) this.result.carriedAcrossRounds++
        }
        const sealed = { block, seals }
        const target = this.targets.get(block.height)
        if (target && !target.done && target.victim === node.id) {
          target.done = true
          if (this.now < this.s.gstMs) this.isolatedUntil[node.id] = Math.min(this.s.gstMs, this.now + this.rng.int(4000, 15_000))
        }
        this.append(node, sealed)
        // Announce the sealed block (like a NewBlock message), so laggards catch up without waiting for sync.
        for (const peer of this.peersOf(node.id)) this.send(node.id, peer, { kind: 'blocks', to: peer, blocks: [sealed] })
        return
      }
      case 'invalid': {
        if (action.benign || action.author === undefined) return
        const author = this.nodes.find((n) => n.address === action.author)
        if (!author) return
        if (author.byzantine) {
          this.result.byzantineReports.set(action.reason, (this.result.byzantineReports.get(action.reason) ?? 0) + 1)
        } else if (!author.everCrashed) {
          this.result.honestFlagged.push(`t=${this.now} node ${node.id} reported honest node ${author.id}: ${action.reason} (${action.detail})`)
        }
        return
      }
    }
  }

  private append(node: SimNode, sealed: SealedBlock): void {
    const { block } = sealed
    if (block.height !== node.head.height + 1n || block.parent !== node.head.id) return
    node.chain.push(sealed)
    node.head = { height: block.height, id: blockId(block) }
    if (!node.byzantine) {
      const prior = this.decided.get(block.height)
      if (prior && prior.id !== node.head.id) {
        this.result.conflicts.push(`t=${this.now} height ${block.height}: node ${prior.node} has block ${prior.id}, node ${node.id} has ${node.head.id}`)
      } else if (!prior) {
        this.decided.set(block.height, { id: node.head.id, node: node.id })
      }
    }
    this.handle(node, { type: 'newChainHead', height: block.height, validators: this.validators, previousProposer: block.proposer })
  }

  /** Seal check of the chain rules: verifyCommitSeals, or the scenario's (broken) quorum in the negative control. */
  private sealsOk(digest: Hex, seals: Uint8Array[]): boolean {
    const check = verifyCommitSeals(digest, seals, this.validators)
    if (!this.s.quorum) return check.ok
    return check.signers.length === seals.length && seals.length >= this.s.quorum(this.validators.length)
  }
}

export function simulate(scenario: Scenario, trace?: (line: string) => void): SimResult {
  return new Simulation(scenario, trace).run()
}

function describeAction(a: QbftAction<SimBlock>): string {
  switch (a.type) {
    case 'broadcast': {
      const p = a.message.signed.payload
      const extra = a.message.type === 'roundChange' && a.message.signed.payload.prepared ? ` prepared@${a.message.signed.payload.prepared.round}` : ''
      return `broadcast ${a.message.type} h=${p.height} r=${p.round}${'digest' in p ? ` ${p.digest.slice(0, 10)}` : ''}${extra}`
    }
    case 'commit':
      return `COMMIT h=${a.height} r=${a.round} ${a.digest.slice(0, 10)}`
    case 'invalid':
      return `invalid ${a.reason}${a.benign ? '' : ' (fault)'} ${a.detail}`
    case 'scheduleTimeout':
      return `timer h=${a.height} r=${a.round} ${a.ms}ms`
    default:
      return `${a.type} h=${a.height} r=${a.round}`
  }
}
