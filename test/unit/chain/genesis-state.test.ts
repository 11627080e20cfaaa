import { describe, expect, it } from 'vitest'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createAddressFromString, bytesToHex, hexToBytes } from '@ethereumjs/util'
import fc from 'fast-check'
import { createChainCommon } from '../../../src/chain/common.js'
import { createGenesisBlock, genesisStateRoot, parseGenesis, writeGenesisState, type GenesisInput } from '../../../src/chain/genesis.js'
import { ChainStore } from '../../../src/chain/store.js'
import { createStateManager } from '../../../src/execution/executor.js'
import { keccak256 } from '../../../src/crypto/native.js'
import { tempDir } from '../../helpers/tmp.js'

const VALIDATOR = '0x1111111111111111111111111111111111111111'

/** An address per index, as a large allocation would hold. */
function addressOf(i: number): string {
  return bytesToHex(keccak256(Uint8Array.of(i >> 24, i >> 16, i >> 8, i)).subarray(12))
}

async function referenceRoot(input: GenesisInput): Promise<string> {
  const genesis = parseGenesis(input)
  return bytesToHex(await writeGenesisState(genesis, new MerkleStateManager({ common: createChainCommon(1337n, genesis.gasLimit) })))
}

const hexOf = (bytes: number[]): string => `0x${Buffer.from(bytes).toString('hex')}`

describe('genesisStateRoot (one-pass trie build)', () => {
  it('gives the root an MPT filled account by account gives, for allocations of every shape', async () => {
    const account = fc.record(
      {
        balance: fc.bigInt({ min: 0n, max: 2n ** 100n }).map(String),
        nonce: fc.bigInt({ min: 0n, max: 1000n }).map(String),
        code: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }).map(hexOf),
        storage: fc.dictionary(
          fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 32 }).map(hexOf),
          fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 32 }).map(hexOf),
          { maxKeys: 6 },
        ),
      },
      { requiredKeys: ['balance'] },
    )
    const alloc = fc.dictionary(fc.integer({ min: 0, max: 5000 }).map(addressOf), account, { maxKeys: 40 })
    await fc.assert(
      fc.asyncProperty(alloc, async (a) => {
        const input: GenesisInput = { config: { chainId: 1337 }, validators: [VALIDATOR], alloc: a }
        expect(bytesToHex(genesisStateRoot(parseGenesis(input)))).toBe(await referenceRoot(input))
      }),
      { numRuns: 60 },
    )
  })

  it('gives the same root for 3,000 plain accounts, and the store it fills reads them back', async () => {
    const alloc = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [addressOf(i), { balance: String(i + 1) }]))
    const input: GenesisInput = { config: { chainId: 1337 }, validators: [VALIDATOR], alloc }
    const genesis = parseGenesis(input)
    const nodes: [string, Uint8Array][] = []
    const root = genesisStateRoot(genesis, (k, v) => nodes.push([k, v]))
    expect(bytesToHex(root)).toBe(await referenceRoot(input))
    const tmp = await tempDir()
    try {
      const common = createChainCommon(1337n, genesis.gasLimit)
      const store = await ChainStore.open(tmp.dir, common)
      await store.putTrieNodes(nodes, 500)
      await store.commit({ block: createGenesisBlock(genesis, common, root), finality: { round: 0, seals: [] }, receipts: [] })
      const state = createStateManager(common, store)
      await state.setStateRoot(root)
      for (const i of [0, 1, 1234, 2999]) expect((await state.getAccount(createAddressFromString(addressOf(i))))?.balance).toBe(BigInt(i + 1))
      expect(await state.getAccount(createAddressFromString(addressOf(3000)))).toBeUndefined()
      await store.close()
    } finally {
      await tmp.cleanup()
    }
  })

  it('stores code and storage where the state reads them', async () => {
    const contract = addressOf(7)
    const input: GenesisInput = { config: { chainId: 1337 }, validators: [VALIDATOR], alloc: { [contract]: { code: '0x6001600055', storage: { '0x01': '0x2a', '0x02': '0x00' } } } }
    const genesis = parseGenesis(input)
    const nodes: [string, Uint8Array][] = []
    const root = genesisStateRoot(genesis, (k, v) => nodes.push([k, v]))
    expect(bytesToHex(root)).toBe(await referenceRoot(input))
    const tmp = await tempDir()
    try {
      const common = createChainCommon(1337n, genesis.gasLimit)
      const store = await ChainStore.open(tmp.dir, common)
      await store.putTrieNodes(nodes)
      const state = createStateManager(common, store)
      await state.setStateRoot(root)
      const a = createAddressFromString(contract)
      expect(bytesToHex(await state.getCode(a))).toBe('0x6001600055')
      expect(bytesToHex(await state.getStorage(a, hexToBytes(`0x${'00'.repeat(31)}01`)))).toBe('0x2a')
      await store.close()
    } finally {
      await tmp.cleanup()
    }
  })
})
