/**
 * Accepting a delivered record: the envelope must open with this node's key, and the record inside
 * must be the one anchored on chain (same hash, collection, key, writer, subject and purposes under
 * the collection's keyed ids, anchor not erased). Pure: the caller looks the anchor up, holds the
 * collection secret, and stores the result.
 */
import { z } from 'zod'
import type { Address, Hex } from '../types.js'
import { open, type Envelope } from './envelope.js'
import { PrivateDataError } from './errors.js'
import { decodeRecord, recordAad, recordHash, type CollectionIds, type PrivateRecord } from './record.js'
import { hexString } from '../validation.js'

export const DeliverySchema = z.object({
  collection: z.string().max(31),
  key: z.string().max(200),
  envelope: z.object({ v: z.literal(1), epk: hexString, nonce: hexString, ct: hexString }),
})
export type Delivery = z.output<typeof DeliverySchema>

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
