/**
 * QBFT wire messages: their types, RLP encoding (Besu-like layout), signing, and decoding of
 * untrusted bytes into verified messages. Owns every signature check of the consensus layer:
 * a message returned by `decodeMessage` has its author recovered and its commit seal checked, so
 * the state machine only judges content. Decoding never throws anything but `QbftMessageError`.
 *
 * Layout (all integers RLP big-endian without leading zeros, digests 32 bytes, signatures 65):
 *   signed payload = [ fields, signature ]   signature = sign(keccak256(rlp([code, fields])))
 *   Proposal    = [0x12, signed([height, round, digest]), block, [signed RoundChange...], [signed Prepare...]]
 *   Prepare     = [0x13, signed([height, round, digest])]
 *   Commit      = [0x14, signed([height, round, digest, commitSeal])]   commitSeal = sign(digest)
 *   RoundChange = [0x15, signed([height, round, [] | [preparedRound, preparedDigest]]), block | '', [signed Prepare...]]
 * The message code is inside the signed hash, so a Prepare signature can never pass as a Proposal.
 */
import { RLP, type NestedUint8Array } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { privateKeyToAddress, recoverAddress, sign } from '../../crypto/keys.js'
import { keccak256 } from '../../crypto/native.js'
import { QuorateError, type QuorateErrorOptions } from '../../errors.js'
import type { Address, Hex } from '../../types.js'
import type { BlockOps } from './types.js'

export const MESSAGE_CODES = { proposal: 0x12, prepare: 0x13, commit: 0x14, roundChange: 0x15 } as const
export type MessageType = keyof typeof MESSAGE_CODES

export interface ProposalPayload {
  readonly height: bigint
  readonly round: number
  readonly digest: Hex
}
export interface PreparePayload {
  readonly height: bigint
  readonly round: number
  readonly digest: Hex
}
export interface CommitPayload {
  readonly height: bigint
  readonly round: number
  readonly digest: Hex
  /** 65-byte signature of the author over `digest`: the seal stored in the block. */
  readonly commitSeal: Uint8Array
}
/** The block a node prepared (locked on): its round and digest. */
export interface PreparedRef {
  readonly round: number
  readonly digest: Hex
}
export interface RoundChangePayload {
  readonly height: bigint
  readonly round: number
  readonly prepared?: PreparedRef
}

export interface PayloadByType {
  proposal: ProposalPayload
  prepare: PreparePayload
  commit: CommitPayload
  roundChange: RoundChangePayload
}

/** A payload with its signature and the author recovered from it. */
export interface Signed<P> {
  readonly payload: P
  readonly signature: Uint8Array
  readonly author: Address
}

export interface ProposalMessage<B> {
  readonly type: 'proposal'
  readonly signed: Signed<ProposalPayload>
  readonly block: B
  /** Proposal justification: a quorum of RoundChanges for the round (empty at round 0). */
  readonly roundChanges: readonly Signed<RoundChangePayload>[]
  /** Round-change justification: the Prepare quorum of the re-proposed block (else empty). */
  readonly prepares: readonly Signed<PreparePayload>[]
}
export interface PrepareMessage {
  readonly type: 'prepare'
  readonly signed: Signed<PreparePayload>
}
export interface CommitMessage {
  readonly type: 'commit'
  readonly signed: Signed<CommitPayload>
}
export interface RoundChangeMessage<B> {
  readonly type: 'roundChange'
  readonly signed: Signed<RoundChangePayload>
  /** The prepared block, present exactly when `signed.payload.prepared` is. */
  readonly preparedBlock?: B
  /** The Prepare quorum certifying `prepared` (empty when not prepared). */
  readonly prepares: readonly Signed<PreparePayload>[]
}
export type SignedMessage<B> = ProposalMessage<B> | PrepareMessage | CommitMessage | RoundChangeMessage<B>

/** Who signs this node's messages. A private key today; an HSM could implement the same. */
export interface Signer {
  readonly address: Address
  /** 65-byte r || s || v (v = 0/1) signature over a 32-byte hash. */
  sign(hash: Uint8Array): Uint8Array
}

