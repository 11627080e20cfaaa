/**
 * The eth_ methods that read chain and state or submit transactions (filters and subscriptions
 * live in filters.ts). Reads go through the node's CallExecutor at the asked block's state;
 * eth_call and eth_estimateGas run a client's EVM code, so they go to the CallPool (worker threads,
 * gas cap, time limit).
 */
import { bigIntToHex, bytesToHex, hexToBytes, intToHex } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import { z } from 'zod'
import type { CallExecutor } from '../execution/call.js'
import type { CallPool } from '../execution/call-pool.js'
import type { TxIngestPort } from '../execution/tx-ingest.js'
import type { TxPool } from '../execution/txpool.js'
import type { ChainReader, SyncView } from '../node/ports.js'
import { QuorateError } from '../errors.js'
import type { Hash, Hex } from '../types.js'
import { findBlock, requireBlock } from './blocks.js'
import { effectiveGasPrice, formatBlock, formatReceipt, formatTransaction } from './format.js'
import { queryLogs } from './logs.js'
import { addressSchema, blockIdSchema, blockTagSchema, callRequestSchema, dataSchema, hashSchema, logFilterSchema, quantitySchema, type CallRequest } from './schemas.js'
import { method, noParams, type RpcMethods } from './types.js'

const MAX_FEE_HISTORY_BLOCKS = 1024n

/** What the eth_ methods read from the node, and the one way they write: the ingest. */
export interface EthNode {
  readonly chainId: bigint
  readonly common: Common
  readonly config: { readonly txpool: { readonly minGasPrice: bigint } }
  readonly store: ChainReader
  /** State reads at a block (balance, nonce, code, storage). */
  readonly calls: Pick<CallExecutor, 'getAccount' | 'getCode' | 'getStorage'>
  /** Clients' EVM code: eth_call and eth_estimateGas. */
  readonly callPool: Pick<CallPool, 'call' | 'estimateGas'>
  /** Pending nonces and pending transactions by hash. */
  readonly pool: Pick<TxPool, 'nextNonce' | 'get'>
  readonly ingest: TxIngestPort
  readonly sync: SyncView | undefined
}

function toCall(req: CallRequest) {
  return {
    ...(req.from ? { from: req.from } : {}),
    ...(req.to ? { to: req.to } : {}),
    ...(req.gas !== undefined ? { gas: req.gas } : {}),
    ...(req.value !== undefined ? { value: req.value } : {}),
    ...(req.data ? { data: req.data } : {}),
    ...(req.accessList ? { accessList: req.accessList } : {}),
  }
}

