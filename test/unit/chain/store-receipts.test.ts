import { describe, expect, it } from 'vitest'
import { bytesToHex } from '@ethereumjs/util'
import type { Hash } from '../../../src/types.js'
import { buildBlocks, openChain } from '../../helpers/sync-chain.js'
import { tempDir } from '../../helpers/tmp.js'

describe('ChainStore receipts', () => {
  it('gives each block its own receipts whichever order they are read in, past the blocks it keeps decoded', async () => {
    const tmp = await tempDir()
    const chain = await openChain(tmp.dir)
    try {
      // Blocks of 1 to 5 transfers: the receipts of two blocks differ.
      const built = await buildBlocks(chain, 24, (b) => 1 + (b % 5), { outcomes: true })
      const expected = built.map((b) => b.outcome!.receipts)
      const read = async (i: number) => chain.store.getReceipts(bytesToHex(built[i]!.block.hash()) as Hash)
      const order = [...built.keys(), ...[...built.keys()].reverse(), 3, 20, 3, 0, 23]
      for (const i of order) expect(await read(i), `block ${i + 1}`).toEqual(expected[i])
      expect((await read(4))!.map((r) => r.cumulativeGasUsed)).toEqual([21_000n, 42_000n, 63_000n, 84_000n, 105_000n])
    } finally {
      await chain.store.close()
      await tmp.cleanup()
    }
  })
})
