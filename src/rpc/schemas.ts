/**
 * Reusable zod schemas for Ethereum JSON-RPC params. Each parses the wire form (hex strings,
 * objects) into what handlers work with (bigint, Uint8Array, lower-case addresses, tagged block
 * references) and fails with a message a developer can act on ("expected a hex quantity like
 * 0x1a"). Unknown object fields are dropped, and `null` in an object field means "absent", as
 * geth treats them: clients (ethers, viem, web3.js) send both.
 */
import { hexToBytes } from '@ethereumjs/util'
import { z } from 'zod'
import type { Address, Hash, Hex } from '../types.js'

const QUANTITY_RE = /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/
const DATA_RE = /^0x([0-9a-fA-F]{2})*$/
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/
const HASH_RE = /^0x[0-9a-fA-F]{64}$/

const QUANTITY_MSG = 'expected a hex quantity like 0x1a (0x prefix, no leading zeros, at most 256 bits)'
const DATA_MSG = 'expected hex data like 0x12ab (0x prefix, an even number of hex digits)'
const ADDRESS_MSG = 'expected a 20-byte address like 0x52908400098527886e0f7030069857d2e4169ee7'
const HASH_MSG = 'expected a 32-byte hash: 0x followed by 64 hex digits'

export const BLOCK_TAG_NAMES = ['latest', 'earliest', 'pending', 'safe', 'finalized'] as const
export type BlockTagName = (typeof BLOCK_TAG_NAMES)[number]
const BLOCK_TAG_MSG = `expected a block number like 0x1a or one of ${BLOCK_TAG_NAMES.join(', ')}`

/** A block named by tag or number (eth_getBlockByNumber, filter bounds). */
export type BlockTag = { kind: 'tag'; tag: BlockTagName } | { kind: 'number'; number: bigint }
/** A block named by tag, number or hash (EIP-1898: eth_call, eth_getBalance, ...). */
export type BlockId = BlockTag | { kind: 'hash'; hash: Hash; requireCanonical: boolean }

function hexString(re: RegExp, message: string) {
  return z.string({ error: message }).regex(re, { error: message })
}

/** Hex quantity → bigint. `0x0` is allowed; leading zeros, empty `0x` and > 256 bits are not. */
export const quantitySchema = hexString(QUANTITY_RE, QUANTITY_MSG).transform((s) => BigInt(s))

/** Hex quantity that must fit a JS number (indexes, counts, block counts) → number. */
export const quantityNumberSchema = hexString(QUANTITY_RE, QUANTITY_MSG)
  .transform((s) => BigInt(s))
  .refine((n) => n <= BigInt(Number.MAX_SAFE_INTEGER), { error: `expected a hex quantity of at most 0x${Number.MAX_SAFE_INTEGER.toString(16)}` })
  .transform((n) => Number(n))

/** Hex data (`0x` = empty) → bytes. */
export const dataSchema = hexString(DATA_RE, DATA_MSG).transform((s) => hexToBytes(s as Hex))

/** Hex data (`0x` = empty) → lower-case Hex string, for handlers that pass hex along. */
export const dataHexSchema = hexString(DATA_RE, DATA_MSG).transform((s) => s.toLowerCase() as Hex)

/** Hex data of exactly `n` bytes → bytes. */
export function bytesSchema(n: number) {
  const message = `expected ${n} bytes of hex data: 0x followed by ${2 * n} hex digits`
  return hexString(new RegExp(`^0x[0-9a-fA-F]{${2 * n}}$`), message).transform((s) => hexToBytes(s as Hex))
}

/** 20-byte address, any letter case (the EIP-55 checksum is not enforced) → lower-case Address. */
export const addressSchema = hexString(ADDRESS_RE, ADDRESS_MSG).transform((s) => s.toLowerCase() as Address)

/** 32-byte hash → lower-case Hash. */
export const hashSchema = hexString(HASH_RE, HASH_MSG).transform((s) => s.toLowerCase() as Hash)

