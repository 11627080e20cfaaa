/**
 * The structs that ConsortiumGovernance's views return, as viem decodes them: inferred from the
 * generated `as const` ABI (abi.ts), so they follow the contract without being written twice.
 */
import type { ContractFunctionName, ContractFunctionReturnType } from 'viem'
import type { governanceAbi } from './abi.js'

type Returns<F extends ContractFunctionName<typeof governanceAbi, 'view'>> = ContractFunctionReturnType<typeof governanceAbi, 'view', F>

export type PartyTuple = Returns<'getParty'>
export type PolicyTuple = Returns<'getPolicy'>
export type ProposalTuple = Returns<'getProposal'>
