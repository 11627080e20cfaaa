/**
 * Native secp256k1 and keccak plugged into ethereumjs (`common.customCrypto`). Sender recovery
 * with the native library is ~8x faster than pure-JS noble (DESIGN.md). Owns no keys.
 */
import { createRequire } from 'node:module'
import type { CustomCrypto } from '@ethereumjs/common'
import { calculateSigRecovery } from '@ethereumjs/util'
import { secp256k1 as nobleSecp } from '@noble/curves/secp256k1.js'

const require = createRequire(import.meta.url)
// Both packages are CommonJS with native prebuilds; `createRequire` keeps this module ESM.
const secp = require('secp256k1') as typeof import('secp256k1')
const createKeccak = require('keccak') as typeof import('keccak')

export function keccak256(data: Uint8Array): Uint8Array {
  const out = createKeccak('keccak256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest()
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Signs a 32-byte hash; returns 64-byte compact signature and recovery id (0 or 1). */
export function signHash(hash: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recovery: number } {
  const { signature, recid } = secp.ecdsaSign(hash, privateKey)
  return { signature, recovery: recid }
}

/** Recovers the 65-byte uncompressed public key (0x04 prefix) from a hash and compact signature. */
export function recoverPublicKey(hash: Uint8Array, signature: Uint8Array, recovery: number): Uint8Array {
  return secp.ecdsaRecover(signature, recovery, hash, false)
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return secp.publicKeyCreate(privateKey, false)
}

export function isValidPrivateKey(privateKey: Uint8Array): boolean {
  return privateKey.length === 32 && secp.privateKeyVerify(privateKey)
}

function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = calculateSigRecovery(v, chainId)
  if (recovery !== 0n && recovery !== 1n) throw new Error('Invalid signature v value')
  const sig = new Uint8Array(64)
  sig.set(r, 32 - r.length)
  sig.set(s, 64 - s.length)
  return secp.ecdsaRecover(sig, Number(recovery), msgHash, false).subarray(1)
}

/** ethereumjs expects the noble `sign` shape with `format: 'recovered'`: 65 bytes, recovery first. */
const ecsign: typeof nobleSecp.sign = (msgHash, privateKey) => {
  const { signature, recid } = secp.ecdsaSign(msgHash, privateKey)
  const out = new Uint8Array(65)
  out[0] = recid
  out.set(signature, 1)
  return out
}

export const nativeCrypto: CustomCrypto = {
  keccak256,
  ecrecover,
  ecsign,
  ecdsaRecover: (sig, recId, hash) => secp.ecdsaRecover(sig, recId, hash, false),
}
