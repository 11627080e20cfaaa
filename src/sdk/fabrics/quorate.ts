/**
 * The `quorate` fabric: a Quorate node over HTTP or WebSocket. Blocks are final when committed
 * (QBFT), so a transaction is final at inclusion. Private data and governance are there when the
 * node's chain is a consortium (governed genesis); `capabilities()` asks the node.
 */
import type { Fabric } from '../fabric.js'
import { rpcFabric } from './evm.js'
import { urlTransport } from './transport.js'

export interface QuorateFabricOptions {
  /** The node's JSON-RPC endpoint: http(s):// or ws(s)://. */
  url: string
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number
  /** Retries of a request that failed to reach the node (default 1). */
  retryCount?: number
}

export function quorate(opts: QuorateFabricOptions): Fabric {
  const { transport, kind } = urlTransport(opts)
  return rpcFabric('quorate', transport, async (chainId, probe) => {
    const [governance, privateData] = await Promise.all([probe('gov_getChainParameters'), probe('priv_getEncryptionKey')])
    return { fabric: 'quorate', chainId, finality: { kind: 'instant' }, privateData, accessLog: privateData, governance, events: true, subscriptions: kind === 'ws' }
  })
}
