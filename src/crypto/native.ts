/**
 * Native secp256k1 and keccak plugged into ethereumjs (`common.customCrypto`). Sender recovery
 * with the native library is ~8x faster than pure-JS noble (DESIGN.md). Owns no keys.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { CustomCrypto } from '@ethereumjs/common'
import { calculateSigRecovery } from '@ethereumjs/util'
import { secp256k1 as nobleSecp } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'

const require = createRequire(import.meta.url)
// Both packages are CommonJS with native prebuilds; `createRequire` keeps this module ESM.
const secp = require('secp256k1') as typeof import('secp256k1')

/** The keccak package's native sponge (its Node API wraps it in a stream object per hash, which cost more than the hash). */
interface KeccakState {
  initialize(rate: number, capacity: number): void
  absorb(data: Buffer): void
  squeeze(length: number): Buffer
}

function loadKeccakState(): KeccakState | undefined {
  try {
    const entry = require.resolve('keccak')
    const load = createRequire(entry)('node-gyp-build') as (dir: string) => unknown
    const State = load(dirname(entry))
    return typeof State === 'function' ? new (State as new () => KeccakState)() : undefined
  } catch {
    return undefined // no prebuild for this platform: the JS implementation below
  }
}

/** One sponge, reset for every hash: a hash is synchronous, so calls never interleave (each worker thread loads its own). */
const sponge = loadKeccakState()

export function keccak256(data: Uint8Array): Uint8Array {
  if (sponge === undefined) return keccak_256(data)
  sponge.initialize(1088, 512)
  sponge.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  const out = sponge.squeeze(32)
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
