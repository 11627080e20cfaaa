/**
 * The portal's backend on the example's application library: each page's view read from the
 * ledger (contracts, private data, consents, the member nodes' access logs) and each form's act
 * done by the party whose desk it is, on that party's own node. It owns the translation between
 * the library's types and the portal's; the ledger work is the library's.
 */
import { isLedgerError, LedgerError } from 'quorate/sdk'
import { hexToString, type Hex } from 'viem'
import { FUND_IDS, type FundId, type PartyId } from '../app/deployment.js'
import { PURPOSES, type PensionApp, type Transfer as AppTransfer, type Contribution as AppContribution } from '../app/pension.js'
import type { AccessRead, Contribution, EmployerView, FundView, ParticipantRef, PartyRef, PortalBackend, Transfer } from './model.js'
import { checkStatement } from './verify.js'

/** The one consent the example's participants manage: the adviser (the insurer) for retirement advice. */
const ADVISER: PartyId = 'insurer'

/** The private parts of a page on a ledger without private data (Anvil, any EVM ledger): shown as not offered. */
async function unlessUnsupported<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read
  } catch (err) {
    if (isLedgerError(err, 'NOT_SUPPORTED_BY_FABRIC')) return undefined
    throw err
  }
}

export function pensionBackend(app: PensionApp): PortalBackend {
  const party = (id: string): PartyRef => {
    const config = (app.deployment.parties as Record<string, { name: string } | undefined>)[id]
    return { id, name: config?.name ?? id }
  }
  const funds = (): PartyRef[] => FUND_IDS.map(party)
  const asFund = (id: string): FundId => {
    if (!(FUND_IDS as readonly string[]).includes(id)) throw new LedgerError('NOT_FOUND', `${id} is not a pension fund of this ecosystem`)
    return id as FundId
  }
  const participants = (): ParticipantRef[] => app.deployment.participants.map((p) => ({ id: p.id, label: p.label }))
  const wallet = (id: string) => {
    const found = app.deployment.participants.find((p) => p.id.toLowerCase() === id.toLowerCase())
    if (!found) throw new LedgerError('NOT_FOUND', `no participant ${id} in this deployment`)
    return found
  }
  const bigId = (id: string, what: string): bigint => {
    if (!/^\d{1,18}$/.test(id)) throw new LedgerError('NOT_FOUND', `${what} ${id} is not a number`)
    return BigInt(id)
  }

  const transfer = (t: AppTransfer): Transfer => ({
    id: t.id.toString(),
    participant: t.participant,
    from: party(t.from),
    to: party(t.to),
    status: t.status === 'none' ? 'requested' : t.status,
    valueCents: t.status === 'requested' ? undefined : t.amountCents,
    deadline: t.deadline === 0 || t.status === 'settled' || t.status === 'expired' ? undefined : t.deadline,
  })
  const contribution = (c: AppContribution): Contribution => ({
    id: c.id.toString(),
    participant: c.participant,
    period: `${Math.floor(c.period / 100)}-${String(c.period % 100).padStart(2, '0')}`,
    fund: party(c.fund),
    amountCents: c.amountCents,
    status: c.status === 'none' ? 'reported' : c.status,
    disputeReason: c.status === 'disputed' ? hexToString(c.disputeReason, { size: 32 }).replace(/\0+$/, '') : undefined,
  })
  /** "person:…" and "statement:<fund>:<year>:…" keys in words. */
  const record = (key: string): string => {
    if (key.startsWith('person:')) return 'Personal data'
    const statement = /^statement:([^:]+):(\d+):/.exec(key)
    if (statement) return `Statement ${statement[2]} of ${party(statement[1]!).name}`
    return key
  }

  return {
    participants: () => Promise.resolve(participants()),
    funds: () => Promise.resolve(funds()),

    async participantView(id) {
      const me = wallet(id)
      const participant = me.id
      const [entitlements, log, consents] = await Promise.all([app.entitlements(participant), unlessUnsupported(app.accessLog(participant)), unlessUnsupported(app.consents(participant))])
      // Newest first: the question is usually "who read it lately".
      const reads: AccessRead[] = [...(log?.lines ?? [])].reverse().map((l) => ({
        time: l.time,
        party: party(l.party).name,
        collection: record(l.key),
        purpose: l.purpose,
        action: l.action,
        outcome: l.outcome,
        reason: l.reason,
      }))
      const advice = consents?.filter((c) => c.party === ADVISER && c.purpose === PURPOSES.advice).at(-1)
      return {
        participant: { id: participant, label: me.label },
        entitlements: entitlements.perFund.map((f) => {
          const latest = [...f.statements].sort((a, b) => b.year - a.year)[0]
          return {
            fund: party(f.fund),
            holder: entitlements.holders.includes(f.fund),
            contributionsCents: f.contributionsCents,
            statement: latest && checkStatement(latest.year, latest.publishedHash, latest.document),
          }
        }),
        transfers: entitlements.transfers.map(transfer),
        accessLog: log && {
          reads,
          sources: Object.entries(log.verified).map(([p, ok]) => ({ party: party(p).name, verified: ok, problems: ok ? [] : ['its hashes, signatures or anchored head do not check'] })),
        },
        consents: consents && [{ party: party(ADVISER), purpose: PURPOSES.advice, granted: advice?.granted === true }],
        funds: funds(),
      }
    },

    async requestTransfer({ participant, from, to }) {
      const me = wallet(participant)
      await app.requestTransfer({ participant: me.id, participantKey: me.key, from: asFund(from), to: asFund(to) })
    },

    async setConsent({ participant, party: who, purpose, granted }) {
      if (who !== ADVISER || purpose !== PURPOSES.advice) throw new LedgerError('NOT_PERMITTED', `the portal manages consent to ${ADVISER} for ${PURPOSES.advice} only`)
      await app.setAdviceConsent(wallet(participant).id, granted)
    },

    async employerView(): Promise<EmployerView> {
      const contributions = await app.contributions({ reader: 'employer' })
      return { employer: party('employer'), participants: participants(), funds: funds(), contributions: contributions.map(contribution).reverse() }
    },

    async reportContribution({ participant, fund, period, amountCents }) {
      const [year, month] = period.split('-').map(Number) as [number, number]
      await app.reportContribution({ participant: wallet(participant).id, period: year * 100 + month, fund: asFund(fund), amountCents })
    },

    async fundView(id): Promise<FundView> {
      const fund = asFund(id)
      const [contributions, transfers] = await Promise.all([app.contributions({ reader: fund }), app.transfers({ reader: fund })])
      const own = contributions.filter((c) => c.fund === fund)
      const years = [...new Set(own.map((c) => Math.floor(c.period / 100)))]
      const statements = (
        await Promise.all(
          participants().flatMap((p) =>
            years.map(async (year) => {
              const hash = await app.publishedStatementHash(fund, p.id as Hex, year)
              return hash === undefined ? undefined : { participant: p.id, year, hash }
            }),
          ),
        )
      ).filter((s) => s !== undefined)
      return {
        fund: party(fund),
        funds: funds(),
        participants: participants(),
        contributions: own.map(contribution),
        transfers: transfers.filter((t) => t.from === fund || t.to === fund).map(transfer).reverse(),
        statements,
      }
    },

    async acknowledgeContribution({ fund, contribution: id }) {
      await app.acknowledgeContribution(asFund(fund), bigId(id, 'contribution'))
    },

    async disputeContribution({ fund, contribution: id, reason }) {
      if (Buffer.byteLength(reason) > 31) throw new LedgerError('INVALID_INPUT', 'a dispute reason is a short code of at most 31 bytes (it is stored on chain)')
      await app.disputeContribution(asFund(fund), bigId(id, 'contribution'), reason)
    },

    async quoteTransfer({ fund, transfer: id, valueCents }) {
      const t = await app.transfer(bigId(id, 'transfer'))
      if (t.from !== asFund(fund)) throw new LedgerError('NOT_PERMITTED', `transfer ${id} does not leave ${party(fund).name}: only the fund the rights leave quotes`)
      await app.quoteTransfer(t.id, valueCents)
    },

    async acceptTransfer({ fund, transfer: id }) {
      const t = await app.transfer(bigId(id, 'transfer'))
      if (t.to !== asFund(fund)) throw new LedgerError('NOT_PERMITTED', `transfer ${id} does not come to ${party(fund).name}: only the receiving fund accepts`)
      await app.acceptTransfer(t.id)
    },

    async settleTransfer({ fund, transfer: id }) {
      const t = await app.transfer(bigId(id, 'transfer'))
      if (t.from !== asFund(fund)) throw new LedgerError('NOT_PERMITTED', `transfer ${id} does not leave ${party(fund).name}: only the fund the rights leave settles`)
      await app.settleTransfer(t.id)
    },

    async publishStatement({ fund: id, participant, year }) {
      const fund = asFund(id)
      const subject = wallet(participant).id
      const person = await app.readPerson(fund, subject, PURPOSES.administration)
      const doc = await app.buildStatement(fund, subject, year, person)
      await app.publishStatementHash(fund, doc)
      await app.storeStatementDocument(fund, doc)
    },
  }
}
