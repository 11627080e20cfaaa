/** Figures computed from what the stores hold: block time, finality latency, names of addresses. */
import { hexToNumber } from '../format.js'
import type { GovernanceState } from './governance.js'
import type { Arrival } from './store.js'
import type { Address, GovNode, GovParty, RpcBlock } from '../rpc/types.js'

/** Mean seconds between blocks over the recent blocks (header timestamps, 1 s resolution). */
export function averageBlockTime(all: readonly RpcBlock[]): { seconds: number; over: number } | undefined {
  // The genesis timestamp is set by hand (often 0): it says nothing about block production.
  const blocks = all.filter((b) => (hexToNumber(b.number) ?? 0) > 0)
  if (blocks.length < 2) return undefined
  const newest = blocks[0]!
  const oldest = blocks[blocks.length - 1]!
  const blocksBetween = (hexToNumber(newest.number) ?? 0) - (hexToNumber(oldest.number) ?? 0)
  if (blocksBetween <= 0) return undefined
  const seconds = ((hexToNumber(newest.timestamp) ?? 0) - (hexToNumber(oldest.timestamp) ?? 0)) / blocksBetween
  return { seconds, over: blocksBetween }
}

/**
 * Mean time from a block's timestamp to its arrival here as a final block (QBFT blocks are final
 * when committed). Header timestamps are whole seconds, so each sample reads up to 1 s high.
 */
export function finalityLatency(arrivals: readonly Arrival[]): { seconds: number; over: number } | undefined {
  if (arrivals.length === 0) return undefined
  const total = arrivals.reduce((sum, a) => sum + Math.max(0, a.receivedAt / 1000 - a.timestamp), 0)
  return { seconds: total / arrivals.length, over: arrivals.length }
}

export interface AddressLabel {
  party?: GovParty
  node?: GovNode
}

/** Who an address belongs to, from governance (node keys, party admins and accounts); empty without it. */
export function addressBook(gov: GovernanceState): (address: string) => AddressLabel {
  const data = gov.status === 'ready' || gov.status === 'error' ? gov.data : undefined
  if (!data) return () => ({})
  const parties = new Map(data.parties.map((p) => [p.id, p]))
  const nodes = new Map<string, GovNode>(data.nodes.map((n) => [n.address.toLowerCase(), n]))
  // Admins and registered accounts, by address: both act for their party.
  const byAccount = new Map<string, GovParty>()
  for (const p of data.parties) for (const a of p.admins) byAccount.set(a.toLowerCase(), p)
  for (const a of data.accounts) {
    const party = parties.get(a.party)
    if (party && !byAccount.has(a.address.toLowerCase())) byAccount.set(a.address.toLowerCase(), party)
  }
  return (address: string) => {
    const node = nodes.get(address.toLowerCase())
    if (node) {
      const party = parties.get(node.party)
      return party ? { node, party } : { node }
    }
    const party = byAccount.get(address.toLowerCase())
    return party ? { party } : {}
  }
}

export function sameAddress(a: Address | string | undefined, b: Address | string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase()
}
