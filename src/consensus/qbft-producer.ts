/**
 * QbftProducer: drives the pure QBFT machine (consensus/qbft) with the node's I/O. It turns machine
 * actions into work (gossip, timers, building a proposal, executing a received proposal, committing
 * the decided block) and work results back into machine events. Nothing here decides safety: that is
 * the machine's; this module decides only timing:
 *
 * - Round 0 of a height is due `blockPeriodMs` after the previous height's round 0 was due (not
 *   after its commit: the time consensus took counts in the period, so blocks keep the pace of the
 *   period under load) and never before the head was committed, when transactions are pending;
 *   `emptyBlockPeriodMs` after the commit when none are. The round-0 timer of the other
 *   validators still counts from `blockPeriodMs` after the commit (or the due time, if later). Both, and the block gas limit, are the
 *   chain parameters of that height (chain/params.ts), read at each new head: a voted change
 *   applies from its activation block without a restart. The proposer waits until then; every
 *   validator starts its round-0 timer from that due time, so an empty chain does not round-change
 *   while the proposer rightly waits. A transaction arriving brings the due time forward.
 * - The proposer of round 0 starts building as soon as transactions are pending, not at the due
 *   time: the transactions are streamed into the build as they arrive (pending-stream.ts) until the
 *   block is due, so the period's idle time executes them and little is left to run at the due
 *   time; the block is proposed at the due time, as before.
 * - Rounds above 0 are proposed at once.
 *
 * A block is executed once per node: the result of building or validating a proposal is kept under
 * its digest at round 0 (a re-proposal in a later round differs only in the round, which execution
 * never reads), and the decided block is committed from it.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, createAddressFromString } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { encodeExtraData } from '../chain/extra-data.js'
import { sealDigest, withRound } from '../chain/finality.js'
import { minTimestampStep, type ChainParams, type ChainParamsSource } from '../chain/params.js'
import { privateKeyToAddress } from '../crypto/keys.js'
import { errorMessage } from '../errors.js'
import type { BlockExecutor, ExecutedBlock } from '../execution/executor.js'
import type { Address, Hex } from '../types.js'
import { pendingUntil, type StreamingPool } from './pending-stream.js'
import { nextTimestamp, type BlockProducer, type CommitBlock, type PendingSource } from './producer.js'
import { createQbftMachine, encodeMessage, privateKeySigner, type QbftAction, type QbftMachine, type RoundTimeoutConfig } from './qbft/index.js'
import { qbftBlockOps } from './qbft-block.js'
import type { ValidatorSource } from './validators.js'

export interface QbftProducerOptions {
  nodeKey: Uint8Array
  /** The parameters until the first head is read (the genesis values). */
  initialParams: ChainParams
  roundTimeout: Partial<RoundTimeoutConfig>
}

/** What consensus needs from the network: gossip its messages, and blame a peer. */
export interface ConsensusNetwork {
  gossip(payload: Uint8Array): void
  penalise(peer: string, reason: string): void
  /** A peer sent a message for a height above ours: the caller should sync from it. */
  behind(peer: string): void
}

/** The chain as the producer sees it: its head. */
export interface HeadSource {
  readonly head: Block
}

/** What the producer executes blocks with. */
export type ProposalExecutor = Pick<BlockExecutor, 'build' | 'execute'>

export interface QbftProducerModules {
  common: Common
  store: HeadSource
  executor: ProposalExecutor
  pool: PendingSource & StreamingPool
  validators: ValidatorSource
  params: ChainParamsSource
  network: ConsensusNetwork
  commit: CommitBlock
  logger: Logger
}

export interface QbftMetricsView {
  height: bigint
  round: number
  roundChanges: number
  isValidator: boolean
  validators: readonly Address[]
  invalidMessages: Record<string, number>
}