export function privateKeySigner(privateKey: Uint8Array): Signer {
  return { address: privateKeyToAddress(privateKey), sign: (hash) => sign(hash, privateKey) }
}

export type QbftMessageErrorCode = 'QBFT_BAD_MESSAGE' | 'QBFT_BAD_SIGNATURE' | 'QBFT_MESSAGE_TOO_LARGE'

/** Untrusted bytes were not a well-formed, correctly signed QBFT message. */
export class QbftMessageError extends QuorateError {
  override name = 'QbftMessageError'
  declare readonly code: QbftMessageErrorCode
  constructor(code: QbftMessageErrorCode, message: string, opts: QuorateErrorOptions = {}) {
    super(code, message, opts)
  }
}

export interface DecodeLimits {
  /** Largest encoded message accepted (default 10 MiB). */
  maxMessageBytes: number
  /** Most RoundChanges or Prepares in one justification (default 256). */
  maxJustification: number
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxMessageBytes: 10 * 1024 * 1024, maxJustification: 256 }

const MAX_ROUND = 0xffff_ffff

// ---------------------------------------------------------------------------------------------
// Signing

type Item = Uint8Array | Item[]

/** Canonical RLP integer: big-endian, no leading zeros, zero is the empty string. */
function uint(value: bigint | number): Uint8Array {
  const v = BigInt(value)
  if (v === 0n) return new Uint8Array(0)
  let hex = v.toString(16)
  if (hex.length % 2) hex = '0' + hex
  return hexToBytes(`0x${hex}`)
}

function payloadFields<T extends MessageType>(type: T, payload: PayloadByType[T]): Item[] {
  const base: Item[] = [uint(payload.height), uint(payload.round)]
  switch (type) {
    case 'proposal':
    case 'prepare':
      return [...base, hexToBytes((payload as PreparePayload).digest)]
    case 'commit': {
      const p = payload as CommitPayload
      return [...base, hexToBytes(p.digest), p.commitSeal]
    }
    default: {
      const p = payload as RoundChangePayload
      return [...base, p.prepared ? [uint(p.prepared.round), hexToBytes(p.prepared.digest)] : []]
    }
  }
}

/** The hash a message author signs: keccak256(rlp([code, fields])). */
export function signingHash<T extends MessageType>(type: T, payload: PayloadByType[T]): Uint8Array {
  return keccak256(RLP.encode([Uint8Array.of(MESSAGE_CODES[type]), payloadFields(type, payload)]))
}

export function signPayload<T extends MessageType>(type: T, payload: PayloadByType[T], signer: Signer): Signed<PayloadByType[T]> {
  return { payload, signature: signer.sign(signingHash(type, payload)), author: signer.address.toLowerCase() as Address }
}

/** The author of a signed payload, or undefined when the signature is malformed. */
export function recoverAuthor<T extends MessageType>(type: T, payload: PayloadByType[T], signature: Uint8Array): Address | undefined {
  return recoverAddress(signingHash(type, payload), signature)
}

/** A commit seal: the validator's signature over the block digest. */
export function createCommitSeal(digest: Hex, signer: Signer): Uint8Array {
  return signer.sign(hexToBytes(digest))
}

// ---------------------------------------------------------------------------------------------
// Encoding

function signedItem<T extends MessageType>(type: T, s: Signed<PayloadByType[T]>): Item {
  return [payloadFields(type, s.payload), s.signature]
}

