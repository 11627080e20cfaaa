/**
 * What an attacker does with a subject id on chain: walk the Dutch citizen number (BSN) space,
 * 9 digits with the 11-check, and hash each candidate the way a scheme would. Used by the tests that
 * show anchors cannot be linked to a BSN without the collection secret.
 */
import type { Hex } from '../../src/types.js'

/** The BSN 11-check: 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11). */
export function isBsn(n: number): boolean {
  const s = n.toString().padStart(9, '0')
  if (s.length !== 9) return false
  let sum = 0
  for (let i = 0; i < 8; i++) sum += Number(s[i]) * (9 - i)
  return (sum - Number(s[8])) % 11 === 0
}

/**
 * Tries `count` valid BSNs starting at `from` (upwards) under `hash`; returns the BSN whose hash is
 * one of `targets`, and how many candidates were tried.
 */
export function bruteForceBsn(targets: readonly Hex[], from: number, count: number, hash: (bsn: string) => Hex): { found: string | undefined; tried: number } {
  const wanted = new Set(targets.map((t) => t.toLowerCase()))
  let tried = 0
  for (let n = from; tried < count && n <= 999_999_999; n++) {
    if (!isBsn(n)) continue
    tried++
    const bsn = n.toString().padStart(9, '0')
    if (wanted.has(hash(bsn).toLowerCase())) return { found: bsn, tried }
  }
  return { found: undefined, tried }
}
