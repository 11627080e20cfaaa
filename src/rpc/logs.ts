/**
 * Log queries (eth_getLogs, filters, `logs` subscriptions): the block range is screened with each
 * header's logs bloom before any receipts are read.
 */
import type { Block } from '@ethereumjs/block'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Bloom } from '@ethereumjs/vm'
import type { ChainReader } from '../node/ports.js'
import { QuorateError } from '../errors.js'
import type { Hash } from '../types.js'
import { blockNumberOf } from './blocks.js'
import { blockLogs, type RpcLog } from './format.js'
import type { LogFilter } from './schemas.js'

/** What a log query reads: blocks (for their blooms) and the receipts of those that may match. */
export type LogReader = Pick<ChainReader, 'head' | 'getBlockByNumber' | 'getBlockByHash' | 'getReceipts'>

export const MAX_LOG_RANGE = 10_000n
export const MAX_LOG_RESULTS = 20_000

export function logMatches(log: RpcLog, filter: LogFilter): boolean {
  if (filter.address && !filter.address.includes(log.address.toLowerCase() as `0x${string}`)) return false
  return filter.topics.every((wanted, i) => wanted === null || (log.topics[i] !== undefined && wanted.includes(log.topics[i]!.toLowerCase() as Hash)))
}

function bloomMayMatch(block: Block, filter: LogFilter): boolean {
  const bloom = new Bloom(block.header.logsBloom)
  if (filter.address && !filter.address.some((a) => bloom.check(hexToBytes(a)))) return false
  return filter.topics.every((wanted) => wanted === null || wanted.some((t) => bloom.check(hexToBytes(t))))
}

/** The matching logs of one block. */
export async function logsOfBlock(store: LogReader, block: Block, filter: LogFilter): Promise<RpcLog[]> {
  if (!bloomMayMatch(block, filter)) return []
  const receipts = await store.getReceipts(bytesToHex(block.hash()) as Hash)
  return receipts ? blockLogs(block, receipts).filter((l) => logMatches(l, filter)) : []
}

export async function queryLogs(store: LogReader, filter: LogFilter): Promise<RpcLog[]> {
  if (filter.blockHash) {
    const block = await store.getBlockByHash(filter.blockHash)
    if (!block) throw new QuorateError('RESOURCE_NOT_FOUND', `unknown block ${filter.blockHash}`)
    return logsOfBlock(store, block, filter)
  }
  const head = store.head.header.number
  const from = blockNumberOf(store, filter.fromBlock)
  let to = blockNumberOf(store, filter.toBlock)
  if (to > head) to = head
  if (from > to) return []
  if (to - from + 1n > MAX_LOG_RANGE) {
    throw new QuorateError('LIMIT_EXCEEDED', `block range too large: ${to - from + 1n} blocks, at most ${MAX_LOG_RANGE} per query; split the range`)
  }
  const out: RpcLog[] = []
  for (let n = from; n <= to; n++) {
    const block = await store.getBlockByNumber(n)
    if (!block) break
    out.push(...(await logsOfBlock(store, block, filter)))
    if (out.length > MAX_LOG_RESULTS) throw new QuorateError('LIMIT_EXCEEDED', `query returned more than ${MAX_LOG_RESULTS} logs; narrow the range or the filter`)
  }
  return out
}
