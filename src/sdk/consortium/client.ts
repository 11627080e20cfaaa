/**
 * What consortium actions need from a ledger client: what the fabric offers, raw JSON-RPC for the
 * `priv_*` and `gov_*` methods, and viem's public and wallet clients for the governance contract's
 * transactions. The SDK's LedgerClient has this shape; a test can build one from viem clients.
 *
 * Every error leaves as a LedgerError. Quorate answers refusals with JSON-RPC -32003 (transaction
 * rejected) whatever refused: here the method's namespace says which. A `priv_*` refusal means the
 * caller's party is not a member of the collection or may not use that purpose, or the data
 * subject's consent for it is missing (NOT_A_MEMBER), except the controller-only erasure request and
 * consent record and a consent for a grant not based on consent (NOT_PERMITTED); a governance
 * refusal is NOT_PERMITTED.
 */
import { BaseError, RpcRequestError, type LocalAccount, type PublicClient, type WalletClient } from 'viem'
import { LedgerError, NotSupportedByFabric, type LedgerErrorCode } from '../errors.js'

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

/** Quorate's JSON-RPC error numbers (src/rpc/errors.ts) → LedgerError codes, by namespace for -32003. */
export function consortiumError(err: unknown, fabric: string, method: string): LedgerError {
  const rpc = rpcErrorOf(err)
  if (!rpc) {
    if (err instanceof LedgerError) return err
    return new LedgerError('UNREACHABLE', `${method}: ${err instanceof BaseError ? err.shortMessage : String(err)}`, { cause: err })
  }
  if (rpc.code === -32601 || rpc.code === -32004) return Object.assign(new NotSupportedByFabric(fabric, method), { cause: err })
  const code = codeOf(rpc.code, rpc.message, method)
  return new LedgerError(code, `${method}: ${rpc.message}`, { cause: err })
}

function codeOf(rpcCode: number, message: string, method: string): LedgerErrorCode {
  switch (rpcCode) {
    case -32003:
      // Not the controller (erasure, consent), or no consent-based grant to record consent for: not permitted.
      if (method.startsWith('priv_')) return /only the controlling party|no grant with basis "consent"/.test(message) ? 'NOT_PERMITTED' : 'NOT_A_MEMBER'
      return 'NOT_PERMITTED'
    case -32001:
      return 'NOT_FOUND'
    case 3:
      // A governance view reverted; the message ends in the custom error's name, e.g. "(UnknownProposal)".
      return /\((UnknownProposal|NodeNotActive|PartyNotCurrent)\)/.test(message) ? 'NOT_FOUND' : 'REVERTED'
    case -40100:
      return 'NOT_PERMITTED'
    case -32000:
    case -32602:
    case -32600:
      return 'INVALID_INPUT'
    default:
      return 'UNREACHABLE'
  }
}

/** The JSON-RPC error (number and message) inside a viem error, or kept as the cause of a LedgerError. */
function rpcErrorOf(err: unknown): { code: number; message: string } | undefined {
  let e: unknown = err
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (e instanceof RpcRequestError) return { code: e.code, message: e.details }
    if (e instanceof BaseError) {
      const inner = e.walk((x) => x instanceof RpcRequestError)
      if (inner instanceof RpcRequestError) return { code: inner.code, message: inner.details }
    }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}
