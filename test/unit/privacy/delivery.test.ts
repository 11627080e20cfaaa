import { describe, expect, it } from 'vitest'
import { verifyDelivery, type AnchorInfo } from '../../../src/privacy/delivery.js'
import { generateEncryptionKey, seal } from '../../../src/privacy/envelope.js'
import { encodeRecord, keyId, recordAad, recordHash, subjectId32, type PrivateRecord } from '../../../src/privacy/record.js'
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
const anchor: AnchorInfo = { keyId: keyId('p-1'), recordHash: recordHash(record), subjectId: subjectId32('patients', 'subj-alice'), writer: WRITER, expiresAt: record.expiresAt, anchoredAt: 1, erasedAt: 0 }
const me = generateEncryptionKey()
const sealFor = (r: PrivateRecord, hash: Hex = anchor.recordHash) => ({ collection: 'patients', key: 'p-1', envelope: seal(me.publicKey, encodeRecord(r), recordAad('patients', 'p-1', hash)) })

describe('accepting a delivered record', () => {
  it('accepts the record that matches its anchor', () => {
    expect(verifyDelivery(me.secretKey, sealFor(record), anchor)).toEqual(record)
  })

  it('rejects a tampered ciphertext', () => {
    const d = sealFor(record)
    const ct = d.envelope.ct
    d.envelope.ct = `${ct.slice(0, -2)}${ct.endsWith('00') ? '01' : '00'}` as Hex
    expect(() => verifyDelivery(me.secretKey, d, anchor)).toThrow(/does not match its anchor/)
  })

  it('rejects a well-encrypted record whose content differs from the anchored hash', () => {
    // A sender that holds the recipient's public key can seal anything; the hash check catches it.
    expect(() => verifyDelivery(me.secretKey, sealFor({ ...record, data: 'forged' }), anchor)).toThrow(/its hash differs from the anchored hash/)
  })

  it('rejects a record for another key, an erased anchor, and a record with no anchor', () => {
    const other = { ...record, key: 'p-2' }
    expect(() => verifyDelivery(me.secretKey, sealFor(other, recordHash(other)), { ...anchor, recordHash: recordHash(other) })).toThrow(/another collection or key/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), { ...anchor, erasedAt: 5 })).toThrow(/was erased/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), undefined)).toThrow(/no anchor/)
    expect(() => verifyDelivery(me.secretKey, sealFor(record), { ...anchor, anchoredAt: 0 })).toThrow(/no anchor/)
  })

  it('rejects an envelope sealed for another node', () => {
    const other = generateEncryptionKey()
    expect(() => verifyDelivery(other.secretKey, sealFor(record), anchor)).toThrow(/does not match its anchor/)
  })
})
