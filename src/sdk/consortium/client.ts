/**
 * What consortium actions need from a ledger client: what the fabric offers, raw JSON-RPC for the
 * `priv_*` and `gov_*` methods, and viem's public and wallet clients for the governance contract's
 * transactions. The SDK's LedgerClient has this shape; a test can build one from viem clients.
 *
 * Every error leaves as a LedgerError, mapped by the SDK's one mapper (src/sdk/translate.ts) with
 * the method named in its message. Quorate answers refusals with JSON-RPC -32003 whatever refused;
 * the stable code in the error's `data` says which: a `priv_*` refusal is NOT_A_MEMBER when the
 * caller's party is not a member, may not use that purpose or lacks the data subject's consent, and
 * NOT_PERMITTED for the controller-only erasure request and consent record and a consent for a grant
 * not based on consent; a governance refusal is NOT_PERMITTED; a governance view that reverted for an
 * unknown proposal, node or party is NOT_FOUND.
 */
import type { LocalAccount, PublicClient, WalletClient } from 'viem'
import { consortiumGovernanceAbi } from '../../governance/abi.js'
import { NotSupportedByFabric, type LedgerError } from '../errors.js'
import { toLedgerError } from '../translate.js'

/** The features consortium actions check before asking the ledger (the SDK core's Capabilities). */
export interface ConsortiumCapabilities {
  fabric: string
  privateData: boolean
  accessLog: boolean
  governance: boolean
}
export type ConsortiumFeature = 'privateData' | 'accessLog' | 'governance'

export interface ConsortiumClient {
  capabilities(): Promise<ConsortiumCapabilities>
  /** A raw JSON-RPC call; it may throw viem's errors or LedgerErrors. */
  request<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
  readonly public: Pick<PublicClient, 'simulateContract' | 'waitForTransactionReceipt'>
  readonly wallet: Pick<WalletClient, 'writeContract'>
  /** The signing account (a party admin's key, for proposals and votes). */
  readonly account: LocalAccount | undefined
}

/** JSON as it comes over the wire: bigints are hex quantities there. */
export type Wire<T> = T extends bigint ? `0x${string}` : T extends readonly (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T

/** Fails with NotSupportedByFabric when the fabric lacks `feature`; returns the fabric's name. */
export async function requireFeature(client: ConsortiumClient, feature: ConsortiumFeature, what: string): Promise<string> {
  const caps = await client.capabilities()
  if (!caps[feature]) throw new NotSupportedByFabric(caps.fabric, what)
  return caps.fabric
}

/** Calls a `priv_*` or `gov_*` method of a fabric that has `feature`, with Quorate's refusals mapped. */
export async function consortiumRequest<T>(client: ConsortiumClient, feature: ConsortiumFeature, method: string, params: readonly unknown[] = []): Promise<T> {
  const fabric = await requireFeature(client, feature, method)
  try {
    return await client.request<T>(method, params)
  } catch (err) {
    throw consortiumError(err, fabric, method)
  }
}

/** Governance custom errors a view reverts with that mean "no such thing". */
const NOT_FOUND_ERRORS = ['UnknownProposal', 'NodeNotActive', 'PartyNotCurrent'] as const

/** Anything a consortium method threw, as a LedgerError whose message starts with `method`. */
export function consortiumError(err: unknown, fabric: string, method: string): LedgerError {
  return toLedgerError(err, { fabric, method, abi: consortiumGovernanceAbi, notFoundErrors: NOT_FOUND_ERRORS })
}
