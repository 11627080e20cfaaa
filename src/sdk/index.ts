/**
 * `quorate/sdk`: one application API over a Quorate node, any Ethereum JSON-RPC ledger, or a
 * Quorate chain embedded in the process. See docs/sdk.md.
 */
export { createLedgerClient, requireCapability, requireAccount, type LedgerClient, type LedgerClientOptions } from './client.js'
export type { Capabilities, Fabric, Feature, Finality } from './fabric.js'
export { LedgerError, NotSupportedByFabric, isLedgerError, LEDGER_ERROR_CODES, type LedgerErrorCode } from './errors.js'
export { createNonceManager, type NonceManager, type NonceManagerOptions } from './nonce-manager.js'
