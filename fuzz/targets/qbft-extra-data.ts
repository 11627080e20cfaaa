/**
 * The QBFT header extraData (src/chain/extra-data.ts), read from every proposed and synced block:
 * decodeExtraData is fed random bytes, valid extraData (validators, votes, rounds, seals) and those
 * mutated. It may only throw ExtraDataError (BAD_EXTRA_DATA), and what it accepts must encode back
 * to the same bytes: one meaning, one encoding (a vote or round in a second spelling would be read
 * the same by one node version and differently by the next).
 */
import fc from 'fast-check'
import { decodeExtraData, encodeExtraData, type QbftExtraData } from '../../src/chain/extra-data.js'
import type { Address } from '../../src/types.js'
import { decoderInputs } from '../lib/mutate.js'
import { Finding, hex, sameBytes, tryTyped, type FuzzTarget } from '../lib/target.js'

const addressArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString('hex')}` as Address)

export const extraDataArb: fc.Arbitrary<QbftExtraData> = fc.record({
  vanity: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  validators: fc.array(addressArb, { maxLength: 5 }),
  vote: fc.option(fc.record({ address: addressArb, add: fc.boolean() }), { nil: undefined }),
  round: fc.oneof(fc.constantFrom(0, 1, 255, 256), fc.nat({ max: 0xffff_ffff })),
  seals: fc.array(fc.uint8Array({ minLength: 65, maxLength: 65 }), { maxLength: 3 }),
}).map(({ vote, ...rest }): QbftExtraData => (vote ? { ...rest, vote } : rest))

export function checkExtraData(bytes: Uint8Array): void {
  const decoded = tryTyped('decodeExtraData', () => decodeExtraData(bytes), ['BAD_EXTRA_DATA'])
  if (!decoded.ok) return
  const again = encodeExtraData(decoded.value)
  if (!sameBytes(again, bytes)) throw new Finding('crash', `extraData round trip changed the bytes: ${hex(bytes, 400)} -> ${hex(again, 400)}`)
}

export async function createTarget(): Promise<FuzzTarget<Uint8Array>> {
  return {
    name: 'qbft-extra-data',
    description: 'decodeExtraData on random, valid and mutated header extraData: ExtraDataError only, encode(decode(x)) = x',
    arbitrary: decoderInputs(extraDataArb.map(encodeExtraData)),
    check: checkExtraData,
  }
}
