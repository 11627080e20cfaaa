import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { nativeCrypto } from '../../../src/crypto/native.js'
import { type AccountReader, TxPool } from '../../../src/execution/txpool.js'
import { TxPoolJournal } from '../../../src/execution/txpool-journal.js'
import type { Address, Hex } from '../../../src/types.js'
import { tempDir } from '../../helpers/tmp.js'

const common = createCustomCommon({ chainId: 1337 }, Mainnet, { hardfork: Hardfork.Cancun, customCrypto: nativeCrypto })

class MemState implements AccountReader {
  readonly nonces = new Map<Address, bigint>()
  async getAccount(address: Address) {
    return { nonce: this.nonces.get(address) ?? 0n, balance: 0n }
  }
}

const key = generatePrivateKey()
const sender = privateKeyToAddress(key)
const tx = (nonce: bigint) =>
  createFeeMarket1559Tx({ nonce, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, gasLimit: 21_000n, to: sender }, { common }).sign(key)

let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await cleanup?.()
  cleanup = undefined
})

async function setup() {
  const tmp = await tempDir()
  cleanup = tmp.cleanup
  return join(tmp.dir, 'transactions.rlp')
}

describe('TxPoolJournal', () => {
  it('writes the pool at stop and reloads it in a new pool, dropping what the head made invalid', async () => {
    const file = await setup()
    const pool = new TxPool({ common, blockGasLimit: 30_000_000n }, new MemState())
    const journal = new TxPoolJournal({ file, intervalMs: 60_000 }, { pool })
    journal.start()
    for (const n of [0n, 1n, 2n, 4n]) await pool.add(tx(n))
    await journal.stop()

    const state = new MemState()
    state.nonces.set(sender, 1n) // nonce 0 was mined meanwhile
    const reloaded = new TxPool({ common, blockGasLimit: 30_000_000n }, state)
    const result = await new TxPoolJournal({ file }, { pool: reloaded }).load()
    expect(result).toEqual({ loaded: 3, dropped: { NONCE_TOO_LOW: 1 } })
    expect(reloaded.status()).toEqual({ pending: 2, queued: 1 })
    expect(reloaded.has(bytesToHex(tx(4n).hash()) as Hex)).toBe(true)
  })

  it('rewrites the file on its interval when the pool changed, reporting each write', async () => {
    const file = await setup()
    const pool = new TxPool({ common, blockGasLimit: 30_000_000n }, new MemState())
    const outcomes: unknown[] = []
    const journal = new TxPoolJournal({ file, intervalMs: 20 }, { pool, onWrite: (err) => outcomes.push(err) })
    journal.start()
    await pool.add(tx(0n))
    for (let i = 0; i < 100 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(outcomes).toEqual([undefined])
    expect((await readFile(file)).length).toBeGreaterThan(100)
    await journal.stop()
  })

  it('a node stopped before it started does not overwrite the journal; a corrupt journal is ignored', async () => {
    const file = await setup()
    await writeFile(file, Uint8Array.of(1, 2, 3))
    const pool = new TxPool({ common, blockGasLimit: 30_000_000n }, new MemState())
    const journal = new TxPoolJournal({ file }, { pool })
    await journal.stop()
    expect([...(await readFile(file))]).toEqual([1, 2, 3])
    expect(await journal.load()).toEqual({ loaded: 0, dropped: {} })
    expect(pool.size).toBe(0)
  })

  it('serializes a large pool a slice at a time, letting the event loop turn in between, and writes it whole', async () => {
    const file = await setup()
    const txs = Array.from({ length: 40 }, (_, i) => tx(BigInt(i)))
    // Each serialization takes 2 ms of CPU, so 40 take several 10 ms slices.
    let turns = 0
    let counting = true
    const count = (): void => {
      turns++
      if (counting) setImmediate(count)
    }
    const seen: number[] = []
    const slow = txs.map((t) => ({
      serialize: () => {
        seen.push(turns)
        const until = performance.now() + 2
        while (performance.now() < until) {
          // busy
        }
        return t.serialize()
      },
    }))
    const pool = { transactionsInOrder: () => slow, addRaw: async () => undefined, on: () => undefined, off: () => undefined }
    const journal = new TxPoolJournal({ file }, { pool })
    setImmediate(count)
    await journal.write()
    counting = false
    expect(seen).toHaveLength(40)
    expect(seen.at(-1)!).toBeGreaterThan(seen[0]!)
    const reloaded = new TxPool({ common, blockGasLimit: 30_000_000n }, new MemState())
    expect(await new TxPoolJournal({ file }, { pool: reloaded }).load()).toEqual({ loaded: 40, dropped: {} })
  })
})
