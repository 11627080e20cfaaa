/**
 * Genesis: the file format (validated, errors name the field), and the genesis block and state it
 * produces. The validator set of the genesis goes into the QBFT extraData of block 0.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, createAddressFromString, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { z } from 'zod'
import { address, bigintLike, hexString, parseWith } from '../validation.js'
import { blockOptions, FIXED_HEADER_FIELDS } from './common.js'
import { encodeExtraData } from './extra-data.js'

export const GenesisSchema = z.object({
  config: z.object({
    chainId: z.number().int().positive().max(2 ** 53 - 1),
    /** Minimum time between blocks, milliseconds. */
    blockPeriodMs: z.number().int().min(50).max(3_600_000).default(1000),
    /** With no transactions, an empty block at most this often, milliseconds. */
    emptyBlockPeriodMs: z.number().int().min(50).max(86_400_000).default(10_000),
    qbft: z
      .object({
        requestTimeoutMs: z.number().int().min(100).default(2000),
        maxRoundTimeoutMs: z.number().int().min(100).default(30_000),
      })
      .default({ requestTimeoutMs: 2000, maxRoundTimeoutMs: 30_000 }),
    /** Present on consortium chains (genesis made from a consortium file). */
    governance: z
      .object({
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
      z.object({
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

export function createGenesisBlock(genesis: Genesis, common: Common, stateRoot: Uint8Array): Block {
  return createBlock(
    {
      header: {
        number: 0n,
        gasLimit: genesis.gasLimit,
        timestamp: genesis.timestamp,
        extraData: encodeExtraData({ vanity: new Uint8Array(32), validators: genesis.validators, round: 0, seals: [] }),
        stateRoot,
        ...FIXED_HEADER_FIELDS,
      },
    },
    blockOptions(common),
  )
}
