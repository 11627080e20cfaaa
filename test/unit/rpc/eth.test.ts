/**
 * The eth_ methods over their narrow port (EthNode), without a node or a process: an in-memory
 * chain of real blocks, an in-memory state, and a real TxPool behind a real TxIngest. Requests go
 * through the JSON-RPC dispatcher, so the error codes are the ones a client sees.
 */
import { bytesToHex } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { TxIngest } from '../../../src/execution/tx-ingest.js'
import { TxPool } from '../../../src/execution/txpool.js'
import type { SyncView } from '../../../src/node/ports.js'
import { ethMethods, type EthNode } from '../../../src/rpc/eth.js'
import type { Address, Hex } from '../../../src/types.js'
import { GAS_LIMIT, MemoryChain, rpcClient, signedTransfer, type RpcAnswer } from './node-fakes.js'

const common = createChainCommon(1337n, GAS_LIMIT)
const VALIDATOR = privateKeyToAddress(generatePrivateKey())

interface Setup {
  node: EthNode
  chain: MemoryChain
  pool: TxPool
  state: Map<Address, { nonce: bigint; balance: bigint }>
  rpc: (method: string, params?: unknown[]) => Promise<RpcAnswer>
}

function setup(opts: { maxTotal?: number; sync?: SyncView } = {}): Setup {
  const chain = new MemoryChain(common, VALIDATOR, 5)
  const state = new Map<Address, { nonce: bigint; balance: bigint }>()
  const account = async (a: Address) => state.get(a.toLowerCase() as Address) ?? { nonce: 0n, balance: 0n }
  const pool = new TxPool({ common, blockGasLimit: GAS_LIMIT, maxTotal: opts.maxTotal ?? 100 }, { getAccount: account })
  const node: EthNode = {
    chainId: 1337n,
    common,
    config: { txpool: { minGasPrice: 7n } },
    store: chain,
    calls: {
      getAccount: async (_block, a) => account(a),
      getCode: async () => new Uint8Array(),
      getStorage: async () => new Uint8Array(32),
    },
    callPool: {
      call: async () => new Uint8Array(),
      estimateGas: async () => 21_000n,
    },
    pool,
    ingest: new TxIngest({ common, maxTxBytes: 128 * 1024 }, pool),
    sync: opts.sync,
  }
  return { node, chain, pool, state, rpc: rpcClient(ethMethods(node)) }
}

const transfer = (key: Uint8Array, nonce: bigint): Hex => signedTransfer(common, key, nonce)

function funded(s: Setup, nonce = 0n): { key: Uint8Array; address: Address } {
  const key = generatePrivateKey()
  const address = privateKeyToAddress(key)
  s.state.set(address.toLowerCase() as Address, { nonce, balance: 10n ** 18n })
  return { key, address }
}

describe('eth_ methods over the EthNode port', () => {
  it('eth_blockNumber, eth_chainId and eth_gasPrice answer from the chain reader and the config', async () => {
    const s = setup()
    expect(await s.rpc('eth_blockNumber')).toMatchObject({ result: '0x5' })
    s.chain.append()
    expect(await s.rpc('eth_blockNumber')).toMatchObject({ result: '0x6' })
    expect(await s.rpc('eth_chainId')).toMatchObject({ result: '0x539' })
    expect(await s.rpc('eth_gasPrice')).toMatchObject({ result: '0x7' })
  })

  it('eth_getBlockByNumber finds stored blocks and answers null past the head', async () => {
    const s = setup()
    const { result } = await s.rpc('eth_getBlockByNumber', ['0x2', false])
    expect(result).toMatchObject({ number: '0x2', hash: bytesToHex((await s.chain.getBlockByNumber(2n))!.hash()) })
    expect(await s.rpc('eth_getBlockByNumber', ['0x9', false])).toMatchObject({ result: null })
  })

  it('eth_getTransactionCount gives the state nonce at latest, and counts the pool at pending', async () => {
    const s = setup()
    const { key, address } = funded(s, 3n)
    expect(await s.rpc('eth_getTransactionCount', [address, 'latest'])).toMatchObject({ result: '0x3' })
    expect(await s.rpc('eth_getTransactionCount', [address, 'pending'])).toMatchObject({ result: '0x3' })
    await s.rpc('eth_sendRawTransaction', [transfer(key, 3n)])
    await s.rpc('eth_sendRawTransaction', [transfer(key, 4n)])
    expect(await s.rpc('eth_getTransactionCount', [address, 'latest'])).toMatchObject({ result: '0x3' })
    expect(await s.rpc('eth_getTransactionCount', [address, 'pending'])).toMatchObject({ result: '0x5' })
    expect(await s.rpc('eth_getBalance', [address])).toMatchObject({ result: '0xde0b6b3a7640000' })
  })

  it('eth_sendRawTransaction answers the hash of a pooled transaction, which eth_getTransactionByHash then shows as pending', async () => {
    const s = setup()
    const { key, address } = funded(s)
    const { result: hash } = await s.rpc('eth_sendRawTransaction', [transfer(key, 0n)])
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(s.pool.has(hash as Hex)).toBe(true)
    const { result: tx } = await s.rpc('eth_getTransactionByHash', [hash])
    expect(tx).toMatchObject({ hash, from: address.toLowerCase(), nonce: '0x0', blockNumber: null })
  })

  it('eth_sendRawTransaction refuses with the pool-full code (-32005) when the pool is full, and bad bytes with -32602', async () => {
    const s = setup({ maxTotal: 1 })
    const a = funded(s)
    const b = funded(s)
    expect(await s.rpc('eth_sendRawTransaction', [transfer(a.key, 0n)])).toHaveProperty('result')
    const full = await s.rpc('eth_sendRawTransaction', [transfer(b.key, 0n)])
    expect(full.error).toMatchObject({ code: -32005 })
    expect(full.error!.message).toMatch(/^txpool is full/)
    expect(s.pool.size).toBe(1)
    // A full pool refuses before decoding; with room, bytes that are no transaction are the client's error.
    expect((await s.rpc('eth_sendRawTransaction', ['0x01020304'])).error).toMatchObject({ code: -32005 })
    expect((await setup().rpc('eth_sendRawTransaction', ['0x01020304'])).error).toMatchObject({ code: -32602 })
  })

  it('eth_syncing is false without block sync, and reports the highest announced block while it runs', async () => {
    expect(await setup().rpc('eth_syncing')).toMatchObject({ result: false })
    const sync = { syncing: true, highestKnown: () => 42n }
    expect(await setup({ sync }).rpc('eth_syncing')).toMatchObject({ result: { startingBlock: '0x0', currentBlock: '0x5', highestBlock: '0x2a' } })
  })
})