export function encodeMessage<B>(message: SignedMessage<B>, ops: Pick<BlockOps<B>, 'encode'>): Uint8Array {
  const code = Uint8Array.of(MESSAGE_CODES[message.type])
  switch (message.type) {
    case 'proposal':
      return RLP.encode([
        code,
        signedItem('proposal', message.signed),
        ops.encode(message.block),
        message.roundChanges.map((rc) => signedItem('roundChange', rc)),
        message.prepares.map((p) => signedItem('prepare', p)),
      ])
    case 'prepare':
      return RLP.encode([code, signedItem('prepare', message.signed)])
    case 'commit':
      return RLP.encode([code, signedItem('commit', message.signed)])
    case 'roundChange':
      return RLP.encode([
        code,
        signedItem('roundChange', message.signed),
        message.preparedBlock === undefined ? new Uint8Array(0) : ops.encode(message.preparedBlock),
        message.prepares.map((p) => signedItem('prepare', p)),
      ])
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function bad(message: string, opts: QuorateErrorOptions = {}): never {
  throw new QbftMessageError('QBFT_BAD_MESSAGE', `Malformed QBFT message: ${message}.`, opts)
}

type Node = Uint8Array | NestedUint8Array

function list(node: Node | undefined, what: string, length?: number): NestedUint8Array {
  if (!Array.isArray(node)) bad(`${what} must be a list`)
  if (length !== undefined && node.length !== length) bad(`${what} must have ${length} items, has ${node.length}`)
  return node
}

function bytes(node: Node | undefined, what: string): Uint8Array {
  if (!(node instanceof Uint8Array)) bad(`${what} must be a byte string`)
  return node
}

function uintOf(node: Node | undefined, what: string, maxBytes: number): bigint {
  const b = bytes(node, what)
  if (b.length > maxBytes) bad(`${what} is too large`)
  if (b.length > 0 && b[0] === 0) bad(`${what} has leading zero bytes`)
  return b.length === 0 ? 0n : BigInt(bytesToHex(b))
}

function heightOf(node: Node | undefined): bigint {
  return uintOf(node, 'height', 8)
}

function roundOf(node: Node | undefined, what = 'round'): number {
  const r = uintOf(node, what, 4)
  if (r > BigInt(MAX_ROUND)) bad(`${what} is too large`)
  return Number(r)
}

function digestOf(node: Node | undefined, what: string): Hex {
  const b = bytes(node, what)
  if (b.length !== 32) bad(`${what} must be 32 bytes`)
  return bytesToHex(b) as Hex
}

function signatureOf(node: Node | undefined, what: string): Uint8Array {
  const b = bytes(node, what)
  if (b.length !== 65) bad(`${what} must be 65 bytes`)
  return b
}

function parsePayload<T extends MessageType>(type: T, fields: NestedUint8Array): PayloadByType[T] {
  switch (type) {
    case 'proposal':
    case 'prepare': {
      list(fields, `${type} payload`, 3)
      return { height: heightOf(fields[0]), round: roundOf(fields[1]), digest: digestOf(fields[2], 'digest') } as PayloadByType[T]
    }
    case 'commit': {
      list(fields, 'commit payload', 4)
      const payload: CommitPayload = {
        height: heightOf(fields[0]),
        round: roundOf(fields[1]),
        digest: digestOf(fields[2], 'digest'),
        commitSeal: signatureOf(fields[3], 'commit seal'),
      }
      return payload as PayloadByType[T]
    }
    default: {
      list(fields, 'round change payload', 3)
      const prepared = list(fields[2], 'prepared')
      const base = { height: heightOf(fields[0]), round: roundOf(fields[1]) }
      if (prepared.length === 0) return base as PayloadByType[T]
      if (prepared.length !== 2) bad('prepared must be empty or [round, digest]')
      const payload: RoundChangePayload = { ...base, prepared: { round: roundOf(prepared[0], 'prepared round'), digest: digestOf(prepared[1], 'prepared digest') } }
      return payload as PayloadByType[T]
    }
  }
}

function parseSigned<T extends MessageType>(type: T, node: Node | undefined): Signed<PayloadByType[T]> {
  const item = list(node, `signed ${type}`, 2)
  const payload = parsePayload(type, list(item[0], `${type} payload`))
  const signature = signatureOf(item[1], 'signature')
  const author = recoverAuthor(type, payload, signature)
  if (author === undefined) throw new QbftMessageError('QBFT_BAD_SIGNATURE', `The ${type} signature does not recover to any key.`)
  return { payload, signature, author }
}

function parseList<T extends MessageType>(type: T, node: Node | undefined, limits: DecodeLimits): Signed<PayloadByType[T]>[] {
  const items = list(node, `${type} justification`)
  if (items.length > limits.maxJustification) bad(`justification holds ${items.length} items, the limit is ${limits.maxJustification}`)
  return items.map((i) => parseSigned(type, i))
}

function parseBlock<B>(node: Node | undefined, ops: Pick<BlockOps<B>, 'decode'>): B {
  const b = bytes(node, 'block')
  if (b.length === 0) bad('block is empty')
  try {
    return ops.decode(b)
  } catch (err) {
    return bad('block does not decode', { cause: err })
  }
}

function decodeUnchecked<B>(data: Uint8Array, ops: Pick<BlockOps<B>, 'decode'>, limits: DecodeLimits): SignedMessage<B> {
  let root: Node
  try {
    root = RLP.decode(data)
  } catch (err) {
    return bad('not RLP', { cause: err })
  }
  const top = list(root, 'message')
  const code = bytes(top[0], 'message code')
  if (code.length !== 1) bad('unknown message code')
  switch (code[0]) {
    case MESSAGE_CODES.proposal: {
      list(top, 'proposal', 5)
      return {
        type: 'proposal',
        signed: parseSigned('proposal', top[1]),
        block: parseBlock(top[2], ops),
        roundChanges: parseList('roundChange', top[3], limits),
        prepares: parseList('prepare', top[4], limits),
      }
    }
    case MESSAGE_CODES.prepare:
      list(top, 'prepare', 2)
      return { type: 'prepare', signed: parseSigned('prepare', top[1]) }
    case MESSAGE_CODES.commit: {
      list(top, 'commit', 2)
      const signed = parseSigned('commit', top[1])
      const sealer = recoverAddress(hexToBytes(signed.payload.digest), signed.payload.commitSeal)
      if (sealer !== signed.author) throw new QbftMessageError('QBFT_BAD_SIGNATURE', 'The commit seal is not signed by the commit author.')
      return { type: 'commit', signed }
    }
    case MESSAGE_CODES.roundChange: {
      list(top, 'round change', 4)
      const signed = parseSigned('roundChange', top[1])
      const blockBytes = bytes(top[2], 'prepared block')
      const prepares = parseList('prepare', top[3], limits)
      if (signed.payload.prepared === undefined) {
        if (blockBytes.length > 0 || prepares.length > 0) bad('a round change without a prepared round carries a block or prepares')
        return { type: 'roundChange', signed, prepares }
      }
      if (blockBytes.length === 0 || prepares.length === 0) bad('a prepared round change lacks its block or its prepare certificate')
      return { type: 'roundChange', signed, preparedBlock: parseBlock(top[2], ops), prepares }
    }
    default:
      return bad(`unknown message code 0x${code[0]!.toString(16)}`)
  }
}

/**
 * Decodes and verifies untrusted bytes. Throws only `QbftMessageError` with code
 * QBFT_MESSAGE_TOO_LARGE, QBFT_BAD_MESSAGE (structure, block decoding) or QBFT_BAD_SIGNATURE.
 * A well-formed signature over tampered content recovers to some other address: the state machine
 * then rejects the message as NOT_VALIDATOR.
 */
export function decodeMessage<B>(data: Uint8Array, ops: Pick<BlockOps<B>, 'decode'>, limits: Partial<DecodeLimits> = {}): SignedMessage<B> {
  const lim = { ...DEFAULT_DECODE_LIMITS, ...limits }
  if (!(data instanceof Uint8Array)) bad('input is not bytes')
  if (data.length > lim.maxMessageBytes) {
    throw new QbftMessageError('QBFT_MESSAGE_TOO_LARGE', `QBFT message of ${data.length} bytes exceeds the ${lim.maxMessageBytes}-byte limit.`)
  }
  try {
    return decodeUnchecked(data, ops, lim)
  } catch (err) {
    if (err instanceof QbftMessageError) throw err
    // Deep nesting (stack overflow) or a bug in a helper: still a bad message, never a crash.
    return bad('unexpected decoding failure', { cause: err })
  }
}
