/**
 * The QBFT state machine of one node, after the Upon* rules of the spec (dafny/spec/L1/node.dfy).
 * Events in, actions out: no I/O, no timers, no clock, no randomness. Signing is deterministic
 * (RFC 6979), so the same events always give the same actions.
 *
 * What it owns: the state of the height being decided (round, accepted proposal, votes, lock,
 * round changes) and a bounded buffer of messages for future heights, replayed on `newChainHead`.
 * What it must not do: talk to the network, execute blocks, store blocks, read the time.
 *
 * Choices beyond the spec, each keeping its safety argument:
 * - The machine applies its own messages as it creates them (the spec adds them to its received
 *   set); the caller must not loop broadcasts back.
 * - A proposal is prepared on only after the caller says the block executes (`validateBlock` /
 *   `blockValidated`); blocks this node built itself count as validated.
 * - A justified proposal for a round above the current one moves the node to that round (Besu
 *   does this; the spec only allows it after accepting a proposal in the current round).
 * - After committing, the machine waits for `newChainHead` instead of appending the block itself.
 * - Round timers restart at every round (Besu) rather than counting from the round-0 start, and
 *   are capped; so that capped timers stay live, a round r > 0 only ends by timeout once a
 *   quorum of validators is known to have reached it (see `onTimeout`).
 * - RoundChanges with a bad prepared certificate are dropped, so a proposer only counts
 *   RoundChanges it can justify a proposal with.
 */
import { QuorateError } from '../../errors.js'
import type { Address, Hex } from '../../types.js'
import {
  createCommitSeal,
  decodeMessage,
  QbftMessageError,
  signPayload,
  type CommitMessage,
  type CommitPayload,
  type DecodeLimits,
  type PrepareMessage,
  type PreparePayload,
  type ProposalMessage,
  type RoundChangeMessage,
  type RoundChangePayload,
  type Signed,
  type SignedMessage,
  type Signer,
} from './messages.js'
import { checkPreparedCertificate, checkProposalJustification } from './justification.js'
import { proposerForRound } from './proposer.js'
import { maxFaulty, quorumSize } from './quorum.js'
import { checkRoundTimeoutConfig, DEFAULT_ROUND_TIMEOUT, roundTimeoutMs, type RoundTimeoutConfig } from './timer.js'
import {
  BENIGN_REASONS,
  DEFAULT_LIMITS,
  digestOf,
  type BlockOps,
  type InvalidReason,
  type QbftAction,
  type QbftConfig,
  type QbftEvent,
  type QbftLimits,
  type QbftMachine,
  type QbftStatus,
} from './types.js'

interface RoundChangeEntry<B> {
  signed: Signed<RoundChangePayload>
  block?: B
  prepares: readonly Signed<PreparePayload>[]
}

interface ProposalSlot<B> {
  round: number
  digest: Hex
  message: ProposalMessage<B>
  from?: string
  status: 'pending' | 'accepted' | 'rejected'
}

interface Lock<B> {
  round: number
  digest: Hex
  block: B
  certificate: Signed<PreparePayload>[]
}

/** Everything about the height being decided; replaced wholesale on `newChainHead`. */
interface HeightState<B> {
  height: bigint
  validators: Address[]
  index: Map<Address, number>
  previousProposer: Address | undefined
  isValidator: boolean
  quorum: number
  f: number
  round: number
  committed: boolean
  /** Spec `proposalAcceptedForCurrentRound`. */
  accepted?: ProposalSlot<B>
  /** The first proposal that passed the synchronous checks, per round. */
  proposals: Map<number, ProposalSlot<B>>
  prepares: Map<number, Map<Address, Signed<PreparePayload>>>
  commits: Map<number, Map<Address, Signed<CommitPayload>>>
  roundChanges: Map<number, Map<Address, RoundChangeEntry<B>>>
  commitSent: Set<number>
  proposedRounds: Set<number>
  pendingRequest?: { round: number; justification: RoundChangeEntry<B>[] }
  /** Spec `lastPreparedRound` / `lastPreparedBlock`, with the Prepare quorum that proved it. */
  lock?: Lock<B>
  /** Execution verdicts per digest (true for blocks this node built). */
  validated: Map<Hex, boolean>
  validating: Set<Hex>
  /** Highest round each other validator is known to have reached at this height. */
  seenRound: Map<Address, number>
  /** Our RoundChange for the current round, re-broadcast while the round cannot end. */
  ownRoundChange?: RoundChangeMessage<B>
  /** The current round's timer fired but fewer than a quorum had reached the round. */
  expired: boolean
}

