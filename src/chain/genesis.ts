/**
 * Genesis: the file format (validated, errors name the field), and the genesis block and state it
 * produces. The validator set of the genesis goes into the QBFT extraData of block 0.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { RLP } from '@ethereumjs/rlp'
import { Account, bytesToUnprefixedHex, concatBytes, createAddressFromString, hexToBytes, KECCAK256_NULL, setLengthLeft, unpadBytes, utf8ToBytes } from '@ethereumjs/util'
import { keccak256 } from '../crypto/native.js'
import { z } from 'zod'
import { address, bigintLike, hexString, parseWith } from '../validation.js'
import { blockOptions, FIXED_HEADER_FIELDS } from './common.js'
import { encodeExtraData } from './extra-data.js'
import { buildTrie, type TrieEntry } from './trie.js'

/** Strict objects: an unknown (mistyped) key is refused, since every field counts in the genesis hash. */
export const GenesisSchema = z.strictObject({
  config: z.strictObject({
    chainId: z.number().int().positive().max(2 ** 53 - 1),
    /** Minimum time between blocks, milliseconds. */
    blockPeriodMs: z.number().int().min(50).max(3_600_000).default(1000),
    /** With no transactions, an empty block at most this often, milliseconds. */
    emptyBlockPeriodMs: z.number().int().min(50).max(86_400_000).default(10_000),
    qbft: z
      .strictObject({
        requestTimeoutMs: z.number().int().min(100).default(2000),
        maxRoundTimeoutMs: z.number().int().min(100).default(30_000),
      })
      .default({ requestTimeoutMs: 2000, maxRoundTimeoutMs: 30_000 }),
    /** Present on consortium chains (genesis made from a consortium file). */
    governance: z
      .strictObject({
        /** Contract creation needs a governance-approved runtime code hash. */
        requireCodeApproval: z.boolean().default(true),
      })
      .optional(),
  }),
  gasLimit: bigintLike.default(50_000_000n),
  timestamp: bigintLike.default(0n),
  validators: z.array(address).min(1, 'at least one validator is needed'),
  alloc: z
    .record(
      address,
      z.strictObject({
        balance: bigintLike.default(0n),
        nonce: bigintLike.optional(),
        code: hexString.optional(),
        storage: z.record(hexString, hexString).optional(),
      }),
    )
    .default({}),
})

export type Genesis = z.output<typeof GenesisSchema>
export type GenesisInput = z.input<typeof GenesisSchema>

export function parseGenesis(json: unknown, source = 'genesis'): Genesis {
  return parseWith(GenesisSchema, json, source)
}

/** Writes the genesis allocation into an empty state and returns the state root. */
export async function writeGenesisState(genesis: Genesis, state: MerkleStateManager): Promise<Uint8Array> {
  for (const [addr, acc] of Object.entries(genesis.alloc)) {
    const a = createAddressFromString(addr)
    await state.putAccount(a, new Account(acc.nonce ?? 0n, acc.balance))
    if (acc.code) await state.putCode(a, hexToBytes(acc.code as `0x${string}`))
    for (const [k, v] of Object.entries(acc.storage ?? {})) {
      await state.putStorage(a, setLengthLeft(hexToBytes(k as `0x${string}`), 32), hexToBytes(v as `0x${string}`))
    }
  }
  await state.flush()
  return state.getStateRoot()
}

/** Where code is stored in the trie DB (MerkleStateManager's prefixed code hash). */
const CODE_PREFIX = utf8ToBytes('c')

/**
 * The genesis state root, built in one pass over the allocation (see trie.ts): the same
 * root as `writeGenesisState`, in time and memory linear in the allocation, so that a genesis of
 * millions of accounts loads in seconds. `put` receives every trie node and code entry to store,
 * keyed as the store's trie DB keys them (unprefixed hex).
 */
export function genesisStateRoot(genesis: Genesis, put?: (key: string, value: Uint8Array) => void): Uint8Array {
  const sink = put && ((hash: Uint8Array, node: Uint8Array) => put(bytesToUnprefixedHex(hash), node))
  const accounts: TrieEntry[] = []
  for (const [addr, acc] of Object.entries(genesis.alloc)) {
    let codeHash = KECCAK256_NULL
    if (acc.code) {
      const code = hexToBytes(acc.code as `0x${string}`)
      codeHash = keccak256(code)
      if (code.length > 0) put?.(bytesToUnprefixedHex(concatBytes(CODE_PREFIX, codeHash)), code)
    }
    const slots = new Map<string, TrieEntry>()
    for (const [k, v] of Object.entries(acc.storage ?? {})) {
      const key = keccak256(setLengthLeft(hexToBytes(k as `0x${string}`), 32))
      const value = unpadBytes(hexToBytes(v as `0x${string}`))
      // A zero value is no entry; a later spelling of the same slot wins, as putStorage would do.
      const id = bytesToUnprefixedHex(key)
      if (value.length === 0) slots.delete(id)
      else slots.set(id, { key, value: RLP.encode(value) })
    }
    const storageRoot = buildTrie([...slots.values()], keccak256, sink)
    const account = new Account(acc.nonce ?? 0n, acc.balance, storageRoot, codeHash)
    accounts.push({ key: keccak256(createAddressFromString(addr).bytes), value: account.serialize() })
  }
  return buildTrie(accounts, keccak256, sink)
}

/**
 * The genesis block, whose hash identifies the chain (peers refuse a handshake with another one, a
 * data folder refuses another genesis.json). It covers EVERY field of the genesis file:
 * - `config`, all of it (chain id, block and empty-block periods, QBFT timeouts, governance, and any
 *   field added later) with defaults filled in: its keccak-256 is the 32-byte vanity of block 0's extraData;
 * - `gasLimit`, `timestamp`: header fields;
 * - `validators`: in the extraData;
 * - `alloc`: through the state root.
 * docs/operations.md "What the genesis hash covers" says the same.
 */
export function createGenesisBlock(genesis: Genesis, common: Common, stateRoot: Uint8Array): Block {
  return createBlock(
    {
      header: {
        number: 0n,
        gasLimit: genesis.gasLimit,
        timestamp: genesis.timestamp,
        extraData: encodeExtraData({ vanity: genesisConfigDigest(genesis.config), validators: genesis.validators, round: 0, seals: [] }),
        stateRoot,
        ...FIXED_HEADER_FIELDS,
      },
    },
    blockOptions(common),
  )
}

/** keccak-256 of the canonical JSON (keys sorted, bigints as decimal strings) of the genesis `config`. */
export function genesisConfigDigest(config: Genesis['config']): Uint8Array {
  return keccak256(utf8ToBytes(canonicalJson(config)))
}

function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString())
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
