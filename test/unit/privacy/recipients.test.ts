/** Who receives a record: member nodes whose party holds a grant for one of its purposes. */
import { describe, expect, it } from 'vitest'
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
})
