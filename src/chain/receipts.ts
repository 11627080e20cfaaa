/**
 * Receipt storage format: per block, RLP([[status, cumulativeGasUsed, [[address, [topics], data], …]], …]).
 * The bloom of each receipt is recomputed from its logs when needed, so it is not stored.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import type { Log } from '@ethereumjs/evm'
import { Bloom } from '@ethereumjs/vm'

export interface StoredReceipt {
  status: 0 | 1
  cumulativeGasUsed: bigint
  logs: Log[]
}

export function encodeReceipts(receipts: StoredReceipt[]): Uint8Array {
  return RLP.encode(receipts.map((r) => [Uint8Array.of(r.status), bigIntToUnpaddedBytes(r.cumulativeGasUsed), r.logs]))
}

export function decodeReceipts(bytes: Uint8Array): StoredReceipt[] {
  const list = RLP.decode(bytes) as unknown as [Uint8Array, Uint8Array, Log[]][]
  return list.map(([status, gas, logs]) => ({ status: status[0] === 1 ? 1 : 0, cumulativeGasUsed: bytesToBigInt(gas), logs }))
}

/** A receipt's logs bloom: each log's address and topics. */
export function receiptBloom(logs: Log[], common: Common): Uint8Array {
  const bloom = new Bloom(undefined, common)
  for (const [address, topics] of logs) {
    bloom.add(address)
    for (const t of topics) bloom.add(t)
  }
  return bloom.bitvector
}
