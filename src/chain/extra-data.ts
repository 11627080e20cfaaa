/**
 * QBFT header extraData in Besu's layout:
 *   RLP([vanity (32 bytes), [validator addresses], vote ([] or [address, 0x00 remove | 0x01 add]), round, [commit seals]])
 *
 * Two hashes of one block (as Besu splits them):
 * - the block hash, which chains blocks (parentHash), keys storage and sync: the header with round 0
 *   and an EMPTY seal list. Quorate stores headers in exactly that form, so it is `block.hash()`,
 *   and it does not depend on which quorum of seals a node collected, nor on the round in which a
 *   node saw the block decided (two nodes may decide the same block in different rounds).
 * - the seal digest, which the QBFT messages and the commit seals sign: the header with the round
 *   of the proposal and an empty seal list (chain/finality.ts).
 * The round and the seals travel beside the stored block (ChainStore, sync) and are put back into
 * extraData only when the header is shown over JSON-RPC.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'
import type { Address } from '../types.js'

export interface ValidatorVote {
  address: Address
  add: boolean
}

export interface QbftExtraData {
  vanity: Uint8Array
  validators: Address[]
  vote?: ValidatorVote
  round: number
  seals: Uint8Array[]
}

export class ExtraDataError extends QuorateError {
  override name = 'ExtraDataError'
  constructor(details: string) {
    super('BAD_EXTRA_DATA', 'header extraData is not in the QBFT layout', { details })
  }
}

export function encodeExtraData(extra: QbftExtraData): Uint8Array {
  const vanity = new Uint8Array(32)
  vanity.set(extra.vanity.subarray(0, 32))
  const vote = extra.vote ? [hexToBytes(extra.vote.address), extra.vote.add ? Uint8Array.of(1) : Uint8Array.of(0)] : []
  return RLP.encode([vanity, extra.validators.map((v) => hexToBytes(v)), vote, bigIntToUnpaddedBytes(BigInt(extra.round)), extra.seals])
}

export function decodeExtraData(bytes: Uint8Array): QbftExtraData {
  let decoded: unknown
  try {
    decoded = RLP.decode(bytes)
  } catch (err) {
    throw new ExtraDataError(`not RLP: ${(err as Error).message}`)
  }
  if (!Array.isArray(decoded) || decoded.length !== 5) throw new ExtraDataError('expected a list of 5 items')
  const [vanity, validators, vote, round, seals] = decoded as unknown[]
  if (!(vanity instanceof Uint8Array) || vanity.length !== 32) throw new ExtraDataError('vanity must be 32 bytes')
  if (!Array.isArray(validators) || !validators.every((v) => v instanceof Uint8Array && v.length === 20)) {
    throw new ExtraDataError('validators must be a list of 20-byte addresses')
  }
  if (!Array.isArray(vote) || (vote.length !== 0 && vote.length !== 2)) throw new ExtraDataError('vote must be empty or [address, 0|1]')
  if (!(round instanceof Uint8Array) || round.length > 4 || round[0] === 0) throw new ExtraDataError('round must be a small integer without leading zero bytes')
  if (!Array.isArray(seals) || !seals.every((s) => s instanceof Uint8Array && s.length === 65)) {
    throw new ExtraDataError('seals must be a list of 65-byte signatures')
  }
  let parsedVote: ValidatorVote | undefined
  if (vote.length === 2) {
    const [addr, kind] = vote as unknown[]
    // Exactly the bytes encodeExtraData writes: one extraData has one meaning and one spelling.
    if (!(addr instanceof Uint8Array) || addr.length !== 20 || !(kind instanceof Uint8Array) || kind.length !== 1 || kind[0]! > 1) {
      throw new ExtraDataError('vote must be [20-byte address, 0|1]')
    }
    parsedVote = { address: bytesToHex(addr) as Address, add: kind[0] === 1 }
  }
  return {
    vanity,
    validators: (validators as Uint8Array[]).map((v) => bytesToHex(v) as Address),
    ...(parsedVote ? { vote: parsedVote } : {}),
    round: Number(bytesToBigInt(round)),
    seals: seals as Uint8Array[],
  }
}
