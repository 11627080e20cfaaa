/**
 * The ledger client: one viem public client and one wallet client over the fabric's transport,
 * the application's account, and a per-account nonce manager so that parallel writes from one
 * account do not collide. It holds no fabric-specific logic: that lives behind `Fabric`.
 */
import { createPublicClient, createWalletClient, type Account, type Hex, type LocalAccount, type PublicClient, type WalletClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { LedgerError, NotSupportedByFabric } from './errors.js'
import type { Capabilities, Fabric, Feature } from './fabric.js'
import { createNonceManager, type NonceManager } from './nonce-manager.js'
import { createCallLimiter, type CallLimiter } from './limiter.js'
import { createReceiptWatcher, type ReceiptWatcher } from './receipts.js'

export interface LedgerClientOptions {
  fabric: Fabric
  /** The account that signs: a 32-byte private key as hex, or a viem local account. Reads need none. */
  account?: Hex | LocalAccount
  /** Polling interval for receipts and blocks, in ms (default 250). */
  pollingInterval?: number
  /** Calls (eth_call, eth_estimateGas) in flight at once, at most (default 16). */
  maxConcurrentCalls?: number
}

export interface LedgerClient {
  readonly fabric: Fabric
  /** The signing account; undefined for a read-only client. */
  readonly account: LocalAccount | undefined
  /** viem's public client over the fabric (reads, receipts, logs). */
  readonly public: PublicClient
  /** viem's wallet client over the fabric, signing locally with `account`. */
  readonly wallet: WalletClient
  readonly nonces: NonceManager
  /** Follows the head for the transactions being waited for (one loop per client). */
  readonly receipts: ReceiptWatcher
  /** Bounds the calls in flight and retries those the ledger refused as over its limit. */
  readonly calls: CallLimiter
  /** How often the client polls the ledger, in ms. */
  readonly pollingInterval: number
  /** What the fabric offers (cached after the first call). */
  capabilities(): Promise<Capabilities>
  /**
   * A raw JSON-RPC call through the fabric (for `priv_*`, `gov_*` and other ledger-specific
   * methods); errors come back as LedgerErrors.
   */
  request<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
  /** Closes the fabric (and stops an embedded chain). */
  close(): Promise<void>
}

export function createLedgerClient(opts: LedgerClientOptions): LedgerClient {
  const { fabric } = opts
  const account = toAccount(opts.account)
  const pollingInterval = opts.pollingInterval ?? 250
  const publicClient = createPublicClient({ transport: fabric.transport, pollingInterval, batch: { multicall: false } })
  const walletClient = createWalletClient({ transport: fabric.transport, pollingInterval, ...(account ? { account } : {}) })
  const nonces = createNonceManager({
    fetchNonce: (address) => publicClient.getTransactionCount({ address, blockTag: 'pending' }),
    isNonceError: (err) => fabric.toLedgerError(err).code === 'NONCE',
  })
  const receipts = createReceiptWatcher(publicClient, pollingInterval)
  const client: LedgerClient = {
    fabric,
    account,
    public: publicClient,
    wallet: walletClient,
    nonces,
    receipts,
    calls: createCallLimiter(opts.maxConcurrentCalls ?? 16),
    pollingInterval,
    capabilities: () => fabric.capabilities(),
    async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      try {
        const request = publicClient.request as unknown as (args: { method: string; params: readonly unknown[] }) => Promise<T>
        return await request({ method, params })
      } catch (err) {
        throw fabric.toLedgerError(err)
      }
    },
    close: async () => {
      receipts.stop()
      await fabric.close()
    },
  }
  return client
}

/** Throws NotSupportedByFabric unless the client's fabric offers `feature`. */
export async function requireCapability(client: Pick<LedgerClient, 'fabric' | 'capabilities'>, feature: Feature): Promise<Capabilities> {
  const caps = await client.capabilities()
  if (caps[feature] !== true) throw new NotSupportedByFabric(client.fabric.name, feature)
  return caps
}

/** The client's account, or INVALID_INPUT for a write attempted on a read-only client. */
export function requireAccount(client: Pick<LedgerClient, 'account'>): LocalAccount {
  if (!client.account) throw new LedgerError('INVALID_INPUT', 'this action signs a transaction: create the client with an account')
  return client.account
}

function toAccount(account: Hex | LocalAccount | undefined): LocalAccount | undefined {
  if (account === undefined) return undefined
  if (typeof account !== 'string') return account
  if (!/^0x[0-9a-fA-F]{64}$/.test(account)) throw new LedgerError('INVALID_INPUT', 'account: expected a 32-byte private key as 0x-prefixed hex, or a viem local account')
  try {
    return privateKeyToAccount(account)
  } catch (err) {
    throw new LedgerError('INVALID_INPUT', 'account: not a valid secp256k1 private key', { cause: err })
  }
}

export type { Account }
