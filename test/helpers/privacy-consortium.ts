/**
 * The governed consortium the private-data tests run on: one validator node per party, each party
 * a member with one admin, code approval on, and a SetCollection policy where one party's yes
 * creates a collection (enough to test; a real consortium votes).
 */
import { GovernanceClient } from '../../src/governance/client.js'
import type { Consortium } from '../../src/governance/consortium.js'
import type { DecisionArgs } from '../../src/governance/decisions.js'
import type { NetworkNode } from '../../src/node/init.js'
import type { Address, Hex } from '../../src/types.js'
import type { TestNetwork } from './network.js'
import { waitFor } from './node-process.js'

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

/** Creates a collection by a SetCollection vote (one yes suffices here) and waits until every node serves it. */
export async function voteCollection(net: TestNetwork, adminKey: Hex, collection: Omit<Extract<DecisionArgs, { decision: 'SetCollection' }>, 'decision'>): Promise<void> {
  const gov = await GovernanceClient.connect(net.url(0), adminKey)
  const { id } = await gov.propose({ decision: 'SetCollection', ...collection }, `${collection.id} collection`)
  await gov.vote(id, true)
  await waitFor('the collection on every node', async () => {
    for (let i = 0; i < net.nodes.length; i++) {
      const res = await fetch(net.url(i), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'priv_getCollections', params: [] }) })
      const { result } = (await res.json()) as { result?: { id: string }[] }
      if (!result?.some((c) => c.id === collection.id)) return false
    }
    return true
  })
}
