/**
 * Node and account keys: generation, address derivation, and the signatures that the network and
 * consensus layers use (65 bytes: r || s || v with v = recovery id 0/1, as Besu's QBFT seals).
 */
import { randomBytes } from 'node:crypto'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { Address, Hex } from '../types.js'
import { isValidPrivateKey, keccak256, publicKeyOf, recoverPublicKey, signHash } from './native.js'

export function generatePrivateKey(): Uint8Array {
  for (;;) {
    const key = new Uint8Array(randomBytes(32))
    if (isValidPrivateKey(key)) return key
  }
}

/** Ethereum address of an uncompressed public key (65 bytes with 0x04 prefix, or 64 without). */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  const body = publicKey.length === 65 ? publicKey.subarray(1) : publicKey
  return bytesToHex(keccak256(body).subarray(12)) as Address
}

export function privateKeyToAddress(privateKey: Uint8Array): Address {
  return publicKeyToAddress(publicKeyOf(privateKey))
}

/** 65-byte signature r||s||v (v = 0 or 1) over a 32-byte hash. */
export function sign(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recovery } = signHash(hash, privateKey)
  const out = new Uint8Array(65)
  out.set(signature, 0)
  out[64] = recovery
  return out
}

/** Recovers the signer address of a 65-byte r||s||v signature, or undefined if it is malformed. */
export function recoverAddress(hash: Uint8Array, signature: Uint8Array): Address | undefined {
  if (signature.length !== 65 || hash.length !== 32) return undefined
  const v = signature[64]!
  if (v > 1) return undefined
  try {
    return publicKeyToAddress(recoverPublicKey(hash, signature.subarray(0, 64), v))
  } catch {
    return undefined
  }
}

export function keccakHex(data: Uint8Array): Hex {
  return bytesToHex(keccak256(data)) as Hex
}

export { bytesToHex, hexToBytes }
