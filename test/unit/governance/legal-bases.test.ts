/**
 * Legal bases of collection grants: LEGAL_BASES (src/governance/decisions.ts) is the one list the
 * docs name; the governance contract accepts exactly those in a SetCollection vote, so a proposal
 * sent around the client checks (a raw payload) cannot record another basis either.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeAbiParameters, parseAbiParameters } from 'viem'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LEGAL_BASES } from '../../../src/governance/decisions.js'
import { partyIdToBytes32 } from '../../../src/governance/ids.js'
import type { Hex } from '../../../src/types.js'
import { Decision, GovernanceChain, keys, pid, policies, State } from './governance-vm.js'

const k = keys()
const ADMIN = k[0]!
let chain: GovernanceChain

/** A SetCollection payload built without encodeDecision's check, as any other client could. */
function rawSetCollection(basis: string): Hex {
  return encodeAbiParameters(parseAbiParameters('bytes32, bytes32, uint64, bytes32[], bytes32[], bytes32[], bytes32[]'), [
    pid('c'),
    pid('hospital'),
    3600n,
    [pid('hospital')],
    [pid('hospital')],
    [partyIdToBytes32('treatment')],
    [partyIdToBytes32(basis)],
  ])
}

beforeAll(async () => {
  chain = await GovernanceChain.create({
    minValidators: 1,
    parties: [{ id: pid('hospital'), name: 'Hospital', kind: 0, admins: [ADMIN.address] }],
    nodes: [{ nodeAddress: k[6]!.address, partyId: pid('hospital'), endpoint: '', validator: true, encryptionKey: `0x${'11'.repeat(32)}` }],
    accounts: [],
    policies: policies({ [Decision.SetCollection]: { thresholdPercent: 1, inclusive: true } }),
  })
})

describe('legal bases', () => {
  it('a SetCollection vote records every documented basis and is refused for any other', async () => {
    for (const basis of LEGAL_BASES) {
      const { id } = await chain.decide([ADMIN], Decision.SetCollection, rawSetCollection(basis))
      expect((await chain.proposal(id)).state, basis).toBe(State.Approved)
    }
    for (const basis of ['because', 'Consent', 'GDPR 6(1)(b) contract']) {
      expect(await chain.refusedProposal(ADMIN, Decision.SetCollection, rawSetCollection(basis))).toBe(
        `governance: legal basis "${basis}" is not one of the GDPR Art. 6(1) bases (NotALegalBasis)`,
      )
    }
  })

  it('docs/privacy.md names exactly LEGAL_BASES', async () => {
    const docs = await readFile(join(import.meta.dirname, '../../../docs/privacy.md'), 'utf8')
    const row = docs.split('\n').find((l) => l.startsWith('| `grants` |'))!
    expect([...row.matchAll(/basis: (.*)\)/g)][0]![1]!.split(', ').map((b) => b.replace(/`/g, ''))).toEqual([...LEGAL_BASES])
  })
})
