/**
 * Many view calls at once. Ledgers without a multicall contract (Quorate, a fresh Anvil) are read
 * with parallel eth_calls over the one client; each result is typed from its contract's ABI, and
 * one failing read does not fail the others: each entry is `{ status, result }` or `{ status, error }`.
 */
import type { MulticallContracts, MulticallResults, Narrow } from 'viem'
import type { LedgerClient } from '../client.js'
import type { LedgerError } from '../errors.js'
import { readContract } from './readContract.js'

export interface ReadBatchParameters<contracts extends readonly unknown[]> {
  contracts: MulticallContracts<Narrow<contracts>, { mutability: 'pure' | 'view' }>
}

export type ReadBatchResults<contracts extends readonly unknown[]> = MulticallResults<Narrow<contracts>, true, { error: LedgerError; mutability: 'pure' | 'view' }>

export async function readBatch<const contracts extends readonly unknown[]>(client: LedgerClient, p: ReadBatchParameters<contracts>): Promise<ReadBatchResults<contracts>> {
  const calls = p.contracts as readonly Parameters<typeof readContract>[1][]
  const settled = await Promise.allSettled(calls.map((c) => readContract(client, c)))
  return settled.map((s) => (s.status === 'fulfilled' ? { status: 'success', result: s.value } : { status: 'failure', error: client.fabric.toLedgerError(s.reason) })) as ReadBatchResults<contracts>
}
