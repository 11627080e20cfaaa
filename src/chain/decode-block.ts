/**
 * Decoding a block received from a peer, reusing the transactions this node already holds.
 *
 * A proposal carries full transactions that every validator has usually received by gossip already,
 * decoded and with its sender recovered (a signature recovery each). Decoding them again costs as
 * much as the pool's admission did, four times over in a network of four. A transaction's hash is
 * the hash of its bytes, so a known transaction with the hash of a body entry is that entry: its
 * object is taken as it is (with its cached sender), and only unknown entries are decoded.
 */
import { Block, createBlockFromBytesArray, type BlockBytes } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createTxFromBlockBodyData, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../crypto/native.js'
import type { Hex } from '../types.js'
import { blockOptions } from './common.js'

/** Looks a transaction up by its hash (a pool, a cache). */
export type KnownTransactions = (hash: Hex) => TypedTransaction | undefined

/** The hash of a block body's transaction entry: a legacy one is an RLP list, a typed one its envelope bytes. */
export function bodyTxHash(entry: Uint8Array | Uint8Array[]): Hex {
  return bytesToHex(keccak256(entry instanceof Uint8Array ? entry : RLP.encode(entry))) as Hex
}

/** Decodes a serialized block as `createBlockFromRLP` does, taking the transactions `known` holds as they are. */
export function decodeBlock(serialized: Uint8Array, common: Common, known?: KnownTransactions): Block {
  const values = RLP.decode(serialized)
  if (!Array.isArray(values)) throw new Error('invalid serialized block: not an RLP list')
  const opts = blockOptions(common)
  const bytes = values as BlockBytes
  const txsData = bytes[1]
  if (!known || !Array.isArray(txsData) || txsData.length === 0) return createBlockFromBytesArray(bytes, opts)
  // The header, uncles and withdrawals (and their checks) as ethereumjs makes them, without the transactions.
  const withoutTxs = [...bytes] as BlockBytes
  withoutTxs[1] = []
  const shell = createBlockFromBytesArray(withoutTxs, opts)
  const txs = txsData.map((entry) => known(bodyTxHash(entry)) ?? createTxFromBlockBodyData(entry, { ...opts, common: shell.header.common }))
  return new Block(shell.header, txs, shell.uncleHeaders, shell.withdrawals, opts)
}
