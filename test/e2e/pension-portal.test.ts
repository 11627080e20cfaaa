/**
 * The pension portal in a real browser (Debian Chromium driven by playwright-core) on the example's
 * own ecosystem: the devnet's four parties on four validator processes, the second fund admitted by
 * vote with a node of its own, the contracts deployed after their code was approved by vote, and the
 * personal-data collection voted in (by the example's `setUpEcosystem`, as its scenario does it). One
 * setup serves every test of the file. What is shown:
 * - a participant sees entitlements in both funds, each statement verified by recomputing its hash
 *   against the chain, and a statement whose document differs from the published hash is not;
 * - a transfer the participant starts is quoted, accepted and settled on the two funds' pages, and
 *   the participant then sees it completed and the rights moved;
 * - consent given to the adviser: the adviser's read (through the library, as the insurer) appears
 *   in "who read my data and why" with its purpose; consent withdrawn: the next read is refused, and
 *   the refusal appears too;
 * - the employer reports a contribution, the fund disputes it and the employer sees the dispute;
 * - the pages work at phone width and by keyboard.
 * Screenshots go to test-results/screenshots/pension-portal-*.png.
 */
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Locator, Page } from 'playwright-core'
import { isLedgerError } from 'quorate/sdk'
import type { Hex } from 'viem'
import { PURPOSES, setUpEcosystem, type PensionApp, type Person } from '../../examples/pension/app/index.js'
import { startPensionDevnet, type PensionDevnet } from '../../examples/pension/network.js'
import { startPortal, type RunningPortal } from '../../examples/pension/portal/index.js'
import { freePort, waitFor } from '../helpers/node-process.js'
import { launchChromium, requireChromium } from '../helpers/chromium.js'
import { tempDir } from '../helpers/tmp.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const SCREENSHOTS = join(ROOT, 'test-results/screenshots')
const YEAR = 2025

let tmp: Awaited<ReturnType<typeof tempDir>>
let devnet: PensionDevnet
let app: PensionApp
let portal: RunningPortal
let browser: BrowserContext
let page: Page
/** Errors the pages logged (there is no script, so any is a fault: a CSP refusal, a failed load). */
const pageErrors: string[] = []

/** The participant whose portal the tests use, and one whose fund B statement was altered after publishing. */
let alice: Hex
let bob: Hex
const ALICE: Person = { name: 'Alice Jansen', birthDate: '1971-04-02', salary: 52_000, employer: 'employer' }
const BOB: Person = { name: 'Bob de Boer', birthDate: '1983-11-20', salary: 47_000, employer: 'employer' }

/** `count` consecutive free loopback ports (the example's devnet numbers its nodes' ports from a base). */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = await freePort()
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => portFree(base + i + 1)))
    if (rest.every(Boolean)) return base
  }
}
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer()
    srv.once('error', () => done(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)))
  })
}

/** The example's ecosystem as its scenario sets it up (the example's devnet, then setUpEcosystem). */
async function startEcosystem(dataDir: string): Promise<PensionApp> {
  devnet = await startPensionDevnet({ dataDir, rpcPort: await freePorts(5), p2pPort: await freePorts(5), blockPeriodMs: 500 })
  return setUpEcosystem({ fabric: 'quorate', parties: devnet.parties, joining: devnet })
}

/** Enrols a participant with fund A (on chain and in the collection) and lists them for the portal's picker. */
async function enrol(externalRef: string, label: string, person: Person): Promise<Hex> {
  const { participant, key } = await app.registerParticipant({ fund: 'pensionfund', externalRef })
  await app.storePerson('pensionfund', participant, person)
  app.deployment.participants.push({ id: participant, label, key })
  return participant
}

/** The employer reports a month to a fund and the fund acknowledges it (once the fund's own node has the report). */
async function paid(participant: Hex, fund: 'pensionfund' | 'fundb', month: number, euros: number): Promise<void> {
  const id = await app.reportContribution({ participant, period: YEAR * 100 + month, fund, amountCents: BigInt(euros * 100) })
  await waitFor(`contribution ${id} on the node of ${fund}`, async () => (await app.contributions({ participant, reader: fund })).some((c) => c.id === id) || undefined)
  await app.acknowledgeContribution(fund, id)
}

