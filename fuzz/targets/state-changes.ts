/**
 * A block's state changes as a peer serves them with the block in sync (src/execution/state-changes.ts):
 * decodeStateChanges is fed random bytes, valid changes (accounts created, changed and deleted,
 * storage written and cleared, code) and those mutated. It may only throw StateChangesError
 * (STATE_BAD_CHANGES), and what it accepts must encode back to the same bytes.
 */
import fc from 'fast-check'
import { decodeStateChanges, encodeStateChanges, type AccountChange, type StateChanges } from '../../src/execution/state-changes.js'
import { decoderInputs } from '../lib/mutate.js'
import { Finding, hex, sameBytes, tryTyped, type FuzzTarget } from '../lib/target.js'

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
/** A number as the encoding holds it: no leading zero byte. */
const number = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => b.subarray(b.findIndex((x) => x !== 0) === -1 ? b.length : b.findIndex((x) => x !== 0)))

const accountArb: fc.Arbitrary<AccountChange> = fc.oneof(
  bytes(20).map((address): AccountChange => ({ address, account: null, wiped: true, slots: [] })),
  fc.record({
    address: bytes(20),
    account: fc.record({ nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), balance: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), codeHash: bytes(32) }),
    wiped: fc.boolean(),
    slots: fc.array(fc.tuple(bytes(32), number(32)), { maxLength: 4 }),
  }),
)

export const stateChangesArb: fc.Arbitrary<StateChanges> = fc.record({
  accounts: fc.uniqueArray(accountArb, { maxLength: 4, selector: (a) => Buffer.from(a.address).toString('hex') }),
  codes: fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 2 }),
})

export function checkStateChanges(input: Uint8Array): void {
  const decoded = tryTyped('decodeStateChanges', () => decodeStateChanges(input), ['STATE_BAD_CHANGES'])
  if (!decoded.ok) return
  const again = encodeStateChanges(decoded.value)
  if (!sameBytes(again, input)) throw new Finding('crash', `state changes round trip changed the bytes: ${hex(input, 400)} -> ${hex(again, 400)}`)
}

export async function createTarget(): Promise<FuzzTarget<Uint8Array>> {
  return {
    name: 'state-changes',
    description: 'decodeStateChanges on random, valid and mutated state changes: StateChangesError only, encode(decode(x)) = x',
    arbitrary: decoderInputs(stateChangesArb.map(encodeStateChanges)),
    check: checkStateChanges,
  }
}
