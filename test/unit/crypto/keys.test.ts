import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { generatePrivateKey, privateKeyToAddress, recoverAddress, sign } from '../../../src/crypto/keys.js'
import { keccak256 } from '../../../src/crypto/native.js'

describe('crypto/keys', () => {
  it('derives the same address as viem for a known key', () => {
    const pk = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
    expect(privateKeyToAddress(hexToBytes(pk)).toLowerCase()).toBe(privateKeyToAccount(pk).address.toLowerCase())
  })

  it('native keccak matches noble keccak', () => {
    const data = new TextEncoder().encode('quorate')
    expect(bytesToHex(keccak256(data))).toBe(bytesToHex(keccak_256(data)))
  })

  it('native keccak matches noble across the rate boundary, for views into larger buffers, call after call', () => {
    const buffer = new Uint8Array(700).map((_, i) => (i * 131 + 7) & 0xff)
    expect(bytesToHex(keccak256(new Uint8Array(0)))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    for (const [start, length] of [[0, 0], [3, 1], [5, 135], [1, 136], [9, 137], [100, 272], [11, 532], [0, 700]] as const) {
      const view = buffer.subarray(start, start + length)
      const hash = keccak256(view)
      expect(bytesToHex(hash)).toBe(bytesToHex(keccak_256(view)))
      expect(hash.length).toBe(32)
    }
  })

  it('recovers the signer and rejects a tampered hash', () => {
    const key = generatePrivateKey()
    const hash = keccak256(new TextEncoder().encode('block'))
    const sig = sign(hash, key)
    expect(recoverAddress(hash, sig)).toBe(privateKeyToAddress(key))
    const other = keccak256(new TextEncoder().encode('other'))
    expect(recoverAddress(other, sig)).not.toBe(privateKeyToAddress(key))
    expect(recoverAddress(hash, sig.subarray(0, 64))).toBeUndefined()
  })
})