function parseBlockTag(s: string): BlockTag | undefined {
  if ((BLOCK_TAG_NAMES as readonly string[]).includes(s)) return { kind: 'tag', tag: s as BlockTagName }
  if (QUANTITY_RE.test(s)) return { kind: 'number', number: BigInt(s) }
  return undefined
}

/** `latest|earliest|pending|safe|finalized` or a hex block number → BlockTag. */
export const blockTagSchema = z.string({ error: BLOCK_TAG_MSG }).transform((s, ctx): BlockTag => {
  const tag = parseBlockTag(s)
  if (tag !== undefined) return tag
  ctx.issues.push({ code: 'custom', message: BLOCK_TAG_MSG, input: s })
  return z.NEVER
})

const BLOCK_ID_MSG = `${BLOCK_TAG_MSG}, or an EIP-1898 object {"blockHash": ...} or {"blockNumber": ...}`

const eip1898Schema = z
  .object(
    {
      blockHash: hashSchema.nullish(),
      blockNumber: blockTagSchema.nullish(),
      requireCanonical: z.boolean({ error: 'expected requireCanonical to be true or false' }).nullish(),
    },
    { error: BLOCK_ID_MSG },
  )
  .transform((o, ctx): BlockId => {
    if (o.blockHash != null && o.blockNumber != null) {
      ctx.issues.push({ code: 'custom', message: 'give either blockHash or blockNumber, not both', input: o })
      return z.NEVER
    }
    if (o.blockHash != null) return { kind: 'hash', hash: o.blockHash, requireCanonical: o.requireCanonical ?? false }
    if (o.blockNumber != null) return o.blockNumber
    ctx.issues.push({ code: 'custom', message: 'an EIP-1898 block object needs blockHash or blockNumber', input: o })
    return z.NEVER
  })

/** A block tag, a hex number, or an EIP-1898 `{ blockHash, requireCanonical? }` / `{ blockNumber }` → BlockId. */
export const blockIdSchema = z.union([blockTagSchema, eip1898Schema], { error: BLOCK_ID_MSG })

/** `null` and absent are the same for optional object fields (geth semantics). */
function opt<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined)
}

export interface AccessListItem {
  address: Address
  storageKeys: Hash[]
}

/** EIP-2930 access list. */
export const accessListSchema = z.array(
  z.object(
    { address: addressSchema, storageKeys: z.array(hashSchema, { error: 'expected storageKeys to be an array of 32-byte hashes' }) },
    { error: 'expected an access list entry {"address": ..., "storageKeys": [...]}' },
  ),
  { error: 'expected an access list: an array of {"address": ..., "storageKeys": [...]}' },
)

/** Transaction call object of eth_call / eth_estimateGas / eth_sendTransaction. */
export interface CallRequest {
  from?: Address
  /** Absent or null for contract creation. */
  to?: Address
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  /** From `input` or `data` (the two must agree when both are given). */
  data?: Uint8Array
  nonce?: bigint
  accessList?: AccessListItem[]
  type?: bigint
  chainId?: bigint
}

