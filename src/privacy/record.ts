/**
 * A private record: what a member node stores and what its on-chain anchor commits to. The record
 * hash covers every field including a random salt, so the hash on chain cannot be confirmed by
 * guessing a low-entropy value (a birth date, a name); once the salt is erased the anchor no longer
 * links to anyone. Ids of collections and purposes are short strings stored on chain as bytes32.
 * Key ids, subject ids and the purposes commitment on chain are keyed hashes under the collection
 * secret (collection-keys.ts): only member nodes can compute or test them.
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@ethereumjs/util'
import { stringToHex } from 'viem'
import { z } from 'zod'
import { keccakHex } from '../crypto/keys.js'
import { address, hexString } from '../validation.js'
import type { Address, Hex } from '../types.js'

/** Collection ids, purposes and legal bases: like party ids, at most 31 bytes. */
export const shortId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'expected a short lower-case id (letters, digits, dashes; at most 31 characters)')
export const recordKey = z.string().min(1).max(200)
export const subjectId = z.string().min(1).max(200)

/** The GDPR Art. 6 lawful bases a purpose may rest on: the one list governance votes on. */
export { LEGAL_BASES, type LegalBasis } from '../governance/decisions.js'

export const RecordSchema = z.object({
  collection: shortId,
  key: recordKey,
  /** Pseudonymous id of the data subject (never on chain). */
  subject: subjectId,
  purposes: z.array(shortId).min(1).max(16),
  /** Unix seconds after which every member purges the record. */
  expiresAt: z.number().int().nonnegative(),
  /** The personal data itself (any string; JSON for structured data). */
  data: z.string().max(1_000_000),
  writer: address,
  writtenAt: z.number().int().nonnegative(),
  salt: hexString.length(66),
})
export type PrivateRecord = z.output<typeof RecordSchema>

/** What a node keeps about a record besides its data (erased with it). */
export type RecordMeta = Omit<PrivateRecord, 'data' | 'salt'> & { recordHash: Hex }

export function encodeRecord(r: PrivateRecord): Uint8Array {
  // Fixed field order: the bytes (and so the hash) are the same on every node.
  return new TextEncoder().encode(JSON.stringify([r.collection, r.key, r.subject, r.purposes, r.expiresAt, r.data, r.writer, r.writtenAt, r.salt]))
}

export function decodeRecord(bytes: Uint8Array): PrivateRecord {
  const [collection, key, subject, purposes, expiresAt, data, writer, writtenAt, salt] = JSON.parse(new TextDecoder().decode(bytes)) as unknown[]
  return RecordSchema.parse({ collection, key, subject, purposes, expiresAt, data, writer, writtenAt, salt })
}

export function recordHash(r: PrivateRecord): Hex {
  return keccakHex(encodeRecord(r))
}

export function metaOf(r: PrivateRecord): RecordMeta {
  const { data: _data, salt: _salt, ...rest } = r
  return { ...rest, recordHash: recordHash(r) }
}

export function toBytes32(id: string): Hex {
  return stringToHex(id, { size: 32 })
}

/**
 * The on-chain ids of one collection's records, keyed by the collection secret. Without the secret a
 * subject id cannot be tested against a guess (a BSN has 10^9 values: a plain hash falls in
 * seconds). Each use gets its own HKDF subkey, so one id never doubles as another.
 */
export interface CollectionIds {
  /** The on-chain id of a record key (the key itself may be personal). */
  keyId(key: string): Hex
  /** The on-chain id of a subject (for erasure by subject; equal for the same subject). */
  subjectId(subject: string): Hex
  /** Commitment to a record's purposes, bound to its key so equal purpose sets do not link records. */
  purposesHash(key: string, purposes: readonly string[]): Hex
}

export function collectionIds(collection: string, secret: Uint8Array): CollectionIds {
  if (secret.length !== 32) throw new Error('a collection secret is 32 bytes')
  const salt = new TextEncoder().encode(collection)
  const sub = (use: string) => hkdf(sha256, secret, salt, new TextEncoder().encode(`quorate/private-data/${use}/v1`), 32)
  const [kKey, kSubject, kPurposes] = [sub('key-id'), sub('subject-id'), sub('purposes')]
  const mac = (k: Uint8Array, v: unknown) => bytesToHex(hmac(sha256, k, new TextEncoder().encode(JSON.stringify(v)))) as Hex
  return {
    keyId: (key) => mac(kKey, key),
    subjectId: (subject) => mac(kSubject, subject),
    purposesHash: (key, purposes) => mac(kPurposes, [key, purposes]),
  }
}

/** Associated data of every ciphertext of a record: binds it to collection, key and hash. */
export function recordAad(collection: string, key: string, hash: Hex): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['quorate/private-data/v1', collection, key, hash]))
}

export type { Address }
