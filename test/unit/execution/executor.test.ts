import { afterEach, describe, expect, it } from 'vitest'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { blockOptions, createChainCommon } from '../../../src/chain/common.js'
import { createGenesisBlock, parseGenesis, writeGenesisState } from '../../../src/chain/genesis.js'
import { ChainStore } from '../../../src/chain/store.js'
import { BlockExecutor, createStateManager, InvalidBlockError } from '../../../src/execution/executor.js'
import { ProtocolUnsupportedError } from '../../../src/chain/params.js'
import { CallExecutor } from '../../../src/execution/call.js'
import { encodeExtraData } from '../../../src/chain/extra-data.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { tempDir } from '../../helpers/tmp.js'

const KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const SENDER = privateKeyToAddress(KEY)
const TO = '0x00000000000000000000000000000000000000aa'

/** A chain of one validator, SENDER (and `funded`) holding 1 ether; `gasLimit`: the blocks' gas. */
async function setup(dir: string, opts: { gasLimit?: number; funded?: string[] } = {}) {
  const alloc = Object.fromEntries([SENDER, ...(opts.funded ?? [])].map((a) => [a, { balance: '1000000000000000000' }]))
  const genesis = parseGenesis({ config: { chainId: 1337 }, ...(opts.gasLimit ? { gasLimit: opts.gasLimit } : {}), validators: [SENDER], alloc })
  const common = createChainCommon(1337n, genesis.gasLimit)
  const store = await ChainStore.open(dir, common)
  if (store.isEmpty) {
    const root = await writeGenesisState(genesis, createStateManager(common, store))
    await store.commit({ block: createGenesisBlock(genesis, common, root), finality: { round: 0, seals: [] }, receipts: [] })
  }
  return { common, store }
}

