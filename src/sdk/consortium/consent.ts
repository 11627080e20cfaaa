/**
 * Consent (GDPR Art. 7) for the grants of a private data collection whose legal basis is
 * "consent": the controlling party's node records a data subject's consent, or its withdrawal, on
 * chain (keyed subject id only); a member's node lets a consent-based read through, and holds the
 * record, only while the consent stands.
 */
import type { ConsentState } from '../../privacy/consent.js'
import type { Hex } from '../../types.js'
import { consortiumRequest, type ConsortiumClient } from './client.js'

export interface SetConsentParameters {
  collection: string
  /** The data subject (pseudonymous id, as in putPrivateData); only its keyed id goes on chain. */
  subject: string
  /** A member party holding a grant with basis "consent" for `purpose`. */
  party: string
  purpose: string
  /** true: consent given; false: withdrawn. */
  granted: boolean
}

export interface SetConsentResult {
  txHash: Hex
  /** The final block that holds the change. */
  blockNumber: number
}

/** One consent-based grant of the collection and the subject's consent for it (`changedAt` 0: never recorded). */
export type Consent = ConsentState

/**
 * Records consent or its withdrawal; the controlling party's node only. NOT_PERMITTED when the
 * node's party is not the controller or the collection has no consent-based grant for that party
 * and purpose; NOT_A_MEMBER when the party is not a member.
 */
export function setConsent(client: ConsortiumClient, params: SetConsentParameters): Promise<SetConsentResult> {
  const { collection, subject, party, purpose, granted } = params
  return consortiumRequest(client, 'privateData', 'priv_setConsent', [{ collection, subject, party, purpose, granted }])
}

/** The subject's consent for every consent-based grant of the collection (asked of a member's node). */
export function getConsents(client: ConsortiumClient, params: { collection: string; subject: string }): Promise<Consent[]> {
  return consortiumRequest(client, 'privateData', 'priv_getConsents', [{ collection: params.collection, subject: params.subject }])
}