interface FutureEntry<B> {
  height: bigint
  author: Address
  message: SignedMessage<B>
  from?: string
}

export function createQbftMachine<B>(config: QbftConfig<B>): QbftMachine<B> {
  return new Machine(config)
}

class Machine<B> implements QbftMachine<B> {
  readonly address: Address
  private readonly signer: Signer
  private readonly ops: BlockOps<B>
  private readonly timeouts: RoundTimeoutConfig
  private readonly limits: QbftLimits
  private readonly decodeLimits: Partial<DecodeLimits>
  private readonly quorumOf: (n: number) => number
  private h: HeightState<B> | undefined
  private future: FutureEntry<B>[] = []
  private out: QbftAction<B>[] = []

  constructor(config: QbftConfig<B>) {
    this.signer = config.signer
    this.address = config.signer.address.toLowerCase() as Address
    this.ops = config.blockOps
    this.timeouts = checkRoundTimeoutConfig({ ...DEFAULT_ROUND_TIMEOUT, ...config.roundTimeout })
    this.limits = { ...DEFAULT_LIMITS, ...config.limits }
    this.decodeLimits = config.decodeLimits ?? {}
    this.quorumOf = config.unsafeTesting?.quorum ?? quorumSize
  }

  handle(event: QbftEvent<B>): QbftAction<B>[] {
    this.out = []
    switch (event.type) {
      case 'newChainHead':
        this.onNewChainHead(event.height, event.validators, event.previousProposer)
        break
      case 'message':
        this.onMessage(event.message, event.from)
        break
      case 'timeout':
        this.onTimeout(event.height, event.round)
        break
      case 'blockProposal':
        this.onBlockProposal(event.block)
        break
      case 'blockValidated':
        this.onBlockValidated(event.digest.toLowerCase() as Hex, event.valid)
        break
    }
    const out = this.out
    this.out = []
    return out
  }

  status(): QbftStatus | undefined {
    const h = this.h
    if (!h) return undefined
    const status: QbftStatus = {
      height: h.height,
      round: h.round,
      committed: h.committed,
      isValidator: h.isValidator,
      proposer: this.proposerOf(h.round),
      validators: h.validators,
    }
    if (h.lock) {
      status.lockedRound = h.lock.round
      status.lockedDigest = h.lock.digest
    }
    return status
  }

  // -------------------------------------------------------------------------------------------
  // Events

  private onNewChainHead(head: bigint, validators: readonly Address[], previousProposer: Address | undefined): void {
    const list = validators.map((v) => v.toLowerCase() as Address)
    const n = list.length
    if (new Set(list).size !== n) throw new QuorateError('QBFT_BAD_VALIDATOR_SET', `The validator set for height ${head + 1n} lists a validator twice.`)
    const height = head + 1n
    const h: HeightState<B> = {
      height,
      validators: list,
      index: new Map(list.map((v, i) => [v, i])),
      previousProposer: height === 1n ? undefined : (previousProposer?.toLowerCase() as Address | undefined),
      isValidator: list.includes(this.address),
      quorum: this.quorumOf(n),
      f: maxFaulty(n),
      round: 0,
      committed: false,
      proposals: new Map(),
      prepares: new Map(),
      commits: new Map(),
      roundChanges: new Map(),
      commitSent: new Set(),
      proposedRounds: new Set(),
      validated: new Map(),
      validating: new Set(),
      seenRound: new Map(),
      expired: false,
    }
    this.h = h
    const replay = this.future.filter((e) => e.height === height)
    this.future = this.future.filter((e) => e.height > height)
    if (!h.isValidator) return
    this.emit({ type: 'scheduleTimeout', height, round: 0, ms: roundTimeoutMs(0, this.timeouts) })
    if (this.proposerOf(0) === this.address) {
      h.proposedRounds.add(0)
      h.pendingRequest = { round: 0, justification: [] }
      this.emit({ type: 'requestProposal', height, round: 0 })
    }
    for (const e of replay) {
      if (this.h !== h || h.committed) break
      this.onDecoded(e.message, e.from)
    }
  }

