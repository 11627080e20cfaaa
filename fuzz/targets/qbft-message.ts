/**
 * QBFT wire messages (src/consensus/qbft/messages.ts) with the node's real block codec
 * (consensus/qbft-block.ts): decodeMessage is fed random bytes, validly signed Proposal, Prepare,
 * Commit and RoundChange messages (with blocks and justifications), and those mutated. It may only
 * throw QbftMessageError (QBFT_BAD_MESSAGE, QBFT_BAD_SIGNATURE, QBFT_MESSAGE_TOO_LARGE), and a
 * message it accepts must encode back to the same bytes. The same bytes are then given to a live
 * state machine (four validators, height 1), whose handle() must never throw on network input.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import fc from 'fast-check'
import { blockOptions, createChainCommon, FIXED_HEADER_FIELDS } from '../../src/chain/common.js'
import { encodeExtraData } from '../../src/chain/extra-data.js'
import { qbftBlockOps } from '../../src/consensus/qbft-block.js'
import {
  createCommitSeal,
  createQbftMachine,
  decodeMessage,
  encodeMessage,
  privateKeySigner,
  signPayload,
  type PreparePayload,
  type RoundChangePayload,
  type Signed,
  type SignedMessage,
  type Signer,
} from '../../src/consensus/qbft/index.js'
import { keccak256 } from '../../src/crypto/native.js'
import type { Address, Hex } from '../../src/types.js'
import { decoderInputs } from '../lib/mutate.js'
import { Finding, hex, sameBytes, tryTyped, type FuzzTarget } from '../lib/target.js'

const CHAIN_ID = 1337n
const GAS_LIMIT = 30_000_000n
const common = createChainCommon(CHAIN_ID, GAS_LIMIT)
const SIGNERS: Signer[] = [1, 2, 3, 4].map((i) => privateKeySigner(keccak256(Uint8Array.of(i))))
const VALIDATORS: Address[] = SIGNERS.map((s) => s.address.toLowerCase() as Address)
const CODES = ['QBFT_BAD_MESSAGE', 'QBFT_BAD_SIGNATURE', 'QBFT_MESSAGE_TOO_LARGE'] as const

function block(number: bigint, round: number, txs: number, parentHash = new Uint8Array(32)): Block {
  const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: VALIDATORS, round, seals: [] })
  const transactions = Array.from({ length: txs }, (_, i) =>
    createFeeMarket1559Tx({ chainId: CHAIN_ID, nonce: BigInt(i), gasLimit: 21_000n, to: VALIDATORS[0], value: 1n }, { common }).sign(keccak256(Uint8Array.of(1))),
  )
  return createBlock(
    { header: { ...FIXED_HEADER_FIELDS, number, parentHash, gasLimit: GAS_LIMIT, timestamp: 1_700_000_000n + number, coinbase: VALIDATORS[Number(number) % 4], extraData }, transactions },
    blockOptions(common),
  )
}

const GENESIS = block(0n, 0, 0)
const PARENT = new Uint8Array(GENESIS.hash())
const BLOCKS: Block[] = [block(1n, 0, 0, PARENT), block(1n, 1, 1, PARENT), block(2n, 0, 2)]
export const ops = qbftBlockOps(common, () => ({ parent: GENESIS, validators: VALIDATORS, params: { blockPeriodMs: 1000, gasLimit: GAS_LIMIT } }))

const signerArb = fc.constantFrom(...SIGNERS)
const heightArb = fc.oneof(fc.constantFrom(0n, 1n, 2n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const roundArb = fc.oneof(fc.constantFrom(0, 1, 2), fc.nat({ max: 0xffff_ffff }))
const blockArb = fc.constantFrom(...BLOCKS)
const digestArb: fc.Arbitrary<Hex> = fc.oneof(
  blockArb.map((b) => ops.digest(b).toLowerCase() as Hex),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}` as Hex),
)

const prepareArb: fc.Arbitrary<Signed<PreparePayload>> = fc
  .tuple(heightArb, roundArb, digestArb, signerArb)
  .map(([height, round, digest, s]) => signPayload('prepare', { height, round, digest }, s))
const roundChangeArb: fc.Arbitrary<Signed<RoundChangePayload>> = fc
  .tuple(heightArb, roundArb, fc.option(fc.tuple(roundArb, digestArb)), signerArb)
  .map(([height, round, prepared, s]) => signPayload('roundChange', { height, round, ...(prepared ? { prepared: { round: prepared[0], digest: prepared[1] } } : {}) }, s))

export const messageArb: fc.Arbitrary<SignedMessage<Block>> = fc.oneof(
  fc.tuple(heightArb, roundArb, blockArb, signerArb, fc.array(roundChangeArb, { maxLength: 2 }), fc.array(prepareArb, { maxLength: 2 })).map(
    ([height, round, b, s, roundChanges, prepares]): SignedMessage<Block> => ({
      type: 'proposal',
      signed: signPayload('proposal', { height, round, digest: ops.digest(b).toLowerCase() as Hex }, s),
      block: b,
      roundChanges,
      prepares,
    }),
  ),
  prepareArb.map((signed): SignedMessage<Block> => ({ type: 'prepare', signed })),
  fc.tuple(heightArb, roundArb, digestArb, signerArb).map(
    ([height, round, digest, s]): SignedMessage<Block> => ({ type: 'commit', signed: signPayload('commit', { height, round, digest, commitSeal: createCommitSeal(digest, s) }, s) }),
  ),
  fc.tuple(roundChangeArb, blockArb, fc.array(prepareArb, { minLength: 1, maxLength: 2 })).map(
    ([signed, b, prepares]): SignedMessage<Block> =>
      signed.payload.prepared ? { type: 'roundChange', signed, preparedBlock: b, prepares } : { type: 'roundChange', signed, prepares: [] },
  ),
)

const stats: Record<string, number> = {}

export function checkQbftBytes(bytes: Uint8Array): void {
  const decoded = tryTyped('decodeMessage', () => decodeMessage(bytes, ops), CODES)
  const outcome = decoded.ok ? decoded.value.type : decoded.error.code
  stats[outcome] = (stats[outcome] ?? 0) + 1
  if (decoded.ok) {
    const again = encodeMessage(decoded.value, ops)
    if (!sameBytes(again, bytes)) throw new Finding('crash', `QBFT message round trip changed the bytes: ${hex(bytes)} -> ${hex(again)}`)
  }
  // The machine decodes again itself and must turn every refusal into an 'invalid' action.
  const machine = createQbftMachine({ signer: SIGNERS[0]!, blockOps: ops })
  machine.handle({ type: 'newChainHead', height: 0n, validators: VALIDATORS })
  try {
    machine.handle({ type: 'message', message: bytes, from: 'fuzz' })
  } catch (err) {
    throw new Finding('crash', `the QBFT machine threw on network input: ${String(err)}`, { cause: err })
  }
}

export async function createTarget(): Promise<FuzzTarget<Uint8Array> & { stats: Record<string, number> }> {
  return {
    stats,
    name: 'qbft-message',
    description: 'decodeMessage (real block codec) and the QBFT machine on random, signed and mutated messages: QbftMessageError only, round trip',
    arbitrary: decoderInputs(messageArb.map((m) => encodeMessage(m, ops))),
    check: checkQbftBytes,
  }
}
