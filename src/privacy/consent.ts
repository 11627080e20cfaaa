/**
 * Consent (GDPR Art. 7) for the grants of a collection whose legal basis is "consent". The
 * controlling party records each data subject's consent, or its withdrawal, on chain
 * (PrivateDataAnchors.setConsent, per keyed subject id, party and purpose); a member's node reads
 * it at its head before it lets a consent-based read through or holds a record on that ground.
 * Pure: the caller reads the chain through a ConsentReader.
 */
import type { Hex } from '../types.js'

export const CONSENT_BASIS = 'consent'

/** What setConsent records: the subject in clear here, only its keyed id on chain. */
export interface ConsentInput {
  collection: string
  subject: string
  party: string
  purpose: string
  granted: boolean
}

/** One consent-based grant of a collection and the subject's consent for it. */
export interface ConsentState {
  party: string
  purpose: string
  granted: boolean
  /** Unix seconds (block time) of the last change; 0 when never recorded. */
  changedAt: number
}

/** The on-chain consent of one subject (by keyed id) for a party and purpose. */
export type ConsentReader = (subjectId: Hex, party: string, purpose: string) => Promise<{ granted: boolean; changedAt: number }>

interface GrantLike {
  party: string
  purpose: string
  basis?: string
}

/** The grants that rest on consent. */
export function consentGrants<G extends GrantLike>(grants: readonly G[]): G[] {
  return grants.filter((g) => g.basis === CONSENT_BASIS)
}

/**
 * How `party` may use `purpose`: `none` (no grant), `consent` (only consent-based grants: the
 * subject's consent decides), or another legal basis that needs no consent.
 */
export function basisFor(grants: readonly GrantLike[], party: string, purpose: string): { kind: 'none' } | { kind: 'consent' } | { kind: 'other'; basis: string } {
  const mine = grants.filter((g) => g.party === party && g.purpose === purpose)
  if (mine.length === 0) return { kind: 'none' }
  const other = mine.find((g) => g.basis !== CONSENT_BASIS)
  return other ? { kind: 'other', basis: other.basis ?? '' } : { kind: 'consent' }
}

/** The subject's consent for every consent-based grant, in the collection's grant order. */
export async function consentsOf(grants: readonly GrantLike[], subjectId: Hex, read: ConsentReader): Promise<ConsentState[]> {
  const out: ConsentState[] = []
  for (const g of consentGrants(grants)) {
    const c = await read(subjectId, g.party, g.purpose)
    out.push({ party: g.party, purpose: g.purpose, granted: c.granted, changedAt: c.changedAt })
  }
  return out
}

/** The (party, purpose) pairs a subject consented to, for `mayHold`. */
export function consentedSet(states: readonly ConsentState[]): Set<string> {
  return new Set(states.filter((s) => s.granted).map((s) => consentKey(s.party, s.purpose)))
}

export function consentKey(party: string, purpose: string): string {
  return `${party}\u0000${purpose}`
}

/** Why a consent-based read or delivery is refused: never given, or withdrawn (and when). */
export function consentRefusal(state: { changedAt: number }, subjectLabel: string, party: string, purpose: string, collection: string): string {
  const what = `consent of ${subjectLabel} for party "${party}" and purpose "${purpose}" in collection "${collection}"`
  return state.changedAt === 0 ? `no ${what}: that grant rests on consent, which was never given` : `${what} was withdrawn at ${new Date(state.changedAt * 1000).toISOString()}`
}
