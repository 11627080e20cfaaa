import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBlock } from '@ethereumjs/block'
import { createAccessList2930Tx, createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { blockOptions, FIXED_HEADER_FIELDS } from '../../../src/chain/common.js'
import { QuorateError } from '../../../src/errors.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { SyncError } from '../../../src/sync/block-import.js'
import { CallExecutor } from '../../../src/execution/call.js'
import { decodeStateChanges, encodeStateChanges } from '../../../src/execution/state-changes.js'
import { decodeBlock } from '../../../src/chain/decode-block.js'
import { buildBlocks, common, genesis, importerFor, openChain, OTHER_KEY, recipient, seal, SENDER_KEY, withHeader } from '../../helpers/sync-chain.js'
import { tempDir } from '../../helpers/tmp.js'

describe('block import', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })
  async function twoChains() {
    const a = await tempDir()
    const b = await tempDir()
    const source = await openChain(a.dir)
    const joining = await openChain(b.dir)
    cleanups.push(async () => {
      await source.store.close()
      await joining.store.close()
      await a.cleanup()
      await b.cleanup()
    })
    return { source, joining }
  }

  it('imports sealed blocks in order and reaches the source chain\'s head and state', async () => {
    const { source, joining } = await twoChains()
    const blocks = await buildBlocks(source, 3, 5)
    const { imported } = await importerFor(joining).importBlocks(blocks)
    expect(imported).toBe(3)
    expect(bytesToHex(joining.store.head.hash())).toBe(bytesToHex(source.store.head.hash()))
    expect(bytesToHex(joining.store.head.header.stateRoot)).toBe(bytesToHex(source.store.head.header.stateRoot))
    // Blocks at or below the head are skipped, not imported twice.
    expect((await importerFor(joining).importBlocks(blocks)).imported).toBe(0)
  })

  it('refuses a block sealed by a key that is not a validator, and commits nothing of it', async () => {
    const { source, joining } = await twoChains()
    const [first, second] = await buildBlocks(source, 2, 2)
    const forged = { block: second!.block, finality: seal(second!.block, OTHER_KEY) }
    const err = await importerFor(joining).importBlocks([first!, forged]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SyncError)
    expect((err as SyncError).message).toMatch(/lacks a quorum of valid commit seals/)
    expect(joining.store.head.header.number).toBe(1n)
  })

  it('refuses a block whose seal is valid but whose state root is not what its transactions give', async () => {
    const { source, joining } = await twoChains()
    const [block] = await buildBlocks(source, 1, 3)
    const tampered = withHeader(block!.block, { stateRoot: bytesToHex(source.store.head.header.parentHash) })
    const err = await importerFor(joining).importBlocks([{ block: tampered, finality: seal(tampered) }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QuorateError)
    expect((err as QuorateError).code).toBe('INVALID_BLOCK')
    expect((err as QuorateError).message).toMatch(/state root mismatch/)
    expect(joining.store.head.header.number).toBe(0n)
    // The untampered block still imports afterwards.
    expect((await importerFor(joining).importBlocks([block!])).imported).toBe(1)
  })

  it('enters blocks served with their outcome (receipts, state changes) without re-executing them, to the source\'s state', async () => {
    const { source, joining } = await twoChains()
    const blocks = await buildBlocks(source, 3, 5, { outcomes: true })
    const execute = vi.spyOn(joining.executor, 'execute')
    expect(await importerFor(joining).importBlocks(blocks)).toEqual({ imported: 3, applied: 3, refused: 0 })
    expect(execute).not.toHaveBeenCalled()
    expect(bytesToHex(await joining.executor.stateManager.getStateRoot())).toBe(bytesToHex(source.store.head.header.stateRoot))
    const calls = await CallExecutor.create(common, joining.store)
    expect((await calls.getAccount(joining.store.head, recipient(2))).balance).toBe(7n * 5n)
  })

  it('re-executes a block whose served state changes do not give its sealed state root, and says so', async () => {
    const { source, joining } = await twoChains()
    const blocks = await buildBlocks(source, 3, 5, { outcomes: true })
    // Block 2's changes credit its recipient one wei more: well formed, sealed block, wrong state.
    const outcome = blocks[1]!.outcome!
    const changes = decodeStateChanges(outcome.changes)
    const credited = changes.accounts.find((c) => bytesToHex(c.address) === recipient(1))!
    credited.account = { ...credited.account!, balance: credited.account!.balance + 1n }
    blocks[1] = { ...blocks[1]!, outcome: { ...outcome, changes: encodeStateChanges(changes) } }
    const result = await importerFor(joining).importBlocks(blocks)
    expect(result).toMatchObject({ imported: 3, applied: 2, refused: 1 })
    expect(result.refusal).toMatch(/^block 2: invalid block: state root mismatch/)
    const calls = await CallExecutor.create(common, joining.store)
    expect((await calls.getAccount(joining.store.head, recipient(1))).balance).toBe(7n * 5n)
    expect(bytesToHex(joining.store.head.hash())).toBe(bytesToHex(source.store.head.hash()))
  })

  it('refuses a block whose seals are over another round than the one claimed', async () => {
    const { source, joining } = await twoChains()
    const [block] = await buildBlocks(source, 1, 1)
    const err = await importerFor(joining).importBlocks([{ block: block!.block, finality: { round: 1, seals: block!.finality.seals } }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SyncError)
    expect(joining.store.head.header.number).toBe(0n)
  })
})

