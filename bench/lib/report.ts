/**
 * Formats benchmark results side by side (table or JSON), with each row's throughput ratio to the
 * reference peers' (Hardhat, and Anvil when it ran).
 */
import type { Erc20BenchResult } from './erc20-bench.js'

export interface LabelledResult {
  label: string
  result: Erc20BenchResult
  /** CPU the target's processes used over the run (set-up included), where it could be read. */
  cpu?: { seconds: number; processes: number }
}

/** CPU milliseconds per measured transfer, all the target's processes together. */
export function cpuMsPerTx(row: LabelledResult): number {
  return row.cpu ? (row.cpu.seconds * 1000) / row.result.txCount : Number.NaN
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

export function formatTable(rows: LabelledResult[]): string {
  const header = ['target', 'client', 'url', 'nodes', 'tx', 'ok', 'failed', 'senders', 'blocks', 'seconds', 'tx/s', 'chain tx/s', 'p50 ms', 'p95 ms', 'max ms', 'submit p50', 'CPU ms/tx']
  const body = rows.map((row) => [row, row.result] as const).map(([row, r]) => [
    row.label,
    r.clientVersion.split('/').slice(0, 2).join('/'),
    r.rpcUrl,
    String(r.submitUrls.length),
    String(r.txCount),
    String(r.succeeded),
    String(r.txCount - r.succeeded),
    String(r.senders),
    String(r.blocks),
    fixed(r.durationMs / 1000, 2),
    fixed(r.txPerSecond, 1),
    fixed(r.chainTxPerSecond, 1),
    fixed(r.latencyMs.p50, 1),
    fixed(r.latencyMs.p95, 1),
    fixed(r.latencyMs.max, 1),
    fixed(r.submitMs.p50, 1),
    fixed(cpuMsPerTx(row), 2),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)]
  for (const peer of PEERS) for (const ratio of ratios(rows, peer)) out.push(`ratio ${ratio.label}/${peer} tx/s: ${fixed(ratio.ratio, 2)}`)
  return out.join('\n')
}

/**
 * The rows as JSON (bigints as decimal strings), each non-Hardhat row with its tx/s ratio to
 * Hardhat's (`txPerSecondRatio`) and, when Anvil ran, each row other than the peers with its ratio
 * to Anvil's (`txPerSecondRatioToAnvil`).
 */
export function formatJson(rows: LabelledResult[]): string {
  const toHardhat = new Map(ratios(rows, 'hardhat').map((r) => [r.label, r.ratio]))
  const toAnvil = new Map(ratios(rows, 'anvil').map((r) => [r.label, r.ratio]))
  const out = rows.map((row) => ({
    ...row,
    ...(toHardhat.has(row.label) ? { txPerSecondRatio: toHardhat.get(row.label) } : {}),
    ...(toAnvil.has(row.label) ? { txPerSecondRatioToAnvil: toAnvil.get(row.label) } : {}),
  }))
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)
}

/** The reference peers a row's throughput is compared with, in the order the ratios are printed. */
const PEERS = ['hardhat', 'anvil'] as const

/**
 * Throughput of every row divided by the first `peer` row's; against Anvil, the Hardhat row is left
 * out (the peers are compared with Quorate, not with each other).
 */
export function ratios(rows: LabelledResult[], peer: (typeof PEERS)[number] = 'hardhat'): { label: string; ratio: number }[] {
  const base = rows.find((r) => r.label === peer)
  if (!base || base.result.txPerSecond <= 0) return []
  return rows
    .filter((r) => r !== base && !(peer === 'anvil' && r.label === 'hardhat'))
    .map((r) => ({ label: r.label, ratio: r.result.txPerSecond / base.result.txPerSecond }))
}
