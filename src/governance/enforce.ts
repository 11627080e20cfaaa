/**
 * Enforcement of governance by every node, always from the state of the PARENT block (so every
 * node decides the same): who may transact, deploy or call (tx pool and block validation), and
 * which contract code may be created (CREATE and CREATE2, at any depth, in block execution and in
 * eth_call/eth_estimateGas). Each refusal says which rule refused it.
 */
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { EVMError, type EVMInterface } from '@ethereumjs/evm'
import { bytesToHex } from '@ethereumjs/util'
import { encodeErrorResult } from 'viem'
import { keccak256 } from '../crypto/native.js'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { PERMISSION_BITS } from './address.js'

export class PermissionDeniedError extends QuorateError {
  override name = 'PermissionDeniedError'
  constructor(message: string) {
    super('PERMISSION_DENIED', message)
  }
}

/** What enforcement reads from the governance state at a block. */
export interface GovernanceReader {
  permissionsOf(block: Block, account: Address): Promise<number>
  isCodeApproved(block: Block, codeHash: Hex): Promise<boolean>
  hasCode(block: Block, account: Address): Promise<boolean>
}

const ERROR_ABI = [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }] as const

/** Throws PermissionDeniedError unless `sender` may send `tx` under the state of `block`. */
export async function checkTxPermission(reader: GovernanceReader, block: Block, tx: TypedTransaction, sender: Address): Promise<void> {
  const bits = await reader.permissionsOf(block, sender)
  let needed: keyof typeof PERMISSION_BITS
  if (tx.to === undefined) needed = 'deploy'
  else if (await reader.hasCode(block, tx.to.toString() as Address)) needed = 'call'
  else needed = 'transact'
  if ((bits & PERMISSION_BITS[needed]) === 0) {
    const why = bits === 0 ? 'it is not a registered account of an active party' : `its permissions do not include "${needed}"`
    throw new PermissionDeniedError(`permission denied (rule: account permissions): ${sender} may not ${needed === 'transact' ? 'transact' : needed === 'deploy' ? 'deploy contracts' : 'call contracts'}; ${why}`)
  }
}

/**
 * Makes contract creation in `evm` fail unless the runtime code's hash is approved at the block
 * given by `blockOf()`. The created frame reverts with an Error(string) naming the rule, so a
 * factory's CREATE returns 0 and a deployment transaction gets status 0; everything the frame did
 * is undone by the EVM's journal, as for any revert.
 *
 * ethereumjs has no hook between running init code and storing the code, so this wraps the EVM's
 * (protected) `_executeCreate`; every @ethereumjs package is pinned to an exact version, the governance tests
 * cover direct deployment and CREATE/CREATE2 from a factory, and test/unit/governance/
 * evm-extension-point.test.ts fails if the wrapped method changes or stops taking effect.
 */
export function enforceCodeApproval(evm: EVMInterface, reader: Pick<GovernanceReader, 'isCodeApproved'>, blockOf: () => Block | undefined): void {
  type CreateFn = (message: unknown) => Promise<{ execResult: { exceptionError?: EVMError; returnValue: Uint8Array } }>
  const target = evm as unknown as { _executeCreate: CreateFn }
  const original = target._executeCreate.bind(evm)
  target._executeCreate = async (message) => {
    const result = await original(message)
    const exec = result.execResult
    const block = blockOf()
    if (exec.exceptionError || exec.returnValue.length === 0 || !block) return result
    const hash = bytesToHex(keccak256(exec.returnValue)) as Hex
    if (await reader.isCodeApproved(block, hash)) return result
    exec.exceptionError = new EVMError(EVMError.errorMessages.REVERT)
    exec.returnValue = new Uint8Array(
      Buffer.from(encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: [`contract code not approved (rule: contract approval): runtime code hash ${hash}`] }).slice(2), 'hex'),
    )
    return result
  }
}
