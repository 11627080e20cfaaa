/** A ConsortiumClient over plain viem clients (what the SDK's LedgerClient provides), for the consortium action tests. */
import { createPublicClient, createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { ConsortiumCapabilities, ConsortiumClient } from '../../src/sdk/consortium/index.js'
import type { Hex } from '../../src/types.js'

export const QUORATE: ConsortiumCapabilities = { fabric: 'quorate', privateData: true, accessLog: true, governance: true }

export function clientOf(url: string, key: Hex | undefined, caps: ConsortiumCapabilities = QUORATE): ConsortiumClient {
  const transport = http(url)
  const pub = createPublicClient({ transport, pollingInterval: 100 })
  const account = key ? privateKeyToAccount(key) : undefined
  const wallet = createWalletClient({ transport, ...(account ? { account } : {}) })
  const request = pub.request as unknown as (args: { method: string; params: readonly unknown[] }) => Promise<unknown>
  return {
    capabilities: async () => caps,
    request: <T,>(method: string, params: readonly unknown[] = []) => request({ method, params }) as Promise<T>,
    public: pub,
    wallet,
    account,
  }
}
