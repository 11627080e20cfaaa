/**
 * QBFT consensus core: a pure state machine (events in, actions out), its wire messages, and the
 * helpers block sync needs (commit-seal verification, proposer rotation, quorum sizes).
 *
 * How a node drives the machine (all of it is I/O the machine never does itself):
 * - Start with `newChainHead` (height of the head, validators for the next block, proposer of the
 *   head) and feed it again after every block appended, whether committed here or synced.
 * - Network bytes go in as `{ type: 'message', message: bytes, from: peerId }`; `broadcast`
 *   actions go out to every peer (encode with `encodeMessage`). The machine applies its own
 *   messages when it creates them: never loop them back. A RoundChange may be broadcast again,
 *   byte-identical, as a keep-alive while a round waits for its quorum: gossip de-duplication must
 *   still deliver it to peers that have not seen it.
 * - `scheduleTimeout` -> a timer that feeds `timeout` back; older timers need no cancelling.
 *   Choose `roundTimeout.baseMs` above the block period (as Besu asks of requesttimeoutseconds).
 * - `requestProposal` -> build and execute a block for (height, round), answer `blockProposal`:
 *   for round 0 when the block period allows, for later rounds at once.
 * - `validateBlock` -> execute the proposed block on the parent, answer `blockValidated`. The
 *   machine does not Prepare before a valid answer; an invalid one reports the proposer.
 * - `commit` -> store the block with the seals, then `newChainHead`.
 * - `invalid` -> penalise the peer `from` unless `benign`.
 * Messages for heights up to `limits.futureHeights` ahead are kept (bounded) and replayed on
 * `newChainHead`; the caller need not buffer them.
 */
export { createQbftMachine } from './machine.js'
export {
  createCommitSeal,
  decodeMessage,
  DEFAULT_DECODE_LIMITS,
  encodeMessage,
  MESSAGE_CODES,
  privateKeySigner,
  QbftMessageError,
  recoverAuthor,
  signingHash,
  signPayload,
} from './messages.js'
export type {
  CommitMessage,
  CommitPayload,
  DecodeLimits,
  MessageType,
  PreparedRef,
  PrepareMessage,
  PreparePayload,
  ProposalMessage,
  ProposalPayload,
  QbftMessageErrorCode,
  RoundChangeMessage,
  RoundChangePayload,
  Signed,
  SignedMessage,
  Signer,
} from './messages.js'
export { checkPreparedCertificate, checkProposalJustification, checkRoundChange } from './justification.js'
export { proposerForRound } from './proposer.js'
export { maxFaulty, quorumSize } from './quorum.js'
export { verifyCommitSeals, type SealCheck } from './seals.js'
export { DEFAULT_ROUND_TIMEOUT, roundTimeoutMs, type RoundTimeoutConfig } from './timer.js'
export { BENIGN_REASONS, DEFAULT_LIMITS, digestOf } from './types.js'
export type { BlockOps, InvalidReason, QbftAction, QbftConfig, QbftEvent, QbftLimits, QbftMachine, QbftStatus } from './types.js'
