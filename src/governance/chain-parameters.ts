/**
 * The ChainParameters contract (0x…1002) as the node and the tools see it: the parameters a block is
 * made under, read at its parent's state (cached per parent hash: state at a block never changes),
 * and the change a vote scheduled. The SetChainParameters payload is in decisions.ts.
 */
import type { Block } from '@ethereumjs/block'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { decodeFunctionResult, encodeFunctionData, parseAbi } from 'viem'
import type { ChainParams, ChainParamsSource } from '../chain/params.js'
import type { Address, Hex } from '../types.js'
import { CHAIN_PARAMETERS_ADDRESS } from './address.js'

export const CHAIN_PARAMETERS_ABI = parseAbi([
  'struct Parameters { uint64 blockPeriodMs; uint64 emptyBlockPeriodMs; uint64 gasLimit; string protocol; }',
  'function parametersAt(uint64 blockNumber) view returns (Parameters)',
  'function scheduled() view returns (uint64 activationBlock, Parameters parameters)',
  'function schedule(bytes payload)',
  'constructor(uint64 blockPeriodMs, uint64 emptyBlockPeriodMs, uint64 gasLimit, string protocol)',
])

/** What the reader needs: a read-only call at a block's state. */
export interface StateCaller {
  call(block: Block, req: { to: Address; data: Uint8Array }): Promise<Uint8Array>
}

interface RawParameters {
  blockPeriodMs: bigint
  emptyBlockPeriodMs: bigint
  gasLimit: bigint
  protocol: string
}

function fromRaw(p: RawParameters): ChainParams {
  return { blockPeriodMs: Number(p.blockPeriodMs), emptyBlockPeriodMs: Number(p.emptyBlockPeriodMs), gasLimit: p.gasLimit, protocol: p.protocol }
}

/** The last scheduled change (it stays after it activated); activationBlock 0: none ever. */
export interface ScheduledChange {
  activationBlock: bigint
  params: ChainParams
}

const CACHED_PARENTS = 8

export class GovernedChainParams implements ChainParamsSource {
  private readonly cache = new Map<string, Promise<ChainParams>>()

  constructor(private readonly calls: StateCaller) {}

  paramsFor(parent: Block): Promise<ChainParams> {
    const key = bytesToHex(parent.hash())
    let found = this.cache.get(key)
    if (!found) {
      found = this.read(parent, 'parametersAt', [parent.header.number + 1n]).then((out) =>
        fromRaw(decodeFunctionResult({ abi: CHAIN_PARAMETERS_ABI, functionName: 'parametersAt', data: out })),
      )
      this.cache.set(key, found)
      if (this.cache.size > CACHED_PARENTS) this.cache.delete(this.cache.keys().next().value as string)
      found.catch(() => this.cache.delete(key))
    }
    return found
  }

  async scheduled(block: Block): Promise<ScheduledChange> {
    const [activationBlock, params] = decodeFunctionResult({ abi: CHAIN_PARAMETERS_ABI, functionName: 'scheduled', data: await this.read(block, 'scheduled', []) })
    return { activationBlock, params: fromRaw(params) }
  }

  private async read(block: Block, functionName: 'parametersAt' | 'scheduled', args: readonly bigint[]): Promise<Hex> {
    const data = encodeFunctionData({ abi: CHAIN_PARAMETERS_ABI, functionName, args } as Parameters<typeof encodeFunctionData<typeof CHAIN_PARAMETERS_ABI>>[0])
    return bytesToHex(await this.calls.call(block, { to: CHAIN_PARAMETERS_ADDRESS, data: hexToBytes(data) })) as Hex
  }
}
