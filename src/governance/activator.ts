/**
 * ValidatorActivator: a node voted in as a validator (a candidate in the governance contract)
 * makes itself an active validator by sending `activateValidator()` signed with its node key, but
 * only once it is live: synced (its head is recent and no peer announced a higher one) and
 * connected to enough of the current validators that the set it joins keeps its quorum
 * (quorum(n + 1) - 1 of the n validators as peers). A candidate whose node never runs never
 * validates, so a vote cannot take the network below quorum. It sends once and sends again only
 * when that transaction left the pool without making the node a validator.
 */
import type { Block } from '@ethereumjs/block'
import type { Logger } from 'pino'
import { quorumSize } from '../consensus/qbft/quorum.js'
import { errorMessage } from '../errors.js'
import type { Address, Hex } from '../types.js'

/** What the activator needs from the node. */
export interface ActivationHost {
  readonly address: Address
  /** The validator candidates and the validators after `block` (from the governance contract). */
  candidates(block: Block): Promise<readonly Address[]>
  validators(block: Block): Promise<readonly Address[]>
  /** Addresses of the connected peers. */
  peers(): readonly Address[]
  /** The highest head any peer announced, and whether block sync is running. */
  highestKnown(): bigint
  syncing(): boolean
  /** Simulates, signs with the node key and pools `activateValidator()`; returns the tx hash. */
  sendActivation(head: Block): Promise<Hex>
  /** Whether a transaction is still waiting in the local pool. */
  pooled(hash: Hex): boolean
}

export interface ActivationOptions {
  /** A head older than this is not live (the chain is halted or this node is behind). */
  /** Read at each check: the empty-block period may change by vote. */
  maxHeadAgeMs: () => number
  now?: () => number
}

export type ActivationState = { kind: 'not-candidate' } | { kind: 'waiting'; reason: string } | { kind: 'sent'; txHash: Hex }

export class ValidatorActivator {
  private pending: Hex | undefined
  private lastReason: string | undefined
  private checking = false

  constructor(
    private readonly host: ActivationHost,
    private readonly opts: ActivationOptions,
    private readonly logger: Logger,
  ) {}

  /** Runs after each new head (and at start); never throws. */
  async check(head: Block): Promise<ActivationState> {
    if (this.checking) return { kind: 'waiting', reason: 'a check is running' }
    this.checking = true
    try {
      return await this.step(head)
    } catch (err) {
      this.logger.debug({ err: errorMessage(err) }, 'validator activation check failed')
      return { kind: 'waiting', reason: errorMessage(err) }
    } finally {
      this.checking = false
    }
  }

  private async step(head: Block): Promise<ActivationState> {
    const me = this.host.address
    const candidates = await this.host.candidates(head)
    if (!candidates.some((c) => c.toLowerCase() === me)) {
      this.pending = undefined
      this.lastReason = undefined
      return { kind: 'not-candidate' }
    }
    if (this.pending && this.host.pooled(this.pending)) return { kind: 'sent', txHash: this.pending }
    const reason = await this.notReady(head)
    if (reason) {
      if (reason !== this.lastReason) this.logger.info({ reason }, 'validator candidate: not activating yet')
      this.lastReason = reason
      return { kind: 'waiting', reason }
    }
    const retry = this.pending !== undefined
    const validators = await this.host.validators(head)
    try {
      this.pending = await this.host.sendActivation(head)
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'validator candidate: activateValidator refused')
      return { kind: 'waiting', reason: errorMessage(err) }
    }
    this.lastReason = undefined
    this.logger.info({ txHash: this.pending, validators: validators.length, head: Number(head.header.number), retry }, 'validator candidate is synced and connected: sent activateValidator')
    return { kind: 'sent', txHash: this.pending }
  }

  /** Why this node should not become a validator now (undefined: it may). */
  private async notReady(head: Block): Promise<string | undefined> {
    const now = (this.opts.now ?? Date.now)()
    const ageMs = now - Number(head.header.timestamp) * 1000
    if (ageMs > this.opts.maxHeadAgeMs()) return `the head (block ${head.header.number}) is ${Math.round(ageMs / 1000)} s old: not synced, or the chain is not producing`
    if (this.host.syncing() || this.host.highestKnown() > head.header.number) return `syncing: head ${head.header.number}, a peer has ${this.host.highestKnown()}`
    const validators = (await this.host.validators(head)).map((v) => v.toLowerCase())
    const peers = new Set(this.host.peers().map((p) => p.toLowerCase()))
    const connected = validators.filter((v) => peers.has(v)).length
    const needed = quorumSize(validators.length + 1) - 1
    if (connected < needed) return `connected to ${connected} of ${validators.length} validators; ${needed} are needed so that the set with this node keeps its quorum`
    return undefined
  }
}
