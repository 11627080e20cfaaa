/**
 * Decodes stored-form blocks (block RLP as peers serve them) for sync, many at a time.
 *
 * `createBlockFromRLP` builds each transaction with a fresh copy of the chain's Common into which
 * the transaction parameters are merged again (two JSON round trips and two parameter-cache
 * rebuilds per transaction): in a block of a thousand ERC-20 transfers that was most of the cost
 * of decoding. Here the transaction parameters are merged once into one Common, and every
 * transaction of the batch starts from it with nothing more to merge. The header, the block and
 * the transactions are the same classes with the same fields; a block with anything this fast
 * path does not expect (uncles, withdrawals, extra fields) goes through `createBlockFromRLP`.
 */
import { Block, createBlockFromRLP, createBlockHeaderFromBytesArray } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createTxFromBlockBodyData, paramsTx, type TypedTransaction } from '@ethereumjs/tx'
import { blockOptions } from '../chain/common.js'

export type BlockDecoder = (rlp: Uint8Array) => Block

export function createBlockDecoder(common: Common): BlockDecoder {
  const txCommon = common.copy()
  txCommon.updateParams(paramsTx)
  const opts = blockOptions(common)
  return (rlp) => {
    const values = RLP.decode(rlp) as unknown
    if (!Array.isArray(values) || values.length !== 4) return createBlockFromRLP(rlp, opts)
    const [headerData, txsData, unclesData, withdrawalsData] = values as unknown[]
    if (!Array.isArray(headerData) || !Array.isArray(txsData) || !Array.isArray(unclesData) || unclesData.length !== 0 || !Array.isArray(withdrawalsData) || withdrawalsData.length !== 0) {
      return createBlockFromRLP(rlp, opts)
    }
    const header = createBlockHeaderFromBytesArray(headerData as Uint8Array[], opts)
    if (header.common.hardfork() !== txCommon.hardfork() || !header.common.isActivatedEIP(4895)) return createBlockFromRLP(rlp, opts)
    const transactions: TypedTransaction[] = txsData.map((txData) => createTxFromBlockBodyData(txData as Uint8Array | Uint8Array[], { common: txCommon, params: {}, freeze: true }))
    return new Block(header, transactions, [], [], opts)
  }
}
