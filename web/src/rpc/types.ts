/** The JSON-RPC shapes the dashboard reads, as a node answers them (quantities are hex strings). */

export type Hex = `0x${string}`
export type Address = `0x${string}`

export interface RpcTransaction {
  hash: Hex
  from: Address
  to: Address | null
  value: Hex
  nonce: Hex
  gas: Hex
  blockNumber: Hex | null
  transactionIndex: Hex | null
  input: Hex
}

export interface RpcBlock {
  number: Hex
  hash: Hex
  parentHash: Hex
  timestamp: Hex
  miner: Address
  gasUsed: Hex
  gasLimit: Hex
  size?: Hex
  transactions: RpcTransaction[]
}

/** A newHeads notification carries the header only. */
export interface RpcHead {
  number: Hex
  hash: Hex
  timestamp: Hex
  miner: Address
}

export interface RpcSignerMetric {
  address: Address
  proposedBlockCount: Hex
  lastProposedBlockNumber: Hex | null
  sealedBlockCount: Hex
  lastSealedBlockNumber: Hex | null
}

export interface RpcPeer {
  id: Address
  name: string
  network: { remoteAddress: string; inbound: boolean; url?: string }
  connectedAt: string
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
  invalidFrames: number
  score: number
}

export interface RpcNodeInfo {
  id: Address
  name: string
  listenAddr: string | null
  chainId: Hex
  genesis: Hex
  head: { number: Hex; hash: Hex }
  consensus: { height: Hex; round: number; roundChanges: number; isValidator: boolean; validators: Address[] } | null
  sync: { syncing: boolean; highestKnownBlock: Hex } | null
}

// ---- gov_* (shapes fixed by the governance RPC) ----

export type PartyKind = 'member' | 'regulator' | 'observer'
export type PartyStatus = 'active' | 'suspended' | 'removed'

export interface GovParty {
  id: string
  name: string
  kind: PartyKind
  status: PartyStatus
  admins: Address[]
}

export interface GovNode {
  address: Address
  party: string
  endpoint: string
  validator: boolean
  status: 'active' | 'removed'
  encryptionKey: string
}

export type Permission = 'transact' | 'deploy' | 'call'

export interface GovAccount {
  address: Address
  party: string
  permissions: Permission[]
}

export interface GovPolicy {
  decision: string
  thresholdPercent: number
  comparator: '>' | '>='
  votingPeriodSeconds: number
  vetoParties: string[]
}

export type ProposalState = 'open' | 'approved' | 'rejected' | 'expired' | 'failed'

export interface GovVote {
  party: string
  /** The admin account that cast the party's vote, where the node reports it. */
  voter?: Address
  support: boolean
}

export interface GovProposal {
  id: string | number
  decision: string
  description: string
  proposer: string
  createdAt: number
  deadline: number
  state: ProposalState
  yes: number
  no: number
  votingParties: number
  votes: GovVote[]
  args: Record<string, unknown>
  /** The policy the proposal is held to, where the node reports it (else the current policy of its decision applies). */
  thresholdPercent?: number
  comparator?: '>' | '>='
  vetoParties?: string[]
}
