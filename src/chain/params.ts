/**
 * Chain parameters: the rules a block is made under — block period, empty-block period, block gas
 * limit, and the named protocol version. On a governed chain they come from the ChainParameters
 * contract (governance/chain-parameters.ts), read at the state of the block's parent, so every node
 * switches at the same block without a restart; without that contract they are the genesis values.
 *
 * A protocol version names the consensus rules of a release. This release implements
 * SUPPORTED_PROTOCOLS; a node asked to make or import a block under any other version stops before
 * that block (see ProtocolUnsupportedError) rather than follow rules it does not know.
 */
import type { Block } from '@ethereumjs/block'
import { QuorateError } from '../errors.js'
import type { Genesis } from './genesis.js'

export interface ChainParams {
  blockPeriodMs: number
  emptyBlockPeriodMs: number
  gasLimit: bigint
  protocol: string
}

/** The parameters of block `parent.number + 1`, from the state of `parent`. */
export interface ChainParamsSource {
  paramsFor(parent: Block): Promise<ChainParams>
}

/** The protocol version of a new chain. */
export const GENESIS_PROTOCOL = 'quorate/1'

/**
 * The protocol versions this release implements. `quorate/2` changes no rule yet: it exists so a
 * consortium can rehearse the rolling upgrade (docs/runbooks/change.md) with the release it runs.
 */
export const RELEASE_PROTOCOLS = ['quorate/1', 'quorate/2'] as const

export function genesisParams(g: Genesis): ChainParams {
  return { blockPeriodMs: g.config.blockPeriodMs, emptyBlockPeriodMs: g.config.emptyBlockPeriodMs, gasLimit: g.gasLimit, protocol: GENESIS_PROTOCOL }
}

/** A chain without the parameters contract: the genesis values, for every block. */
export function fixedParams(p: ChainParams): ChainParamsSource {
  return { paramsFor: async () => p }
}

/** The scheduled protocol version of a block is not one this node supports. */
export class ProtocolUnsupportedError extends QuorateError {
  override name = 'ProtocolUnsupportedError'
  constructor(
    readonly blockNumber: bigint,
    readonly protocol: string,
    readonly supported: readonly string[],
  ) {
    super(
      'PROTOCOL_UNSUPPORTED',
      `governance scheduled protocol ${protocol} from block ${blockNumber}, but this node supports only ${supported.join(', ')}; ` +
        `it stops at block ${blockNumber - 1n} and will not import or make block ${blockNumber}: upgrade the Quorate software to a release that supports ${protocol}`,
    )
  }
}

/** Throws ProtocolUnsupportedError unless block `number` (made under `p`) follows a protocol in `supported`. */
export function checkProtocol(number: bigint, p: ChainParams, supported: readonly string[]): void {
  if (!supported.includes(p.protocol)) throw new ProtocolUnsupportedError(number, p.protocol, supported)
}

/** Whole seconds a child's timestamp must exceed its parent's by (periods under a second allow equal timestamps). */
export function minTimestampStep(blockPeriodMs: number): bigint {
  return blockPeriodMs >= 1000 ? BigInt(Math.floor(blockPeriodMs / 1000)) : 0n
}
