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

// ---- gov_* (the shapes the node's gov_* methods answer) ----

export type PartyKind = 'member' | 'regulator' | 'observer'
/** "none" is what the contract reports for an unknown party; it should not appear in a list. */
export type PartyStatus = 'active' | 'suspended' | 'removed' | 'none'

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
  /** wss://host:port, or empty for a node that only dials out. */
  endpoint: string
  validator: boolean
  status: 'active' | 'removed' | 'unknown'
  encryptionKey: Hex
}

export type Permission = 'transact' | 'deploy' | 'call'

export interface GovAccount {
  address: Address
  party: string
  /** As granted to the account. */
  permissions: Permission[]
  /** As they apply now (none while the account's party is suspended). */
  effectivePermissions?: Permission[]
}

export type Comparator = '>' | '>='

export interface GovPolicy {
  decision: string
  thresholdPercent: number
  comparator: Comparator
  votingPeriodSeconds: number
  vetoParties: string[]
}

export type ProposalState = 'open' | 'approved' | 'rejected' | 'expired' | 'failed'

/** One vote per party: the chain records the party's vote, not which of its admins cast it. */
export interface GovVote {
  party: string
  support: boolean
}

export interface GovProposal {
  id: number
  decision: string
  description: string
  /** Party id of the proposer. */
  proposer: string
  /** Unix seconds (block timestamps). */
  createdAt: number
  deadline: number
  state: ProposalState
  yes: number
  no: number
  /** Parties that could vote when the proposal was made. */
  votingParties: number
  /** The rule the proposal is decided by: its decision's policy when it was made. */
  thresholdPercent: number
  comparator: Comparator
  vetoParties: string[]
  votes: GovVote[]
  /** The decoded decision: { decision, ...its arguments }. */
  args: Record<string, unknown>
}

// ---- ops_* (the node's fleet view, history and alerts): the node's own types, plain JSON ----

export type { FleetNode, FleetNodeState, FleetReport, QuorumReport, QuorumState, SealingState as FleetSealing } from '../../../src/ops/fleet.js'
export type { HistorySample } from '../../../src/ops/history.js'
export type { ActiveAlert, AlertsAnswer } from '../../../src/ops/alerts.js'

export interface RpcLog {
  address: Address
  topics: Hex[]
  data: Hex
  blockNumber: Hex
  transactionHash: Hex
  logIndex: Hex
}

export interface RpcReceipt {
  status: Hex
  gasUsed: Hex
  contractAddress: Address | null
  logs: RpcLog[]
}
