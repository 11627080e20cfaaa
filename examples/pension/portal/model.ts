/**
 * What the portal shows and does, as plain data: the narrow port the pages and routes use. The
 * example's application library fills it (backend.ts); the pages only render it. Amounts are whole
 * euro cents as bigint; times are unix seconds.
 */

export interface PartyRef {
  id: string
  name: string
}

export interface ParticipantRef {
  /** The pseudonymous id on the ledger. */
  id: string
  /** How the dev-mode picker names them (never sent to the ledger). */
  label: string
}

export interface StatementCheck {
  year: number
  /** The statement's figures as the document says (undefined when the document cannot be read: erased). */
  contributionsCents: bigint | undefined
  accruedPensionCents: bigint | undefined
  /** The hash the fund published on chain for this participant and year (undefined: none published). */
  chainHash: `0x${string}` | undefined
  /** The hash recomputed here from the statement document (undefined: no document to hash). */
  computedHash: `0x${string}` | undefined
  /** True only when both hashes are present and equal. */
  verified: boolean
}

export interface Entitlement {
  fund: PartyRef
  /** The fund holds entitlements for the participant now (false once they moved away). */
  holder: boolean
  /** Contributions the fund acknowledged. */
  contributionsCents: bigint
  /** The latest statement the fund published for the participant, checked against the chain. */
  statement: StatementCheck | undefined
}

export type TransferStatus = 'requested' | 'quoted' | 'accepted' | 'settled' | 'expired'

export interface Transfer {
  id: string
  participant: string
  from: PartyRef
  to: PartyRef
  status: TransferStatus
  /** The old fund's quote of the value to transfer (once quoted). */
  valueCents: bigint | undefined
  /** The step now due must happen before this time (undefined once settled or expired). */
  deadline: number | undefined
}

export interface AccessRead {
  time: number
  /** The party whose node served or refused the access. */
  party: string
  collection: string
  purpose: string
  action: string
  outcome: 'granted' | 'refused'
  reason: string
}

export interface AccessLogSource {
  party: string
  /** The export's hashes and signatures checked by the node (priv_verifyAccessLog). */
  verified: boolean
  problems: string[]
}

export interface Consent {
  party: PartyRef
  purpose: string
  granted: boolean
}

export interface ParticipantView {
  participant: ParticipantRef
  entitlements: Entitlement[]
  transfers: Transfer[]
  /** Undefined on a ledger without private data (the fabric offers no access log). */
  accessLog: { reads: AccessRead[]; sources: AccessLogSource[] } | undefined
  /** Undefined on a ledger without private data (the fabric offers no consent). */
  consents: Consent[] | undefined
  /** The funds the participant may move rights between. */
  funds: PartyRef[]
}

export type ContributionStatus = 'reported' | 'acknowledged' | 'disputed'

export interface Contribution {
  id: string
  participant: string
  /** `YYYY-MM`. */
  period: string
  fund: PartyRef
  amountCents: bigint
  status: ContributionStatus
  /** Why the fund disputes it. */
  disputeReason: string | undefined
}

export interface EmployerView {
  employer: PartyRef
  participants: ParticipantRef[]
  funds: PartyRef[]
  contributions: Contribution[]
}

export interface FundView {
  fund: PartyRef
  funds: PartyRef[]
  participants: ParticipantRef[]
  contributions: Contribution[]
  /** Transfers out of this fund (to quote, then settle) and into it (to accept). */
  transfers: Transfer[]
  statements: { participant: string; year: number; hash: `0x${string}` }[]
}

/** What the portal asks of the application: reads that build each page, and the acts its forms take. */
export interface PortalBackend {
  participants(): Promise<ParticipantRef[]>
  participantView(participant: string): Promise<ParticipantView>
  employerView(): Promise<EmployerView>
  funds(): Promise<PartyRef[]>
  fundView(fund: string): Promise<FundView>
  requestTransfer(input: { participant: string; from: string; to: string }): Promise<void>
  setConsent(input: { participant: string; party: string; purpose: string; granted: boolean }): Promise<void>
  reportContribution(input: { participant: string; fund: string; period: string; amountCents: bigint }): Promise<void>
  acknowledgeContribution(input: { fund: string; contribution: string }): Promise<void>
  disputeContribution(input: { fund: string; contribution: string; reason: string }): Promise<void>
  quoteTransfer(input: { fund: string; transfer: string; valueCents: bigint }): Promise<void>
  acceptTransfer(input: { fund: string; transfer: string }): Promise<void>
  settleTransfer(input: { fund: string; transfer: string }): Promise<void>
  /** The fund builds the statement from its acknowledged contributions, publishes its hash and stores the document. */
  publishStatement(input: { fund: string; participant: string; year: number }): Promise<void>
}
