/**
 * Chains for sync and import tests without processes: a one-validator genesis in a temp LevelDB,
 * blocks of transfers built by the executor and sealed by the validator as consensus would.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import { createLegacyTx } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { expect } from 'vitest'
import { blockOptions, createChainCommon } from '../../src/chain/common.js'
import { encodeExtraData } from '../../src/chain/extra-data.js'
import { sealDigest, type Finality } from '../../src/chain/finality.js'
import { createGenesisBlock, genesisStateRoot, parseGenesis, type Genesis } from '../../src/chain/genesis.js'
import { fixedParams, genesisParams } from '../../src/chain/params.js'
import { ChainStore } from '../../src/chain/store.js'
import { createCommitSeal, privateKeySigner } from '../../src/consensus/qbft/index.js'
import { HeaderValidators } from '../../src/consensus/validators.js'
import { privateKeyToAddress } from '../../src/crypto/keys.js'
import { BlockExecutor } from '../../src/execution/executor.js'
import { createBlockImport, type BlockImport, type BlockImportModules, type FetchedBlock } from '../../src/sync/block-import.js'

export const VALIDATOR_KEY = hexToBytes('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
export const OTHER_KEY = hexToBytes('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
export const SENDER_KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
export const VALIDATOR = privateKeyToAddress(VALIDATOR_KEY)

export const genesis: Genesis = parseGenesis({
  config: { chainId: 1337, blockPeriodMs: 500 },
  timestamp: 1,
  validators: [VALIDATOR],
  alloc: { [privateKeyToAddress(SENDER_KEY)]: { balance: '1000000000000000000' } },
})
export const common = createChainCommon(1337n, genesis.gasLimit)

export interface TestChain {
  store: ChainStore
  executor: BlockExecutor
}

export async function openChain(dir: string): Promise<TestChain> {
  const store = await ChainStore.open(dir, common)
  const nodes: [string, Uint8Array][] = []
  const root = genesisStateRoot(genesis, (k, v) => nodes.push([k, v]))
  await store.putTrieNodes(nodes)
  await store.commit({ block: createGenesisBlock(genesis, common, root), finality: { round: 0, seals: [] }, receipts: [] })
  return { store, executor: await BlockExecutor.create(common, store) }
}

export const seal = (block: Block, key = VALIDATOR_KEY): Finality => ({ round: 0, seals: [createCommitSeal(sealDigest(block, 0, common), privateKeySigner(key))] })

/** The account the transfers of the `b`-th block built (from 0) go to, 7 wei each. */
export const recipient = (b: number): `0x${string}` => `0x${(0x1000 + b).toString(16).padStart(40, '0')}`

/**
 * Builds and commits `count` blocks of `perBlock` transfers (or `perBlock(b)` in the `b`-th) on `chain`; returns them as a peer would
 * serve them: with their outcome (receipts and state changes) when `outcomes` is set.
 */
export async function buildBlocks(chain: TestChain, count: number, perBlock: number | ((b: number) => number), { outcomes = false } = {}): Promise<FetchedBlock[]> {
  const out: FetchedBlock[] = []
  let nonce = 0
  for (let b = 0; b < count; b++) {
    const parent = chain.store.head
    const txs = Array.from({ length: typeof perBlock === 'number' ? perBlock : perBlock(b) }, () =>
      createLegacyTx({ nonce: nonce++, gasLimit: 21000, gasPrice: 0, to: recipient(b), value: 7 }, { common }).sign(SENDER_KEY),
    )
    const built = await chain.executor.build(parent, txs, {
      timestamp: parent.header.timestamp + 1n,
      coinbase: hexToBytes(VALIDATOR),
      extraData: encodeExtraData({ vanity: new Uint8Array(32), validators: [VALIDATOR], round: 0, seals: [] }),
    })
    expect(built.rejected).toEqual([])
    const finality = seal(built.block)
    await chain.store.commit({ block: built.block, finality, receipts: built.receipts, changes: built.changes })
    out.push({ block: built.block, finality, ...(outcomes ? { outcome: { receipts: built.receipts, changes: built.changes } } : {}) })
  }
  return out
}

/** Block import into `chain`; `prepare`: its sender recovery ahead of execution (none by default). */
export function importerFor(chain: TestChain, prepare?: BlockImportModules['prepare']): BlockImport {
  return createBlockImport({
    common,
    chain: chain.store,
    validators: new HeaderValidators(),
    params: fixedParams(genesisParams(genesis)),
    executor: chain.executor,
    commit: (record) => chain.store.commit(record),
    ...(prepare ? { prepare } : {}),
  })
}

/** The same block with one header field changed (and re-sealed by the validator, so the seal is valid). */
export function withHeader(block: Block, change: Record<string, unknown>): Block {
  return createBlock({ header: { ...block.header.toJSON(), ...change }, transactions: block.transactions }, blockOptions(common))
}