  /**
   * Spec UponRoundTimeout, with one addition that keeps capped timers live: a round r > 0 only
   * ends once a quorum of validators is known to have reached it. Otherwise the node stays,
   * re-broadcasts its RoundChange and re-arms the timer. With capped (equal) round lengths an
   * honest node that got ahead would otherwise stay ahead forever, and the others, short of
   * a quorum without it, never catch up (celo-blockchain#706); with the rule the node ahead
   * waits and the others, who do have a quorum at their lower round, advance to it. It also
   * stops round numbers from racing up while fewer than a quorum of validators are online.
   */
  private onTimeout(height: bigint, round: number): void {
    const h = this.h
    if (!h || !h.isValidator || h.committed || height !== h.height || round !== h.round) return
    if (this.roundSupported(round)) return this.enterRound(round + 1, true)
    h.expired = true
    if (h.ownRoundChange?.signed.payload.round === round) this.broadcast(h.ownRoundChange)
    this.emit({ type: 'scheduleTimeout', height, round, ms: roundTimeoutMs(round, this.timeouts) })
  }

  /** Round 0 always (everyone starts there); round r > 0 when a quorum is known at r or above. */
  private roundSupported(round: number): boolean {
    const h = this.h!
    if (round === 0) return true
    let count = h.isValidator ? 1 : 0
    for (const [author, r] of h.seenRound) if (r >= round && author !== this.address) count++
    return count >= h.quorum
  }

  private noteRound(author: Address, round: number): void {
    const h = this.h!
    if ((h.seenRound.get(author) ?? -1) < round) h.seenRound.set(author, round)
  }

  /** An expired round ends as soon as its quorum shows up. */
  private checkExpired(): void {
    const h = this.h
    if (h && h.expired && !h.committed && this.roundSupported(h.round)) this.enterRound(h.round + 1, true)
  }

  private onBlockProposal(block: B): void {
    const h = this.h
    const req = h?.pendingRequest
    if (!h || !req || h.committed || req.round !== h.round) return
    if (this.ops.heightOf(block) !== h.height) return
    h.pendingRequest = undefined
    const b = this.ops.roundOf(block) === req.round ? block : this.ops.withRound(block, req.round)
    h.validated.set(digestOf(this.ops, b), true)
    this.propose(req.round, b, req.justification, [])
  }

  private onBlockValidated(digest: Hex, valid: boolean): void {
    const h = this.h
    // Only answers to our own questions count (a late answer for an earlier height is dropped).
    if (!h || !h.validating.has(digest)) return
    h.validated.set(digest, valid)
    h.validating.delete(digest)
    for (const slot of [...h.proposals.values()]) {
      if (slot.status !== 'pending' || slot.digest !== digest) continue
      if (valid) this.accept(slot)
      else this.reject(slot)
      if (this.h !== h) return
    }
  }

  private onMessage(input: SignedMessage<B> | Uint8Array, from: string | undefined): void {
    let message: SignedMessage<B>
    if (input instanceof Uint8Array) {
      try {
        message = decodeMessage(input, this.ops, this.decodeLimits)
      } catch (err) {
        const code = err instanceof QbftMessageError ? err.code : 'QBFT_BAD_MESSAGE'
        const reason: InvalidReason = code === 'QBFT_BAD_SIGNATURE' ? 'BAD_SIGNATURE' : code === 'QBFT_MESSAGE_TOO_LARGE' ? 'MESSAGE_TOO_LARGE' : 'BAD_MESSAGE'
        this.invalid(reason, err instanceof Error ? err.message : String(err), undefined, from)
        return
      }
    } else {
      message = input
    }
    this.onDecoded(message, from)
  }