describe('BlockExecutor and ChainStore', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('builds, commits, reopens and re-validates a block with a transfer', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    let { common, store } = await setup(tmp.dir)
    const executor = await BlockExecutor.create(common, store)
    const tx = createLegacyTx({ nonce: 0, gasLimit: 21000, gasPrice: 0, to: TO, value: 1234 }, { common }).sign(KEY)
    const badTx = createLegacyTx({ nonce: 5, gasLimit: 21000, gasPrice: 0, to: TO, value: 1 }, { common }).sign(KEY)
    const parent = store.head
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
    // Worth more than the sender has: refused (the producer drops it from the pool).
    const unpaid = createLegacyTx({ nonce: 1, gasLimit: 21000, gasPrice: 0, to: TO, value: 10n ** 30n }, { common }).sign(KEY)
    const built = await executor.build(parent, [tx, badTx, unpaid], { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData })
    expect(built.block.transactions).toHaveLength(1)
    // The nonce gap is left out, not refused: it stays pooled until its gap fills.
    expect(built.rejected.map((r) => r.tx)).toEqual([unpaid])
    expect(built.receipts[0]!.status).toBe(1)

    // A second executor (another node) accepts the block; a tampered one is refused.
    const verifier = await BlockExecutor.create(common, store)
    await expect(verifier.execute(parent, built.block)).resolves.toBeDefined()
    await store.commit({ block: built.block, finality: { round: 0, seals: [] }, receipts: built.receipts })
    await store.close()

    ;({ common, store } = await setup(tmp.dir))
    expect(store.head.header.number).toBe(1n)
    expect(bytesToHex(store.head.hash())).toBe(bytesToHex(built.block.hash()))
    const calls = await CallExecutor.create(common, store)
    expect((await calls.getAccount(store.head, TO)).balance).toBe(1234n)
    expect((await calls.getAccount(store.head, SENDER)).nonce).toBe(1n)
    const loc = await store.getTxLocation(bytesToHex(tx.hash()))
    expect(loc?.blockNumber).toBe(1n)
    await store.close()
  })

  it('a paced executor makes the block an unpaced one makes, and executes a received block letting the event loop turn between transactions', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const { common, store } = await setup(tmp.dir)
    const txs = Array.from({ length: 40 }, (_, nonce) => createLegacyTx({ nonce, gasLimit: 21000, gasPrice: 0, to: TO, value: 1 + nonce }, { common }).sign(KEY))
    const header = { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData: encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] }) }
    const unpaced = await (await BlockExecutor.create(common, store, undefined, undefined, { sliceMs: 0 })).build(store.head, txs, header)
    // Turns of the event loop, and the count seen by the admission check of each transaction.
    let turns = 0
    let counting = false
    const count = (): void => {
      turns++
      if (counting) setImmediate(count)
    }
    let seen: number[] = []
    const admit = async (): Promise<void> => void seen.push(turns)
    const turnsBetweenTxs = async <T>(work: () => Promise<T>): Promise<T> => {
      seen = []
      counting = true
      setImmediate(count)
      const result = await work()
      counting = false
      return result
    }
    // A slice far shorter than one transaction.
    const paced = await BlockExecutor.create(common, store, admit, undefined, { sliceMs: 1e-6 })
    const built = await paced.build(store.head, txs, header)
    expect(built.block.transactions).toHaveLength(40)
    expect(bytesToHex(built.block.hash())).toBe(bytesToHex(unpaced.block.hash()))
    // Executing it (another validator) yields before every transaction, and accepts it.
    const verifier = await BlockExecutor.create(common, store, admit, undefined, { sliceMs: 1e-6 })
    await expect(turnsBetweenTxs(() => verifier.execute(store.head, built.block))).resolves.toBeDefined()
    expect(seen).toHaveLength(40)
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!)
    await store.close()
  })

  it('builds from streamed candidates, each as it comes, and is not busy while it waits for the next', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const { common, store } = await setup(tmp.dir)
    const executor = await BlockExecutor.create(common, store)
    const txs = [0, 1, 2].map((nonce) => createLegacyTx({ nonce, gasLimit: 21000, gasPrice: 0, to: TO, value: 5 }, { common }).sign(KEY))
    const busyWhileWaiting: boolean[] = []
    async function* arriving() {
      for (const tx of txs) {
        // The build is between candidates here: block work may let the transaction ingest at full rate.
        await new Promise((r) => setTimeout(r, 10))
        busyWhileWaiting.push(executor.busy)
        yield tx
      }
    }
    const parent = store.head
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
    const building = executor.build(parent, arriving(), { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData })
    expect(executor.busy).toBe(true)
    const built = await building
    expect(built.block.transactions.map((t) => t.nonce)).toEqual([0n, 1n, 2n])
    expect(busyWhileWaiting).toEqual([false, false, false])
    expect(executor.busy).toBe(false)
    // The same block as from the list at once: another node validates it.
    await expect((await BlockExecutor.create(common, store)).execute(parent, built.block)).resolves.toBeDefined()
  })

  it('leaves out what is not its sender\'s next nonce (an earlier one did not fit, or comes later) instead of running it into a nonce error', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const other = hexToBytes('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
    const { common, store } = await setup(tmp.dir, { gasLimit: 60_000, funded: [privateKeyToAddress(other)] })
    const executor = await BlockExecutor.create(common, store)
    const transfer = (key: Uint8Array, nonce: number, gasLimit: number) => createLegacyTx({ nonce, gasLimit, gasPrice: 0, to: TO, value: 1 }, { common }).sign(key)
    // 21,000 used, 39,000 left: the sender's nonce 0 (45,000) does not fit, its nonce 1 (21,000) would.
    // Then its nonce 3 before its 2 (a stream may give a sender's newest before older ones left out).
    const candidates = [transfer(other, 0, 21_000), transfer(KEY, 0, 45_000), transfer(KEY, 1, 21_000), transfer(other, 2, 21_000), transfer(other, 1, 21_000)]
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
    const built = await executor.build(store.head, candidates, { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData })
    expect(built.block.transactions.map((t) => t.nonce)).toEqual([0n, 1n])
    // Nothing refused: the producer drops refused transactions from the pool, and these must stay for the next block.
    expect(built.rejected).toEqual([])
    await store.close()
  })

  it('ends a build that waits for streamed candidates as soon as a received block needs the executor', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const { common, store } = await setup(tmp.dir)
    const builder = await BlockExecutor.create(common, store)
    const parent = store.head
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
    // Another node's block, to be validated here while this node's build waits for transactions.
    const other = await (await BlockExecutor.create(common, store)).build(parent, [createLegacyTx({ nonce: 0, gasLimit: 21000, gasPrice: 0, to: TO, value: 9 }, { common }).sign(KEY)], {
      timestamp: 1n,
      coinbase: createAddressFromString(SENDER),
      extraData,
    })
    let closed = false
    async function* oneThenNothing() {
      try {
        yield createLegacyTx({ nonce: 0, gasLimit: 21000, gasPrice: 0, to: TO, value: 5 }, { common }).sign(KEY)
        // A period with no more transactions (an hour: a chain may be configured so).
        await new Promise((r) => setTimeout(r, 3_600_000).unref())
      } finally {
        closed = true
      }
    }
    const building = builder.build(parent, oneThenNothing(), { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData })
    await new Promise((r) => setTimeout(r, 50))
    const started = Date.now()
    await expect(builder.execute(parent, other.block)).resolves.toBeDefined()
    const built = await building
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(built.block.transactions.map((t) => t.nonce)).toEqual([0n])
    expect(closed).toBe(false) // the stream's wait is left to end on its own (or by its producer's abort)
  })

  it('refuses a block whose state root was tampered with', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const { common, store } = await setup(tmp.dir)
    const executor = await BlockExecutor.create(common, store)
    const tx = createLegacyTx({ nonce: 0, gasLimit: 21000, gasPrice: 0, to: TO, value: 1 }, { common }).sign(KEY)
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
    const { block } = await executor.build(store.head, [tx], { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData })
    const { createBlock } = await import('@ethereumjs/block')
    const forged = createBlock({ header: { ...block.header.toJSON(), stateRoot: new Uint8Array(32).fill(1) }, transactions: block.transactions }, blockOptions(common))
    await expect(executor.execute(store.head, forged)).rejects.toThrow(InvalidBlockError)
    await store.close()
  })

  it('builds and validates the gas limit of the block rules (chain parameters), and builds nothing the rules refuse', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const { common, store } = await setup(tmp.dir)
    const parent = store.head
    expect(parent.header.gasLimit).toBe(50_000_000n)
    const rules = async () => ({ gasLimit: 40_000_000n })
    const proposer = await BlockExecutor.create(common, store, undefined, rules)
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
    const header = { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData }
    // A transaction above the scheduled limit (but under the parent's) is left out.
    const big = createLegacyTx({ nonce: 0, gasLimit: 45_000_000, gasPrice: 0, to: TO, value: 1 }, { common }).sign(KEY)
    const built = await proposer.build(parent, [big], header)
    expect(built.block.header.gasLimit).toBe(40_000_000n)
    expect(built.block.transactions).toHaveLength(0)
    await expect((await BlockExecutor.create(common, store, undefined, rules)).execute(parent, built.block)).resolves.toBeDefined()
    // A block with the parent's gas limit breaks the rules: an importer refuses it, naming both.
    const old = await (await BlockExecutor.create(common, store)).build(parent, [], header)
    expect(old.block.header.gasLimit).toBe(50_000_000n)
    await expect((await BlockExecutor.create(common, store, undefined, rules)).execute(parent, old.block)).rejects.toThrow('gas limit differs from the chain gas limit\n\nDetails: header 50000000, chain parameters 40000000')
    // Rules that refuse the block (an unsupported protocol) stop building and executing alike.
    const refusing = await BlockExecutor.create(common, store, undefined, async () => {
      throw new ProtocolUnsupportedError(1n, 'quorate/9', ['quorate/1'])
    })
    await expect(refusing.build(parent, [], header)).rejects.toThrow(ProtocolUnsupportedError)
    await expect(refusing.execute(parent, built.block)).rejects.toThrow(ProtocolUnsupportedError)
    await store.close()
  })
})
