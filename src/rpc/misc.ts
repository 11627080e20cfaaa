/**
 * net_, web3_ and txpool_ methods.
 *
 * txpool_content keeps geth's shape but never answers more than `contentMaxBytes` of JSON (a pool
 * of 1,325 transactions of 130 KB once made one call build ~350 MB and kill the node): when the
 * pool holds more, the answer carries `next`, a cursor for txpool_contentPage, which walks the
 * pool in (sender, nonce) order. txpool_contentFrom(address) is geth's per-sender view, bounded
 * the same way.
 */
import { bigIntToHex, bytesToHex, intToHex } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { z } from 'zod'
import { CLIENT_VERSION } from '../node/version.js'
import { keccak256 } from '../crypto/native.js'
import type { TxPool, TxPoolCursor, TxPoolPage, TxPoolPageRequest } from '../execution/txpool.js'
import type { Address } from '../types.js'
import { formatTransaction } from './format.js'
import { addressSchema, dataSchema } from './schemas.js'
import { method, noParams, type RpcMethods } from './types.js'

export interface PeerCounter {
  peerCount(): number
}

/** What these methods read from the node. */
export interface MiscNode {
  readonly chainId: bigint
  readonly pool: Pick<TxPool, 'status' | 'contentPage'>
}

export interface MiscOptions {
  /** Most JSON bytes (estimated) one txpool_content* answer holds; default 4 MiB. */
  contentMaxBytes?: number
}

export const DEFAULT_CONTENT_MAX_BYTES = 4 * 1024 * 1024
/** Transactions per txpool_contentPage when the caller gives no limit, and the most it may ask. */
export const DEFAULT_PAGE_LIMIT = 100
export const MAX_PAGE_LIMIT = 1000

/**
 * Upper bound of a formatted transaction's JSON: hex doubles the serialized bytes (calldata and
 * access list), a JSON access list adds quotes and keys (under 3× in all), plus ~1 KB of fixed fields.
 */
const jsonWeight = (_tx: TypedTransaction, size: number): number => 3 * size + 1024

const cursorSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}:[0-9]{1,20}$/, 'expected a cursor "<address>:<nonce>" from a previous txpool_content* answer')
  .transform((s): TxPoolCursor => {
    const [sender, nonce] = s.split(':') as [string, string]
    return { sender: sender.toLowerCase() as Address, nonce: BigInt(nonce) }
  })
const limitSchema = z
  .union([z.number().int(), z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/, 'expected a hex quantity').transform((s) => Number(BigInt(s)))])
  .refine((n) => n >= 1 && n <= MAX_PAGE_LIMIT, `limit must be between 1 and ${MAX_PAGE_LIMIT}`)

const formatCursor = (c: TxPoolCursor): string => `${c.sender}:${c.nonce}`

function formatPage(page: TxPoolPage, nextAlways: boolean) {
  const body: { pending: ReturnType<typeof mapContent>; queued: ReturnType<typeof mapContent>; next?: string | null } = {
    pending: mapContent(page.pending),
    queued: mapContent(page.queued),
  }
  if (page.next) body.next = formatCursor(page.next)
  else if (nextAlways) body.next = null
  return body
}

function mapContent(content: Record<string, Record<string, TypedTransaction>>) {
  return Object.fromEntries(
    Object.entries(content).map(([addr, byNonce]) => [addr, Object.fromEntries(Object.entries(byNonce).map(([n, tx]) => [n, formatTransaction(tx)]))]),
  )
}

export function miscMethods(node: MiscNode, peers: PeerCounter, opts: MiscOptions = {}): RpcMethods {
  const budget = opts.contentMaxBytes ?? DEFAULT_CONTENT_MAX_BYTES
  const page = (req: Partial<TxPoolPageRequest>): TxPoolPage =>
    node.pool.contentPage({ maxTxs: Number.MAX_SAFE_INTEGER, budget, weight: jsonWeight, ...req })
  return {
    net_version: noParams(() => node.chainId.toString()),
    net_listening: noParams(() => true),
    net_peerCount: noParams(() => intToHex(peers.peerCount())),
    web3_clientVersion: noParams(() => CLIENT_VERSION),
    web3_sha3: method(z.tuple([dataSchema]), ([data]) => bytesToHex(keccak256(data))),
    txpool_status: noParams(() => {
      const s = node.pool.status()
      return { pending: intToHex(s.pending), queued: intToHex(s.queued) }
    }),
    // geth's shape; `next` appears only when the answer was cut at the byte budget.
    txpool_content: noParams(() => formatPage(page({}), false)),
    txpool_contentFrom: method(z.tuple([addressSchema]), ([address]) => {
      const p = page({ sender: address })
      const body = formatPage(p, false)
      return { pending: body.pending[address] ?? {}, queued: body.queued[address] ?? {}, ...(body.next ? { next: body.next } : {}) }
    }),
    txpool_contentPage: method(z.tuple([cursorSchema.nullish(), limitSchema.optional()]), ([cursor, limit]) =>
      formatPage(page({ ...(cursor ? { start: cursor } : {}), maxTxs: limit ?? DEFAULT_PAGE_LIMIT }), true),
    ),
    eth_protocolVersion: noParams(() => bigIntToHex(1n)),
  }
}
