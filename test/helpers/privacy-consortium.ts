/**
 * The governed consortium the private-data tests run on: one validator node per party, each party
 * a member with one admin, code approval on, and a SetCollection policy where one party's yes
 * creates a collection (enough to test; a real consortium votes).
 */
import type { Consortium } from '../../src/governance/consortium.js'
import type { NetworkNode } from '../../src/node/init.js'
import type { Address } from '../../src/types.js'

export function privacyConsortium(name: string, parties: readonly string[], admins: readonly Address[], nodes: NetworkNode[]): Consortium {
  return {
    name,
    chainId: 1337,
    blockPeriodMs: 500,
    emptyBlockPeriodMs: 1000,
    gasLimit: 50_000_000n,
    minValidators: 1,
    requireCodeApproval: true,
    parties: parties.map((id, i) => ({ id, name: id, kind: 'member' as const, admins: [admins[i]!], accounts: [], nodes: [{ address: nodes[i]!.address, endpoint: '', validator: true }] })),
    defaultPolicy: { threshold: 50, comparator: '>', votingPeriod: 3600, veto: [] },
    policies: { SetCollection: { threshold: 1, comparator: '>=', votingPeriod: 3600, veto: [] } },
    alloc: {},
  }
}
