/** The structs that ConsortiumGovernance's views return, as viem decodes them. */
import type { Address, Hex } from '../types.js'

export interface PartyTuple {
  id: Hex
  name: string
  kind: number
  status: number
  admins: readonly Address[]
}
export interface PolicyTuple {
  thresholdPercent: number
  inclusive: boolean
  votingPeriod: bigint
  vetoParties: readonly Hex[]
}
export interface ProposalTuple {
  id: bigint
  kind: number
  state: number
  proposerParty: Hex
  createdAt: bigint
  deadline: bigint
  voters: number
  yes: number
  no: number
  thresholdPercent: number
  inclusive: boolean
  vetoParties: readonly Hex[]
  payload: Hex
  description: string
}
