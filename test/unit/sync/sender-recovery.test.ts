import { afterEach, describe, expect, it } from 'vitest'
import type { Block } from '@ethereumjs/block'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { decodeBlock } from '../../../src/chain/decode-block.js'
import { privateKeyToAddress, publicKeyToAddress } from '../../../src/crypto/keys.js'
import { SenderRecovery } from '../../../src/sync/sender-recovery.js'
import { buildBlocks, common, importerFor, openChain, SENDER_KEY, type TestChain } from '../../helpers/sync-chain.js'
import { tempDir } from '../../helpers/tmp.js'

// The worker runs the compiled script (dist): `npm run build` first.
describe('SenderRecovery (worker thread) and block import', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })
  async function chain(): Promise<TestChain> {
    const tmp = await tempDir()
    const c = await openChain(tmp.dir)
    cleanups.push(async () => {
      await c.store.close()
      await tmp.cleanup()
    })
    return c
  }
  function recovery(): SenderRecovery {
    const r = new SenderRecovery()
    cleanups.push(() => r.close())
    return r
  }
  /** Blocks as a peer serves them: decoded from bytes, senders not recovered yet. */
  const served = (blocks: { block: Block }[]): Block[] => blocks.map((b) => decodeBlock(b.block.serialize(), common))

  it('caches each transaction\'s sender public key, recovered in the worker, block by block', async () => {
    const source = await chain()
    const blocks = served(await buildBlocks(source, 3, 4))
    const txs = blocks.flatMap((b) => b.transactions)
    expect(txs.every((tx) => tx.cache.senderPubKey === undefined)).toBe(true)
    await Promise.all(recovery().prepare(blocks))
    for (const tx of txs) {
      expect(tx.cache.senderPubKey).toBeDefined()
      expect(publicKeyToAddress(tx.cache.senderPubKey!)).toBe(privateKeyToAddress(SENDER_KEY))
    }
  })

  it('leaves a high-s signature to the transaction\'s own check, which refuses it', async () => {
    const good = createLegacyTx({ nonce: 0, gasLimit: 21000, gasPrice: 0, to: `0x${'11'.repeat(20)}`, value: 1 }, { common }).sign(SENDER_KEY)
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    // The same signature with s' = n - s recovers the same key, and EIP-2 forbids it.
    const highS = createLegacyTx({ ...good.toJSON(), s: n - good.s!, v: good.v! === 2709n ? 2710n : 2709n }, { common })
    const [block] = served(await buildBlocks(await chain(), 1, 1))
    const forged = { ...block!, transactions: [highS] } as unknown as Block
    await Promise.all(recovery().prepare([forged]))
    expect(highS.cache.senderPubKey).toBeUndefined()
    expect(() => highS.getSenderAddress()).toThrow(/Invalid Signature|high|s-values/i)
  })

  it('block import waits for each block\'s senders before executing it, and a failed recovery only slows it down', async () => {
    const source = await chain()
    const fetched = await buildBlocks(source, 3, 2)
    const blocks = fetched.map((f) => ({ block: decodeBlock(f.block.serialize(), common), finality: f.finality }))
    const joining = await chain()
    const releases: (() => void)[] = []
    let rejected = false
    const importer = importerFor(joining, (bs) =>
      bs.map((_, i) =>
        i === 2
          ? Promise.reject(new Error('worker gone')).finally(() => (rejected = true))
          : new Promise<void>((resolve) => releases.push(resolve)),
      ),
    )
    const done = importer.importBlocks(blocks)
    await new Promise((r) => setTimeout(r, 50))
    expect(joining.store.head.header.number).toBe(0n)
    releases[0]!()
    for (let i = 0; i < 100 && joining.store.head.header.number < 1n; i++) await new Promise((r) => setTimeout(r, 10))
    expect(joining.store.head.header.number).toBe(1n)
    await new Promise((r) => setTimeout(r, 50))
    expect(joining.store.head.header.number).toBe(1n)
    releases[1]!()
    expect((await done).imported).toBe(3)
    expect(rejected).toBe(true)
    expect(bytesToHex(joining.store.head.hash())).toBe(bytesToHex(source.store.head.hash()))
  })

  it('imports served blocks with the worker recovering their senders', async () => {
    const source = await chain()
    const fetched = await buildBlocks(source, 2, 5)
    const joining = await chain()
    const senders = recovery()
    const importer = importerFor(joining, (bs) => senders.prepare(bs))
    const blocks = fetched.map((f) => ({ block: decodeBlock(f.block.serialize(), common), finality: f.finality }))
    expect((await importer.importBlocks(blocks)).imported).toBe(2)
    expect(bytesToHex(joining.store.head.header.stateRoot)).toBe(bytesToHex(source.store.head.header.stateRoot))
  })
})