export class QbftProducer implements BlockProducer {
  readonly address: Address
  private readonly machine: QbftMachine<Block>
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly executed = new Map<Hex, ExecutedBlock>()
  private validators: readonly Address[] = []
  /** The chain parameters of the height being decided. */
  private params: ChainParams
  private headAt = Date.now()
  /** When round 0 of the height being decided is due with transactions pending (the pace of blocks). */
  private dueWithTxs: number | undefined
  private stopped = true
  private wanted: { height: bigint; round: number } | undefined
  private proposeTimer: NodeJS.Timeout | undefined
  private round0: { height: bigint; ms: number; early: boolean } | undefined
  /** Ends the candidates of a round-0 build under way (a new head, or stop). */
  private building: AbortController | undefined
  /** Rounds above 0 this node started (entered), not timer re-arms of a round it is already in. */
  private roundChanges = 0
  /** `height/round` of the last round counted in roundChanges. */
  private lastStartedRound = ''
  private readonly buildBudgetMs: number
  /** Consensus messages dropped, by reason. */
  private readonly invalid = new Map<string, number>()

  constructor(
    private readonly opts: QbftProducerOptions,
    private readonly m: QbftProducerModules,
  ) {
    this.address = privateKeyToAddress(opts.nodeKey)
    this.params = opts.initialParams
    this.buildBudgetMs = Math.max(100, Math.floor((opts.roundTimeout.baseMs ?? 2000) / 4))
    this.machine = createQbftMachine<Block>({
      signer: privateKeySigner(opts.nodeKey),
      blockOps: qbftBlockOps(m.common, () => ({ parent: m.store.head, validators: this.validators, params: this.params }), (hash) => m.pool.get(hash)),
      roundTimeout: opts.roundTimeout,
    })
    m.pool.on('pending', () => this.onPending())
  }

  start(): void {
    this.stopped = false
    void this.onNewHead(this.m.store.head)
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    clearTimeout(this.proposeTimer)
    this.building?.abort()
  }

  onPending(): void {
    if (this.stopped) return
    if (this.wanted) this.tryPropose()
    // Transactions are waiting: round 0 is due after blockPeriodMs, not emptyBlockPeriodMs.
    const r0 = this.round0
    if (r0 && !r0.early && this.timers.has(`${r0.height}/0`)) {
      this.round0 = { ...r0, early: true }
      // The proposer may see the transaction only now: give it the full round time from here.
      this.setTimer(r0.height, 0, Math.max(this.timerFrom(true) - Date.now(), 0) + r0.ms)
    }
  }

  /** A block became final (by consensus or by sync): move the machine to the next height. */
  async onNewHead(block: Block): Promise<void> {
    if (this.stopped) return
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    this.executed.clear()
    this.wanted = undefined
    this.round0 = undefined
    clearTimeout(this.proposeTimer)
    this.building?.abort()
    // The pace: the next block is due a period after this one was, unless consensus took longer.
    const previousDue = this.dueWithTxs
    this.headAt = Date.now()
    this.dueWithTxs = undefined
    const [validators, params] = await Promise.all([this.m.validators.validatorsAfter(block), this.m.params.paramsFor(block)])
    if (this.stopped) return
    this.validators = validators
    if (params.blockPeriodMs !== this.params.blockPeriodMs || params.emptyBlockPeriodMs !== this.params.emptyBlockPeriodMs || params.gasLimit !== this.params.gasLimit) {
      this.m.logger.info({ number: Number(block.header.number + 1n), blockPeriodMs: params.blockPeriodMs, emptyBlockPeriodMs: params.emptyBlockPeriodMs, gasLimit: Number(params.gasLimit) }, 'chain parameters in force')
    }
    this.params = params
    this.dueWithTxs = nextDue(block, params.blockPeriodMs, this.headAt, previousDue)
    this.run(
      this.machine.handle({
        type: 'newChainHead',
        height: block.header.number,
        validators: this.validators,
        ...(block.header.number > 0n ? { previousProposer: block.header.coinbase.toString() as Address } : {}),
      }),
    )
  }

  /**
   * A consensus message from a peer; returns whether to relay it. Only messages this node accepted
   * for the height it is deciding are relayed: a message it merely buffered (a future height) is
   * not checked against that height's validators yet, and relaying it would let a stranger's
   * message reach, and be blamed on, honest relays.
   */
  onMessage(payload: Uint8Array, from: string): boolean {
    if (this.stopped) return false
    const actions = this.machine.handle({ type: 'message', message: payload, from })
    let relay = true
    for (const a of actions) {
      if (a.type !== 'invalid') continue
      relay = false
      if (a.reason === 'FUTURE_HEIGHT') this.m.network.behind(from)
    }
    if (this.m.logger.isLevelEnabled('trace')) this.m.logger.trace({ from, bytes: payload.length, actions: actions.map((a) => a.type), relay }, 'consensus message handled')
    this.run(actions, { blameSenders: true })
    return relay
  }

