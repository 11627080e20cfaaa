/**
 * A reader of the Prometheus text exposition format (what /metrics answers), for tests: samples
 * with their labels, and lookups by name and labels.
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy

export function parsePromText(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const m = SAMPLE_RE.exec(trimmed)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    const body = m[2] ?? ''
    LABEL_RE.lastIndex = 0
    let consumed = 0
    for (let l = LABEL_RE.exec(body); l !== null; l = LABEL_RE.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c))
      consumed = LABEL_RE.lastIndex
    }
    if (consumed !== body.length) throw new Error(`bad labels in: ${line}`)
    const raw = m[3]!
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    // prom-client writes NaN as "Nan"; Prometheus reads it case-insensitively.
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') throw new Error(`bad value in: ${line}`)
    out.push({ name: m[1]!, labels, value })
  }
  return out
}

/** Samples named `name` whose labels include `labels`. */
export function samples(all: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

/** The one value of `name` with `labels`; undefined if there is none, throws if several match. */
export function valueOf(all: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(all, name, labels)
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return found[0]?.value
}
