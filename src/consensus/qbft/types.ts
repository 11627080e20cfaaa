/**
 * The contract between the QBFT state machine and its caller: how the machine sees blocks
 * (`BlockOps`), the events it accepts and the actions it returns. Blocks are opaque to the
 * machine; everything it needs from them goes through `BlockOps`.
 */
import type { Address, Hex } from '../../types.js'
import type { DecodeLimits, SignedMessage } from './messages.js'
import type { Signer } from './messages.js'
import type { RoundTimeoutConfig } from './timer.js'

/**
 * What the machine needs to know about a block. All functions must be deterministic and must not
 * depend on the wall clock: every honest validator has to reach the same answer.
 */
export interface BlockOps<B> {
  /**
   * Hash that commit seals sign: the block as proposed in its round (round field included,
   * commit seals excluded). Two blocks with the same digest must be the same block.
   */
  digest(block: B): Hex
  /** The same block with its round field rewritten (for a re-proposal; the digest changes). */
  withRound(block: B, round: number): B
  roundOf(block: B): number
  heightOf(block: B): bigint
  /** Wire form of the block inside Proposal and RoundChange messages. */
  encode(block: B): Uint8Array
  /** Inverse of `encode`; may throw on bad bytes (the decoder turns that into QBFT_BAD_MESSAGE). */
  decode(bytes: Uint8Array): B
  /**
   * Synchronous structural check against the parent (height, parent hash, extraData layout...).
   * Not a proposer check and no execution: execution is asked for with a `validateBlock` action.
   */
  validate(block: B): boolean
  /**
   * The proposer recorded in the block (e.g. the header's coinbase). Optional: when present the
   * machine checks that a fresh (not re-proposed) block names the round's proposer, as the spec
   * does; the caller then passes it as `previousProposer` at the next height.
   */
  proposerOf?(block: B): Address
}

/** Digest in lower-case hex, so digests from the caller and from the wire compare equal. */
export function digestOf<B>(ops: Pick<BlockOps<B>, 'digest'>, block: B): Hex {
  return ops.digest(block).toLowerCase() as Hex
}

export type QbftEvent<B> =
  /**
   * A block was appended (committed here, or received by block sync). `height` is the height of
   * that new head; the machine starts deciding `height + 1`. `validators` is the set that decides
   * `height + 1` (in the canonical order of the header's extraData); `previousProposer` is the
   * proposer recorded in the head block (ignored when `height` is 0, i.e. deciding block 1).
   * Also the first event a new machine must receive.
   */
  | { type: 'newChainHead'; height: bigint; validators: readonly Address[]; previousProposer?: Address }
  /**
   * A consensus message from the network: raw bytes (the machine decodes and verifies them) or a
   * message already returned by `decodeMessage`. `from` is an opaque peer id echoed in `invalid`.
   * Never feed the machine's own broadcasts back: it applies them itself when it creates them.
   */
  | { type: 'message'; message: SignedMessage<B> | Uint8Array; from?: string }
  /** A timer asked for with `scheduleTimeout` fired. Stale timeouts are ignored. */
  | { type: 'timeout'; height: bigint; round: number }
  /** Answer to `requestProposal`: a new block, built and executed by the caller. */
  | { type: 'blockProposal'; block: B }
  /** Answer to `validateBlock`: whether the block executes correctly on the parent. */
  | { type: 'blockValidated'; digest: Hex; valid: boolean }

export type QbftAction<B> =
  /**
   * Gossip to all peers (validators and relays). The machine has already applied it itself. A
   * RoundChange can come again, byte-identical, as a keep-alive while its round waits for a quorum.
   */
  | { type: 'broadcast'; message: SignedMessage<B> }
  /**
   * Start a timer and feed `{ type: 'timeout', height, round }` back when it fires. Earlier timers
   * need no cancelling: stale timeouts are ignored.
   */
  | { type: 'scheduleTimeout'; height: bigint; round: number; ms: number }
  /**
   * This node proposes at (height, round) and needs a new block: answer with `blockProposal`.
   * For round 0 the caller decides when (block period); for round > 0 answer promptly.
   */
  | { type: 'requestProposal'; height: bigint; round: number }
  /**
   * Execute this proposed block on the parent and answer with `blockValidated`. The machine sends
   * no Prepare for a block before it is validated. Asked at most once per digest per height.
   */
  | { type: 'validateBlock'; height: bigint; round: number; digest: Hex; block: B }
  /**
   * A quorum of commit seals over `digest` was reached: store `block` with `seals` (ordered by
   * validator index), then feed `newChainHead`. Until then the machine ignores this height.
   */
  | { type: 'commit'; height: bigint; round: number; block: B; digest: Hex; seals: Uint8Array[] }
  /**
   * A message was dropped. `benign` reasons are normal under gossip (late, duplicate, too far
   * ahead) and must not be held against the peer; the others prove a faulty or malicious author
   * (or a peer that relays garbage).
   */
  | { type: 'invalid'; reason: InvalidReason; benign: boolean; detail: string; author?: Address; from?: string }

export type InvalidReason =
  | 'BAD_MESSAGE'
  | 'BAD_SIGNATURE'
  | 'MESSAGE_TOO_LARGE'
  | 'NOT_VALIDATOR'
  | 'WRONG_PROPOSER'
  | 'EQUIVOCATION'
  | 'BAD_JUSTIFICATION'
  | 'BAD_BLOCK'
  | 'DUPLICATE'
  | 'OLD_HEIGHT'
  | 'FUTURE_HEIGHT'
  | 'OLD_ROUND'
  | 'FUTURE_ROUND'

export const BENIGN_REASONS: ReadonlySet<InvalidReason> = new Set<InvalidReason>(['DUPLICATE', 'OLD_HEIGHT', 'FUTURE_HEIGHT', 'OLD_ROUND', 'FUTURE_ROUND'])

export interface QbftLimits {
  /** Buffer messages for heights up to current + this (default 10). */
  futureHeights: number
  /** Total future-height messages kept (default 1000). */
  futureMessages: number
  /** Future-height messages kept per author (default 100). */
  futureMessagesPerAuthor: number
  /** Accept Prepare/Commit for rounds up to current + this (default 100). */
  futureRounds: number
  /** RoundChanges kept per author at one height; the lowest rounds are dropped first (default 8). */
  roundChangesPerAuthor: number
}

export const DEFAULT_LIMITS: QbftLimits = {
  futureHeights: 10,
  futureMessages: 1000,
  futureMessagesPerAuthor: 100,
  futureRounds: 100,
  roundChangesPerAuthor: 8,
}

export interface QbftConfig<B> {
  signer: Signer
  blockOps: BlockOps<B>
  roundTimeout?: Partial<RoundTimeoutConfig>
  limits?: Partial<QbftLimits>
  decodeLimits?: Partial<DecodeLimits>
  /** Test-only hooks. Never set in a node: a wrong quorum breaks safety. */
  unsafeTesting?: { quorum?: (n: number) => number }
}

export interface QbftStatus {
  height: bigint
  round: number
  /** A quorum of commits was reached at this height; waiting for `newChainHead`. */
  committed: boolean
  isValidator: boolean
  proposer: Address
  validators: readonly Address[]
  lockedRound?: number
  lockedDigest?: Hex
}

export interface QbftMachine<B> {
  readonly address: Address
  /** Applies one event and returns the actions to perform, in order. Never throws on network input. */
  handle(event: QbftEvent<B>): QbftAction<B>[]
  /** Undefined until the first `newChainHead`. */
  status(): QbftStatus | undefined
}
