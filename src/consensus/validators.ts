/**
 * Where the validator set comes from. The set that decides block h+1 is read from block h (the
 * parent), so every node decides the same. Here it is the list carried forward in each header's
 * QBFT extraData, starting from the genesis; governance replaces this source with contract state.
 */
import type { Block } from '@ethereumjs/block'
import { decodeExtraData } from '../chain/extra-data.js'
import type { Address } from '../types.js'

export interface ValidatorSource {
  /** The validators that decide the block after `parent`, in canonical order. */
  validatorsAfter(parent: Block): Promise<Address[]>
}

export class HeaderValidators implements ValidatorSource {
  async validatorsAfter(parent: Block): Promise<Address[]> {
    return decodeExtraData(parent.header.extraData).validators
  }
}
