/** Gas a contract call (or any transaction) would use; a revert is a decoded REVERTED error. */
import { type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hex } from 'viem'
import { encodeCall } from './encodeCall.js'
import type { LedgerClient } from '../client.js'

export type EstimateGasParameters<abi extends Abi | readonly unknown[] = Abi, functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'> = ContractFunctionName<abi, 'nonpayable' | 'payable'>> = {
  address: Address
  abi: abi
  functionName: functionName
  args?: ContractFunctionArgs<abi, 'nonpayable' | 'payable', functionName>
  value?: bigint
  /** Default: the client's account. */
  from?: Address
}

export async function estimateGas<const abi extends Abi | readonly unknown[], functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'>>(
  client: LedgerClient,
  p: EstimateGasParameters<abi, functionName>,
): Promise<bigint> {
  const data = encodeCall(client, { abi: p.abi, functionName: p.functionName as string, args: p.args as readonly unknown[] | undefined })
  const from = p.from ?? client.account?.address
  return estimateGasRaw(client, { to: p.address, data, abi: p.abi, ...(p.value !== undefined ? { value: p.value } : {}), ...(from ? { from } : {}) })
}

/** eth_estimateGas for raw calldata (deployments included). */
export async function estimateGasRaw(client: LedgerClient, p: { from?: Address; to?: Address; data?: Hex; value?: bigint; abi?: Abi | readonly unknown[] }): Promise<bigint> {
  try {
    const request = client.public.request as unknown as (a: { method: 'eth_estimateGas'; params: [Record<string, string>] }) => Promise<Hex>
    const tx: Record<string, string> = {}
    if (p.from) tx.from = p.from
    if (p.to) tx.to = p.to
    if (p.data) tx.data = p.data
    if (p.value !== undefined) tx.value = `0x${p.value.toString(16)}`
    return BigInt(await client.calls.shared(`eth_estimateGas:${JSON.stringify(tx)}`, () => request({ method: 'eth_estimateGas', params: [tx] })))
  } catch (err) {
    throw client.fabric.toLedgerError(err, p.abi ? { abi: p.abi } : {})
  }
}