beforeAll(async () => {
  requireChromium()
  tmp = await tempDir('quorate-pension-portal-')
  await mkdir(SCREENSHOTS, { recursive: true })
  const [started, launched] = await Promise.all([
    startEcosystem(join(tmp.dir, 'ecosystem')),
    launchChromium(join(tmp.dir, 'chromium-profile'), { width: 1280, height: 900 }),
  ])
  app = started
  browser = launched
  page = browser.pages()[0] ?? (await browser.newPage())
  page.setDefaultTimeout(15_000)
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`)
  })

  // A year's history: Alice paid into fund A, then (a job change) into fund B; fund A published
  // her statement (fund B publishes its own on its page, in the first test). Bob's fund B
  // statement document was changed after its hash was published. Each party's writes go out
  // together (the SDK keeps one account's nonces in order).
  ;[alice, bob] = await Promise.all([enrol('portal-alice', 'Alice (participant 1)', ALICE), enrol('portal-bob', 'Bob (participant 2)', BOB)])
  await Promise.all([paid(alice, 'pensionfund', 1, 400), paid(alice, 'pensionfund', 2, 400), paid(alice, 'fundb', 3, 500), paid(bob, 'fundb', 1, 300), paid(bob, 'fundb', 2, 300)])
  await Promise.all([
    (async () => {
      const statement = await app.buildStatement('pensionfund', alice, YEAR, ALICE)
      await Promise.all([app.publishStatementHash('pensionfund', statement), app.storeStatementDocument('pensionfund', statement)])
    })(),
    (async () => {
      const statement = await app.buildStatement('fundb', bob, YEAR, BOB)
      const altered = { ...statement, accruedPensionCents: (BigInt(statement.accruedPensionCents) * 2n).toString() }
      await Promise.all([app.publishStatementHash('fundb', statement), app.storeStatementDocument('fundb', altered)])
    })(),
  ])
  portal = await startPortal({
    app,
    onError: (err) => {
      console.error('portal fault:', err)
      pageErrors.push(`portal: ${String(err)}`)
    },
  })
})

afterAll(async () => {
  await browser?.close()
  await portal?.close()
  await app?.close()
  await devnet?.stop()
  await tmp?.cleanup()
})

async function screenshot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(SCREENSHOTS, `pension-portal-${name}.png`), fullPage: true })
}

const participantUrl = (id: Hex) => `${portal.url}/participant?id=${id}`
const fundUrl = (fund: string) => `${portal.url}/fund?fund=${fund}`

/** The notice the last action left on the page: "done" (status) or "error" (alert), and its text. */
async function notice(p: Page = page): Promise<{ role: string; text: string }> {
  const box = p.getByTestId('notice')
  await box.waitFor()
  return { role: (await box.getAttribute('role')) ?? '', text: ((await box.textContent()) ?? '').trim() }
}

function entitlementCard(fund: string): Locator {
  return page.getByRole('main').locator(`article[data-testid="entitlement"][data-fund="${fund}"]`)
}

/** How the node answers a read it does not let through: not a member for the purpose, or no such record held. */
const refused = (err: unknown) => isLedgerError(err, 'NOT_A_MEMBER') || isLedgerError(err, 'NOT_FOUND')

function accessLogRows(p: Page = page): Locator {
  return p.getByRole('table', { name: 'Access log' }).locator('tbody tr')
}

/** The reads in the access log as the page shows them: who, purpose and what happened (from the row's cells). */
async function accessLog(p: Page = page): Promise<{ who: string; purpose: string; outcome: string }[]> {
  const table = p.getByRole('table', { name: 'Access log' })
  if ((await table.count()) === 0) return []
  return accessLogRows(p).evaluateAll((rows) =>
    rows
      .filter((r) => r.getAttribute('data-action') === 'read')
      .map((r) => {
        const cells = [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())
        return { who: cells[1] ?? '', purpose: cells[3] ?? '', outcome: cells[4] ?? '' }
      }),
  )
}

describe('pension portal on the example ecosystem', () => {
  it('shows the participant entitlements in both funds, each statement verified against the chain', async () => {
    // Fund B publishes Alice's statement from its own page.
    await page.goto(fundUrl('fundb'))
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(app.deployment.parties.fundb.name)
    const publish = page.getByRole('group', { name: 'Publish a statement' })
    await publish.getByLabel('Participant').selectOption(alice)
    await publish.getByLabel(/^Year/).fill(String(YEAR))
    await publish.getByRole('button', { name: 'Publish statement' }).click()
    expect(await notice()).toEqual({ role: 'status', text: `Statement ${YEAR} published: its hash is on the ledger.` })

    await page.goto(participantUrl(alice))
    await expect(page.getByTestId('participant-id').textContent()).resolves.toBe(alice)
    const region = page.getByRole('region', { name: 'Entitlements' })
    await expect(region.getByRole('article').count()).resolves.toBe(2)
    for (const fund of ['pensionfund', 'fundb'] as const) {
      const card = entitlementCard(fund)
      await expect(card.getByRole('heading', { level: 3 }).textContent()).resolves.toBe(app.deployment.parties[fund].name)
      const mark = card.getByTestId('statement-mark')
      await expect(mark.textContent()).resolves.toBe('✓ Statement verified')
      // The hash shown as "on the ledger" is the one the Statements contract holds.
      const onChain = await app.publishedStatementHash(fund, alice, YEAR)
      expect(onChain).toMatch(/^0x[0-9a-f]{64}$/)
      await expect(card.locator('dd.hash').nth(1).textContent()).resolves.toBe(onChain)
    }
    // Fund A: 2 × €400 acknowledged; 1.75 % of it as yearly pension.
    await expect(entitlementCard('pensionfund').getByTestId('accrued').textContent()).resolves.toBe('€14.00')
    await expect(entitlementCard('fundb').getByTestId('accrued').textContent()).resolves.toBe('€8.75')
    await screenshot('participant')

    // Bob's fund B document no longer matches the hash the fund published: not verified.
    await page.goto(participantUrl(bob))
    const bobB = entitlementCard('fundb')
    await expect(bobB.getByTestId('statement-mark').textContent()).resolves.toBe('✗ Statement not verified')
    const [computed, chain] = await bobB.locator('dd.hash').allTextContents()
    expect(chain).toBe(await app.publishedStatementHash('fundb', bob, YEAR))
    expect(computed).not.toBe(chain)
    await screenshot('statement-not-verified')
  })

  it('a transfer the participant starts is quoted, accepted and settled by the funds, then shown completed', async () => {
    await page.goto(participantUrl(alice))
    const form = page.getByRole('group', { name: 'Move your rights to another fund' })
    await form.getByLabel('From fund').selectOption('pensionfund')
    await form.getByLabel('To fund').selectOption('fundb')
    await form.getByRole('button', { name: 'Start transfer' }).click()
    expect(await notice()).toEqual({ role: 'status', text: 'Transfer requested: the fund you leave will send a quote.' })
    const [requested] = await app.transfers({ participant: alice })
    expect(requested).toMatchObject({ from: 'pensionfund', to: 'fundb', status: 'requested' })
    const row = (p: Page) => p.locator(`tr[data-transfer="${requested!.id}"]`)
    await expect(row(page).getAttribute('data-status')).resolves.toBe('requested')

    // Fund A quotes.
    await page.goto(fundUrl('pensionfund'))
    await row(page).getByLabel('Value in euros').fill('12345.60')
    await row(page).getByRole('button', { name: 'Send quote' }).click()
    expect((await notice()).text).toBe('Quote sent to the receiving fund.')
    await screenshot('fund-a-quoted')
    // Fund B accepts.
    await page.goto(fundUrl('fundb'))
    await expect(row(page).getAttribute('data-status')).resolves.toBe('quoted')
    await row(page).getByRole('button', { name: 'Accept transfer' }).click()
    expect((await notice()).text).toBe('Transfer accepted.')
    // Fund A settles.
    await page.goto(fundUrl('pensionfund'))
    await row(page).getByRole('button', { name: 'Settle transfer' }).click()
    expect((await notice()).text).toBe('Transfer settled: the rights have moved.')
    expect(await app.transfer(requested!.id)).toMatchObject({ status: 'settled', amountCents: 1_234_560n })

    await page.goto(participantUrl(alice))
    await expect(row(page).getAttribute('data-status')).resolves.toBe('settled')
    await expect(row(page).textContent()).resolves.toContain('Completed')
    await expect(row(page).textContent()).resolves.toContain('€12,345.60')
    expect(await app.holders(alice)).toEqual(['fundb'])
    await expect(entitlementCard('pensionfund').getByTestId('holder').textContent()).resolves.toBe('No')
    await expect(entitlementCard('fundb').getByTestId('holder').textContent()).resolves.toBe('Yes')
    await screenshot('transfer-completed')
  })

  it('consent to the adviser on and off: the adviser’s read and the refusal after withdrawal are in the access log', async () => {
    await page.goto(participantUrl(alice))
    const item = page.locator('li[data-testid="consent"][data-party="insurer"][data-purpose="retirement-advice"]')
    await expect(item.getAttribute('data-granted')).resolves.toBe('false')
    const advisorReadsBefore = (await accessLog()).filter((r) => r.who === app.deployment.parties.insurer.name).length
    expect(advisorReadsBefore).toBe(0)
    // Without consent the adviser is refused.
    await expect(app.readPerson('insurer', alice, PURPOSES.advice)).rejects.toSatisfy(refused)

    await item.getByRole('button', { name: /^Give consent/ }).click()
    expect(await notice()).toEqual({ role: 'status', text: 'Consent given.' })
    await expect(item.getAttribute('data-granted')).resolves.toBe('true')
    expect((await app.consents(alice)).some((c) => c.party === 'insurer' && c.purpose === PURPOSES.advice && c.granted)).toBe(true)
    // The adviser reads Alice's personal data for retirement advice (once the consent has brought
    // the record to the insurer's node).
    const read = await waitFor('the adviser’s read', () => app.readPerson('insurer', alice, PURPOSES.advice).catch((err: unknown) => (isLedgerError(err, 'NOT_FOUND') ? undefined : Promise.reject(err))))
    expect(read.name).toBe(ALICE.name)

    await page.reload()
    const insurer = app.deployment.parties.insurer.name
    await waitFor('the adviser’s read in the access log', async () => {
      await page.reload()
      return (await accessLog()).some((r) => r.who === insurer && r.purpose === 'retirement advice' && r.outcome === 'read') || undefined
    })
    await screenshot('consent-given')

    await item.getByRole('button', { name: /^Withdraw consent/ }).click()
    expect(await notice()).toEqual({ role: 'status', text: 'Consent withdrawn: further reads for this purpose are refused.' })
    await expect(item.getAttribute('data-granted')).resolves.toBe('false')
    await expect(app.readPerson('insurer', alice, PURPOSES.advice)).rejects.toSatisfy(refused)
    await waitFor('the refused read in the access log', async () => {
      await page.reload()
      const log = await accessLog()
      return log.filter((r) => r.who === insurer && r.purpose === 'retirement advice' && r.outcome.startsWith('read refused')).length >= 2 || undefined
    })
    const log = await accessLog()
    // Refused before consent, read with consent, refused after withdrawal: in that order.
    // Oldest first here (the page lists the newest first).
    const adviser = log.filter((r) => r.who === insurer).reverse()
    expect(adviser.map((r) => (r.outcome === 'read' ? 'read' : r.outcome.startsWith('read refused') ? 'refused' : r.outcome))).toEqual(['refused', 'read', 'refused'])
    expect(adviser.every((r) => r.purpose === 'retirement advice')).toBe(true)
    // Each refusal says why: never consented, then consent withdrawn.
    expect(adviser[0]!.outcome).toContain('consent, which was never given')
    expect(adviser[2]!.outcome).toContain('was withdrawn at')
    // Every member node's export of Alice's log checks.
    const sources = page.getByTestId('log-sources')
    await expect(sources.locator('.mark.ok').count()).resolves.toBe(4)
    await expect(sources.locator('.mark.bad').count()).resolves.toBe(0)
    await screenshot('access-log')
  })

  it('the employer reports a contribution, the fund disputes it, and the employer sees the dispute', async () => {
    await page.goto(`${portal.url}/employer`)
    const form = page.getByRole('region', { name: 'Report a contribution' })
    await form.getByLabel('Participant').selectOption(bob)
    await form.getByLabel('Fund').selectOption('fundb')
    await form.getByLabel(/^Period/).fill(`${YEAR}-04`)
    await form.getByLabel(/^Amount in euros/).fill('310.50')
    await form.getByRole('button', { name: 'Report contribution' }).click()
    expect(await notice()).toEqual({ role: 'status', text: `Contribution for ${YEAR}-04 reported.` })
    const reported = (await app.contributions({ participant: bob })).find((c) => c.period === YEAR * 100 + 4)
    expect(reported).toMatchObject({ fund: 'fundb', amountCents: 31_050n, status: 'reported' })

    await page.goto(fundUrl('fundb'))
    const open = page.getByRole('table', { name: 'Contributions reported by employers' })
    await expect(open.locator(`tr[data-contribution="${reported!.id}"]`).count()).resolves.toBe(1)
    const dispute = page.getByRole('group', { name: 'Dispute a contribution' })
    await dispute.getByLabel('Contribution').selectOption(String(reported!.id))
    await dispute.getByLabel(/^Reason/).fill('amount above salary')
    await dispute.getByRole('button', { name: 'Dispute' }).click()
    expect((await notice()).text).toBe('Contribution disputed: the employer sees the reason.')

    await page.goto(`${portal.url}/employer`)
    const disputes = page.getByRole('table', { name: 'Contributions a fund disputes' })
    const row = disputes.locator(`tr[data-contribution="${reported!.id}"]`)
    await expect(row.textContent()).resolves.toContain('Disputed by the fund: amount above salary')
    expect((await app.contributions({ participant: bob })).find((c) => c.id === reported!.id)?.status).toBe('disputed')
    await screenshot('employer-dispute')

    // The ledger's refusal comes back in words: the same month reported twice.
    await form.getByLabel('Participant').selectOption(bob)
    await form.getByLabel('Fund').selectOption('fundb')
    await form.getByLabel(/^Period/).fill(`${YEAR}-04`)
    await form.getByLabel(/^Amount in euros/).fill('310.50')
    await form.getByRole('button', { name: 'Report contribution' }).click()
    const refused = await notice()
    expect(refused.role).toBe('alert')
    expect(refused.text).toContain('AlreadyReported')
  })

  it('works at phone width and by keyboard alone', async () => {
    const phone = await browser.newPage()
    try {
      await phone.setViewportSize({ width: 390, height: 844 })
      await phone.goto(participantUrl(alice))
      // Nothing wider than the screen: the tables stack, the hashes wrap.
      const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')
      expect(overflow).toBeLessThanOrEqual(0)
      await screenshot('participant-phone', phone)
      // The first Tab reaches the skip link, which moves focus to the main content.
      await phone.keyboard.press('Tab')
      await expect(phone.evaluate<string>('document.activeElement.textContent')).resolves.toBe('Skip to content')
      await phone.keyboard.press('Enter')
      await expect(phone.evaluate<string>('document.activeElement.id')).resolves.toBe('main')
      // Tab on to the consent button and press it with the keyboard: consent given again.
      const button = phone.locator('li[data-party="insurer"] button')
      const focused = () => button.evaluate((b) => b.matches(':focus'))
      for (let i = 0; i < 40 && !(await focused()); i++) await phone.keyboard.press('Tab')
      expect(await focused()).toBe(true)
      // A visible focus ring.
      await expect(phone.evaluate<string>(`getComputedStyle(document.activeElement).outlineStyle`)).resolves.toBe('solid')
      await phone.keyboard.press('Enter')
      await phone.getByTestId('notice').waitFor()
      await expect(phone.getByTestId('notice').textContent()).resolves.toBe('Consent given.')
    } finally {
      await phone.close()
    }
    expect(pageErrors).toEqual([])
  })
})
