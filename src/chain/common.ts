/**
 * The ethereumjs `Common` of a Quorate chain: one pinned hardfork (Cancun, active from block 0),
 * the chain id from the genesis, and native crypto. Post-merge rules (difficulty 0, no uncles)
 * with a custom chain config, not Clique, so the QBFT extraData passes ethereumjs's header checks.
 */
import { Common, Hardfork, Mainnet, type ChainConfig, type ParamsConfig, type ParamsDict } from '@ethereumjs/common'
import { KECCAK256_RLP } from '@ethereumjs/util'
import { nativeCrypto } from '../crypto/native.js'

export const HARDFORK = Hardfork.Cancun

const FORKS_AT_ZERO = [
  'chainstart', 'homestead', 'tangerineWhistle', 'spuriousDragon', 'byzantium', 'constantinople',
  'petersburg', 'istanbul', 'muirGlacier', 'berlin', 'london', 'arrowGlacier', 'grayGlacier', 'paris',
] as const

/**
 * ethereumjs calls `common.copy().updateParams(paramsTx)` in every transaction constructor (and
 * paramsBlock in every header's): a JSON round trip of the set and a rebuild of the whole params
 * cache, ~15% of a validator's CPU under load. A copy shares its source's `_params` (merging a set
 * already merged changes nothing there) and starts from its source's cache object, so merging set P
 * into cache C always yields the same cache: it is built once and remembered here, by C then P.
 * Caches are never changed once built (a hardfork or EIP change builds a new one).
 */
const mergedCaches = new WeakMap<ParamsConfig, Map<ParamsDict, ParamsConfig>>()

class ChainCommon extends Common {
  /**
   * The active EIPs as a set, for the list it was made from. The EVM asks `isActivatedEIP` several
   * times per opcode and ethereumjs searches the list (~60 numbers) each time: 2.7% of building a
   * block. The list is replaced, never changed in place, when the hardfork or the EIPs change, so
   * a set made from another list is made again. Copies (`copy()` assigns the fields) share it.
   */
  private activeEips: { list: number[]; set: Set<number> } | undefined

  override isActivatedEIP(eip: number): boolean {
    const list = this._activatedEIPsCache
    if (this.activeEips?.list !== list) this.activeEips = { list, set: new Set(list) }
    return this.activeEips.set.has(eip)
  }

  override updateParams(params: ParamsDict): void {
    const from = this._paramsCache
    const merged = mergedCaches.get(from)?.get(params)
    if (merged) {
      this._paramsCache = merged
      return
    }
    super.updateParams(params)
    remember(from, params, this._paramsCache)
    remember(this._paramsCache, params, this._paramsCache)
  }
}

function remember(from: ParamsConfig, params: ParamsDict, to: ParamsConfig): void {
  const byParams = mergedCaches.get(from) ?? new Map<ParamsDict, ParamsConfig>()
  mergedCaches.set(from, byParams.set(params, to))
}

export function createChainCommon(chainId: bigint, gasLimit: bigint): Common {
  const chain: Partial<ChainConfig> = {
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
  }
  // What createCustomCommon does, with the class above.
  return new ChainCommon({ chain: { ...Mainnet, ...chain }, hardfork: HARDFORK, customCrypto: nativeCrypto })
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
