/** The bench:node workload and its report, run small against a real Hardhat 2 node. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runErc20Bench, type Erc20BenchResult } from '../../../bench/lib/erc20-bench.js'
import { formatTable, ratios } from '../../../bench/lib/report.js'
import { devAccounts } from '../../../src/crypto/dev-accounts.js'
import { bytesToHex, generatePrivateKey } from '../../../src/crypto/keys.js'
import { QuorateError } from '../../../src/errors.js'
import type { Hex } from '../../../src/types.js'
import { startHardhatNode, type HardhatNode } from '../../helpers/hardhat.js'

let node: HardhatNode

beforeAll(async () => {
  node = await startHardhatNode()
})

afterAll(async () => {
  await node?.stop()
})

describe('bench:node ERC-20 workload', () => {
  let result: Erc20BenchResult

  it('lands every transfer of every sender and reports throughput and latency', async () => {
    result = await runErc20Bench({ rpcUrl: node.rpcUrl, funderKey: devAccounts(1)[0]!.privateKey, txCount: 60, senders: 4, pollMs: 10 })
    expect(result).toMatchObject({ chainId: 31337, txCount: 60, senders: 4, accepted: 60, rejected: 0, succeeded: 60, reverted: 0 })
    expect(result.clientVersion).toMatch(/^HardhatNetwork\//)
    // Hardhat automines one block per transaction.
    expect(result.blocks).toBe(60)
    expect(result.durationMs).toBeGreaterThan(0)
    expect(result.txPerSecond).toBeCloseTo((60 * 1000) / result.durationMs, 6)
    expect(result.latencyMs.p50).toBeGreaterThan(0)
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p95)
    expect(result.latencyMs.p95).toBeLessThanOrEqual(result.latencyMs.max)
    expect(result.submitMs.p50).toBeGreaterThan(0)
  })

  it('prints both sides and the ratio to Hardhat', () => {
    const other: Erc20BenchResult = { ...result, rpcUrl: 'http://127.0.0.1:1', txPerSecond: result.txPerSecond * 2 }
    const rows = [
      { label: 'hardhat', result },
      { label: 'quorate', result: other },
    ]
    expect(ratios(rows)).toEqual([{ label: 'quorate', ratio: 2 }])
    const table = formatTable(rows)
    expect(table).toContain(node.rpcUrl)
    expect(table).toContain('http://127.0.0.1:1')
    expect(table).toContain('ratio quorate/hardhat tx/s: 2.00')
  })

  it('fails with BENCH_FAILED when the funder cannot pay for the set-up', async () => {
    const broke = bytesToHex(generatePrivateKey()) as Hex
    const err = await runErc20Bench({ rpcUrl: node.rpcUrl, funderKey: broke, txCount: 5, senders: 1 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QuorateError)
    expect((err as QuorateError).code).toBe('BENCH_FAILED')
    expect((err as QuorateError).message).toMatch(/deployment was refused/)
  })
})
