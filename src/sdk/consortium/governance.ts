/**
 * Governance reads: the consortium as the latest block holds it. The result types are those the
 * node's gov_* methods build (src/rpc/gov.ts), as JSON carries them.
 */
import type { ChainParametersReport, GovernanceQueries, PROPOSAL_STATES } from '../../rpc/gov.js'
import { consortiumRequest, type ConsortiumClient, type Wire } from './client.js'

export type Party = Wire<Awaited<ReturnType<GovernanceQueries['parties']>>[number]>
export type ConsortiumNode = Wire<Awaited<ReturnType<GovernanceQueries['nodes']>>[number]>
export type Proposal = Wire<Awaited<ReturnType<GovernanceQueries['proposal']>>>
export type ProposalState = (typeof PROPOSAL_STATES)[number]
export type Policy = Wire<Awaited<ReturnType<GovernanceQueries['policies']>>[number]>
export type ChainParameters = ChainParametersReport

export function getParties(client: ConsortiumClient): Promise<Party[]> {
  return consortiumRequest(client, 'governance', 'gov_getParties')
}

export function getNodes(client: ConsortiumClient): Promise<ConsortiumNode[]> {
  return consortiumRequest(client, 'governance', 'gov_getNodes')
}

export function getProposals(client: ConsortiumClient, params: { state?: ProposalState } = {}): Promise<Proposal[]> {
  return consortiumRequest(client, 'governance', 'gov_getProposals', [params])
}

/** One proposal with its votes; NOT_FOUND when there is none with that id. */
export async function getProposal(client: ConsortiumClient, params: { id: number | bigint }): Promise<Proposal> {
  return consortiumRequest(client, 'governance', 'gov_getProposal', [`0x${BigInt(params.id).toString(16)}`])
}

export function getPolicies(client: ConsortiumClient): Promise<Policy[]> {
  return consortiumRequest(client, 'governance', 'gov_getPolicies')
}

/** The chain parameters in force, a scheduled change, and the protocols this node runs. */
export function getChainParameters(client: ConsortiumClient): Promise<ChainParameters> {
  return consortiumRequest(client, 'governance', 'gov_getChainParameters')
}