export const callRequestSchema = z
  .object(
    {
      from: opt(addressSchema),
      to: opt(addressSchema),
      gas: opt(quantitySchema),
      gasPrice: opt(quantitySchema),
      maxFeePerGas: opt(quantitySchema),
      maxPriorityFeePerGas: opt(quantitySchema),
      value: opt(quantitySchema),
      data: opt(dataHexSchema),
      input: opt(dataHexSchema),
      nonce: opt(quantitySchema),
      accessList: opt(accessListSchema),
      type: opt(quantitySchema),
      chainId: opt(quantitySchema),
    },
    { error: 'expected a transaction call object like {"to": "0x…", "data": "0x…"}' },
  )
  .transform((o, ctx): CallRequest => {
    if (o.data !== undefined && o.input !== undefined && o.data !== o.input) {
      ctx.issues.push({ code: 'custom', message: 'both "data" and "input" are set and not equal; set only "input"', input: o })
      return z.NEVER
    }
    if (o.gasPrice !== undefined && (o.maxFeePerGas !== undefined || o.maxPriorityFeePerGas !== undefined)) {
      ctx.issues.push({ code: 'custom', message: 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified; give one fee style', input: o })
      return z.NEVER
    }
    const out: CallRequest = {}
    const hex = o.input ?? o.data
    if (hex !== undefined) out.data = hexToBytes(hex)
    if (o.from !== undefined) out.from = o.from
    if (o.to !== undefined) out.to = o.to
    if (o.gas !== undefined) out.gas = o.gas
    if (o.gasPrice !== undefined) out.gasPrice = o.gasPrice
    if (o.maxFeePerGas !== undefined) out.maxFeePerGas = o.maxFeePerGas
    if (o.maxPriorityFeePerGas !== undefined) out.maxPriorityFeePerGas = o.maxPriorityFeePerGas
    if (o.value !== undefined) out.value = o.value
    if (o.nonce !== undefined) out.nonce = o.nonce
    if (o.accessList !== undefined) out.accessList = o.accessList
    if (o.type !== undefined) out.type = o.type
    if (o.chainId !== undefined) out.chainId = o.chainId
    return out
  })

export const MAX_FILTER_TOPICS = 4

/** Log filter of eth_getLogs / eth_newFilter / eth_subscribe("logs"). */
export interface LogFilter {
  fromBlock?: BlockTag
  toBlock?: BlockTag
  /** A single block instead of a range; never together with fromBlock/toBlock. */
  blockHash?: Hash
  /** Emitting contracts to match (any of them); absent or empty = any address. */
  address?: Address[]
  /**
   * One entry per topic position: `null` = any topic, otherwise any of the listed hashes.
   * An empty OR array or a `null` inside one also means "any" (geth semantics): both become `null`.
   */
  topics: (Hash[] | null)[]
}

const TOPIC_MSG = 'expected a topic: null, a 32-byte hash, or an array of 32-byte hashes (any of them)'
const topicSchema = z.union([z.null(), hashSchema, z.array(z.union([z.null(), hashSchema], { error: TOPIC_MSG }))], { error: TOPIC_MSG })

export const logFilterSchema = z
  .object(
    {
      fromBlock: opt(blockTagSchema),
      toBlock: opt(blockTagSchema),
      blockHash: opt(hashSchema),
      address: opt(z.union([addressSchema, z.array(addressSchema)], { error: `${ADDRESS_MSG}, or an array of them` })),
      topics: opt(
        z
          .array(topicSchema, { error: 'expected topics to be an array' })
          .max(MAX_FILTER_TOPICS, { error: `at most ${MAX_FILTER_TOPICS} topic positions are allowed` }),
      ),
    },
    { error: 'expected a log filter object like {"fromBlock": "0x1", "address": "0x…", "topics": [...]}' },
  )
  .transform((o, ctx): LogFilter => {
    if (o.blockHash !== undefined && (o.fromBlock !== undefined || o.toBlock !== undefined)) {
      ctx.issues.push({ code: 'custom', message: 'cannot specify both blockHash and fromBlock/toBlock; choose one', input: o })
      return z.NEVER
    }
    const topics = (o.topics ?? []).map((t): Hash[] | null => {
      if (t === null) return null
      if (typeof t === 'string') return [t]
      // An empty OR list or a null inside one matches any topic, as in geth.
      return t.length === 0 || t.some((x) => x === null) ? null : t.filter((x): x is Hash => x !== null)
    })
    const out: LogFilter = { topics }
    if (o.fromBlock !== undefined) out.fromBlock = o.fromBlock
    if (o.toBlock !== undefined) out.toBlock = o.toBlock
    if (o.blockHash !== undefined) out.blockHash = o.blockHash
    if (o.address !== undefined) {
      const list = typeof o.address === 'string' ? [o.address] : o.address
      if (list.length > 0) out.address = list
    }
    return out
  })
