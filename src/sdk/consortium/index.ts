/** Consortium features where the fabric has them: private data, access logs, governance (see docs/sdk-consortium.md). */
export { consortiumError, requireFeature, type ConsortiumCapabilities, type ConsortiumClient, type ConsortiumFeature, type Wire } from './client.js'
export { erasePrivateData, getErasureStatus, getPrivateCollections, getPrivateData, putPrivateData } from './privateData.js'
export type { ErasePrivateDataParameters, ErasureStatus, GetPrivateDataParameters, PrivateCollection, PrivateRecord, PutPrivateDataParameters, PutPrivateDataResult } from './privateData.js'
export { exportAccessLog, verifyAccessLog, type AccessLogExport } from './accessLog.js'
export { getChainParameters, getNodes, getParties, getPolicies, getProposal, getProposals } from './governance.js'
export type { ChainParameters, ConsortiumNode, Party, Policy, Proposal, ProposalState } from './governance.js'
export { propose, vote, type GovernanceTxResult, type ProposeParameters } from './governanceWrite.js'
export type { DecisionArgs } from '../../governance/decisions.js'
