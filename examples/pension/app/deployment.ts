/**
 * What an application of the pension ecosystem needs to know to act for each party: the parties,
 * the URL of each party's own node, the accounts it signs with, the contracts' addresses and the
 * private data collection. The scenario writes it to `<data dir>/pension.json` once the ecosystem is
 * set up; the portal reads it. Development keys only (the devnet's, and the keys the example made).
 */
import { readFile, writeFile } from 'node:fs/promises'
import type { Address, Hex } from 'viem'

/** The parties by their governance ids; `pensionfund` is fund A, `fundb` the fund admitted by vote. */
export const PARTY_IDS = ['pensionfund', 'fundb', 'employer', 'insurer', 'regulator'] as const
export type PartyId = (typeof PARTY_IDS)[number]
export const FUND_IDS = ['pensionfund', 'fundb'] as const
export type FundId = (typeof FUND_IDS)[number]
/** The parties whose nodes hold the participants' personal data (the regulator is not one). */
export const MEMBER_IDS = ['pensionfund', 'fundb', 'employer', 'insurer'] as const satisfies readonly PartyId[]
export type MemberId = (typeof MEMBER_IDS)[number]

/** `quorate`: a Quorate consortium (everything); `evm`: any Ethereum JSON-RPC ledger such as Anvil (public parts only). */
export type FabricKind = 'quorate' | 'evm'

export interface PartyConfig {
  id: PartyId
  name: string
  /** The RPC URL of the party's own node (on `evm`, the one ledger). */
  rpcUrl: string
  /** The party's application account (transacts on the pension contracts). */
  accountKey: Hex
  /** The key of one of the party's governance admins (proposes and votes); none on `evm`. */
  adminKey?: Hex
}

export interface ContractAddresses {
  registry: Address
  contributions: Address
  statements: Address
  transfers: Address
}

/** A participant's own signing key, as the participant's device would hold it; no personal data. */
export interface ParticipantWalletEntry {
  id: Hex
  /** A label for the demo ("participant 3"); names are private data. */
  label: string
  key: Hex
}

export interface PensionDeployment {
  fabric: FabricKind
  chainId: number
  parties: Record<PartyId, PartyConfig>
  contracts: ContractAddresses
  /** The private data collection of the participants' personal data and statements. */
  collection: string
  /** The funds' shared secret that keys participant ids (so an id cannot be traced back to a person). */
  idSecret: Hex
  participants: ParticipantWalletEntry[]
}

export async function saveDeployment(file: string, deployment: PensionDeployment): Promise<void> {
  await writeFile(file, `${JSON.stringify(deployment, null, 2)}\n`, { mode: 0o600 })
}

export async function loadDeployment(file: string): Promise<PensionDeployment> {
  return JSON.parse(await readFile(file, 'utf8')) as PensionDeployment
}