  private onDecoded(message: SignedMessage<B>, from: string | undefined): void {
    const h = this.h
    if (!h) return
    const { payload, author } = message.signed
    if (payload.height < h.height) return this.invalid('OLD_HEIGHT', `${message.type} for height ${payload.height}, deciding ${h.height}`, author, from)
    if (payload.height > h.height) return this.buffer(message, from)
    if (!h.isValidator) return
    if (h.committed) return this.invalid('OLD_HEIGHT', `${message.type} for height ${payload.height}, already committed`, author, from)
    if (!h.index.has(author)) return this.invalid('NOT_VALIDATOR', `${message.type} signed by ${author}, not a validator`, author, from)
    switch (message.type) {
      case 'proposal':
        this.onProposal(message, from)
        break
      case 'prepare':
        this.onPrepare(message, from)
        break
      case 'commit':
        this.onCommit(message, from)
        break
      case 'roundChange':
        this.onRoundChange(message, from)
        break
    }
    this.checkExpired()
  }

  // -------------------------------------------------------------------------------------------
  // Messages (spec UponProposal, UponPrepare, UponCommit, UponRoundChange)

  private onProposal(m: ProposalMessage<B>, from: string | undefined): void {
    const h = this.h!
    const { round, digest } = m.signed.payload
    const author = m.signed.author
    if (round < h.round) return this.invalid('OLD_ROUND', `proposal for round ${round}, at round ${h.round}`, author, from)
    const leader = this.proposerOf(round)
    if (author !== leader) return this.invalid('WRONG_PROPOSER', `proposal for round ${round} signed by ${author}, proposer is ${leader}`, author, from)
    const existing = h.proposals.get(round)
    if (existing) {
      if (existing.digest === digest) return this.invalid('DUPLICATE', `proposal for round ${round} seen before`, author, from)
      return this.invalid('EQUIVOCATION', `second proposal for round ${round} with another block`, author, from)
    }
    const ops = this.ops
    if (digestOf(ops, m.block) !== digest) return this.invalid('BAD_BLOCK', 'the proposal digest is not the digest of its block', author, from)
    if (ops.heightOf(m.block) !== h.height || ops.roundOf(m.block) !== round) {
      return this.invalid('BAD_BLOCK', 'the proposed block has another height or round than the proposal', author, from)
    }
    const just = checkProposalJustification({
      height: h.height,
      round,
      block: m.block,
      ops,
      roundChanges: m.roundChanges,
      prepares: m.prepares,
      validators: h.index,
      quorum: h.quorum,
    })
    if (!just.ok) return this.invalid('BAD_JUSTIFICATION', just.reason, author, from)
    if (!this.safeValidate(m.block)) return this.invalid('BAD_BLOCK', 'the proposed block fails the structural check', author, from)
    if (!just.reproposal && ops.proposerOf && ops.proposerOf(m.block).toLowerCase() !== leader) {
      return this.invalid('BAD_BLOCK', 'a new block must name the round proposer as its proposer', author, from)
    }
    this.noteRound(author, round)
    for (const rc of m.roundChanges) this.noteRound(rc.author, round)
    const slot: ProposalSlot<B> = { round, digest, message: m, status: 'pending' }
    if (from !== undefined) slot.from = from
    h.proposals.set(round, slot)
    const verdict = h.validated.get(digest)
    if (verdict === true) this.accept(slot)
    else if (verdict === false) this.reject(slot)
    else if (!h.validating.has(digest)) {
      h.validating.add(digest)
      this.emit({ type: 'validateBlock', height: h.height, round, digest, block: m.block })
    }
  }

  /** Spec UponProposal once the block is known to execute: move to its round and Prepare. */
  private accept(slot: ProposalSlot<B>): void {
    const h = this.h!
    if (h.committed || slot.round < h.round) return
    if (slot.round > h.round) {
      this.enterRound(slot.round, false)
      if (this.h !== h || h.committed || h.round !== slot.round) return
    }
    if (h.accepted) return
    slot.status = 'accepted'
    h.accepted = slot
    const signed = signPayload('prepare', { height: h.height, round: slot.round, digest: slot.digest }, this.signer)
    this.broadcast({ type: 'prepare', signed })
    this.storeVote(h.prepares, signed)
    this.checkPrepareQuorum()
    this.checkCommitQuorum()
  }

