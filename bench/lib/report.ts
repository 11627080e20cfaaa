/** Formats benchmark results side by side (table or JSON), with each peer's throughput ratio to Hardhat's. */
import type { Erc20BenchResult } from './erc20-bench.js'

export interface LabelledResult {
  label: string
  result: Erc20BenchResult
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

export function formatTable(rows: LabelledResult[]): string {
  const header = ['target', 'client', 'url', 'nodes', 'tx', 'ok', 'failed', 'senders', 'blocks', 'seconds', 'tx/s', 'p50 ms', 'p95 ms', 'max ms', 'submit p50']
  const body = rows.map(({ label, result: r }) => [
    label,
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
    fixed(r.latencyMs.p50, 1),
    fixed(r.latencyMs.p95, 1),
    fixed(r.latencyMs.max, 1),
    fixed(r.submitMs.p50, 1),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)]
  for (const ratio of ratios(rows)) out.push(`ratio ${ratio.label}/hardhat tx/s: ${fixed(ratio.ratio, 2)}`)
  return out.join('\n')
}

/** The rows as JSON (bigints as decimal strings), each non-Hardhat row with its tx/s ratio to Hardhat's. */
export function formatJson(rows: LabelledResult[]): string {
  const base = rows.find((r) => r.label === 'hardhat')
  const out = rows.map((row) => (base && row !== base && base.result.txPerSecond > 0 ? { ...row, txPerSecondRatio: row.result.txPerSecond / base.result.txPerSecond } : row))
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)
}

/** Throughput of every non-Hardhat row divided by the first Hardhat row's. */
export function ratios(rows: LabelledResult[]): { label: string; ratio: number }[] {
  const base = rows.find((r) => r.label === 'hardhat')
  if (!base || base.result.txPerSecond <= 0) return []
  return rows.filter((r) => r !== base).map((r) => ({ label: r.label, ratio: r.result.txPerSecond / base.result.txPerSecond }))
}
