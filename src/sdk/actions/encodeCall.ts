/** The calldata of a contract function call; arguments that do not fit the ABI are INVALID_INPUT. */
import { encodeFunctionData, type Abi, type Hex } from 'viem'
import type { LedgerClient } from '../client.js'

export function encodeCall(client: Pick<LedgerClient, 'fabric'>, p: { abi: Abi | readonly unknown[]; functionName: string; args?: readonly unknown[] | undefined }): Hex {
  try {
    return encodeFunctionData({ abi: p.abi as Abi, functionName: p.functionName, args: p.args ?? [] })
  } catch (err) {
    throw client.fabric.toLedgerError(err)
  }
}
