/**
 * Polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter,
 * eth_getFilterChanges, eth_getFilterLogs, eth_uninstallFilter) and WebSocket subscriptions
 * (eth_subscribe: newHeads, logs, newPendingTransactions). Both are fed by the node's `block`
 * event and the pool's `added` event; a filter not polled for FILTER_TTL_MS is dropped.
 */
import { randomBytes } from 'node:crypto'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { z } from 'zod'
import type { BlockRecord } from '../chain/store.js'
import type { Node } from '../node/node.js'
import { QuorateError } from '../errors.js'
import type { Hash, Hex } from '../types.js'
import { notificationsNotSupported } from './errors.js'
import { blockLogs, formatHeader, type RpcLog } from './format.js'
import { logMatches, queryLogs } from './logs.js'
import { logFilterSchema, type LogFilter } from './schemas.js'
import { method, type RpcMethods } from './types.js'

export const FILTER_TTL_MS = 5 * 60_000
const MAX_FILTERS = 1000
const MAX_QUEUED = 10_000

type Filter =
  | { kind: 'logs'; filter: LogFilter; queue: RpcLog[]; lastPoll: number }
  | { kind: 'blocks'; queue: Hash[]; lastPoll: number }
  | { kind: 'pending'; queue: Hash[]; lastPoll: number }

const filterIdSchema = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a filter id like 0x1f')

export class Filters {
  private readonly filters = new Map<string, Filter>()
  private readonly sweep: NodeJS.Timeout

  constructor(private readonly node: Node) {
    node.on('block', (record) => this.onBlock(record))
    node.pool.on('added', (_tx, hash) => this.onPendingTx(hash))
    this.sweep = setInterval(() => this.expire(), 30_000)
    this.sweep.unref()
  }

  close(): void {
    clearInterval(this.sweep)
    this.filters.clear()
  }

  private add(filter: Filter): Hex {
    if (this.filters.size >= MAX_FILTERS) throw new QuorateError('LIMIT_EXCEEDED', `too many filters (${MAX_FILTERS}); uninstall unused ones`)
    const id = `0x${randomBytes(16).toString('hex')}` as Hex
    this.filters.set(id, filter)
    return id
  }

  private get(id: string): Filter {
    const f = this.filters.get(id.toLowerCase())
    if (!f) throw new QuorateError('RESOURCE_NOT_FOUND', 'filter not found')
    f.lastPoll = Date.now()
    return f
  }

  private onBlock({ block, receipts }: BlockRecord): void {
    const hash = bytesToHex(block.hash()) as Hash
    const logs = blockLogs(block, receipts)
    for (const f of this.filters.values()) {
      if (f.kind === 'blocks') push(f.queue, hash)
      else if (f.kind === 'logs') for (const l of logs) if (logMatches(l, f.filter)) push(f.queue, l)
    }
  }

  private onPendingTx(hash: Hex): void {
    for (const f of this.filters.values()) if (f.kind === 'pending') push(f.queue, hash)
  }

  private expire(): void {
    const cutoff = Date.now() - FILTER_TTL_MS
    for (const [id, f] of this.filters) if (f.lastPoll < cutoff) this.filters.delete(id)
  }

  methods(): RpcMethods {
    const { node } = this
    return {
      eth_newFilter: method(z.tuple([logFilterSchema]), ([filter]) => this.add({ kind: 'logs', filter, queue: [], lastPoll: Date.now() })),
      eth_newBlockFilter: method(z.tuple([]), () => this.add({ kind: 'blocks', queue: [], lastPoll: Date.now() })),
      eth_newPendingTransactionFilter: method(z.tuple([]), () => this.add({ kind: 'pending', queue: [], lastPoll: Date.now() })),
      eth_uninstallFilter: method(z.tuple([filterIdSchema]), ([id]) => this.filters.delete(id.toLowerCase())),
      eth_getFilterChanges: method(z.tuple([filterIdSchema]), ([id]) => {
        const f = this.get(id)
        return f.queue.splice(0, f.queue.length)
      }),
      eth_getFilterLogs: method(z.tuple([filterIdSchema]), async ([id]) => {
        const f = this.get(id)
        if (f.kind !== 'logs') throw new QuorateError('INVALID_INPUT', 'filter is not a log filter')
        return queryLogs(node.store, f.filter)
      }),
      eth_subscribe: method(
        z.union([
          z.tuple([z.literal('newHeads')]),
          z.tuple([z.literal('newPendingTransactions'), z.boolean().optional()]),
          z.tuple([z.literal('logs'), logFilterSchema.optional()]),
        ], { error: 'expected ["newHeads"], ["logs", filter?] or ["newPendingTransactions"]' }),
        (params, ctx) => {
          const conn = ctx.connection
          if (!conn) throw notificationsNotSupported()
          let id = ''
          if (params[0] === 'newHeads') {
            const listener = ({ block, finality }: BlockRecord) => conn.notify(id, formatHeader(block, finality))
            node.on('block', listener)
            id = conn.subscribe('newHeads', () => node.off('block', listener))
          } else if (params[0] === 'logs') {
            const filter: LogFilter = params[1] ?? { topics: [] }
            const listener = ({ block, receipts }: BlockRecord) => {
              for (const l of blockLogs(block, receipts)) if (logMatches(l, filter)) conn.notify(id, l)
            }
            node.on('block', listener)
            id = conn.subscribe('logs', () => node.off('block', listener))
          } else {
            const listener = (_tx: TypedTransaction, hash: Hex) => conn.notify(id, hash)
            node.pool.on('added', listener)
            id = conn.subscribe('newPendingTransactions', () => node.pool.off('added', listener))
          }
          return id
        },
      ),
      eth_unsubscribe: method(z.tuple([z.string()]), ([id], ctx) => {
        if (!ctx.connection) throw notificationsNotSupported()
        return ctx.connection.unsubscribe(id)
      }),
    }
  }
}

function push<T>(queue: T[], item: T): void {
  queue.push(item)
  if (queue.length > MAX_QUEUED) queue.shift()
}
