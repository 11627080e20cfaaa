/** The file checkpoint store: round trip with the consumer's state, atomic replacement, refusal of a file that is not a checkpoint. */
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileCheckpointStore, isAfter } from '../../../src/sdk/streams/index.js'
import { isLedgerError } from '../../../src/sdk/errors.js'
import { tempDir } from '../../helpers/tmp.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(async () => {
  await tmp?.cleanup()
})

const HASH = `0x${'ab'.repeat(32)}` as const

describe('fileCheckpointStore', () => {
  it('has nothing before the first save, then the last saved checkpoint and state, and leaves no temporary file', async () => {
    const path = join(tmp.dir, 'a.json')
    const store = fileCheckpointStore(path)
    expect(await store.load()).toBeUndefined()
    await store.save({ blockNumber: 2n ** 60n, logIndex: 3, blockHash: HASH }, { bytes: 120 })
    await store.save({ blockNumber: 2n ** 60n + 1n, logIndex: 0, blockHash: HASH }, { bytes: 240 })
    expect(await fileCheckpointStore(path).load()).toEqual({ blockNumber: 2n ** 60n + 1n, logIndex: 0, blockHash: HASH, state: { bytes: 240 } })
    expect(await readdir(tmp.dir)).toEqual(['a.json'])
  })

  it('refuses a file that is not a checkpoint (INVALID_INPUT) instead of starting over', async () => {
    const path = join(tmp.dir, 'b.json')
    await writeFile(path, '{"version":1,"blockNumber":"12","logIndex":-1')
    expect(isLedgerError(await fileCheckpointStore(path).load().catch((e: unknown) => e), 'INVALID_INPUT')).toBe(true)
    await writeFile(path, JSON.stringify({ version: 1, blockNumber: '12', logIndex: 1, blockHash: '0x12' }))
    expect(isLedgerError(await fileCheckpointStore(path).load().catch((e: unknown) => e), 'INVALID_INPUT')).toBe(true)
  })
})

describe('isAfter', () => {
  it('orders by block, then log index', () => {
    const cp = { blockNumber: 10n, logIndex: 4, blockHash: HASH }
    expect([isAfter(10n, 4, cp), isAfter(10n, 5, cp), isAfter(9n, 99, cp), isAfter(11n, 0, cp), isAfter(0n, 0, undefined)]).toEqual([false, true, false, true, true])
  })
})
