import { afterEach, describe, expect, it } from 'vitest'
import { createBlock, type Block } from '@ethereumjs/block'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { blockOptions, createChainCommon } from '../../../src/chain/common.js'
import { encodeExtraData } from '../../../src/chain/extra-data.js'
import { sealDigest, type Finality } from '../../../src/chain/finality.js'
import { createGenesisBlock, genesisStateRoot, parseGenesis, type Genesis } from '../../../src/chain/genesis.js'
import { fixedParams, genesisParams } from '../../../src/chain/params.js'
import { ChainStore } from '../../../src/chain/store.js'
import { createCommitSeal, privateKeySigner } from '../../../src/consensus/qbft/index.js'
import { HeaderValidators } from '../../../src/consensus/validators.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { QuorateError } from '../../../src/errors.js'
import { BlockExecutor } from '../../../src/execution/executor.js'
import { createBlockImport, SyncError, type FetchedBlock } from '../../../src/sync/block-import.js'
import { createBlockDecoder } from '../../../src/sync/decode-block.js'
import { tempDir } from '../../helpers/tmp.js'

const VALIDATOR_KEY = hexToBytes('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const OTHER_KEY = hexToBytes('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const SENDER_KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const VALIDATOR = privateKeyToAddress(VALIDATOR_KEY)

const genesis: Genesis = parseGenesis({
  config: { chainId: 1337, blockPeriodMs: 500 },
  timestamp: 1,
  validators: [VALIDATOR],
  alloc: { [privateKeyToAddress(SENDER_KEY)]: { balance: '1000000000000000000' } },
})
const common = createChainCommon(1337n, genesis.gasLimit)

async function openChain(dir: string): Promise<{ store: ChainStore; executor: BlockExecutor }> {
  const store = await ChainStore.open(dir, common)
  const nodes: [string, Uint8Array][] = []
  const root = genesisStateRoot(genesis, (k, v) => nodes.push([k, v]))
  await store.putTrieNodes(nodes)
  await store.commit({ block: createGenesisBlock(genesis, common, root), finality: { round: 0, seals: [] }, receipts: [] })
  return { store, executor: await BlockExecutor.create(common, store) }
}

const seal = (block: Block, key = VALIDATOR_KEY): Finality => ({ round: 0, seals: [createCommitSeal(sealDigest(block, 0, common), privateKeySigner(key))] })

/** Builds and commits `count` blocks of `perBlock` transfers on `chain`; returns them as a peer would serve them. */
async function buildBlocks(chain: { store: ChainStore; executor: BlockExecutor }, count: number, perBlock: number): Promise<FetchedBlock[]> {
  const out: FetchedBlock[] = []
  let nonce = 0
  for (let b = 0; b < count; b++) {
    const parent = chain.store.head
    const txs = Array.from({ length: perBlock }, () =>
      createLegacyTx({ nonce: nonce++, gasLimit: 21000, gasPrice: 0, to: `0x${(b + 1).toString(16).padStart(40, '0')}`, value: 7 }, { common }).sign(SENDER_KEY),
    )
    const built = await chain.executor.build(parent, txs, {
      timestamp: parent.header.timestamp + 1n,
      coinbase: hexToBytes(VALIDATOR),
      extraData: encodeExtraData({ vanity: new Uint8Array(32), validators: [VALIDATOR], round: 0, seals: [] }),
    })
    expect(built.rejected).toEqual([])
    const finality = seal(built.block)
    await chain.store.commit({ block: built.block, finality, receipts: built.receipts })
    out.push({ block: built.block, finality })
  }
  return out
}

function importerFor(chain: { store: ChainStore; executor: BlockExecutor }) {
  return createBlockImport({
    common,
    chain: chain.store,
    validators: new HeaderValidators(),
    params: fixedParams(genesisParams(genesis)),
    executor: chain.executor,
    commit: (record) => chain.store.commit(record),
  })
}

/** The same block with one header field changed (and re-sealed by the validator, so the seal is valid). */
function withHeader(block: Block, change: Record<string, unknown>): Block {
  return createBlock({ header: { ...block.header.toJSON(), ...change }, transactions: block.transactions }, blockOptions(common))
}

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

  it('refuses a block whose seals are over another round than the one claimed', async () => {
    const { source, joining } = await twoChains()
    const [block] = await buildBlocks(source, 1, 1)
    const err = await importerFor(joining).importBlocks([{ block: block!.block, finality: { round: 1, seals: block!.finality.seals } }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SyncError)
    expect(joining.store.head.header.number).toBe(0n)
  })
})

describe('createBlockDecoder', () => {
  it('decodes a served block into the same block, transactions and senders as createBlockFromRLP', async () => {
    const tmp = await tempDir()
    const chain = await openChain(tmp.dir)
    try {
      const [fetched] = await buildBlocks(chain, 1, 4)
      const decoded = createBlockDecoder(common)(fetched!.block.serialize())
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
