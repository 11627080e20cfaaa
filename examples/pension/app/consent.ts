/**
 * Consent of a data subject to a purpose of a party, for grants whose legal basis is `consent`:
 * the node refuses reads under such a grant unless the subject consented. Set on a node of the
 * collection's controlling party (priv_setConsent), read from any member node (priv_getConsents).
 */
import { requireCapability, type LedgerClient } from 'quorate/sdk'

export interface ConsentParameters {
  collection: string
  subject: string
  party: string
  purpose: string
  granted: boolean
}

export interface ConsentRecord {
  party: string
  purpose: string
  granted: boolean
  [field: string]: unknown
}

export async function setConsent(client: LedgerClient, params: ConsentParameters): Promise<unknown> {
  await requireCapability(client, 'privateData')
  return client.request('priv_setConsent', [params])
}

export async function getConsents(client: LedgerClient, params: { collection: string; subject: string }): Promise<ConsentRecord[]> {
  await requireCapability(client, 'privateData')
  return client.request<ConsentRecord[]>('priv_getConsents', [params])
}
