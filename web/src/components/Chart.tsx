/**
 * A small line chart in inline SVG (no chart library): one series over time, its latest and highest
 * values in text beside it, and the same in the accessible name. Gaps (null) break the line.
 */
import { useId } from 'react'

export interface ChartPoint {
  at: number
  value: number | null
}

const W = 320
const H = 80
const PAD = 4

export function LineChart({ label, points, format }: { label: string; points: readonly ChartPoint[]; format: (v: number) => string }) {
  const id = useId()
  const values = points.flatMap((p) => (p.value === null ? [] : [p.value]))
  const latest = [...points].reverse().find((p) => p.value !== null)?.value ?? null
  const max = values.length ? Math.max(...values) : 0
  const top = max > 0 ? max * 1.1 : 1
  const t0 = points[0]?.at ?? 0
  const t1 = points[points.length - 1]?.at ?? 1
  const x = (at: number) => PAD + ((at - t0) / Math.max(1, t1 - t0)) * (W - 2 * PAD)
  const y = (v: number) => H - PAD - (v / top) * (H - 2 * PAD)
  let d = ''
  let pen = false
  for (const p of points) {
    if (p.value === null) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)} `
    pen = true
  }
  const spanMin = Math.round((t1 - t0) / 60_000)
  const summary = values.length
    ? `${label}: latest ${latest === null ? 'none' : format(latest)}, highest ${format(max)}, over the last ${spanMin < 1 ? 'minute' : `${spanMin} min`}`
    : `${label}: no samples yet`
  return (
    <figure className="chart" aria-labelledby={id}>
      <figcaption id={id} className="chart__caption">
        <span className="chart__label">{label}</span>
        <span className="chart__value">{latest === null ? '—' : format(latest)}</span>
        <span className="chart__max">max {values.length ? format(max) : '—'}</span>
      </figcaption>
      <svg className="chart__svg" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        <line x1={PAD} x2={W - PAD} y1={H - PAD} y2={H - PAD} className="chart__axis" />
        {d && <path d={d} className="chart__line" vectorEffect="non-scaling-stroke" />}
      </svg>
    </figure>
  )
}
