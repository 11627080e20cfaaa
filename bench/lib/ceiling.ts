/**
 * The ceiling of a network of validators on one machine: every validator admits each transaction
 * (decodes it and recovers its sender) and executes it once, so with `cores` cores and
 * `validators` processes the machine cannot finalise more than
 *
 *   cores / (validators × (admission cost + execution cost))   transactions per second,
 *
 * before any consensus, gossip or JSON-RPC cost. Both costs are measured here per CPU-second of
 * one core (so other load on the machine does not lower them): admission in this process, on
 * signed ERC-20 transfers; execution by `bench/execution.js --only executor` (BlockExecutor.build
 * of ERC-20 transfer blocks) in a child process.
 */
import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createTxFromRLP } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { z } from 'zod'
import { createChainCommon } from '../../src/chain/common.js'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { signLegacyTx } from './erc20-bench.js'

export interface Ceiling {
  cores: number
  validators: number
  /** Transactions decoded and sender-recovered per CPU-second (one core). */
  admissionPerSecond: number
  /** ERC-20 transfers executed into blocks per CPU-second (one core). */
  executionPerSecond: number
  /** cores / (validators × per-transaction cost). */
  txPerSecond: number
}

/** Decode + sender recovery of `count` signed transfers, per CPU-second of this process. */
export function admissionRate(count = 2000): number {
  const common = createChainCommon(1337n, 30_000_000n)
  const key = hexToBytes(devAccounts(1)[0]!.privateKey)
  // transfer(address,uint256) to a token address: the bytes of a benchmark transfer.
  const data = `0xa9059cbb${'00'.repeat(12)}${'11'.repeat(20)}${'00'.repeat(31)}01` as const
  const raws = Array.from({ length: count }, (_, nonce) =>
    hexToBytes(signLegacyTx(key, { chainId: 1337n, nonce, gasPrice: 1n, gasLimit: 60_000n, to: `0x${'22'.repeat(20)}`, data, value: 0n }).raw),
  )
  const start = process.cpuUsage()
  for (const raw of raws) createTxFromRLP(raw, { common }).getSenderAddress()
  const used = process.cpuUsage(start)
  return count / ((used.user + used.system) / 1e6)
}

const executionJson = z.object({ results: z.array(z.object({ label: z.string(), txPerCpuSecond: z.number() })).min(1) })

/** BlockExecutor.build throughput per CPU-second, from the execution benchmark. */
export async function executionRate(tx = 1000): Promise<number> {
  const script = fileURLToPath(new URL('../execution.js', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, [script, '--only', 'executor', '--tx', String(tx), '--rounds', '1', '--json'], { maxBuffer: 16 * 1024 * 1024 })
  return executionJson.parse(JSON.parse(stdout)).results[0]!.txPerCpuSecond
}

export async function measureCeiling(validators: number): Promise<Ceiling> {
  const cores = availableParallelism()
  const admissionPerSecond = admissionRate()
  const executionPerSecond = await executionRate()
  const perTx = 1 / admissionPerSecond + 1 / executionPerSecond
  return { cores, validators, admissionPerSecond, executionPerSecond, txPerSecond: cores / (validators * perTx) }
}

/**
 * The same ceiling at the CPU the validator processes measurably used per transaction in the run
 * (`cpuMsPerTx`: all of them together, set-up included): admission and execution, and also what the
 * model above leaves out (JSON-RPC, the pool, gossip, consensus, committing).
 */
export function describeMeasuredCeiling(cores: number, validators: number, cpuMsPerTx: number, measured: { label: string; txPerSecond: number }): string {
  const perNode = cpuMsPerTx / validators
  const ceiling = (cores * 1000) / cpuMsPerTx
  return (
    `measured in the run: ${perNode.toFixed(2)} ms of CPU per tx per validator (${cpuMsPerTx.toFixed(2)} ms for all ${validators}); at that cost the ceiling is ${cores} cores / ${cpuMsPerTx.toFixed(2)} ms = ${ceiling.toFixed(0)} tx/s,` +
    ` and ${measured.label} reached ${((100 * measured.txPerSecond) / ceiling).toFixed(0)}% of it`
  )
}

export function describeCeiling(c: Ceiling, measured?: { label: string; txPerSecond: number }): string {
  const ms = (rate: number): string => (1000 / rate).toFixed(2)
  const line =
    `ceiling of this machine: ${c.txPerSecond.toFixed(0)} tx/s = ${c.cores} cores / (${c.validators} validators × (admission ${ms(c.admissionPerSecond)} ms + execution ${ms(c.executionPerSecond)} ms per tx));` +
    ` one core admits ${c.admissionPerSecond.toFixed(0)} tx/s and executes ${c.executionPerSecond.toFixed(0)} tx/s`
  if (!measured) return line
  return `${line}\n${measured.label}: ${measured.txPerSecond.toFixed(1)} tx/s = ${((100 * measured.txPerSecond) / c.txPerSecond).toFixed(0)}% of the ceiling`
}
