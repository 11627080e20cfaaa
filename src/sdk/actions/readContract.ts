/** Calls a view function (eth_call at the latest block); the result is typed from the `as const` ABI. */
import type { Abi, Address, BlockTag, ContractFunctionArgs, ContractFunctionName, ContractFunctionReturnType, ReadContractParameters as ViemReadContractParameters } from 'viem'
import type { LedgerClient } from '../client.js'

export type ReadContractParameters<abi extends Abi | readonly unknown[] = Abi, functionName extends ContractFunctionName<abi, 'pure' | 'view'> = ContractFunctionName<abi, 'pure' | 'view'>> = {
  address: Address
  abi: abi
  functionName: functionName
  args?: ContractFunctionArgs<abi, 'pure' | 'view', functionName>
  /** Default `latest` (final on Quorate). */
  blockTag?: BlockTag
  blockNumber?: bigint
}

export async function readContract<
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, 'pure' | 'view'>,
  const args extends ContractFunctionArgs<abi, 'pure' | 'view', functionName>,
>(client: LedgerClient, p: ReadContractParameters<abi, functionName> & { args?: args }): Promise<ContractFunctionReturnType<abi, 'pure' | 'view', functionName, args>> {
  try {
    return (await client.calls.run(() => client.public.readContract(p as unknown as ViemReadContractParameters))) as ContractFunctionReturnType<abi, 'pure' | 'view', functionName, args>
  } catch (err) {
    throw client.fabric.toLedgerError(err, { abi: p.abi })
  }
}
