/**
 * The ethereumjs `Common` of a Quorate chain: one pinned hardfork (Cancun, active from block 0),
 * the chain id from the genesis, and native crypto. Post-merge rules (difficulty 0, no uncles)
 * with a custom chain config, not Clique, so the QBFT extraData passes ethereumjs's header checks.
 */
import { paramsBlock } from '@ethereumjs/block'
import { Common, createCustomCommon, Hardfork, Mainnet, type ParamsDict } from '@ethereumjs/common'
import { paramsTx } from '@ethereumjs/tx'
import { KECCAK256_RLP } from '@ethereumjs/util'
import { nativeCrypto } from '../crypto/native.js'

export const HARDFORK = Hardfork.Cancun

const FORKS_AT_ZERO = [
  'chainstart', 'homestead', 'tangerineWhistle', 'spuriousDragon', 'byzantium', 'constantinople',
  'petersburg', 'istanbul', 'muirGlacier', 'berlin', 'london', 'arrowGlacier', 'grayGlacier', 'paris',
] as const

export function createChainCommon(chainId: bigint, gasLimit: bigint): Common {
  return withPreloadedParams(createCustomCommon(
    {
      name: `quorate-${chainId}`,
      chainId: Number(chainId),
      genesis: { gasLimit: Number(gasLimit), difficulty: 0, nonce: '0x0000000000000000', extraData: '0x', baseFeePerGas: '0x0' },
      hardforks: [
        ...FORKS_AT_ZERO.map((name) => ({ name, block: 0 })),
        { name: 'shanghai', block: null, timestamp: 0 },
        { name: 'cancun', block: null, timestamp: 0 },
      ],
      consensus: { type: 'pos', algorithm: 'casper' },
      bootstrapNodes: [],
    },
    Mainnet,
    { hardfork: HARDFORK, customCrypto: nativeCrypto },
  ))
}

/**
 * Every ethereumjs transaction and block header copies the Common it is given and merges its
 * parameter set into the copy (`updateParams`: a JSON deep copy and a rebuild of the parameter
 * cache): the largest cost of decoding a transaction (~0.5 ms of its ~0.8 ms). The transaction
 * and block parameters are merged here once; a copy shares the merged set (copies are shallow),
 * so merging the same set again changes nothing and is skipped. Other sets (EVM, VM) merge as before.
 */
function withPreloadedParams(common: Common): Common {
  const preloaded = new Set<ParamsDict>([paramsTx, paramsBlock])
  for (const params of preloaded) common.updateParams(params)
  const merged = paramsOf(common)
  common.updateParams = function (this: Common, params) {
    // A copy whose parameter set was replaced (resetParams) merges as usual.
    if (preloaded.has(params) && paramsOf(this) === merged) return
    Common.prototype.updateParams.call(this, params)
  }
  return common
}

function paramsOf(common: Common): unknown {
  return (common as unknown as { _params: unknown })._params
}

/**
 * Options for every ethereumjs block constructor. Under post-merge rules ethereumjs caps extraData
 * at 32 bytes (EIP-3675); the QBFT layout is longer, so that one format check is skipped and
 * Quorate's own header checks (consensus/ and execution/) take its place.
 */
export function blockOptions(common: Common, freeze = true) {
  return { common, skipConsensusFormatValidation: true, freeze } as const
}

/**
 * Header fields every Quorate block has the same value for: the base fee is always 0 (gas is free
 * on a private network; ethereumjs would otherwise raise it after a full block), and the post-merge
 * and Cancun fields that no consortium chain uses are empty.
 */
export const FIXED_HEADER_FIELDS = {
  baseFeePerGas: 0n,
  difficulty: 0n,
  withdrawalsRoot: KECCAK256_RLP,
  blobGasUsed: 0n,
  excessBlobGas: 0n,
  parentBeaconBlockRoot: new Uint8Array(32),
} as const
