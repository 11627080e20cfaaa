/**
 * `quorate/sdk`: one application API over a Quorate node, any Ethereum JSON-RPC ledger, or a
 * Quorate chain embedded in the process. See docs/sdk.md.
 */
export { createLedgerClient, requireCapability, requireAccount, type LedgerClient, type LedgerClientOptions } from './client.js'
export type { Capabilities, Fabric, Feature, Finality } from './fabric.js'
export { quorate, type QuorateFabricOptions } from './fabrics/quorate.js'
export { evm, type EvmFabricOptions } from './fabrics/evm.js'
export { embedded, type EmbeddedFabricOptions } from './fabrics/embedded.js'
export { LedgerError, NotSupportedByFabric, isLedgerError, LEDGER_ERROR_CODES, type LedgerErrorCode } from './errors.js'
export { RevertedError, decodeRevert, QUORATE_ERROR_CODES, type QuorateErrorCode, type RevertDetails } from './translate.js'
export { createNonceManager, type NonceManager, type NonceManagerOptions } from './nonce-manager.js'
export { deployContract, type Artifact, type DeployContractParameters, type DeployedContract } from './actions/deployContract.js'
export { readContract, type ReadContractParameters } from './actions/readContract.js'
export { writeContract, type WriteContractParameters } from './actions/writeContract.js'
export { waitForFinal, type WaitForFinalParameters } from './actions/waitForFinal.js'
export { waitForBlock, BlockNotReachedError, type WaitForBlockParameters } from './actions/waitForBlock.js'
export { estimateGas, type EstimateGasParameters } from './actions/estimateGas.js'
export { readBatch, type ReadBatchParameters, type ReadBatchResults } from './actions/readBatch.js'
export { sendTransaction, type SendTransactionParameters } from './actions/sendTransaction.js'
export * from './streams/index.js'
export * from './consortium/index.js'
