/** Who receives a record: member nodes whose party holds a grant for one of its purposes. */
import { describe, expect, it } from 'vitest'
import { basisFor, consentedSet, consentKey } from '../../../src/privacy/consent.js'
import { mayHold, recipients } from '../../../src/privacy/delivery.js'
import type { Address } from '../../../src/types.js'

const patients = {
  id: 'patients',
  members: ['hospital', 'insurer', 'lab'],
  grants: [
    { party: 'hospital', purpose: 'treatment' },
    { party: 'insurer', purpose: 'billing' },
    { party: 'lab', purpose: 'treatment' },
    // A grant left to a party that is no longer a member gives it nothing.
    { party: 'outsider', purpose: 'billing' },
  ],
}
const node = (n: number, party: string) => ({ address: `0x${String(n).padStart(40, '0')}` as Address, party })
const [insurer, lab, outsider] = [node(2, 'insurer'), node(3, 'lab'), node(4, 'outsider')]

describe('delivery minimisation', () => {
  it('a member may hold a record only if its party holds a grant for one of the record\'s purposes', () => {
    expect(mayHold(patients, 'insurer', ['billing', 'treatment'])).toBe(true)
    expect(mayHold(patients, 'insurer', ['treatment'])).toBe(false)
    expect(mayHold(patients, 'outsider', ['billing'])).toBe(false)
    expect(mayHold(patients, 'lab', [])).toBe(false)
  })

  it('splits the member nodes into recipients and nodes withheld by rule, with the reason', () => {
    const { send, withheld } = recipients(patients, ['treatment'], [insurer, lab, outsider])
    expect(send).toEqual([lab])
    expect(withheld).toEqual([
      { node: insurer.address, party: 'insurer', reason: 'party "insurer" holds no grant for "treatment" in collection "patients"' },
      { node: outsider.address, party: 'outsider', reason: 'party "outsider" holds no grant for "treatment" in collection "patients"' },
    ])
    expect(recipients(patients, ['billing', 'treatment'], [insurer, lab]).send).toEqual([insurer, lab])
  })

  const pensions = {
    id: 'pensions',
    members: ['fund', 'adviser', 'insurer'],
    grants: [
      { party: 'fund', purpose: 'administration', basis: 'contract' },
      { party: 'adviser', purpose: 'retirement-advice', basis: 'consent' },
      // The insurer may use "risk" on consent and, separately, on a contract: the contract suffices.
      { party: 'insurer', purpose: 'risk', basis: 'consent' },
      { party: 'insurer', purpose: 'risk', basis: 'contract' },
    ],
  }
  const adviser = node(5, 'adviser')

  it('a consent-based grant lets a party hold a record only while the subject consents', () => {
    expect(mayHold(pensions, 'adviser', ['retirement-advice', 'administration'])).toBe(false)
    expect(mayHold(pensions, 'adviser', ['retirement-advice'], new Set([consentKey('adviser', 'retirement-advice')]))).toBe(true)
    // Consent to another party or purpose is not consent to this one.
    expect(mayHold(pensions, 'adviser', ['retirement-advice'], new Set([consentKey('insurer', 'retirement-advice'), consentKey('adviser', 'administration')]))).toBe(false)
    expect(mayHold(pensions, 'insurer', ['risk'])).toBe(true)
    const withdrawn = consentedSet([{ party: 'adviser', purpose: 'retirement-advice', granted: false, changedAt: 1_700_000_000 }])
    expect(mayHold(pensions, 'adviser', ['retirement-advice'], withdrawn)).toBe(false)
  })

  it('a node withheld for want of consent says so', () => {
    const { send, withheld } = recipients(pensions, ['retirement-advice'], [adviser])
    expect(send).toEqual([])
    expect(withheld).toEqual([{ node: adviser.address, party: 'adviser', reason: 'party "adviser" holds only consent-based grants for "retirement-advice" in collection "pensions" and the subject has not consented' }])
    expect(recipients(pensions, ['retirement-advice'], [adviser], new Set([consentKey('adviser', 'retirement-advice')])).send).toEqual([adviser])
  })

  it('the legal basis of a read: none, consent only, or another basis that needs no consent', () => {
    expect(basisFor(pensions.grants, 'adviser', 'administration')).toEqual({ kind: 'none' })
    expect(basisFor(pensions.grants, 'adviser', 'retirement-advice')).toEqual({ kind: 'consent' })
    expect(basisFor(pensions.grants, 'insurer', 'risk')).toEqual({ kind: 'other', basis: 'contract' })
  })
})
