/**
 * Waits until a transaction is final on the client's fabric: at inclusion on Quorate (QBFT), after
 * the configured confirmation depth, or once the ledger's `finalized` tag has reached its block.
 * Before answering it reads the receipt again at the final height, so a transaction a reorg
 * dropped is not reported final. A reverted transaction is a REVERTED error.
 */
import type { Abi, Hash, TransactionReceipt } from 'viem'
import type { LedgerClient } from '../client.js'
import { LedgerError } from '../errors.js'
import { RevertedError } from '../translate.js'

export interface WaitForFinalParameters {
  hash: Hash
  /** Give up after this many ms (UNREACHABLE); default 120 s. */
  timeoutMs?: number
  /** When false, a reverted transaction's receipt is returned instead of thrown. Default true. */
  throwOnRevert?: boolean
  /** ABI of the contract called, to decode the revert when the ledger can replay it. */
  abi?: Abi | readonly unknown[]
}

export async function waitForFinal(client: LedgerClient, p: WaitForFinalParameters): Promise<TransactionReceipt> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(p.hash)) throw new LedgerError('INVALID_INPUT', `hash: expected a 32-byte transaction hash, got ${String(p.hash)}`)
  const timeoutMs = p.timeoutMs ?? 120_000
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LedgerError('UNREACHABLE', `transaction ${p.hash} was not final within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    const receipt = await Promise.race([untilFinal(client, p.hash), timeout])
    if (receipt.status === 'reverted' && p.throwOnRevert !== false) throw new RevertedError({}, { cause: new Error(`transaction ${p.hash} reverted in block ${receipt.blockNumber}`) })
    return receipt
  } catch (err) {
    throw client.fabric.toLedgerError(err, p.abi ? { abi: p.abi } : {})
  } finally {
    clearTimeout(timer)
  }
}

async function untilFinal(client: LedgerClient, hash: Hash): Promise<TransactionReceipt> {
  const { finality } = await client.capabilities()
  for (;;) {
    const receipt = await client.receipts.wait(hash)
    if (finality.kind === 'instant' || (finality.kind === 'confirmations' && finality.depth === 0)) return receipt
    const reached = async (): Promise<boolean> => {
      if (finality.kind === 'confirmations') return (await client.public.getBlockNumber({ cacheTime: 0 })) >= receipt.blockNumber + BigInt(finality.depth)
      const finalized = await client.public.getBlock({ blockTag: 'finalized' })
      return finalized.number !== null && finalized.number >= receipt.blockNumber
    }
    while (!(await reached())) await sleep(client.pollingInterval)
    // Still in the chain where it was seen? If a reorg moved or dropped it, wait again.
    const again = await client.public.getTransactionReceipt({ hash }).catch(() => undefined)
    if (again && again.blockHash === receipt.blockHash) return again
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
