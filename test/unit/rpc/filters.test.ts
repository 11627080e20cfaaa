/**
 * Polling filters over their narrow port (FiltersNode), without a node or a process: the block
 * feed is an event emitter the test drives, the chain an in-memory one, the pool a real TxPool.
 */
import { EventEmitter } from 'node:events'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { afterEach, describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { TxPool } from '../../../src/execution/txpool.js'
import type { NodeEvents } from '../../../src/node/ports.js'
import { Filters, type FiltersNode, type FiltersOptions } from '../../../src/rpc/filters.js'
import { GAS_LIMIT, MemoryChain, rpcClient, signedTransfer } from './node-fakes.js'

const common = createChainCommon(1337n, GAS_LIMIT)
const open: Filters[] = []

afterEach(() => {
  for (const f of open.splice(0)) f.close()
})

function setup(opts: FiltersOptions = {}) {
  const chain = new MemoryChain(common, privateKeyToAddress(generatePrivateKey()), 3)
  const blocks = new EventEmitter<NodeEvents>()
  const pool = new TxPool({ common, blockGasLimit: GAS_LIMIT }, { getAccount: async () => ({ nonce: 0n, balance: 10n ** 18n }) })
  const node: FiltersNode = { store: chain, pool, on: (e, l) => blocks.on(e, l), off: (e, l) => blocks.off(e, l) }
  const filters = new Filters(node, opts)
  open.push(filters)
  /** A new final block, announced as the node announces it. */
  const finalise = (): string => {
    const record = chain.append()
    blocks.emit('block', record, 'consensus')
    return bytesToHex(record.block.hash())
  }
  return { filters, pool, finalise, rpc: rpcClient(filters.methods(), { transport: 'http', remoteAddress: '10.0.0.7' }) }
}

describe('Filters over the FiltersNode port', () => {
  it('a block filter gives the hashes of the blocks final since the last poll, once', async () => {
    const s = setup()
    const { result: id } = await s.rpc('eth_newBlockFilter')
    expect(id).toMatch(/^0x[0-9a-f]{32}$/)
    const first = s.finalise()
    const second = s.finalise()
    expect(await s.rpc('eth_getFilterChanges', [id])).toEqual({ jsonrpc: '2.0', id: 1, result: [first, second] })
    expect(await s.rpc('eth_getFilterChanges', [id])).toMatchObject({ result: [] })
    expect(await s.rpc('eth_uninstallFilter', [id])).toMatchObject({ result: true })
    expect((await s.rpc('eth_getFilterChanges', [id])).error).toMatchObject({ code: -32001 })
  })

  it('a pending-transaction filter gives the hashes the pool admitted', async () => {
    const s = setup()
    const { result: id } = await s.rpc('eth_newPendingTransactionFilter')
    const hash = await s.pool.addRaw(hexToBytes(signedTransfer(common, generatePrivateKey(), 0n)))
    expect(await s.rpc('eth_getFilterChanges', [id])).toMatchObject({ result: [hash] })
  })

  it('refuses a client past maxFiltersPerClient with LIMIT_EXCEEDED (-32005), and the node past maxFilters', async () => {
    const s = setup({ maxFiltersPerClient: 2, maxFilters: 3 })
    await s.rpc('eth_newBlockFilter')
    await s.rpc('eth_newBlockFilter')
    const refused = await s.rpc('eth_newBlockFilter')
    expect(refused.error).toMatchObject({ code: -32005 })
    expect(refused.error!.message).toMatch(/your address already holds 2 filters/)
    expect(s.filters.size).toBe(2)
    const other = (ip: string) => rpcClient(s.filters.methods(), { transport: 'http', remoteAddress: ip })
    expect(await other('10.0.0.8')('eth_newBlockFilter')).toHaveProperty('result')
    const full = await other('10.0.0.9')('eth_newBlockFilter')
    expect(full.error).toMatchObject({ code: -32005 })
    expect(full.error!.message).toMatch(/the node holds 3 filters/)
  })
})
