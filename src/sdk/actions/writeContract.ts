/**
 * Calls a contract function in a transaction from the client's account and returns its hash once
 * the ledger accepted it (not yet final: see waitForFinal). A call that would revert fails here,
 * with the revert decoded against `abi`, and spends no nonce.
 */
import { encodeFunctionData, type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hash, type Hex } from 'viem'
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
  let data: Hex
  try {
    data = encodeFunctionData({ abi: p.abi as Abi, functionName: p.functionName as string, args: (p.args ?? []) as readonly unknown[] })
  } catch (err) {
    throw client.fabric.toLedgerError(err)
  }
  return sendTransaction(client, {
    to: p.address,
    data,
    abi: p.abi,
    ...(p.value !== undefined ? { value: p.value } : {}),
    ...(p.gas !== undefined ? { gas: p.gas } : {}),
    ...(p.gasPrice !== undefined ? { gasPrice: p.gasPrice } : {}),
  })
}
