/**
 * Who may receive a record, and accepting a delivered one. Minimisation: a record goes only to the
 * nodes of member parties that hold a grant for one of its purposes (a member without such a grant
 * could never read it, so it must not hold it); a grant whose legal basis is consent counts only
 * while the record's subject consents (consent.ts). A delivered record's envelope must open with this
 * node's key, and the record inside must be the one anchored on chain (same hash, collection, key,
 * writer, subject and purposes under the collection's keyed ids, anchor not erased). Pure: the
 * caller looks collections and anchors up, holds the collection secret, and stores the result.
 */
import { z } from 'zod'
import type { Address, Hex } from '../types.js'
import { open, type Envelope } from './envelope.js'
import { CONSENT_BASIS, consentKey } from './consent.js'
import { PrivateDataError } from './errors.js'
import { decodeRecord, recordAad, recordHash, type CollectionIds, type PrivateRecord } from './record.js'
import { hexString } from '../validation.js'

export const DeliverySchema = z.object({
  collection: z.string().max(31),
  key: z.string().max(200),
  envelope: z.object({ v: z.literal(1), epk: hexString, nonce: hexString, ct: hexString }),
})
export type Delivery = z.output<typeof DeliverySchema>

/** The parts of a collection that decide who may hold a record. */
export interface CollectionRules {
  id: string
  members: readonly string[]
  grants: readonly { party: string; purpose: string; basis?: string }[]
}

/**
 * True when `party` is a member holding a grant for at least one of `purposes`. A grant on the
 * basis "consent" counts only if `consented` (keys from consent.ts `consentKey`, for the record's
 * subject) holds its party and purpose: without the set, consent-based grants do not count.
 */
export function mayHold(c: CollectionRules, party: string, purposes: readonly string[], consented: ReadonlySet<string> = new Set()): boolean {
  return c.members.includes(party) && c.grants.some((g) => g.party === party && purposes.includes(g.purpose) && (g.basis !== CONSENT_BASIS || consented.has(consentKey(g.party, g.purpose))))
}

/** A node left out of a delivery by rule, and why (for the put result and the logs). */
export interface Withheld {
  node: Address
  party: string
  reason: string
}

/**
 * Splits the member nodes (other than the writer's) into those that receive a record collected
 * for `purposes` and those withheld because their party holds no grant for any of them.
 */
export function recipients<N extends { address: Address; party: string }>(c: CollectionRules, purposes: readonly string[], nodes: readonly N[], consented: ReadonlySet<string> = new Set()): { send: N[]; withheld: Withheld[] } {
  const send: N[] = []
  const withheld: Withheld[] = []
  for (const n of nodes) {
    if (mayHold(c, n.party, purposes, consented)) send.push(n)
    else if (mayHold(c, n.party, purposes, new Set(c.grants.map((g) => consentKey(g.party, g.purpose)))))
      withheld.push({ node: n.address, party: n.party, reason: `party "${n.party}" holds only consent-based grants for ${purposes.map((p) => `"${p}"`).join(', ')} in collection "${c.id}" and the subject has not consented` })
    else withheld.push({ node: n.address, party: n.party, reason: `party "${n.party}" holds no grant for ${purposes.map((p) => `"${p}"`).join(', ')} in collection "${c.id}"` })
  }
  return { send, withheld }
}

/** What the anchors contract holds about a record. */
export interface AnchorInfo {
  keyId: Hex
  recordHash: Hex
  subjectId: Hex
  /** Keyed commitment to the key and purposes (no purposes in clear on chain). */
  purposesHash: Hex
  writer: Address
  expiresAt: number
  anchoredAt: number
  erasedAt: number
}

export function verifyDelivery(secretKey: Uint8Array, delivery: Delivery, anchor: AnchorInfo | undefined, ids: CollectionIds): PrivateRecord {
  if (!anchor || anchor.anchoredAt === 0) throw new PrivateDataError('PRIVATE_NOT_ANCHORED', `record ${delivery.collection}/${delivery.key} has no anchor on chain`)
  if (anchor.erasedAt !== 0) throw new PrivateDataError('PRIVATE_RECORD_ERASED', `record ${delivery.collection}/${delivery.key} was erased`)
  let record: PrivateRecord
  try {
    record = decodeRecord(open(secretKey, delivery.envelope as Envelope, recordAad(delivery.collection, delivery.key, anchor.recordHash)))
  } catch (err) {
    throw new PrivateDataError('PRIVATE_HASH_MISMATCH', `record ${delivery.collection}/${delivery.key} does not match its anchor: ${err instanceof Error ? err.message : String(err)}`)
  }
  const mismatch =
    recordHash(record) !== anchor.recordHash
      ? 'its hash differs from the anchored hash'
      : record.collection !== delivery.collection || record.key !== delivery.key || ids.keyId(record.key) !== anchor.keyId
        ? 'it names another collection or key'
        : record.writer.toLowerCase() !== anchor.writer.toLowerCase()
          ? 'it names another writer'
          : ids.subjectId(record.subject) !== anchor.subjectId
            ? 'its subject differs from the anchored subject'
            : ids.purposesHash(record.key, record.purposes) !== anchor.purposesHash
              ? 'its purposes differ from the anchored purposes'
              : undefined
  if (mismatch) throw new PrivateDataError('PRIVATE_HASH_MISMATCH', `record ${delivery.collection}/${delivery.key} is rejected: ${mismatch}`)
  return record
}
