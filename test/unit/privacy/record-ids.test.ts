/**
 * On-chain ids of private records are keyed by the collection secret: a subject id made from a BSN
 * (10^9 values, one in eleven valid) is not reversed by walking the BSN space without the secret,
 * while the former unkeyed `keccak(collection, subject)` falls to the same walk.
 */
import { describe, expect, it } from 'vitest'
import { keccakHex } from '../../../src/crypto/keys.js'
import { collectionIds } from '../../../src/privacy/record.js'
import { bruteForceBsn, isBsn } from '../../helpers/bsn.js'

const BSN = '123456782'
const START = 123_456_782 - 550_000
const CANDIDATES = 100_000
const secret = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff)
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
/** The scheme before the collection secret: what a non-member could recompute. */
const unkeyed = (collection: string, subject: string) => keccakHex(enc([collection, subject]))

describe('keyed on-chain ids of private records', () => {
  it('the BSN under test passes the 11-check and lies in the searched range', () => {
    expect(isBsn(Number(BSN))).toBe(true)
    expect(isBsn(123_456_781)).toBe(false)
  })

  it('the former unkeyed subject id is brute-forced to its BSN (the attack works)', () => {
    const { found } = bruteForceBsn([unkeyed('benefits', BSN)], START, CANDIDATES, (b) => unkeyed('benefits', b))
    expect(found).toBe(BSN)
  })

  it('the keyed subject id is not found by the same walk without the secret', () => {
    const target = collectionIds('benefits', secret).subjectId(BSN)
    // What an outsider can compute: the unkeyed scheme, plain hashes of the BSN, the ids under a guessed (zero) secret.
    const guessedSecret = collectionIds('benefits', new Uint8Array(32))
    for (const hash of [(b: string) => unkeyed('benefits', b), (b: string) => keccakHex(enc(b)), (b: string) => guessedSecret.subjectId(b)]) {
      const { found, tried } = bruteForceBsn([target], START, CANDIDATES, hash)
      expect(found).toBeUndefined()
      expect(tried).toBe(CANDIDATES)
    }
  })

  it('a member holding the secret finds the same subject (the range holds it: the walk is real)', () => {
    const ids = collectionIds('benefits', secret)
    expect(bruteForceBsn([ids.subjectId(BSN)], START, CANDIDATES, (b) => ids.subjectId(b)).found).toBe(BSN)
  })

  it('ids differ per collection, per secret and per use; the purposes commitment is bound to the key', () => {
    const a = collectionIds('benefits', secret)
    const other = new Uint8Array(secret)
    other[0]! ^= 1
    expect(a.subjectId(BSN)).not.toBe(collectionIds('housing', secret).subjectId(BSN))
    expect(a.subjectId(BSN)).not.toBe(collectionIds('benefits', other).subjectId(BSN))
    expect(a.subjectId(BSN)).not.toBe(a.keyId(BSN))
    expect(a.purposesHash('k-1', ['disability-claim'])).not.toBe(a.purposesHash('k-2', ['disability-claim']))
    expect(a.subjectId(BSN)).toBe(collectionIds('benefits', new Uint8Array(secret)).subjectId(BSN))
  })
})
