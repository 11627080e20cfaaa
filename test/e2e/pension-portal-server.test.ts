/**
 * The pension portal's HTTP server on a real loopback socket, in front of a test double of the
 * application (RecordingBackend below: canned views, and a log of the acts the forms asked for).
 * What the server itself owns: the pages' frame (language, landmarks, one h1, labelled controls),
 * escaping of everything it renders, post/redirect/get with a one-time notice, refusals shown in
 * words, forms from another origin refused, and the limits on what it reads. The portal on the real
 * ledger is pension-portal.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPortalServer, type RunningPortal } from '../../examples/pension/portal/listen.js'
import type { EmployerView, FundView, ParticipantRef, ParticipantView, PartyRef, PortalBackend } from '../../examples/pension/portal/model.js'

const HOSTILE = '<script>alert(1)</script>'
const FUND_A: PartyRef = { id: 'pensionfund', name: 'Fund A' }
const FUND_B: PartyRef = { id: 'fundb', name: `Fund B ${HOSTILE}` }
const PARTICIPANTS: ParticipantRef[] = [{ id: '0xaa', label: 'participant 1' }]

/** A test double: the views are fixed, and each act is recorded (or refused when told to). */
class RecordingBackend implements PortalBackend {
  readonly acts: { act: string; input: unknown }[] = []
  refuseWith: Error | undefined
  private record(act: string, input: unknown): Promise<void> {
    if (this.refuseWith) return Promise.reject(this.refuseWith)
    this.acts.push({ act, input })
    return Promise.resolve()
  }
  participants = () => Promise.resolve(PARTICIPANTS)
  funds = () => Promise.resolve([FUND_A, FUND_B])
  participantView = (id: string): Promise<ParticipantView> =>
    Promise.resolve({
      participant: PARTICIPANTS.find((p) => p.id === id) ?? { id, label: `unknown ${id}` },
      entitlements: [
        {
          fund: FUND_A,
          holder: true,
          contributionsCents: 100n,
          statement: { year: 2026, contributionsCents: 100n, accruedPensionCents: 1234567n, chainHash: '0x01', computedHash: '0x01', verified: true },
        },
        { fund: FUND_B, holder: true, contributionsCents: 0n, statement: undefined },
      ],
      transfers: [],
      accessLog: { reads: [{ time: 1, party: 'insurer', collection: 'c', purpose: HOSTILE, action: 'read', outcome: 'refused', reason: 'no consent' }], sources: [] },
      consents: [{ party: { id: 'insurer', name: 'Insurer' }, purpose: 'retirement-advice', granted: false }],
      funds: [FUND_A, FUND_B],
    })
  employerView = (): Promise<EmployerView> => Promise.resolve({ employer: { id: 'employer', name: 'Employer' }, participants: PARTICIPANTS, funds: [FUND_A, FUND_B], contributions: [] })
  fundView = (fund: string): Promise<FundView> =>
    Promise.resolve({ fund: fund === FUND_B.id ? FUND_B : FUND_A, funds: [FUND_A, FUND_B], participants: PARTICIPANTS, contributions: [], transfers: [], statements: [] })
  requestTransfer = (input: unknown) => this.record('requestTransfer', input)
  setConsent = (input: unknown) => this.record('setConsent', input)
  reportContribution = (input: unknown) => this.record('reportContribution', input)
  acknowledgeContribution = (input: unknown) => this.record('acknowledgeContribution', input)
  disputeContribution = (input: unknown) => this.record('disputeContribution', input)
  quoteTransfer = (input: unknown) => this.record('quoteTransfer', input)
  acceptTransfer = (input: unknown) => this.record('acceptTransfer', input)
  settleTransfer = (input: unknown) => this.record('settleTransfer', input)
  publishStatement = (input: unknown) => this.record('publishStatement', input)
}

const backend = new RecordingBackend()
const faults: unknown[] = []
let portal: RunningPortal

beforeAll(async () => {
  portal = await startPortalServer({ backend, onError: (err) => faults.push(err) })
})
afterAll(async () => {
  await portal?.close()
})

function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${portal.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: portal.url, ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}

