/**
 * The crypto envelope of private data: a record sealed for one member node's X25519 key (ECIES
 * style: an ephemeral X25519 key, HKDF-SHA256 of the shared secret, ChaCha20-Poly1305), and the
 * at-rest seal of a stored record under its own random data key (deleting that key shreds the
 * record). Primitives come from @noble/{curves,hashes,ciphers}; nothing here is hand-rolled.
 * The associated data binds a ciphertext to its collection, key and record hash, so an envelope
 * cannot be replayed as another record.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/ciphers/utils.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'
import type { Hex } from '../types.js'

const INFO = new TextEncoder().encode('quorate/private-data/envelope/v1')

export class EnvelopeError extends QuorateError {
  override name = 'EnvelopeError'
  constructor(message: string) {
    super('PRIVATE_ENVELOPE_INVALID', message)
  }
}

export interface EncryptionKeyPair {
  /** X25519 secret key (32 bytes). */
  secretKey: Uint8Array
  /** X25519 public key (32 bytes): what governance registers as the node's `encryptionKey`. */
  publicKey: Uint8Array
}

/** A record sealed for one recipient (hex fields, so it travels as JSON). */
export interface Envelope {
  v: 1
  /** The sender's ephemeral X25519 public key. */
  epk: Hex
  nonce: Hex
  ct: Hex
}

export function generateEncryptionKey(): EncryptionKeyPair {
  const secretKey = x25519.utils.randomSecretKey()
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
}

export function encryptionPublicKey(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey)
}

function envelopeKey(shared: Uint8Array, epk: Uint8Array, recipient: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64)
  salt.set(epk, 0)
  salt.set(recipient, 32)
  return hkdf(sha256, shared, salt, INFO, 32)
}

/** Seals `plaintext` for the holder of `recipientPublicKey`; `aad` must be given again to open it. */
export function seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Envelope {
  if (recipientPublicKey.length !== 32 || recipientPublicKey.every((b) => b === 0)) {
    throw new EnvelopeError('the recipient has no X25519 encryption key registered in governance')
  }
  const eph = generateEncryptionKey()
  const key = envelopeKey(x25519.getSharedSecret(eph.secretKey, recipientPublicKey), eph.publicKey, recipientPublicKey)
  const nonce = randomBytes(12)
  const ct = chacha20poly1305(key, nonce, aad).encrypt(plaintext)
  key.fill(0)
  eph.secretKey.fill(0)
  return { v: 1, epk: bytesToHex(eph.publicKey) as Hex, nonce: bytesToHex(nonce) as Hex, ct: bytesToHex(ct) as Hex }
}

/** Opens an envelope sealed for `secretKey`; throws EnvelopeError if it was altered or is not for this key. */
export function open(secretKey: Uint8Array, envelope: Envelope, aad: Uint8Array): Uint8Array {
  try {
    const epk = hexToBytes(envelope.epk)
    const key = envelopeKey(x25519.getSharedSecret(secretKey, epk), epk, x25519.getPublicKey(secretKey))
    const out = chacha20poly1305(key, hexToBytes(envelope.nonce), aad).decrypt(hexToBytes(envelope.ct))
    key.fill(0)
    return out
  } catch {
    throw new EnvelopeError('the envelope does not open: it was altered, or it is not for this node')
  }
}

/** At-rest encryption under a record's own data key: nonce (12 bytes) || ciphertext. */
export function sealAtRest(dataKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(12)
  const ct = chacha20poly1305(dataKey, nonce, aad).encrypt(plaintext)
  const out = new Uint8Array(12 + ct.length)
  out.set(nonce, 0)
  out.set(ct, 12)
  return out
}

export function openAtRest(dataKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  try {
    return chacha20poly1305(dataKey, sealed.subarray(0, 12), aad).decrypt(sealed.subarray(12))
  } catch {
    throw new EnvelopeError('a stored record does not decrypt: the store was altered')
  }
}

export function randomKey(): Uint8Array {
  return randomBytes(32)
}
