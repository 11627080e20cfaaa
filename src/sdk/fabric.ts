/**
 * What a fabric is to the SDK: a ledger reached through one viem transport, what that ledger
 * offers (capabilities), and how its errors become LedgerErrors. Actions never look at which
 * fabric they run on; they ask `capabilities()` (or `requireCapability`) and use the transport.
 * A fabric owns its connection (and, for `embedded`, its in-process chain) and frees it on close.
 */
import type { Abi, Transport } from 'viem'
import type { LedgerError } from './errors.js'

/** How a transaction becomes final on this ledger. */
export type Finality =
  /** Final when included (QBFT: a block is final when committed; no reorgs). */
  | { kind: 'instant' }
  /** Final after `depth` blocks on top of the block that included it (depth 0: at inclusion). */
  | { kind: 'confirmations'; depth: number }
  /** Final once the ledger's `finalized` block tag has reached the block that included it. */
  | { kind: 'finalized-tag' }

/** What a fabric offers, known before anything is tried. */
export interface Capabilities {
  /** The fabric's name: `quorate`, `evm` or `embedded`. */
  fabric: string
  chainId: number
  finality: Finality
  /** Private data collections (`priv_*`: put/get/erase with a purpose). */
  privateData: boolean
  /** The access log of a data subject (`priv_accessLog`). */
  accessLog: boolean
  /** On-chain governance (`gov_*`: parties, nodes, proposals, votes). */
  governance: boolean
  /** Contract event logs (`eth_getLogs`), the basis of event streams. */
  events: boolean
  /** Push subscriptions (`eth_subscribe`, needs a WebSocket or in-process transport). */
  subscriptions: boolean
}

/** A boolean feature a fabric may lack. */
export type Feature = { [K in keyof Capabilities]: Capabilities[K] extends boolean ? K : never }[keyof Capabilities]

export interface Fabric {
  /** `quorate`, `evm` or `embedded`: named in NotSupportedByFabric errors. */
  readonly name: string
  /** The viem transport every action goes through (HTTP, WebSocket or in-process). */
  readonly transport: Transport
  /** What the ledger offers; asks the ledger once (chain id) and caches it. */
  capabilities(): Promise<Capabilities>
  /**
   * Maps anything the ledger or viem threw to a LedgerError; a LedgerError is returned as is.
   * `abi` decodes a revert's custom error.
   */
  toLedgerError(err: unknown, context?: { abi?: Abi | readonly unknown[] }): LedgerError
  /** Frees the connection (and stops an embedded chain). Safe to call twice. */
  close(): Promise<void>
}