describe('pension portal server', () => {
  it('serves each desk as a page with a language, landmarks, one h1 and a label for every control', async () => {
    for (const path of ['/', '/participant', '/employer', '/fund', '/fund?fund=fundb']) {
      const res = await fetch(`${portal.url}${path}`)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
      const body = await res.text()
      expect(body).toContain('<html lang="en">')
      expect(body).toMatch(/<main id="main"/)
      expect(body).toMatch(/<nav aria-label="Portal sections">/)
      expect(body.match(/<h1[ >]/g), path).toHaveLength(1)
      // Every visible input and select has a <label for> naming it.
      const ids = [...body.matchAll(/<(?:input|select)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"/g)].map((m) => m[1]!)
      const unlabelled = [...body.matchAll(/<(?:input|select)(?![^>]*type="hidden")(?![^>]*\sid=)[^>]*>/g)]
      expect(unlabelled, path).toEqual([])
      for (const id of ids) expect(body, `${path}: label for ${id}`).toContain(`<label for="${id}">`)
    }
    const css = await fetch(`${portal.url}/portal.css`)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(await css.text()).toContain('@media (max-width: 40em)')
  })

  it('escapes what it renders: a name or purpose with markup shows as text', async () => {
    const body = await (await fetch(`${portal.url}/participant`)).text()
    expect(body).not.toContain(HOSTILE)
    expect(body).toContain('Fund B &lt;script&gt;alert(1)&lt;/script&gt;')
    expect(body).toContain('✓ Statement verified')
    expect(body).toContain('€12,345.67')
  })

  it('does a form’s act, redirects to the page and shows what happened there once', async () => {
    const res = await post('/participant/consent', { participant: '0xaa', party: 'insurer', purpose: 'retirement-advice', granted: 'true' })
    expect(res.status).toBe(303)
    const to = res.headers.get('location')!
    expect(to).toMatch(/^\/participant\?id=0xaa&notice=/)
    expect(backend.acts.at(-1)).toEqual({ act: 'setConsent', input: { participant: '0xaa', party: 'insurer', purpose: 'retirement-advice', granted: true } })
    const first = await (await fetch(`${portal.url}${to}`)).text()
    expect(first).toContain('<div class="notice" role="status" data-testid="notice">Consent given.</div>')
    const again = await (await fetch(`${portal.url}${to}`)).text()
    expect(again).not.toContain('data-testid="notice"')
  })

  it('shows a refusal of the ledger in words as an alert, not as a failed request', async () => {
    backend.refuseWith = Object.assign(new Error('long message'), { shortMessage: `the transfer is refused: ${HOSTILE}` })
    try {
      const res = await post('/participant/transfer', { participant: '0xaa', from: 'pensionfund', to: 'fundb' })
      expect(res.status).toBe(303)
      const body = await (await fetch(`${portal.url}${res.headers.get('location')!}`)).text()
      expect(body).toContain('role="alert"')
      expect(body).toContain('the transfer is refused: &lt;script&gt;')
    } finally {
      backend.refuseWith = undefined
    }
    expect(faults).toEqual([])
  })

  it('reads amounts in euros into cents and refuses what is not an amount', async () => {
    const ok = await post('/fund/quote', { fund: 'pensionfund', transfer: '3', value: '1234,5' })
    expect(ok.status).toBe(303)
    expect(backend.acts.at(-1)).toEqual({ act: 'quoteTransfer', input: { fund: 'pensionfund', transfer: '3', valueCents: 123450n } })
    const before = backend.acts.length
    const bad = await post('/fund/quote', { fund: 'pensionfund', transfer: '3', value: '12e3' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('"value" is not an amount in euros')
    const period = await post('/employer/contributions', { participant: '0xaa', fund: 'pensionfund', period: '2026-13', amount: '10' })
    expect(period.status).toBe(400)
    const missing = await post('/fund/accept', { fund: 'pensionfund' })
    expect(missing.status).toBe(400)
    expect(await missing.text()).toContain('the field "transfer" is missing')
    expect(backend.acts.length).toBe(before)
  })

  it('refuses a form posted from another origin, in another encoding or too large, and unknown paths and methods', async () => {
    const before = backend.acts.length
    const opaque = await post('/participant/consent', { participant: '0xaa', party: 'insurer', purpose: 'retirement-advice', granted: 'true' }, { Origin: 'null' })
    expect(opaque.status).toBe(403)
    const foreign = await post('/participant/consent', { participant: '0xaa', party: 'insurer', purpose: 'retirement-advice', granted: 'true' }, { Origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    const json = await fetch(`${portal.url}/participant/consent`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: portal.url }, body: '{}' })
    expect(json.status).toBe(415)
    const big = await post('/fund/dispute', { fund: 'pensionfund', contribution: '1', reason: 'x'.repeat(20_000) })
    expect(big.status).toBe(413)
    expect(backend.acts.length).toBe(before)
    expect((await fetch(`${portal.url}/nothing`)).status).toBe(404)
    expect((await fetch(`${portal.url}/participant/consent`)).status).toBe(405)
  })

  it('answers the same data as JSON, amounts as decimal strings', async () => {
    const res = await fetch(`${portal.url}/api/participant?id=0xaa`)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = (await res.json()) as { entitlements: { statement?: { accruedPensionCents: string; verified: boolean } }[] }
    expect(body.entitlements[0]!.statement).toMatchObject({ accruedPensionCents: '1234567', verified: true })
  })
})