describe('decodeBlock of served blocks', () => {
  it('decodes typed transactions (EIP-1559, EIP-2930) into the same hashes and senders', async () => {
    const txs = [
      createFeeMarket1559Tx({ chainId: 1337n, nonce: 0, gasLimit: 21000, maxFeePerGas: 0, maxPriorityFeePerGas: 0, to: `0x${'12'.repeat(20)}`, value: 1 }, { common }).sign(SENDER_KEY),
      createAccessList2930Tx({ chainId: 1337n, nonce: 1, gasLimit: 30000, gasPrice: 0, to: `0x${'34'.repeat(20)}`, accessList: [] }, { common }).sign(SENDER_KEY),
    ]
    const block = createBlock({ header: { number: 1n, gasLimit: genesis.gasLimit, ...FIXED_HEADER_FIELDS }, transactions: txs }, blockOptions(common))
    const decoded = decodeBlock(block.serialize(), common)
    expect(bytesToHex(decoded.hash())).toBe(bytesToHex(block.hash()))
    expect(decoded.transactions.map((t) => [t.type, bytesToHex(t.hash()), t.getSenderAddress().toString()])).toEqual(txs.map((t) => [t.type, bytesToHex(t.hash()), privateKeyToAddress(SENDER_KEY)]))
  })

  it('decodes a served block into the same block, transactions and senders as createBlockFromRLP', async () => {
    const tmp = await tempDir()
    const chain = await openChain(tmp.dir)
    try {
      const [fetched] = await buildBlocks(chain, 1, 4)
      const decoded = decodeBlock(fetched!.block.serialize(), common)
      expect(bytesToHex(decoded.hash())).toBe(bytesToHex(fetched!.block.hash()))
      expect(bytesToHex(decoded.serialize())).toBe(bytesToHex(fetched!.block.serialize()))
      expect(decoded.transactions.map((t) => bytesToHex(t.hash()))).toEqual(fetched!.block.transactions.map((t) => bytesToHex(t.hash())))
      expect(decoded.transactions.map((t) => t.getSenderAddress().toString())).toEqual(fetched!.block.transactions.map(() => privateKeyToAddress(SENDER_KEY)))
      expect(await decoded.transactionsTrieIsValid()).toBe(true)
      expect(Object.isFrozen(decoded.transactions[0])).toBe(true)
    } finally {
      await chain.store.close()
      await tmp.cleanup()
    }
  })
})
