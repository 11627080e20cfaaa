/**
 * qbft_ and admin_ methods over their narrow port (QbftNode), without a node or a process: an
 * in-memory chain whose blocks carry real commit seals, and a fixed validator set.
 */
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { qbftMethods, type QbftNode } from '../../../src/rpc/qbft.js'
import type { Hash } from '../../../src/types.js'
import { GAS_LIMIT, MemoryChain, rpcClient } from './node-fakes.js'

const common = createChainCommon(1337n, GAS_LIMIT)

function setup() {
  const keys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()]
  const [a, b, c] = keys.map(privateKeyToAddress) as [ReturnType<typeof privateKeyToAddress>, ReturnType<typeof privateKeyToAddress>, ReturnType<typeof privateKeyToAddress>]
  const [ka, kb, kc] = keys as [Uint8Array, Uint8Array, Uint8Array]
  const chain = new MemoryChain(common, a, 0)
  chain.append({ proposer: a, sealers: [ka, kb] })
  chain.append({ proposer: b, sealers: [kb, kc] })
  chain.append({ proposer: c, sealers: [ka, kb, kc] })
  chain.append({ proposer: a, sealers: [ka, kb] })
  const node: QbftNode = {
    store: chain,
    validators: { validatorsAfter: async () => [a, b, c] },
    common,
    address: a,
    chainId: 1337n,
    genesisHash: `0x${'11'.repeat(32)}` as Hash,
    get head() {
      return chain.head
    },
    config: { name: 'node-a' },
    producer: { status: () => undefined },
    host: undefined,
    sync: undefined,
  }
  return { a, b, c, rpc: rpcClient(qbftMethods(node)) }
}

describe('qbft_ and admin_ methods over the QbftNode port', () => {
  it('qbft_getSignerMetrics counts proposals by coinbase and seals by their recovered signer', async () => {
    const { a, b, c, rpc } = setup()
    expect(await rpc('qbft_getSignerMetrics', ['0x1', 'latest'])).toMatchObject({
      result: [
        { address: a, proposedBlockCount: '0x2', lastProposedBlockNumber: '0x4', sealedBlockCount: '0x3', lastSealedBlockNumber: '0x4' },
        { address: b, proposedBlockCount: '0x1', lastProposedBlockNumber: '0x2', sealedBlockCount: '0x4', lastSealedBlockNumber: '0x4' },
        { address: c, proposedBlockCount: '0x1', lastProposedBlockNumber: '0x3', sealedBlockCount: '0x2', lastSealedBlockNumber: '0x3' },
      ],
    })
    const { result } = await rpc('qbft_getSignerMetrics', ['0x3', '0x3'])
    expect(result).toContainEqual({ address: b, proposedBlockCount: '0x0', lastProposedBlockNumber: null, sealedBlockCount: '0x1', lastSealedBlockNumber: '0x3' })
  })

  it('qbft_getValidatorsByBlockNumber answers the set after a stored block, and RESOURCE_NOT_FOUND past the head', async () => {
    const { a, b, c, rpc } = setup()
    expect(await rpc('qbft_getValidatorsByBlockNumber', ['0x2'])).toMatchObject({ result: [a, b, c] })
    expect((await rpc('qbft_getValidatorsByBlockNumber', ['0x9'])).error).toMatchObject({ code: -32001, message: 'block not found' })
  })

  it('admin_nodeInfo and admin_peers answer for a node with no P2P host and no sync', async () => {
    const { a, rpc } = setup()
    expect(await rpc('admin_nodeInfo')).toMatchObject({ result: { id: a, name: 'node-a', listenAddr: null, chainId: '0x539', head: { number: '0x4' }, p2p: null, sync: null } })
    expect(await rpc('admin_peers')).toMatchObject({ result: [] })
  })
})
