import { describe, expect, it } from 'vitest'
import { hexToBytes } from '@ethereumjs/util'
import { EnvelopeError, generateEncryptionKey, open, openAtRest, randomKey, seal, sealAtRest } from '../../../src/privacy/envelope.js'
import type { Hex } from '../../../src/types.js'

const enc = (s: string) => new TextEncoder().encode(s)

describe('crypto envelope', () => {
  it('a record sealed for a node opens only with that node key and the same associated data', () => {
    const alice = generateEncryptionKey()
    const bob = generateEncryptionKey()
    const env = seal(alice.publicKey, enc('patient 17: allergic to penicillin'), enc('aad-1'))
    expect(new TextDecoder().decode(open(alice.secretKey, env, enc('aad-1')))).toBe('patient 17: allergic to penicillin')
    expect(Buffer.from(hexToBytes(env.ct)).toString()).not.toContain('penicillin')
    expect(() => open(bob.secretKey, env, enc('aad-1'))).toThrow(EnvelopeError)
    expect(() => open(alice.secretKey, env, enc('aad-2'))).toThrow(/altered/)
  })

  it('rejects a tampered ciphertext, nonce or ephemeral key', () => {
    const k = generateEncryptionKey()
    const env = seal(k.publicKey, enc('data'), enc('x'))
    const flip = (h: Hex): Hex => `0x${(parseInt(h.slice(2, 4), 16) ^ 1).toString(16).padStart(2, '0')}${h.slice(4)}` as Hex
    expect(() => open(k.secretKey, { ...env, ct: flip(env.ct) }, enc('x'))).toThrow(EnvelopeError)
    expect(() => open(k.secretKey, { ...env, nonce: flip(env.nonce) }, enc('x'))).toThrow(EnvelopeError)
    expect(() => open(k.secretKey, { ...env, epk: flip(env.epk) }, enc('x'))).toThrow(EnvelopeError)
  })

  it('two seals of the same record differ (fresh ephemeral key and nonce)', () => {
    const k = generateEncryptionKey()
    const a = seal(k.publicKey, enc('same'), enc(''))
    const b = seal(k.publicKey, enc('same'), enc(''))
    expect(a.ct).not.toBe(b.ct)
    expect(a.epk).not.toBe(b.epk)
  })

  it('refuses a recipient without a registered key (all zeros)', () => {
    expect(() => seal(new Uint8Array(32), enc('x'), enc(''))).toThrow(/no X25519 encryption key/)
  })

  it('at-rest sealing round-trips and fails with another data key', () => {
    const key = randomKey()
    const sealed = sealAtRest(key, enc('hello'), enc('r1'))
    expect(new TextDecoder().decode(openAtRest(key, sealed, enc('r1')))).toBe('hello')
    expect(() => openAtRest(randomKey(), sealed, enc('r1'))).toThrow(EnvelopeError)
    expect(() => openAtRest(key, sealed, enc('r2'))).toThrow(EnvelopeError)
  })
})