export function ethMethods(node: EthNode): RpcMethods {
  const { store, calls, callPool, pool, ingest } = node
  const gasPrice = () => bigIntToHex(node.config.txpool.minGasPrice)

  async function txByHash(hash: Hash) {
    const loc = await store.getTxLocation(hash)
    if (!loc) return undefined
    const block = await store.getBlockByHash(loc.blockHash)
    if (!block) return undefined
    return { block, index: loc.index }
  }

  return {
    eth_chainId: noParams(() => bigIntToHex(node.chainId)),
    eth_blockNumber: noParams(() => bigIntToHex(store.head.header.number)),
    eth_syncing: noParams(() => {
      const sync = node.sync
      if (!sync?.syncing) return false
      return { startingBlock: '0x0', currentBlock: bigIntToHex(store.head.header.number), highestBlock: bigIntToHex(sync.highestKnown()) }
    }),
    eth_accounts: noParams(() => []),
    eth_gasPrice: noParams(gasPrice),
    eth_maxPriorityFeePerGas: noParams(gasPrice),

    eth_getBalance: method(z.tuple([addressSchema, blockIdSchema.optional()]), async ([address, id]) =>
      bigIntToHex((await calls.getAccount(await requireBlock(store, id), address)).balance),
    ),
    eth_getTransactionCount: method(z.tuple([addressSchema, blockIdSchema.optional()]), async ([address, id]) => {
      const { nonce } = await calls.getAccount(await requireBlock(store, id), address)
      return bigIntToHex(id?.kind === 'tag' && id.tag === 'pending' ? pool.nextNonce(address, nonce) : nonce)
    }),
    eth_getCode: method(z.tuple([addressSchema, blockIdSchema.optional()]), async ([address, id]) =>
      bytesToHex(await calls.getCode(await requireBlock(store, id), address)),
    ),
    eth_getStorageAt: method(z.tuple([addressSchema, quantitySchema, blockIdSchema.optional()]), async ([address, slot, id]) => {
      if (slot >= 2n ** 256n) throw new QuorateError('INVALID_PARAMS', 'storage slot above 2^256')
      return bytesToHex(await calls.getStorage(await requireBlock(store, id), address, slotBytes(slot)))
    }),
    eth_call: method(z.tuple([callRequestSchema, blockIdSchema.optional()]), async ([req, id]) =>
      bytesToHex(await callPool.call(await requireBlock(store, id), toCall(req))),
    ),
    eth_estimateGas: method(z.tuple([callRequestSchema, blockIdSchema.optional()]), async ([req, id]) =>
      bigIntToHex(await callPool.estimateGas(await requireBlock(store, id), toCall(req))),
    ),
    eth_feeHistory: method(z.tuple([quantitySchema, blockTagSchema, z.array(z.number().min(0).max(100)).optional()]), async ([count, newest, percentiles]) => {
      const n = count > MAX_FEE_HISTORY_BLOCKS ? MAX_FEE_HISTORY_BLOCKS : count
      const last = await requireBlock(store, newest)
      const first = last.header.number + 1n - n < 0n ? 0n : last.header.number + 1n - n
      const gasUsedRatio: number[] = []
      const reward: Hex[][] = []
      for (let i = first; i <= last.header.number && n > 0n; i++) {
        const block = (await store.getBlockByNumber(i))!
        gasUsedRatio.push(Number(block.header.gasUsed) / Number(block.header.gasLimit))
        if (percentiles) {
          // Tips sorted ascending; the p-th percentile by transaction count (base fee is always 0).
          const tips = block.transactions.map(effectiveGasPrice).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
          reward.push(percentiles.map((p) => bigIntToHex(tips.length ? tips[Math.min(tips.length - 1, Math.floor((p / 100) * tips.length))]! : 0n)))
        }
      }
      return {
        oldestBlock: bigIntToHex(first),
        baseFeePerGas: Array.from({ length: gasUsedRatio.length + 1 }, () => '0x0'),
        gasUsedRatio,
        ...(percentiles ? { reward } : {}),
      }
    }),
    eth_sendRawTransaction: method(z.tuple([dataSchema]), async ([raw]) => ingest.submitRaw(raw)),

    eth_getBlockByNumber: method(z.tuple([blockTagSchema, z.boolean().optional()]), async ([tag, full]) => {
      const block = await findBlock(store, tag)
      return block ? formatBlock(block, await store.getFinality(bytesToHex(block.hash()) as Hash), full ?? false) : null
    }),
    eth_getBlockByHash: method(z.tuple([hashSchema, z.boolean().optional()]), async ([hash, full]) => {
      const block = await store.getBlockByHash(hash)
      return block ? formatBlock(block, await store.getFinality(hash), full ?? false) : null
    }),
    eth_getBlockTransactionCountByNumber: method(z.tuple([blockTagSchema]), async ([tag]) => {
      const block = await findBlock(store, tag)
      return block ? intToHex(block.transactions.length) : null
    }),
    eth_getBlockTransactionCountByHash: method(z.tuple([hashSchema]), async ([hash]) => {
      const block = await store.getBlockByHash(hash)
      return block ? intToHex(block.transactions.length) : null
    }),
    eth_getTransactionByBlockNumberAndIndex: method(z.tuple([blockTagSchema, quantitySchema]), async ([tag, index]) => {
      const block = await findBlock(store, tag)
      const tx = block?.transactions[Number(index)]
      return block && tx ? formatTransaction(tx, { block, index: Number(index) }) : null
    }),
    eth_getTransactionByBlockHashAndIndex: method(z.tuple([hashSchema, quantitySchema]), async ([hash, index]) => {
      const block = await store.getBlockByHash(hash)
      const tx = block?.transactions[Number(index)]
      return block && tx ? formatTransaction(tx, { block, index: Number(index) }) : null
    }),
    eth_getTransactionByHash: method(z.tuple([hashSchema]), async ([hash]) => {
      const found = await txByHash(hash)
      if (found) return formatTransaction(found.block.transactions[found.index]!, found)
      const pending = pool.get(hash)
      return pending ? formatTransaction(pending) : null
    }),
    eth_getTransactionReceipt: method(z.tuple([hashSchema]), async ([hash]) => {
      const found = await txByHash(hash)
      if (!found) return null
      const receipts = await store.getReceipts(bytesToHex(found.block.hash()) as Hash)
      return receipts ? formatReceipt(found.block, receipts, found.index, node.common) : null
    }),
    eth_getLogs: method(z.tuple([logFilterSchema]), async ([filter]) => queryLogs(store, filter)),
    eth_getBlockReceipts: method(z.tuple([blockIdSchema]), async ([id]) => {
      const block = await findBlock(store, id)
      if (!block) return null
      const receipts = (await store.getReceipts(bytesToHex(block.hash()) as Hash)) ?? []
      return receipts.map((_, i) => formatReceipt(block, receipts, i, node.common))
    }),
  }
}

function slotBytes(slot: bigint): Uint8Array {
  return hexToBytes(`0x${slot.toString(16).padStart(64, '0')}`)
}

