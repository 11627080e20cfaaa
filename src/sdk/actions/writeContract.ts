/**
 * Calls a contract function in a transaction from the client's account and returns its hash once
 * the ledger accepted it (not yet final: see waitForFinal). A call that would revert fails here,
 * with the revert decoded against `abi`, and spends no nonce.
 */
import { type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hash } from 'viem'
import { encodeCall } from './encodeCall.js'
import type { LedgerClient } from '../client.js'
import { sendTransaction } from './sendTransaction.js'

export type WriteContractParameters<abi extends Abi | readonly unknown[] = Abi, functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'> = ContractFunctionName<abi, 'nonpayable' | 'payable'>> = {
  address: Address
  abi: abi
  functionName: functionName
  args?: ContractFunctionArgs<abi, 'nonpayable' | 'payable', functionName>
  value?: bigint
  /** Gas limit; default: the estimate plus 20 %. */
  gas?: bigint
  gasPrice?: bigint
}

export async function writeContract<const abi extends Abi | readonly unknown[], functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'>>(
  client: LedgerClient,
  p: WriteContractParameters<abi, functionName>,
): Promise<Hash> {
  const data = encodeCall(client, { abi: p.abi, functionName: p.functionName as string, args: p.args as readonly unknown[] | undefined })
  return sendTransaction(client, {
    to: p.address,
    data,
    abi: p.abi,
    ...(p.value !== undefined ? { value: p.value } : {}),
    ...(p.gas !== undefined ? { gas: p.gas } : {}),
    ...(p.gasPrice !== undefined ? { gasPrice: p.gasPrice } : {}),
  })
}
