/** How the portal writes amounts, times and states in words (one place, so every page says it alike). */
import type { ContributionStatus, TransferStatus } from './model.js'

const EURO = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' })
const WHEN = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })

export function euros(cents: bigint): string {
  // Exact for any pension (below 2^53 cents, ninety trillion euros); the format rounds to cents.
  return EURO.format(Number(cents) / 100)
}

export function when(unixSeconds: number): string {
  return `${WHEN.format(new Date(unixSeconds * 1000))} UTC`
}

export const TRANSFER_STATUS: Readonly<Record<TransferStatus, string>> = {
  requested: 'Requested: waiting for the old fund’s quote',
  quoted: 'Quoted: waiting for the new fund to accept',
  accepted: 'Accepted: waiting for settlement',
  settled: 'Completed',
  expired: 'Expired: a deadline passed',
}

export const CONTRIBUTION_STATUS: Readonly<Record<ContributionStatus, string>> = {
  reported: 'Reported, not yet acknowledged',
  acknowledged: 'Acknowledged by the fund',
  disputed: 'Disputed by the fund',
}

/** Parses "1234.56" or "1234,56" euros into cents; undefined when it is not an amount. */
export function parseEuros(text: string): bigint | undefined {
  const m = /^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/.exec(text)
  if (!m) return undefined
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '0').padEnd(2, '0'))
}