  status(): QbftMetricsView | undefined {
    const s = this.machine.status()
    return s && { height: s.height, round: s.round, roundChanges: this.roundChanges, isValidator: s.isValidator, validators: s.validators, invalidMessages: Object.fromEntries(this.invalid) }
  }

  /**
   * `blameSenders`: penalise the peer of a message found invalid. Only when it was judged on
   * arrival: a buffered message judged later (after the validator set moved on) may have been
   * relayed in good faith.
   */
  private run(actions: QbftAction<Block>[], { blameSenders = false } = {}): void {
    for (const a of actions) {
      switch (a.type) {
        case 'broadcast':
          this.m.network.gossip(encodeMessage(a.message, { encode: (b: Block) => b.serialize() }))
          break
        case 'scheduleTimeout':
          if (a.round === 0) {
            const early = this.m.pool.size > 0
            this.round0 = { height: a.height, ms: a.ms, early }
            this.setTimer(a.height, 0, this.timerFrom(early) + a.ms - Date.now())
          } else {
            // The machine re-arms the timer of a round it stays in (no quorum for the next one yet):
            // the same height/round again is not a new round.
            const key = `${a.height}/${a.round}`
            if (key !== this.lastStartedRound) {
              this.lastStartedRound = key
              this.roundChanges++
            }
            this.setTimer(a.height, a.round, a.ms)
          }
          break
        case 'requestProposal':
          this.wanted = { height: a.height, round: a.round }
          this.tryPropose()
          break
        case 'validateBlock':
          void this.validate(a.digest, a.block)
          break
        case 'commit':
          void this.commitDecided(a.block, a.seals, a.round)
          break
        case 'invalid':
          this.invalid.set(a.reason, (this.invalid.get(a.reason) ?? 0) + 1)
          if (blameSenders && !a.benign && a.from !== undefined) this.m.network.penalise(a.from, a.reason)
          this.m.logger.debug({ reason: a.reason, detail: a.detail, from: a.from }, 'consensus message dropped')
          break
      }
    }
  }

