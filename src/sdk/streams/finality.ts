/**
 * When a block is final, per fabric: at once on Quorate (QBFT: a block is final when it is
 * committed); `depth` blocks deep on a chain that can reorganise; or the `finalized` block tag where
 * the ledger reports one (post-merge Ethereum, Besu, geth).
 */
import type { PublicClient } from 'viem'
import { LedgerError } from '../errors.js'

import type { Finality } from '../fabric.js'

/** What the stream and the finality check read from a ledger. */
export type StreamClient = Pick<PublicClient, 'request' | 'getBlock' | 'getBlockNumber'>

export function checkFinality(f: Finality): void {
  if (f.kind === 'confirmations' && (!Number.isSafeInteger(f.depth) || f.depth < 0)) {
    throw new LedgerError('INVALID_INPUT', `the confirmation depth must be a whole number of blocks, 0 or more, not ${String(f.depth)}`)
  }
}

/** The highest block that is final now under `finality`; -1n when none is yet. */
export async function finalBlockNumber(client: StreamClient, finality: Finality): Promise<bigint> {
  switch (finality.kind) {
    case 'instant':
      return client.getBlockNumber({ cacheTime: 0 })
    case 'confirmations': {
      const head = await client.getBlockNumber({ cacheTime: 0 })
      const final = head - BigInt(finality.depth)
      return final < 0n ? -1n : final
    }
    case 'finalized-tag':
      return (await client.getBlock({ blockTag: 'finalized' })).number
  }
}
