/**
 * Deploys a contract from a compiled artifact (`abi` and creation `bytecode`, as solc, Hardhat
 * and Foundry write them) with constructor arguments, and waits until the deployment is final.
 */
import { encodeDeployData, isHex, type Abi, type Address, type ContractConstructorArgs, type Hash, type Hex, type TransactionReceipt } from 'viem'
import type { LedgerClient } from '../client.js'
import { LedgerError } from '../errors.js'
import { sendTransaction } from './sendTransaction.js'
import { waitForFinal } from './waitForFinal.js'

export interface Artifact<abi extends Abi | readonly unknown[] = Abi> {
  abi: abi
  /** Creation code, 0x-prefixed (Hardhat's `bytecode`, Foundry's `bytecode.object`). */
  bytecode: Hex
}

export type DeployContractParameters<abi extends Abi | readonly unknown[] = Abi> = {
  artifact: Artifact<abi>
  args?: ContractConstructorArgs<abi>
  value?: bigint
  gas?: bigint
}

export interface DeployedContract<abi extends Abi | readonly unknown[] = Abi> {
  address: Address
  abi: abi
  hash: Hash
  receipt: TransactionReceipt
}

export async function deployContract<const abi extends Abi | readonly unknown[]>(client: LedgerClient, p: DeployContractParameters<abi>): Promise<DeployedContract<abi>> {
  const { artifact } = p
  if (!artifact || !Array.isArray(artifact.abi)) throw new LedgerError('INVALID_INPUT', 'artifact: expected { abi, bytecode } with an ABI array')
  if (typeof artifact.bytecode !== 'string' || !isHex(artifact.bytecode, { strict: true }) || artifact.bytecode.length <= 2) {
    throw new LedgerError('INVALID_INPUT', 'artifact.bytecode: expected the creation code as 0x-prefixed hex')
  }
  let data: Hex
  try {
    data = encodeDeployData({ abi: artifact.abi as Abi, bytecode: artifact.bytecode, args: (p.args ?? []) as readonly unknown[] })
  } catch (err) {
    throw client.fabric.toLedgerError(err)
  }
  const hash = await sendTransaction(client, { data, abi: artifact.abi, ...(p.value !== undefined ? { value: p.value } : {}), ...(p.gas !== undefined ? { gas: p.gas } : {}) })
  const receipt = await waitForFinal(client, { hash, abi: artifact.abi })
  if (!receipt.contractAddress) throw new LedgerError('NOT_FOUND', `deployment ${hash} has no contract address in its receipt`)
  return { address: receipt.contractAddress, abi: artifact.abi, hash, receipt }
}
