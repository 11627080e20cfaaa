/**
 * Sends one transaction from the client's account: estimates gas first (so a revert is reported,
 * decoded, before a nonce is spent), then signs and submits under the account's nonce manager.
 * Legacy (EIP-155) transactions priced at `eth_gasPrice`: every fabric accepts them.
 */
import type { Abi, Address, Hash, Hex } from 'viem'
import { requireAccount, type LedgerClient } from '../client.js'
import { isLedgerError } from '../errors.js'
import { estimateGasRaw } from './estimateGas.js'

export interface SendTransactionParameters {
  /** Omit to deploy a contract (`data` is then its creation code). */
  to?: Address
  data?: Hex
  value?: bigint
  /** Gas limit; default: the ledger's estimate plus 20 %. */
  gas?: bigint
  /** Gas price in wei; default: the ledger's `eth_gasPrice`. */
  gasPrice?: bigint
  /** ABI used to decode a revert (custom errors). */
  abi?: Abi | readonly unknown[]
}

export async function sendTransaction(client: LedgerClient, p: SendTransactionParameters): Promise<Hash> {
  const account = requireAccount(client)
  const { chainId } = await client.capabilities()
  try {
    const [gas, gasPrice] = await Promise.all([
      p.gas ?? estimateGasRaw(client, { ...p, from: account.address }).then((g) => (g * 12n) / 10n),
      p.gasPrice ?? client.calls.shared('eth_gasPrice', () => client.public.getGasPrice()),
    ])
    return await client.nonces.send(account.address, async (nonce) => {
      const signed = await account.signTransaction({
        type: 'legacy',
        chainId,
        nonce,
        gas,
        gasPrice,
        ...(p.to ? { to: p.to } : {}),
        ...(p.data ? { data: p.data } : {}),
        ...(p.value !== undefined ? { value: p.value } : {}),
      })
      try {
        return await client.public.sendRawTransaction({ serializedTransaction: signed })
      } catch (err) {
        throw client.fabric.toLedgerError(err)
      }
    })
  } catch (err) {
    if (isLedgerError(err)) throw err
    throw client.fabric.toLedgerError(err)
  }
}
