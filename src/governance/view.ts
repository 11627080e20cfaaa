/**
 * GovernanceView: what a node reads from the governance contract to enforce it — validators,
 * allowed nodes, account permissions, approved code — always at a given block's state. Results are
 * cached per block hash (state at a block never changes), so a block with many transactions costs
 * one contract read per distinct sender. It has its own CallExecutor: reads made from inside
 * another execution (the CREATE hook) must not wait on that execution's lock.
 */
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { decodeFunctionResult, encodeFunctionData, parseAbi, type Abi } from 'viem'
import type { CallExecutor } from '../execution/call.js'
import type { ValidatorSource } from '../consensus/validators.js'
import type { Address, Hex } from '../types.js'
import { GOVERNANCE_ADDRESS } from './address.js'
import type { GovernanceReader } from './enforce.js'

export const ENFORCEMENT_ABI = parseAbi([
  'function getValidators() view returns (address[])',
  'function isNodeAllowed(address node) view returns (bool)',
  'function getNodes() view returns (address[] nodes, bytes32[] parties, bool[] validators, uint8[] statuses, string[] endpoints, bytes32[] encryptionKeys)',
  'function permissionsOf(address account) view returns (uint8)',
  'function isCodeApproved(bytes32 codeHash) view returns (bool)',
])

const CACHED_BLOCKS = 8

export interface AdmittedNode {
  address: Address
  endpoint: string
}

export class GovernanceView implements GovernanceReader, ValidatorSource {
  private readonly cache = new Map<string, Map<string, Promise<unknown>>>()

  constructor(private readonly calls: CallExecutor) {}

  /** Reads a view function at `block`; memoised per block and call. */
  read<T>(block: Block, functionName: string, args: readonly unknown[] = [], abi: Abi = ENFORCEMENT_ABI): Promise<T> {
    const key = bytesToHex(block.hash())
    let perBlock = this.cache.get(key)
    if (!perBlock) {
      perBlock = new Map()
      this.cache.set(key, perBlock)
      if (this.cache.size > CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value as string)
    }
    const callKey = `${functionName}(${args.map(String).join(',')})`
    let result = perBlock.get(callKey) as Promise<T> | undefined
    if (!result) {
      const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])
      result = this.calls
        .call(block, { to: GOVERNANCE_ADDRESS, data: hexBytes(data) })
        .then((out) => decodeFunctionResult({ abi, functionName, data: bytesToHex(out) } as Parameters<typeof decodeFunctionResult>[0]) as T)
      perBlock.set(callKey, result)
      result.catch(() => perBlock!.delete(callKey))
    }
    return result
  }

  async validatorsAfter(parent: Block): Promise<Address[]> {
    return (await this.read<readonly Address[]>(parent, 'getValidators')).map(lower)
  }

  async isNodeAllowed(block: Block, node: Address): Promise<boolean> {
    return this.read<boolean>(block, 'isNodeAllowed', [node])
  }

  /** Every node that may connect at `block` (active node of an active party). */
  async allowedNodes(block: Block): Promise<Set<Address>> {
    return new Set((await this.admittedNodes(block)).map((n) => n.address))
  }

  /** The admitted nodes at `block` with their registered P2P endpoints ('' for an outbound-only node). */
  async admittedNodes(block: Block): Promise<AdmittedNode[]> {
    const [nodes, , , , endpoints] = await this.read<readonly [readonly Address[], unknown, unknown, unknown, readonly string[]]>(block, 'getNodes')
    const admitted = await Promise.all(nodes.map(async (n, i) => ((await this.isNodeAllowed(block, n)) ? { address: lower(n), endpoint: endpoints[i] ?? '' } : undefined)))
    return admitted.filter((a): a is AdmittedNode => a !== undefined)
  }

  async permissionsOf(block: Block, account: Address): Promise<number> {
    return Number(await this.read<number>(block, 'permissionsOf', [account]))
  }

  async isCodeApproved(block: Block, codeHash: Hex): Promise<boolean> {
    return this.read<boolean>(block, 'isCodeApproved', [codeHash])
  }

  async hasCode(block: Block, account: Address): Promise<boolean> {
    return (await this.calls.getCode(block, account)).length > 0
  }
}

function lower(a: string): Address {
  return a.toLowerCase() as Address
}

function hexBytes(hex: Hex): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'))
}