  private reject(slot: ProposalSlot<B>): void {
    slot.status = 'rejected'
    this.invalid('BAD_BLOCK', `the block ${slot.digest} proposed for round ${slot.round} does not execute`, slot.message.signed.author, slot.from)
  }

  private onPrepare(m: PrepareMessage, from: string | undefined): void {
    const h = this.h!
    if (!this.voteAdmissible(m, h.prepares, from)) return
    this.storeVote(h.prepares, m.signed)
    this.noteRound(m.signed.author, m.signed.payload.round)
    if (m.signed.payload.round === h.round) {
      this.checkPrepareQuorum()
      this.checkCommitQuorum()
    }
  }

  private onCommit(m: CommitMessage, from: string | undefined): void {
    const h = this.h!
    if (!this.voteAdmissible(m, h.commits, from)) return
    this.storeVote(h.commits, m.signed)
    this.noteRound(m.signed.author, m.signed.payload.round)
    if (m.signed.payload.round === h.round) this.checkCommitQuorum()
  }

  private voteAdmissible(m: PrepareMessage | CommitMessage, store: Map<number, Map<Address, Signed<{ digest: Hex }>>>, from: string | undefined): boolean {
    const h = this.h!
    const { round, digest } = m.signed.payload
    const author = m.signed.author
    if (round < h.round) {
      this.invalid('OLD_ROUND', `${m.type} for round ${round}, at round ${h.round}`, author, from)
      return false
    }
    if (round > h.round + this.limits.futureRounds) {
      this.invalid('FUTURE_ROUND', `${m.type} for round ${round}, at round ${h.round}`, author, from)
      return false
    }
    const previous = store.get(round)?.get(author)
    if (previous) {
      if (previous.payload.digest === digest) this.invalid('DUPLICATE', `${m.type} for round ${round} seen before`, author, from)
      else this.invalid('EQUIVOCATION', `second ${m.type} for round ${round} with another digest`, author, from)
      return false
    }
    return true
  }

  private storeVote<P extends { round: number }>(store: Map<number, Map<Address, Signed<P>>>, signed: Signed<P>): void {
    let byAuthor = store.get(signed.payload.round)
    if (!byAuthor) store.set(signed.payload.round, (byAuthor = new Map()))
    byAuthor.set(signed.author, signed)
  }

  /** Spec UponPrepare: a quorum of Prepares for the accepted block locks it and sends Commit. */
  private checkPrepareQuorum(): void {
    const h = this.h!
    const a = h.accepted
    if (!a || h.committed || a.round !== h.round || h.commitSent.has(h.round)) return
    const matching = this.matchingVotes(h.prepares, h.round, a.digest)
    if (matching.length < h.quorum) return
    h.lock = { round: h.round, digest: a.digest, block: a.message.block, certificate: matching.slice(0, h.quorum) }
    h.commitSent.add(h.round)
    const payload: CommitPayload = { height: h.height, round: h.round, digest: a.digest, commitSeal: createCommitSeal(a.digest, this.signer) }
    const signed = signPayload('commit', payload, this.signer)
    this.broadcast({ type: 'commit', signed })
    this.storeVote(h.commits, signed)
  }

  /** Spec UponCommit: a quorum of Commits for the accepted block decides the height. */
  private checkCommitQuorum(): void {
    const h = this.h!
    const a = h.accepted
    if (!a || h.committed || a.round !== h.round) return
    const matching = this.matchingVotes(h.commits, h.round, a.digest)
    if (matching.length < h.quorum) return
    h.committed = true
    const seals = matching.slice(0, h.quorum).map((c) => c.payload.commitSeal)
    this.emit({ type: 'commit', height: h.height, round: h.round, block: a.message.block, digest: a.digest, seals })
  }

