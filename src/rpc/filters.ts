/**
 * Polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter,
 * eth_getFilterChanges, eth_getFilterLogs, eth_uninstallFilter) and WebSocket subscriptions
 * (eth_subscribe: newHeads, logs, newPendingTransactions). Both are fed by the node's `block`
 * event and the pool's `added` event; a filter not polled for `ttlMs` (5 min, as geth) is dropped.
 *
 * Filters are bounded node-wide and per client (issue #9: one client could fill the node-wide
 * table): a client is its WebSocket connection (whose filters go when it closes) or, over HTTP,
 * its IP address.
 */
import { randomBytes } from 'node:crypto'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { z } from 'zod'
import type { BlockRecord } from '../chain/store.js'
import type { TxPool } from '../execution/txpool.js'
import type { BlockFeed } from '../node/ports.js'
import { QuorateError } from '../errors.js'
import type { RpcLimitMetrics } from '../ops/metrics.js'
import type { Hash, Hex } from '../types.js'
import { notificationsNotSupported } from './errors.js'
import { blockLogs, formatHeader, type RpcLog } from './format.js'
import { logMatches, queryLogs, type LogReader } from './logs.js'
import { logFilterSchema, type LogFilter } from './schemas.js'
import { method, type RpcConnection, type RpcContext, type RpcMethods } from './types.js'

export const FILTER_TTL_MS = 5 * 60_000
export const DEFAULT_MAX_FILTERS = 10_000
export const DEFAULT_MAX_FILTERS_PER_CLIENT = 100
const MAX_QUEUED = 10_000

type FilterBody =
  | { kind: 'logs'; filter: LogFilter; queue: RpcLog[] }
  | { kind: 'blocks'; queue: Hash[] }
  | { kind: 'pending'; queue: Hash[] }

type Filter = FilterBody & {
  lastPoll: number
  /** `ws:<connection id>` or `ip:<address>`: what the per-client limit counts. */
  owner: string
  /** The WebSocket connection that made it: its filters go when it closes. */
  conn: RpcConnection | undefined
}

export interface FiltersOptions {
  /** Filters node-wide, at most. Default 10,000. */
  maxFilters?: number
  /** Filters per WebSocket connection, or per IP address over HTTP, at most. Default 100. */
  maxFiltersPerClient?: number
  /** A filter not polled for this long is dropped. Default 5 min. */
  ttlMs?: number
}

/** What filters and subscriptions follow and read: final blocks, new pool transactions, and stored logs. */
export interface FiltersNode extends BlockFeed {
  readonly store: LogReader
  readonly pool: Pick<TxPool, 'on' | 'off'>
}

export interface FiltersModules {
  metrics?: RpcLimitMetrics
}

const filterIdSchema = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a filter id like 0x1f')

export class Filters {
  private readonly filters = new Map<string, Filter>()
  private readonly perOwner = new Map<string, number>()
  private readonly sweep: NodeJS.Timeout
  private readonly maxFilters: number
  private readonly maxPerClient: number
  private readonly ttlMs: number

  constructor(
    private readonly node: FiltersNode,
    opts: FiltersOptions = {},
    private readonly modules: FiltersModules = {},
  ) {
    this.maxFilters = opts.maxFilters ?? DEFAULT_MAX_FILTERS
    this.maxPerClient = opts.maxFiltersPerClient ?? DEFAULT_MAX_FILTERS_PER_CLIENT
    this.ttlMs = opts.ttlMs ?? FILTER_TTL_MS
    node.on('block', (record) => this.onBlock(record))
    node.pool.on('added', (_tx, hash) => this.onPendingTx(hash))
    this.sweep = setInterval(() => this.expire(), Math.min(30_000, Math.max(1000, this.ttlMs / 2)))
    this.sweep.unref()
  }

  close(): void {
    clearInterval(this.sweep)
    this.filters.clear()
    this.perOwner.clear()
  }

  get size(): number {
    return this.filters.size
  }

  private add(body: FilterBody, ctx: RpcContext): Hex {
    const conn = ctx.connection
    const owner = conn ? `ws:${conn.id}` : `ip:${ctx.remoteAddress ?? 'unknown'}`
    if (this.filters.size >= this.maxFilters) this.expire()
    if (this.filters.size >= this.maxFilters) {
      this.modules.metrics?.refused.inc({ reason: 'filters' })
      throw new QuorateError('LIMIT_EXCEEDED', `the node holds ${this.filters.size} filters (rpc.maxFilters); uninstall unused ones with eth_uninstallFilter, or retry later`)
    }
    const held = this.perOwner.get(owner) ?? 0
    if (held >= this.maxPerClient) {
      this.modules.metrics?.refused.inc({ reason: 'filters' })
      const who = conn ? 'this WebSocket connection' : 'your address'
      throw new QuorateError(
        'LIMIT_EXCEEDED',
        `${who} already holds ${held} filters (rpc.maxFiltersPerClient); uninstall unused ones with eth_uninstallFilter (unpolled filters expire after ${Math.round(this.ttlMs / 1000)} s)`,
      )
    }
    const id = `0x${randomBytes(16).toString('hex')}` as Hex
    this.filters.set(id, { ...body, lastPoll: Date.now(), owner, conn } as Filter)
    this.perOwner.set(owner, held + 1)
    return id
  }

  private remove(id: string): boolean {
    const f = this.filters.get(id)
    if (!f) return false
    this.filters.delete(id)
    const left = (this.perOwner.get(f.owner) ?? 1) - 1
    if (left > 0) this.perOwner.set(f.owner, left)
    else this.perOwner.delete(f.owner)
    return true
  }

  private get(id: string): Filter {
    const f = this.filters.get(id.toLowerCase())
    if (!f || f.conn?.closed) throw new QuorateError('RESOURCE_NOT_FOUND', 'filter not found')
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
    const cutoff = Date.now() - this.ttlMs
    for (const [id, f] of this.filters) if (f.lastPoll < cutoff || f.conn?.closed) this.remove(id)
  }

  methods(): RpcMethods {
    const { node } = this
    return {
      eth_newFilter: method(z.tuple([logFilterSchema]), ([filter], ctx) => this.add({ kind: 'logs', filter, queue: [] }, ctx)),
      eth_newBlockFilter: method(z.tuple([]), (_p, ctx) => this.add({ kind: 'blocks', queue: [] }, ctx)),
      eth_newPendingTransactionFilter: method(z.tuple([]), (_p, ctx) => this.add({ kind: 'pending', queue: [] }, ctx)),
      eth_uninstallFilter: method(z.tuple([filterIdSchema]), ([id]) => this.remove(id.toLowerCase())),
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
