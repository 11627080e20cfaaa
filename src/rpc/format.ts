/**
 * Ethereum JSON-RPC shapes of blocks, transactions, receipts and logs. Headers are shown with
 * their decided round and commit seals put back into extraData (QBFT layout); the hash is the
 * stored block's hash, which excludes both (see chain/extra-data.ts).
 */
import type { Block } from '@ethereumjs/block'
import { Capability, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToHex, createContractAddress, intToHex } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import { decodeExtraData, encodeExtraData } from '../chain/extra-data.js'
import type { Finality } from '../chain/finality.js'
import { receiptBloom, type StoredReceipt } from '../chain/receipts.js'
import type { Log } from '@ethereumjs/evm'
import type { Hex } from '../types.js'

/**
 * Hex of bytes by Node's native encoder: a full block's calldata is megabytes, and the JS loops of
 * the generic helpers made its formatting (and the garbage it leaves) the main cost of block reads.
 */
function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`
}

export interface RpcLog {
  address: Hex
  topics: Hex[]
  data: Hex
  blockNumber: Hex
  blockHash: Hex
  transactionHash: Hex
  transactionIndex: Hex
  logIndex: Hex
  removed: false
}

export function formatHeader(block: Block, finality: Finality) {
  const h = block.header
  return {
    number: bigIntToHex(h.number),
    hash: bytesToHex(block.hash()),
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    mixHash: bytesToHex(h.mixHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.logsBloom),
    transactionsRoot: bytesToHex(h.transactionsTrie),
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptTrie),
    miner: h.coinbase.toString(),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: bytesToHex(h.number === 0n ? h.extraData : encodeExtraData({ ...decodeExtraData(h.extraData), ...finality })),
    gasLimit: bigIntToHex(h.gasLimit),
    gasUsed: bigIntToHex(h.gasUsed),
    timestamp: bigIntToHex(h.timestamp),
    baseFeePerGas: bigIntToHex(h.baseFeePerGas ?? 0n),
    withdrawalsRoot: h.withdrawalsRoot ? bytesToHex(h.withdrawalsRoot) : undefined,
    blobGasUsed: bigIntToHex(h.blobGasUsed ?? 0n),
    excessBlobGas: bigIntToHex(h.excessBlobGas ?? 0n),
    parentBeaconBlockRoot: h.parentBeaconBlockRoot ? bytesToHex(h.parentBeaconBlockRoot) : undefined,
  }
}

export function formatBlock(block: Block, finality: Finality, fullTransactions: boolean) {
  return {
    ...formatHeader(block, finality),
    size: intToHex(block.serialize().length),
    transactions: fullTransactions
      ? block.transactions.map((tx, i) => formatTransaction(tx, { block, index: i }))
      : block.transactions.map((tx) => bytesToHex(tx.hash())),
    uncles: [],
    withdrawals: [],
  }
}

export function formatTransaction(tx: TypedTransaction, at?: { block: Block; index: number }) {
  const base = {
    blockHash: at ? bytesToHex(at.block.hash()) : null,
    blockNumber: at ? bigIntToHex(at.block.header.number) : null,
    transactionIndex: at ? intToHex(at.index) : null,
    hash: bytesToHex(tx.hash()),
    from: tx.getSenderAddress().toString(),
    to: tx.to ? tx.to.toString() : null,
    nonce: bigIntToHex(tx.nonce),
    gas: bigIntToHex(tx.gasLimit),
    value: bigIntToHex(tx.value),
    input: bytesToHex(tx.data),
    type: intToHex(tx.type),
    v: bigIntToHex(tx.v ?? 0n),
    r: bigIntToHex(tx.r ?? 0n),
    s: bigIntToHex(tx.s ?? 0n),
  }
  if (tx.type === TransactionType.Legacy) {
    return {
      ...base,
      gasPrice: bigIntToHex(tx.gasPrice),
      ...(tx.supports(Capability.EIP155ReplayProtection) ? { chainId: bigIntToHex(tx.common.chainId()) } : {}),
    }
  }
  return {
    ...base,
    chainId: bigIntToHex(tx.common.chainId()),
    accessList: 'accessList' in tx ? tx.accessList.map(([address, keys]) => ({ address: bytesToHex(address), storageKeys: keys.map(bytesToHex) })) : [],
    yParity: bigIntToHex(tx.v ?? 0n),
    // Base fee is 0, so the effective gas price is the priority fee capped by the fee cap.
    gasPrice: bigIntToHex(effectiveGasPrice(tx)),
    ...('maxFeePerGas' in tx ? { maxFeePerGas: bigIntToHex(tx.maxFeePerGas), maxPriorityFeePerGas: bigIntToHex(tx.maxPriorityFeePerGas) } : {}),
  }
}

export function effectiveGasPrice(tx: TypedTransaction): bigint {
  if ('maxFeePerGas' in tx) return tx.maxPriorityFeePerGas < tx.maxFeePerGas ? tx.maxPriorityFeePerGas : tx.maxFeePerGas
  return tx.gasPrice
}

/** The logs of one block, each with its position. */
export function blockLogs(block: Block, receipts: readonly StoredReceipt[]): RpcLog[] {
  const out: RpcLog[] = []
  const blockHash = bytesToHex(block.hash())
  const blockNumber = bigIntToHex(block.header.number)
  let logIndex = 0
  receipts.forEach((r, txIndex) => {
    const txHash = bytesToHex(block.transactions[txIndex]!.hash())
    for (const log of r.logs) out.push(formatLog(log, { blockHash, blockNumber, txHash, txIndex, logIndex: logIndex++ }))
  })
  return out
}

function formatLog(log: Log, at: { blockHash: Hex; blockNumber: Hex; txHash: Hex; txIndex: number; logIndex: number }): RpcLog {
  const [address, topics, data] = log
  return {
    address: bytesToHex(address),
    topics: topics.map((t) => bytesToHex(t)),
    data: bytesToHex(data),
    blockNumber: at.blockNumber,
    blockHash: at.blockHash,
    transactionHash: at.txHash,
    transactionIndex: intToHex(at.txIndex),
    logIndex: intToHex(at.logIndex),
    removed: false,
  }
}

export function formatReceipt(block: Block, receipts: readonly StoredReceipt[], index: number, common: Common) {
  const tx = block.transactions[index]!
  const r = receipts[index]!
  const prevGas = index === 0 ? 0n : receipts[index - 1]!.cumulativeGasUsed
  let firstLog = 0
  for (let i = 0; i < index; i++) firstLog += receipts[i]!.logs.length
  // Only this transaction's logs: formatting the whole block's made a block's receipts O(n²).
  const at = { blockHash: bytesToHex(block.hash()), blockNumber: bigIntToHex(block.header.number), txHash: bytesToHex(tx.hash()), txIndex: index }
  const logs = r.logs.map((log, i) => formatLog(log, { ...at, logIndex: firstLog + i }))
  const from = tx.getSenderAddress()
  return {
    transactionHash: at.txHash,
    transactionIndex: intToHex(index),
    blockHash: at.blockHash,
    blockNumber: at.blockNumber,
    from: from.toString(),
    to: tx.to ? tx.to.toString() : null,
    cumulativeGasUsed: bigIntToHex(r.cumulativeGasUsed),
    gasUsed: bigIntToHex(r.cumulativeGasUsed - prevGas),
    effectiveGasPrice: bigIntToHex(effectiveGasPrice(tx)),
    contractAddress: tx.to ? null : createContractAddress(from, tx.nonce).toString(),
    logs,
    logsBloom: bytesToHex(receiptBloom(r.logs, common)),
    type: intToHex(tx.type),
    status: intToHex(r.status),
  }
}