  /** Votes for (round, digest), ordered by validator index so every node builds the same lists. */
  private matchingVotes<P extends { digest: Hex }>(store: Map<number, Map<Address, Signed<P>>>, round: number, digest: Hex): Signed<P>[] {
    const h = this.h!
    return [...(store.get(round)?.values() ?? [])].filter((v) => v.payload.digest === digest).sort((x, y) => h.index.get(x.author)! - h.index.get(y.author)!)
  }

  private onRoundChange(m: RoundChangeMessage<B>, from: string | undefined): void {
    const h = this.h!
    const { round, prepared } = m.signed.payload
    const author = m.signed.author
    if (round === 0) return this.invalid('BAD_MESSAGE', 'round change to round 0', author, from)
    if (round < h.round) return this.invalid('OLD_ROUND', `round change for round ${round}, at round ${h.round}`, author, from)
    const previous = h.roundChanges.get(round)?.get(author)
    if (previous) {
      const same = previous.signed.payload.prepared?.round === prepared?.round && previous.signed.payload.prepared?.digest === prepared?.digest
      return this.invalid(same ? 'DUPLICATE' : 'EQUIVOCATION', `round change for round ${round} seen before`, author, from)
    }
    const entry: RoundChangeEntry<B> = { signed: m.signed, prepares: m.prepares }
    if (prepared) {
      if (prepared.round >= round) return this.invalid('BAD_MESSAGE', 'prepared round is not below the round', author, from)
      const block = m.preparedBlock
      const ops = this.ops
      if (block === undefined || digestOf(ops, block) !== prepared.digest || ops.heightOf(block) !== h.height || ops.roundOf(block) !== prepared.round) {
        return this.invalid('BAD_JUSTIFICATION', 'the prepared block does not match the prepared digest, height or round', author, from)
      }
      const cert = checkPreparedCertificate(h.height, prepared, m.prepares, h.index, h.quorum)
      if (!cert.ok) return this.invalid('BAD_JUSTIFICATION', cert.reason, author, from)
      entry.block = block
    }
    this.storeRoundChange(entry)
    this.noteRound(author, round)
    this.tryCatchUp()
    this.tryPropose()
  }

  private storeRoundChange(entry: RoundChangeEntry<B>): void {
    const h = this.h!
    const { round } = entry.signed.payload
    const author = entry.signed.author
    let byAuthor = h.roundChanges.get(round)
    if (!byAuthor) h.roundChanges.set(round, (byAuthor = new Map()))
    byAuthor.set(author, entry)
    const rounds = [...h.roundChanges.entries()].filter(([, m]) => m.has(author)).map(([r]) => r)
    if (rounds.length <= this.limits.roundChangesPerAuthor) return
    const lowest = Math.min(...rounds)
    const m = h.roundChanges.get(lowest)!
    m.delete(author)
    if (m.size === 0) h.roundChanges.delete(lowest)
  }

  // -------------------------------------------------------------------------------------------
  // Rounds (spec UponRoundTimeout, UponRoundChange)

  private enterRound(round: number, sendRoundChange: boolean): void {
    const h = this.h!
    h.round = round
    h.accepted = undefined
    h.expired = false
    for (const store of [h.prepares, h.commits, h.roundChanges, h.proposals] as Map<number, unknown>[]) {
      for (const r of [...store.keys()]) if (r < round) store.delete(r)
    }
    if (h.pendingRequest && h.pendingRequest.round < round) h.pendingRequest = undefined
    this.emit({ type: 'scheduleTimeout', height: h.height, round, ms: roundTimeoutMs(round, this.timeouts) })
    if (sendRoundChange) {
      const rc = this.createRoundChange(round)
      h.ownRoundChange = rc
      this.broadcast(rc)
      this.storeRoundChange({ signed: rc.signed, ...(rc.preparedBlock !== undefined ? { block: rc.preparedBlock } : {}), prepares: rc.prepares })
    }
    this.tryCatchUp()
    this.tryPropose()
  }

