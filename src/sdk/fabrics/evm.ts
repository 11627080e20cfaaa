/**
 * The `evm` fabric: any Ethereum JSON-RPC ledger (geth, Besu, GoQuorum, Anvil, Hardhat). Public
 * contracts only: private data and governance answer NotSupportedByFabric. Finality is either a
 * confirmation depth or the ledger's `finalized` block tag, as configured.
 */
import { createPublicClient, type Transport } from 'viem'
import { LedgerError } from '../errors.js'
import type { Capabilities, Fabric, Finality } from '../fabric.js'
import { toLedgerError } from '../translate.js'
import { once, urlTransport } from './transport.js'

export interface EvmFabricOptions {
  /** The ledger's JSON-RPC endpoint: http(s):// or ws(s)://. */
  url: string
  /**
   * When a transaction is final: after this many blocks on top of its block (0: at inclusion, right
   * for BFT ledgers such as Besu or GoQuorum with QBFT/IBFT), or `'finalized'` to follow the
   * ledger's finalized block tag (proof-of-stake Ethereum). Default `'finalized'`.
   */
  confirmations?: number | 'finalized'
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number
  /** Retries of a request that failed to reach the ledger (default 1). */
  retryCount?: number
}

export function evm(opts: EvmFabricOptions): Fabric {
  const confirmations = opts.confirmations ?? 'finalized'
  if (confirmations !== 'finalized' && (!Number.isInteger(confirmations) || confirmations < 0)) {
    throw new LedgerError('INVALID_INPUT', `confirmations: expected a non-negative integer or 'finalized', got ${String(confirmations)}`)
  }
  const finality: Finality = confirmations === 'finalized' ? { kind: 'finalized-tag' } : { kind: 'confirmations', depth: confirmations }
  const { transport, kind } = urlTransport(opts)
  return rpcFabric('evm', transport, async (chainId) => ({
    fabric: 'evm',
    chainId,
    finality,
    privateData: false,
    accessLog: false,
    governance: false,
    events: true,
    subscriptions: kind === 'ws',
  }))
}

/** A fabric over a viem transport whose capabilities follow from the chain id (and probes). */
export function rpcFabric(name: string, transport: Transport, describe: (chainId: number, probe: (method: string) => Promise<boolean>) => Promise<Capabilities>, onClose?: () => Promise<void>): Fabric {
  const client = createPublicClient({ transport })
  const fabric: Fabric = {
    name,
    transport,
    capabilities: once(async () => {
      try {
        const chainId = await client.getChainId()
        // A method the ledger has answers something other than "method not found" (even an error).
        const probe = async (method: string) => {
          try {
            await (client.request as unknown as (a: { method: string; params: unknown[] }) => Promise<unknown>)({ method, params: [] })
            return true
          } catch (err) {
            return fabric.toLedgerError(err).code !== 'NOT_SUPPORTED_BY_FABRIC'
          }
        }
        return await describe(chainId, probe)
      } catch (err) {
        throw fabric.toLedgerError(err)
      }
    }),
    toLedgerError: (err, context) => toLedgerError(err, { fabric: name, ...(context?.abi ? { abi: context.abi } : {}) }),
    close: async () => {
      await onClose?.()
    },
  }
  return fabric
}