  private setTimer(height: bigint, round: number, ms: number): void {
    const key = `${height}/${round}`
    clearTimeout(this.timers.get(key))
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key)
        if (!this.stopped) this.run(this.machine.handle({ type: 'timeout', height, round }))
      }, Math.max(0, ms)),
    )
  }

  private tryPropose(): void {
    const want = this.wanted
    if (!want || this.stopped) return
    clearTimeout(this.proposeTimer)
    // With transactions pending, round 0's build starts now and takes them until the due time.
    if (want.round === 0 && this.m.pool.size === 0) {
      const due = this.dueAt(false)
      if (Date.now() < due) {
        this.proposeTimer = setTimeout(() => this.tryPropose(), due - Date.now())
        return
      }
    }
    this.wanted = undefined
    void this.propose(want.height, want.round)
  }

  /** When round 0 of the height being decided is due, with transactions pending or without. */
  private dueAt(withTxs: boolean): number {
    return withTxs ? (this.dueWithTxs ?? this.headAt + this.params.blockPeriodMs) : this.headAt + this.params.emptyBlockPeriodMs
  }

  /**
   * Where round 0's timer counts from: a period after the commit, as if the block were not paced,
   * or later. Pacing lets the proposer start early; it never shortens the time a proposer has
   * before the others move to round 1 (a loaded machine needs all of it).
   */
  private timerFrom(withTxs: boolean): number {
    return withTxs ? Math.max(this.dueAt(true), this.headAt + this.params.blockPeriodMs) : this.dueAt(false)
  }

  private async propose(height: bigint, round: number): Promise<void> {
    try {
      const parent = this.m.store.head
      if (parent.header.number + 1n !== height) return
      const started = Date.now()
      const building = new AbortController()
      this.building = building
      const due = round === 0 ? this.dueAt(true) : started
      // The pool reserves each transaction's gas limit; the build fills the block to the gas used, so it is offered more.
      const candidates = round === 0 ? pendingUntil(this.m.pool, 2n * this.params.gasLimit, due, building.signal) : this.m.pool.pending(2n * this.params.gasLimit)
      const built = await this.m.executor.build(parent, candidates, {
        timestamp: nextTimestamp(parent, this.params.blockPeriodMs, Math.max(started, due)),
        coinbase: createAddressFromString(this.address),
        extraData: encodeExtraData({ vanity: new Uint8Array(32), validators: [...this.validators], round, seals: [] }),
        // A quarter of the first round's time from the due time: the other validators must re-execute it in time too.
        deadlineMs: Math.max(started, due) + this.buildBudgetMs,
      })
      if (this.building === building) this.building = undefined
      for (const { tx, error } of built.rejected) this.m.pool.remove(bytesToHex(tx.hash()) as Hex, errorMessage(error))
      // A block filled before its due time waits for it: the pace of blocks stays the period.
      const early = due - Date.now()
      if (early > 0 && !building.signal.aborted) await new Promise<void>((resolve) => setTimeout(resolve, early))
      if (this.stopped || building.signal.aborted || this.m.store.head.header.number + 1n !== height) return
      this.executed.set(this.executionKey(built.block), built)
      this.m.logger.debug({ height: Number(height), round, txs: built.block.transactions.length, buildMs: Date.now() - started, afterDueMs: Date.now() - due }, 'proposing')
      this.run(this.machine.handle({ type: 'blockProposal', block: built.block }))
    } catch (err) {
      this.m.logger.error({ err: errorMessage(err), height: Number(height), round }, 'building a proposal failed')
    }
  }

  private async validate(digest: Hex, block: Block): Promise<void> {
    let valid = false
    try {
      const parent = this.m.store.head
      if (parent.header.number + 1n === block.header.number) {
        // A re-proposal of a block executed here in an earlier round is not executed again.
        const key = this.executionKey(block)
        if (!this.executed.has(key)) {
          const started = Date.now()
          this.executed.set(key, await this.m.executor.execute(parent, block))
          this.m.logger.debug({ height: Number(block.header.number), txs: block.transactions.length, executeMs: Date.now() - started }, 'proposal executed')
        }
        valid = true
      }
    } catch (err) {
      this.m.logger.warn({ err: errorMessage(err), number: Number(block.header.number), digest }, 'proposed block rejected')
    }
    if (!this.stopped && this.m.store.head.header.number + 1n === block.header.number) {
      this.run(this.machine.handle({ type: 'blockValidated', digest, valid }))
    }
  }

  /**
   * The key of a block's execution result: its digest at round 0. Two proposals with the same key
   * have the same header but for the round in extraData, so the same parent, environment and
   * transactions, and execute alike.
   */
  private executionKey(block: Block): Hex {
    return sealDigest(block, 0, this.m.common)
  }

  private async commitDecided(block: Block, seals: Uint8Array[], round: number): Promise<void> {
    try {
      const parent = this.m.store.head
      if (parent.header.number + 1n !== block.header.number) return // already final through sync
      // A block decided by others' commits may not have been executed here: execute it now.
      const done = this.executed.get(this.executionKey(block)) ?? (await this.m.executor.execute(parent, block))
      // Stored with round 0: the chaining hash must not depend on the round this node decided in.
      await this.m.commit({ block: withRound(block, 0, this.m.common), finality: { round, seals }, receipts: done.receipts, changes: done.changes })
      if (round > 0) this.m.logger.info({ number: Number(block.header.number), round }, 'block decided after round change')
    } catch (err) {
      this.m.logger.error({ err: errorMessage(err), number: Number(block.header.number) }, 'committing a decided block failed')
    }
  }
}


/**
 * When the block after `head` is due with transactions pending: a period after the head's own due
 * time (`previousDue`; a period after the commit at `headAt` when there is none), never before the
 * commit, and never so early that the block's timestamp (whole seconds, at least the parent's plus
 * the minimum step) would run more than a second ahead of the clock: back-to-back blocks must not
 * push timestamps into the future.
 */
export function nextDue(head: Block, blockPeriodMs: number, headAt: number, previousDue: number | undefined): number {
  const paced = previousDue === undefined ? headAt + blockPeriodMs : Math.max(headAt, previousDue + blockPeriodMs)
  const clock = Number(head.header.timestamp + minTimestampStep(blockPeriodMs) - 1n) * 1000
  return Math.max(paced, clock)
}