  private createRoundChange(round: number): RoundChangeMessage<B> {
    const h = this.h!
    const lock = h.lock
    const payload: RoundChangePayload = lock
      ? { height: h.height, round, prepared: { round: lock.round, digest: lock.digest } }
      : { height: h.height, round }
    const signed = signPayload('roundChange', payload, this.signer)
    return lock ? { type: 'roundChange', signed, preparedBlock: lock.block, prepares: lock.certificate } : { type: 'roundChange', signed, prepares: [] }
  }

  /** f + 1 validators are in higher rounds: at least one honest node is, so follow them. */
  private tryCatchUp(): void {
    const h = this.h!
    if (h.committed) return
    const highest = new Map<Address, number>()
    for (const [round, byAuthor] of h.roundChanges) {
      if (round <= h.round) continue
      for (const author of byAuthor.keys()) highest.set(author, Math.max(round, highest.get(author) ?? 0))
    }
    if (highest.size < h.f + 1) return
    // The lowest round among the f + 1 highest: the furthest we can go with f + 1 senders.
    const target = [...highest.values()].sort((x, y) => y - x)[h.f]!
    this.enterRound(target, true)
  }

  /** The proposer of round r > 0 with a quorum of RoundChanges for r proposes (re-proposes if locked). */
  private tryPropose(): void {
    const h = this.h!
    const round = h.round
    if (h.committed || round === 0 || h.proposedRounds.has(round) || this.proposerOf(round) !== this.address) return
    const rcs = h.roundChanges.get(round)
    if (!rcs || rcs.size < h.quorum) return
    h.proposedRounds.add(round)
    const justification = [...rcs.values()].sort((x, y) => h.index.get(x.signed.author)! - h.index.get(y.signed.author)!)
    let highest: RoundChangeEntry<B> | undefined
    for (const rc of justification) {
      const p = rc.signed.payload.prepared
      if (p && (!highest || p.round > highest.signed.payload.prepared!.round)) highest = rc
    }
    if (highest) {
      this.propose(round, this.ops.withRound(highest.block!, round), justification, highest.prepares)
      return
    }
    h.pendingRequest = { round, justification }
    this.emit({ type: 'requestProposal', height: h.height, round })
  }

  private propose(round: number, block: B, justification: RoundChangeEntry<B>[], prepares: readonly Signed<PreparePayload>[]): void {
    const h = this.h!
    const signed = signPayload('proposal', { height: h.height, round, digest: digestOf(this.ops, block) }, this.signer)
    const message: ProposalMessage<B> = { type: 'proposal', signed, block, roundChanges: justification.map((e) => e.signed), prepares }
    this.broadcast(message)
    this.onProposal(message, undefined)
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private proposerOf(round: number): Address {
    const h = this.h!
    return proposerForRound(h.validators, h.previousProposer, round)
  }

  private safeValidate(block: B): boolean {
    try {
      return this.ops.validate(block)
    } catch {
      return false
    }
  }

  private buffer(message: SignedMessage<B>, from: string | undefined): void {
    const h = this.h!
    const { height } = message.signed.payload
    const author = message.signed.author
    if (height > h.height + BigInt(this.limits.futureHeights)) {
      return this.invalid('FUTURE_HEIGHT', `${message.type} for height ${height}, deciding ${h.height}`, author, from)
    }
    const perAuthor = this.future.reduce((n, e) => n + (e.author === author ? 1 : 0), 0)
    if (this.future.length >= this.limits.futureMessages || perAuthor >= this.limits.futureMessagesPerAuthor) {
      return this.invalid('FUTURE_HEIGHT', `future-height buffer full, dropped ${message.type} for height ${height}`, author, from)
    }
    const entry: FutureEntry<B> = { height, author, message }
    if (from !== undefined) entry.from = from
    this.future.push(entry)
  }

  private broadcast(message: SignedMessage<B>): void {
    this.emit({ type: 'broadcast', message })
  }

  private invalid(reason: InvalidReason, detail: string, author: Address | undefined, from: string | undefined): void {
    const action: QbftAction<B> = { type: 'invalid', reason, benign: BENIGN_REASONS.has(reason), detail }
    if (author !== undefined) action.author = author
    if (from !== undefined) action.from = from
    this.emit(action)
  }

  private emit(action: QbftAction<B>): void {
    this.out.push(action)
  }
}
