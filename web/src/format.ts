/** Number, time and identifier formatting for people (en-GB style, thin grouping, relative times). */

const integer = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 })
const oneDecimal = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
const twoDecimals = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 0, maximumFractionDigits: 2 })

export function hexToNumber(hex: string | null | undefined): number | undefined {
  if (hex === null || hex === undefined) return undefined
  const n = Number.parseInt(hex, 16)
  return Number.isFinite(n) ? n : undefined
}

export function formatInt(n: number): string {
  return integer.format(n)
}

export function formatBlockNumber(n: number): string {
  return `#${integer.format(n)}`
}

/** A duration in seconds: "0.8 s", "12 s", "4 min 5 s", "3 h 10 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds)
  if (s < 10) return `${oneDecimal.format(s)} s`
  if (s < 60) return `${integer.format(Math.round(s))} s`
  const m = Math.floor(s / 60)
  if (m < 60) {
    const rest = Math.round(s - m * 60)
    return rest ? `${m} min ${rest} s` : `${m} min`
  }
  const h = Math.floor(m / 60)
  if (h < 48) {
    const rest = m - h * 60
    return rest ? `${h} h ${rest} min` : `${h} h`
  }
  const d = Math.floor(h / 24)
  const rest = h - d * 24
  return rest ? `${d} d ${rest} h` : `${d} d`
}

/** Relative to now: "just now", "12 s ago", "in 3 h 10 min". Times are ms since the epoch. */
export function formatRelative(atMs: number, nowMs: number): string {
  const diff = (atMs - nowMs) / 1000
  if (Math.abs(diff) < 1.5) return 'just now'
  const d = formatDurationCoarse(Math.abs(diff))
  return diff < 0 ? `${d} ago` : `in ${d}`
}

function formatDurationCoarse(s: number): string {
  if (s < 60) return `${Math.round(s)} s`
  return formatDuration(s)
}

export function formatAbsolute(atMs: number): string {
  return new Date(atMs).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}

/** 0x1234…cdef */
export function shortHex(hex: string, lead = 6, tail = 4): string {
  return hex.length <= lead + tail + 2 ? hex : `${hex.slice(0, lead + 2)}…${hex.slice(-tail)}`
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${integer.format(n)} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? oneDecimal.format(v) : integer.format(v)} ${units[i]}`
}

const WEI_PER_ETHER = 10n ** 18n

/** Wei in ether units, up to 4 decimals, grouped: "1,000.5 ETH", "0 ETH", "< 0.0001 ETH". */
export function formatEther(weiHex: string): string {
  const wei = BigInt(weiHex)
  if (wei === 0n) return '0'
  const whole = wei / WEI_PER_ETHER
  const frac = wei % WEI_PER_ETHER
  const fracDigits = (frac * 10_000n) / WEI_PER_ETHER
  if (whole === 0n && fracDigits === 0n) return '< 0.0001'
  const wholeText = integer.format(whole)
  if (fracDigits === 0n) return wholeText
  return `${wholeText}.${fracDigits.toString().padStart(4, '0').replace(/0+$/, '')}`
}

export function formatPercent(ratio: number): string {
  return `${twoDecimals.format(ratio * 100)} %`
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`
}
