/**
 * What a validator does to a proposal it receives, before executing it: decoding reuses the
 * transactions it holds (same object, sender already recovered), re-rounding keeps the transaction
 * objects, and the chain Common does not re-merge a parameter set on every transaction; and when
 * the next block is due (the pace of blocks under load).
 */
import { createBlock, createBlockFromRLP, genTransactionsTrieRoot, type Block } from '@ethereumjs/block'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { paramsTx } from '@ethereumjs/tx'
import { createLegacyTx, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { blockOptions, createChainCommon, FIXED_HEADER_FIELDS } from '../../../src/chain/common.js'
import { bodyTxHash, decodeBlock } from '../../../src/chain/decode-block.js'
import { encodeExtraData } from '../../../src/chain/extra-data.js'
import { sealDigest, withRound } from '../../../src/chain/finality.js'
import { nextDue } from '../../../src/consensus/qbft-producer.js'
import { devAccounts } from '../../../src/crypto/dev-accounts.js'
import type { Hex } from '../../../src/types.js'

const common = createChainCommon(1337n, 30_000_000n)
const key = hexToBytes(devAccounts(1)[0]!.privateKey)

function signedTx(nonce: number): TypedTransaction {
  return createLegacyTx({ nonce, gasPrice: 1n, gasLimit: 21_000n, to: `0x${'22'.repeat(20)}`, value: 1n }, { common }).sign(key)
}

async function blockOf(txs: TypedTransaction[], round = 0, timestamp = 100n): Promise<Block> {
  const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [`0x${'11'.repeat(20)}`], round, seals: [] })
  const transactionsTrie = await genTransactionsTrieRoot(txs, new MerklePatriciaTrie({ common }))
  return createBlock({ header: { number: 1n, gasLimit: 30_000_000n, timestamp, extraData, transactionsTrie, ...FIXED_HEADER_FIELDS }, transactions: txs }, blockOptions(common))
}

describe('decodeBlock', () => {
  const txs = [signedTx(0), signedTx(1), signedTx(2)]
  let bytes: Uint8Array
  beforeAll(async () => {
    bytes = (await blockOf(txs)).serialize()
  })

  it('takes the transactions it knows as they are and decodes the others', () => {
    const pooled = createTxFromRLP(txs[1]!.serialize(), { common })
    const known = new Map<Hex, TypedTransaction>([[bytesToHex(pooled.hash()) as Hex, pooled]])
    const block = decodeBlock(bytes, common, (h) => known.get(h))
    expect(block.transactions[1]).toBe(pooled)
    expect(block.transactions[0]).not.toBe(txs[0])
    expect(block.transactions.map((t) => bytesToHex(t.hash()))).toEqual(txs.map((t) => bytesToHex(t.hash())))
    expect(bytesToHex(block.hash())).toBe(bytesToHex(createBlockFromRLP(bytes, blockOptions(common)).hash()))
    expect(bytesToHex(block.serialize())).toBe(bytesToHex(bytes))
  })

  it('hashes a body entry as the transaction hash', () => {
    const body = (createBlockFromRLP(bytes, blockOptions(common)).raw()[1] as Uint8Array[][])[2]!
    expect(bodyTxHash(body)).toBe(bytesToHex(txs[2]!.hash()))
  })

  it('gives a block whose transactions root holds, with known and decoded transactions', async () => {
    const pooled = createTxFromRLP(txs[0]!.serialize(), { common })
    const block = decodeBlock(bytes, common, (h) => (h === bytesToHex(pooled.hash()) ? pooled : undefined))
    expect(await block.transactionsTrieIsValid()).toBe(true)
  })
})

describe('withRound and sealDigest', () => {
  it('keep the transaction objects and hash the re-rounded header', async () => {
    const txs = [signedTx(0), signedTx(1)]
    const block = await blockOf(txs, 0)
    const round2 = withRound(block, 2, common)
    expect(round2.transactions[0]).toBe(block.transactions[0])
    expect(bytesToHex(round2.hash())).toBe(bytesToHex((await blockOf(txs, 2)).hash()))
    expect(sealDigest(round2, 0, common)).toBe(bytesToHex(block.hash()))
    expect(sealDigest(block, 0, common)).toBe(bytesToHex(block.hash()))
  })
})

describe('the chain Common', () => {
  it('does not re-merge the transaction parameters for every transaction, and keeps them', () => {
    signedTx(0)
    const parse = vi.spyOn(JSON, 'parse')
    const tx = createTxFromRLP(signedTx(1).serialize(), { common })
    expect(parse).not.toHaveBeenCalled()
    parse.mockRestore()
    expect(tx.common.param('txGas')).toBe(21_000n)
    expect(tx.getIntrinsicGas()).toBe(21_000n)
  })

  it('merges a parameter set it does not hold yet', () => {
    const copy = common.copy()
    copy.updateParams({ 999_999: { quorateTestParam: 7 } })
    expect(copy.param('txGas')).toBe(21_000n)
    expect(paramsTx[1]).toBeDefined()
  })
})

describe('nextDue', () => {
  let head: Block
  beforeAll(async () => {
    head = await blockOf([], 0, 1_000n)
  })
  it('is a period after the previous due time, not after the commit', () => {
    expect(nextDue(head, 1000, 1_000_600, 1_000_000)).toBe(1_001_000)
  })
  it('is never before the commit', () => {
    expect(nextDue(head, 1000, 1_003_000, 1_000_000)).toBe(1_003_000)
  })
  it('is a period after the commit without a previous due time', () => {
    expect(nextDue(head, 1000, 1_000_600, undefined)).toBe(1_001_600)
  })
  it('waits for the clock when back-to-back blocks would put the timestamp more than a second ahead', () => {
    // The head is stamped 1000 s; its child gets at least 1001 s: not before 1000 s on the clock.
    expect(nextDue(head, 1000, 999_000, 998_000)).toBe(1_000_000)
  })
})
