/**
 * The portal's routes: each page (HTML, and the same data as JSON under /api) and each form's act.
 * A form's act that the ledger refuses comes back to its page as an error notice in words, never
 * as a bare status: the person who pressed the button must see what went wrong.
 */
import { field, PortalRequestError, type Reply, type Request, type Route } from './http.js'
import type { Html } from './html.js'
import { layout, type Notice, type Section } from './layout.js'
import type { PortalBackend } from './model.js'
import { parseEuros } from './format.js'
import { homePage } from './pages/home.js'
import { noParticipantsPage, participantPage } from './pages/participant.js'
import { employerPage } from './pages/employer.js'
import { fundPage } from './pages/fund.js'
import { PORTAL_CSS } from './styles.js'

export function portalRoutes(backend: PortalBackend): Route[] {
  const page = (title: string, section: Section, body: Html, notice: Notice | undefined): Reply => ({ kind: 'page', body: layout({ title, section, body, notice }) })

  /** The participant in the URL, or the first registered one. */
  async function chosenParticipant(req: Request): Promise<string | undefined> {
    const asked = req.url.searchParams.get('id')?.trim()
    if (asked) return asked
    return (await backend.participants())[0]?.id
  }
  async function chosenFund(req: Request): Promise<string> {
    const asked = req.url.searchParams.get('fund')?.trim()
    if (asked) return asked
    const first = (await backend.funds())[0]
    if (!first) throw new PortalRequestError(404, 'no pension fund is registered')
    return first.id
  }

  /** Runs a form's act and goes back to `to` with what happened in words. */
  async function act(to: string, done: string, run: () => Promise<void>): Promise<Reply> {
    try {
      await run()
      return { kind: 'redirect', to, notice: { kind: 'done', text: done } }
    } catch (err) {
      if (err instanceof PortalRequestError) throw err
      return { kind: 'redirect', to, notice: { kind: 'error', text: refusal(err) } }
    }
  }

  const participantUrl = (id: string) => `/participant?id=${encodeURIComponent(id)}`
  const fundUrl = (id: string) => `/fund?fund=${encodeURIComponent(id)}`
  const amount = (form: URLSearchParams, name: string): bigint => {
    const cents = parseEuros(field(form, name))
    if (cents === undefined) throw new PortalRequestError(400, `"${name}" is not an amount in euros (for example 450.00)`)
    return cents
  }

  return [
    // Browsers ask for it on their own; there is none, and a 404 would be logged as a page error.
    { method: 'GET', path: '/favicon.ico', handle: () => ({ kind: 'empty' }) },
    { method: 'GET', path: '/portal.css', handle: () => ({ kind: 'text', body: PORTAL_CSS, contentType: 'text/css; charset=utf-8' }) },
    { method: 'GET', path: '/', handle: async (req) => page('Start', 'home', homePage(await backend.funds()), req.notice) },
    {
      method: 'GET',
      path: '/participant',
      handle: async (req) => {
        const id = await chosenParticipant(req)
        if (id === undefined) return page('Your pension', 'participant', noParticipantsPage(), req.notice)
        const [view, all] = await Promise.all([backend.participantView(id), backend.participants()])
        return page('Your pension', 'participant', participantPage(view, all), req.notice)
      },
    },
    {
      method: 'GET',
      path: '/api/participant',
      handle: async (req) => {
        const id = await chosenParticipant(req)
        if (id === undefined) throw new PortalRequestError(404, 'no participant is registered')
        return { kind: 'json', body: await backend.participantView(id) }
      },
    },
    { method: 'GET', path: '/api/participants', handle: async () => ({ kind: 'json', body: await backend.participants() }) },
    {
      method: 'POST',
      path: '/participant/transfer',
      handle: (req) => {
        const participant = field(req.form, 'participant')
        const from = field(req.form, 'from')
        const to = field(req.form, 'to')
        if (from === to) return { kind: 'redirect', to: participantUrl(participant), notice: { kind: 'error', text: 'choose two different funds' } }
        return act(participantUrl(participant), 'Transfer requested: the fund you leave will send a quote.', () => backend.requestTransfer({ participant, from, to }))
      },
    },
    {
      method: 'POST',
      path: '/participant/consent',
      handle: (req) => {
        const participant = field(req.form, 'participant')
        const party = field(req.form, 'party')
        const purpose = field(req.form, 'purpose')
        const granted = field(req.form, 'granted') === 'true'
        return act(participantUrl(participant), granted ? 'Consent given.' : 'Consent withdrawn: further reads for this purpose are refused.', () =>
          backend.setConsent({ participant, party, purpose, granted }),
        )
      },
    },
    { method: 'GET', path: '/employer', handle: async (req) => page('Employer', 'employer', employerPage(await backend.employerView()), req.notice) },
    { method: 'GET', path: '/api/employer', handle: async () => ({ kind: 'json', body: await backend.employerView() }) },
    {
      method: 'POST',
      path: '/employer/contributions',
      handle: (req) => {
        const participant = field(req.form, 'participant')
        const fund = field(req.form, 'fund')
        const period = field(req.form, 'period')
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new PortalRequestError(400, '"period" is a month as YYYY-MM')
        const amountCents = amount(req.form, 'amount')
        return act('/employer', `Contribution for ${period} reported.`, () => backend.reportContribution({ participant, fund, period, amountCents }))
      },
    },
    {
      method: 'GET',
      path: '/fund',
      handle: async (req) => {
        const view = await backend.fundView(await chosenFund(req))
        return page(view.fund.name, 'fund', fundPage(view), req.notice)
      },
    },
    { method: 'GET', path: '/api/fund', handle: async (req) => ({ kind: 'json', body: await backend.fundView(await chosenFund(req)) }) },
    {
      method: 'POST',
      path: '/fund/acknowledge',
      handle: (req) => {
        const fund = field(req.form, 'fund')
        return act(fundUrl(fund), 'Contribution acknowledged.', () => backend.acknowledgeContribution({ fund, contribution: field(req.form, 'contribution') }))
      },
    },
    {
      method: 'POST',
      path: '/fund/dispute',
      handle: (req) => {
        const fund = field(req.form, 'fund')
        const contribution = field(req.form, 'contribution')
        const reason = field(req.form, 'reason')
        return act(fundUrl(fund), 'Contribution disputed: the employer sees the reason.', () => backend.disputeContribution({ fund, contribution, reason }))
      },
    },
    {
      method: 'POST',
      path: '/fund/quote',
      handle: (req) => {
        const fund = field(req.form, 'fund')
        const transfer = field(req.form, 'transfer')
        const valueCents = amount(req.form, 'value')
        return act(fundUrl(fund), 'Quote sent to the receiving fund.', () => backend.quoteTransfer({ fund, transfer, valueCents }))
      },
    },
    {
      method: 'POST',
      path: '/fund/accept',
      handle: (req) => {
        const fund = field(req.form, 'fund')
        return act(fundUrl(fund), 'Transfer accepted.', () => backend.acceptTransfer({ fund, transfer: field(req.form, 'transfer') }))
      },
    },
    {
      method: 'POST',
      path: '/fund/settle',
      handle: (req) => {
        const fund = field(req.form, 'fund')
        return act(fundUrl(fund), 'Transfer settled: the rights have moved.', () => backend.settleTransfer({ fund, transfer: field(req.form, 'transfer') }))
      },
    },
    {
      method: 'POST',
      path: '/fund/statement',
      handle: (req) => {
        const fund = field(req.form, 'fund')
        const participant = field(req.form, 'participant')
        const year = Number(field(req.form, 'year'))
        if (!Number.isInteger(year) || year < 1900 || year > 2200) throw new PortalRequestError(400, '"year" is a year such as 2026')
        return act(fundUrl(fund), `Statement ${year} published: its hash is on the ledger.`, () => backend.publishStatement({ fund, participant, year }))
      },
    },
  ]
}

/** A refusal in words: the ledger's own short message when it has one. */
function refusal(err: unknown): string {
  if (err instanceof Error) {
    const short = (err as { shortMessage?: unknown }).shortMessage
    return typeof short === 'string' ? short : err.message
  }
  return String(err)
}
