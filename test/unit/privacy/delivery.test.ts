import { describe, expect, it } from 'vitest'
import { verifyDelivery, type AnchorInfo } from '../../../src/privacy/delivery.js'
import { generateEncryptionKey, seal } from '../../../src/privacy/envelope.js'
import { collectionIds, encodeRecord, recordAad, recordHash, type PrivateRecord } from '../../../src/privacy/record.js'
import type { Hex } from '../../../src/types.js'

const WRITER = '0x00000000000000000000000000000000000000aa'
const record: PrivateRecord = {
  collection: 'patients',
  key: 'p-1',
  subject: 'subj-alice',
  purposes: ['treatment'],
  expiresAt: 2_000_000_000,
  data: 'diagnosis',
  writer: WRITER,
  writtenAt: 1_700_000_000,
  salt: `0x${'33'.repeat(32)}`,
}
const ids = collectionIds('patients', new Uint8Array(32).fill(7))
const anchor: AnchorInfo = { keyId: ids.keyId('p-1'), recordHash: recordHash(record), subjectId: ids.subjectId('subj-alice'), purposesHash: ids.purposesHash('p-1', ['treatment']), writer: WRITER, expiresAt: record.expiresAt, anchoredAt: 1, erasedAt: 0 }
const me = generateEncryptionKey()
const sealFor = (r: PrivateRecord, hash: Hex = anchor.recordHash) => ({ collection: 'patients', key: 'p-1', envelope: seal(me.publicKey, encodeRecord(r), recordAad('patients', 'p-1', hash)) })

describe('accepting a delivered record', () => {
  it('accepts the record that matches its anchor', () => {
    expect(verifyDelivery(me.secretKey, sealFor(record), anchor, ids)).toEqual(record)
  })

  it('rejects a tampered ciphertext', () => {
    const d = sealFor(record)
    const ct = d.envelope.ct
    d.envelope.ct = `${ct.slice(0, -2)}${ct.endsWith('00') ? '01' : '00'}` as Hex
    expect(() => verifyDelivery(me.secretKey, d, anchor, ids)).toThrow(/does not match its anchor/)
  })

  it('rejects a well-encrypted record whose content differs from the anchored hash', () => {
    // A sender that holds the recipient's public key can seal anything; the hash check catches it.
    expect(() => verifyDelivery(me.secretKey, sealFor({ ...record, data: 'forged' }), anchor, ids)).toThrow(/its hash differs from the anchored hash/)
  })

  it('rejects a record for another key, an erased anchor, and a record with no anchor', () => {
    const other = { ...record, key: 'p-2' }
    expect(() => verifyDelivery(me.secretKey, sealFor(other, recordHash(other)), { ...anchor, recordHash: recordHash(other) }, ids)).toThrow(/another collection or key/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), { ...anchor, erasedAt: 5 }, ids)).toThrow(/was erased/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), undefined, ids)).toThrow(/no anchor/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), { ...anchor, anchoredAt: 0 }, ids)).toThrow(/no anchor/)
  })

  it('rejects a record whose purposes or subject differ from the keyed anchor, or checked under another collection secret', () => {
    const wider = { ...record, purposes: ['treatment', 'marketing'] }
    expect(() => verifyDelivery(me.secretKey, sealFor(wider, recordHash(wider)), { ...anchor, recordHash: recordHash(wider) }, ids)).toThrow(/its purposes differ from the anchored purposes/)
    const bob = { ...record, subject: 'subj-bob' }
    expect(() => verifyDelivery(me.secretKey, sealFor(bob, recordHash(bob)), { ...anchor, recordHash: recordHash(bob) }, ids)).toThrow(/its subject differs/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), anchor, collectionIds('patients', new Uint8Array(32).fill(8)))).toThrow(/another collection or key/)
  })

  it('rejects an envelope sealed for another node', () => {
    const other = generateEncryptionKey()
    expect(() => verifyDelivery(other.secretKey, sealFor(record), anchor, ids)).toThrow(/does not match its anchor/)
  })
})
