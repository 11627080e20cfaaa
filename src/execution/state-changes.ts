/**
 * State changes: what one block did to the state, in the form a joining node applies instead of
 * re-executing the block (Besu's Bonsai keeps the same per block as "trie logs"). Every node keeps
 * them with the block (ChainStore `c:<hash>`) and block sync serves them beside the block.
 *
 * They are not trusted: a node that applies them checks that the resulting state root is the one
 * in the block's header, which a quorum of validators sealed; storage roots are recomputed, never
 * taken from the changes, and code is kept only under its own hash.
 *
 * Wire form, RLP: [[[address, [nonce, balance, codeHash] | [], wiped, [[slot, value], …]], …], [code, …]]
 * with `wiped` 0x01 when the account's storage was emptied (deleted or re-created) before the
 * slots were written, empty otherwise; a slot's value is without leading zeros, empty for zero.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'

export interface AccountChange {
  /** 20 bytes. */
  address: Uint8Array
  /** The account after the block (its storage root is recomputed); null: it no longer exists. */
  account: { nonce: bigint; balance: bigint; codeHash: Uint8Array } | null
  /** Its storage was emptied before `slots` were written. */
  wiped: boolean
  /** 32-byte key → value without leading zeros (empty: the slot is cleared). */
  slots: [Uint8Array, Uint8Array][]
}

export interface StateChanges {
  accounts: AccountChange[]
  /** Code first stored in this block. */
  codes: Uint8Array[]
}

export class StateChangesError extends QuorateError {
  override name = 'StateChangesError'
  constructor(reason: string) {
    super('STATE_BAD_CHANGES', `invalid state changes: ${reason}`)
  }
}

const WIPED = Uint8Array.of(1)
const EMPTY = new Uint8Array(0)

export function encodeStateChanges(changes: StateChanges): Uint8Array {
  return RLP.encode([
    changes.accounts.map((c) => [
      c.address,
      c.account === null ? [] : [bigIntToUnpaddedBytes(c.account.nonce), bigIntToUnpaddedBytes(c.account.balance), c.account.codeHash],
      c.wiped ? WIPED : EMPTY,
      c.slots,
    ]),
    changes.codes,
  ])
}

/** Decodes and checks the form (sizes, canonical numbers, no address twice); throws StateChangesError. */
export function decodeStateChanges(bytes: Uint8Array): StateChanges {
  let raw: unknown
  try {
    raw = RLP.decode(bytes)
  } catch {
    throw new StateChangesError('not RLP')
  }
  if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[0]) || !Array.isArray(raw[1])) throw new StateChangesError('expected [accounts, codes]')
  const seen = new Set<string>()
  const accounts = (raw[0] as unknown[]).map((item, i): AccountChange => {
    if (!Array.isArray(item) || item.length !== 4) throw new StateChangesError(`account ${i}: expected [address, account, wiped, slots]`)
    const [address, fields, wiped, slots] = item as unknown[]
    if (!isBytes(address, 20)) throw new StateChangesError(`account ${i}: address must be 20 bytes`)
    const key = Buffer.from(address).toString('hex')
    if (seen.has(key)) throw new StateChangesError(`account 0x${key} appears twice`)
    seen.add(key)
    if (!Array.isArray(fields) || (fields.length !== 0 && fields.length !== 3)) throw new StateChangesError(`account 0x${key}: expected [nonce, balance, codeHash] or []`)
    if (!(wiped instanceof Uint8Array) || (wiped.length !== 0 && !(wiped.length === 1 && wiped[0] === 1))) throw new StateChangesError(`account 0x${key}: wiped must be 0x01 or empty`)
    if (!Array.isArray(slots)) throw new StateChangesError(`account 0x${key}: slots must be a list`)
    let account: AccountChange['account'] = null
    if (fields.length === 3) {
      const [nonce, balance, codeHash] = fields as unknown[]
      if (!isNumber(nonce, 8) || !isNumber(balance, 32) || !isBytes(codeHash, 32)) throw new StateChangesError(`account 0x${key}: bad nonce, balance or code hash`)
      account = { nonce: bytesToBigInt(nonce), balance: bytesToBigInt(balance), codeHash }
    } else if (slots.length > 0) {
      throw new StateChangesError(`account 0x${key}: a deleted account has no slots`)
    }
    const slotList = (slots as unknown[]).map((s): [Uint8Array, Uint8Array] => {
      if (!Array.isArray(s) || s.length !== 2 || !isBytes(s[0], 32) || !isNumber(s[1], 32)) throw new StateChangesError(`account 0x${key}: a slot must be [32-byte key, value without leading zeros]`)
      return [s[0], s[1]]
    })
    return { address, account, wiped: wiped.length === 1, slots: slotList }
  })
  const codes = raw[1] as unknown[]
  if (!codes.every((c): c is Uint8Array => c instanceof Uint8Array && c.length > 0)) throw new StateChangesError('codes must be non-empty byte strings')
  return { accounts, codes }
}

function isBytes(x: unknown, length: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length === length
}

/** A canonical RLP number: at most `max` bytes, no leading zero. */
function isNumber(x: unknown, max: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length <= max && (x.length === 0 || x[0] !== 0)
}
