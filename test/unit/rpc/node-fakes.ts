/**
 * In-memory stand-ins for the node's ports in the rpc tests: a chain of real QBFT blocks behind
 * the ChainReader port, signed transfers, and a JSON-RPC call through the real dispatcher (so an
 * error carries the code a client sees).
 */
import type { Block } from '@ethereumjs/block'
import { createBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { blockOptions } from '../../../src/chain/common.js'
import { encodeExtraData } from '../../../src/chain/extra-data.js'
import { sealDigest, type Finality } from '../../../src/chain/finality.js'
import type { StoredReceipt } from '../../../src/chain/receipts.js'
import type { BlockRecord, TxLocation } from '../../../src/chain/store.js'
import { generatePrivateKey, privateKeyToAddress, sign } from '../../../src/crypto/keys.js'
import type { ChainReader } from '../../../src/node/ports.js'
import { RpcDispatcher, type CallScope } from '../../../src/rpc/dispatch.js'
import type { RpcMethods } from '../../../src/rpc/types.js'
import type { Address, Hash, Hex } from '../../../src/types.js'

/** The gas limit of each block (createChainCommon's tests use the same). */
export const GAS_LIMIT = 30_000_000n

/** Final blocks in memory: what the chain store answers, nothing more. */
export class MemoryChain implements ChainReader {
  private readonly blocks: Block[] = []
  private readonly finality = new Map<string, Finality>()

  /** Blocks 0 to `height`, each with `validator` in its extraData. */
  constructor(
    private readonly common: Common,
    private readonly validator: Address,
    height: number,
  ) {
    for (let n = 0; n <= height; n++) this.append()
  }

  /**
   * Adds the next (empty) block and returns it as a final block record: proposed by `proposer`
   * (its coinbase), decided in round 0 and sealed by `sealers` (keys that sign its seal digest).
   */
  append(opts: { proposer?: Address; sealers?: Uint8Array[] } = {}): BlockRecord {
    const number = BigInt(this.blocks.length)
    const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [this.validator], round: 0, seals: [] })
    const header = { number, gasLimit: GAS_LIMIT, baseFeePerGas: 0n, timestamp: number, extraData, ...(opts.proposer ? { coinbase: opts.proposer } : {}) }
    const block = createBlock({ header }, blockOptions(this.common))
    const digest = hexToBytes(sealDigest(block, 0, this.common))
    const finality: Finality = { round: 0, seals: (opts.sealers ?? []).map((key) => sign(digest, key)) }
    this.blocks.push(block)
    this.finality.set(bytesToHex(block.hash()), finality)
    return { block, finality, receipts: [] }
  }

  get head(): Block {
    return this.blocks[this.blocks.length - 1]!
  }

  async getBlockByNumber(number: bigint): Promise<Block | undefined> {
    return this.blocks[Number(number)]
  }

  async getBlockByHash(hash: Hash): Promise<Block | undefined> {
    return this.blocks.find((b) => bytesToHex(b.hash()) === hash.toLowerCase())
  }

  async getFinality(hash: Hash): Promise<Finality> {
    return this.finality.get(hash.toLowerCase()) ?? { round: 0, seals: [] }
  }

  async getReceipts(): Promise<StoredReceipt[] | undefined> {
    return []
  }

  async getTxLocation(): Promise<TxLocation | undefined> {
    return undefined
  }
}

/** A signed legacy transfer of 1 wei to a fresh address, as raw hex. */
export function signedTransfer(common: Common, key: Uint8Array, nonce: bigint): Hex {
  const tx = createLegacyTx({ nonce, gasPrice: 10n, gasLimit: 21_000n, to: createAddressFromString(privateKeyToAddress(generatePrivateKey())), value: 1n }, { common }).sign(key)
  return bytesToHex(tx.serialize()) as Hex
}

export interface RpcAnswer {
  result?: unknown
  error?: { code: number; message: string }
}

/** Calls `methods` as a client would over HTTP: a JSON request through the dispatcher, the JSON answer parsed. */
export function rpcClient(methods: RpcMethods, ctx: CallScope['ctx'] = { transport: 'http' }): (method: string, params?: unknown[]) => Promise<RpcAnswer> {
  const dispatcher = new RpcDispatcher({ methods })
  const scope = (): CallScope => ({ ctx, end: () => {} })
  return async (method, params = []) => JSON.parse((await dispatcher.handle(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), scope))!) as RpcAnswer
}
