/**
 * The dashboard's Private data view in a real browser (Debian Chromium driven by playwright-core)
 * against a real network of 4 validator processes: a collection made by a governance vote, a record
 * put with priv_putRecord and its erasure requested; the view then shows, per member node, "confirmed
 * at block #N" matching priv_getErasureStatus. The node of a party outside the collection is shown
 * as "not a member", and a node without priv_ (answers faked in the browser) as "not available".
 * Screenshots go to test-results/screenshots.
 */
import { mkdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { GovernanceClient } from '../../src/governance/client.js'
import type { NetworkNode } from '../../src/node/init.js'
import { privacyConsortium } from '../helpers/privacy-consortium.js'
import type { Address, Hex } from '../../src/types.js'
import { TestNetwork } from '../helpers/network.js'
import { waitFor } from '../helpers/node-process.js'
import { launchChromium, requireChromium } from '../helpers/chromium.js'
import { tempDir } from '../helpers/tmp.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const SCREENSHOTS = join(ROOT, 'test-results/screenshots')
const PARTIES = ['hospital', 'insurer', 'lab', 'outsider'] as const
const [HOSPITAL, OUTSIDER] = [0, 3]

interface ErasureStatus {
  anchor: { erasedAt: number }
  members: { node: string; party: string; status: string; confirmedAtBlock?: number | null }[]
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let browser: BrowserContext
let admins: { address: Address; privateKey: Hex }[] = []
const pageErrors: string[] = []

const consortium = (nodes: NetworkNode[]) => privacyConsortium('dashboard-privacy', PARTIES, admins.map((a) => a.address), nodes)

async function ok<T>(i: number, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(net.url(i), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(`${method} on node ${i}: ${body.error.message}`)
  return body.result as T
}

async function newPage(): Promise<Page> {
  const p = await browser.newPage()
  p.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`))
  p.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d|500/.test(msg.text())) pageErrors.push(`console: ${msg.text()}`)
  })
  return p
}

async function lookup(p: Page, collection: string, key: string): Promise<void> {
  const form = p.getByRole('form', { name: 'Erasure status lookup' })
  await form.getByLabel('Collection').fill(collection)
  await form.getByLabel('Record key').fill(key)
  await form.getByRole('button', { name: 'Show status' }).click()
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'web/dist/index.html'))) throw new Error('the dashboard is not built: run "npm run build" first')
  requireChromium()
  tmp = await tempDir('quorate-e2e-priv-')
  await mkdir(SCREENSHOTS, { recursive: true })
  const { devAccounts } = await import('../../src/crypto/dev-accounts.js')
  admins = devAccounts(4).map((a) => ({ address: a.address as Address, privateKey: a.privateKey as Hex }))
  net = await TestNetwork.create(join(tmp.dir, 'net'), { validators: 4, consortium })
  const [, launched] = await Promise.all([
    net.start(),
    launchChromium(join(tmp.dir, 'chromium-profile'), { width: 1360, height: 900 }),
  ])
  browser = launched
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2)
  const gov = await GovernanceClient.connect(net.url(HOSPITAL), admins[HOSPITAL]!.privateKey)
  const grants = [
    { party: 'hospital', purpose: 'treatment', basis: 'vital-interests' },
    { party: 'insurer', purpose: 'treatment', basis: 'contract' },
    { party: 'lab', purpose: 'treatment', basis: 'contract' },
  ]
  const { id } = await gov.propose({ decision: 'SetCollection', id: 'patients', controller: 'hospital', retentionSeconds: 3600, members: ['hospital', 'insurer', 'lab'], grants }, 'patients collection')
  await gov.vote(id, true)
  await waitFor('the collection on every node', async () => {
    for (let i = 0; i < 4; i++) if ((await ok<unknown[]>(i, 'priv_getCollections')).length !== 1) return false
    return true
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('dashboard: erasure status of a private record', () => {
  it('shows every member node confirmed at the block priv_getErasureStatus reports', async () => {
    const put = await ok<{ delivered: string[]; pending: string[] }>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-1', subject: 'subj-ada', purposes: ['treatment'], data: 'diagnosis K50.1' }])
    expect(put.delivered).toHaveLength(2)
    const page = await newPage()
    await page.goto(`${net.url(HOSPITAL)}/dashboard/#/private`)
    await lookup(page, 'patients', 'p-1')
    const table = page.getByRole('table', { name: 'Erasure status per member' })
    await table.waitFor()
    // Before the erasure: three member nodes, none requested.
    expect(await table.locator('tbody tr[data-status="not requested"]').count()).toBe(3)
    expect(await table.getByText('not requested').count()).toBe(3)

    await ok(HOSPITAL, 'priv_requestErasure', [{ collection: 'patients', key: 'p-1' }])
    let status: ErasureStatus | undefined
    await waitFor('every member confirmed on chain', async () => {
      status = await ok<ErasureStatus>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-1'])
      return status.members.length === 3 && status.members.every((m) => m.status === 'confirmed' && typeof m.confirmedAtBlock === 'number')
    }, 60_000)

    await lookup(page, 'patients', 'p-1')
    await table.locator('tbody tr[data-status="confirmed"]').nth(2).waitFor()
    const rows = table.locator('tbody tr[data-address]')
    expect(await rows.count()).toBe(3)
    for (const m of status!.members) {
      const row = table.locator(`tbody tr[data-address="${m.node.toLowerCase()}"]`)
      expect(await row.getByRole('cell').first().textContent()).toBe(m.party)
      expect((await row.textContent()) ?? '').toContain(`confirmed at block #${m.confirmedAtBlock}`)
    }
    expect(((await page.getByRole('main').textContent()) ?? '').toLowerCase()).not.toContain('pending since')
    await expect(page.getByText('This node owes no confirmation for this record.').count()).resolves.toBe(1)
    await page.screenshot({ path: join(SCREENSHOTS, 'private-data.png'), fullPage: true })
    await page.close()
    expect(pageErrors).toEqual([])
  }, 90_000)

  it('says the node is not a member when the node of a party outside the collection is asked', async () => {
    const page = await newPage()
    await page.goto(`${net.url(OUTSIDER)}/dashboard/#/private`)
    await lookup(page, 'patients', 'p-1')
    const notice = page.getByRole('main').getByText('This node is not a member of this collection')
    await notice.waitFor()
    expect(await page.getByRole('table').count()).toBe(0)
    await page.close()
  }, 30_000)

  it("lists this node's owed confirmations with their last error (answer faked in the browser)", async () => {
    const page = await newPage()
    const real = await ok<ErasureStatus & { thisNode: unknown[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-1'])
    const [first, ...rest] = real.members
    const since = Math.floor(Date.now() / 1000) - 120
    const faked = {
      ...real,
      members: [{ node: first!.node, party: first!.party, status: 'pending', pendingSince: since }, ...rest],
      thisNode: [{ request: 7, since, attempts: 3, nextAttemptAt: Date.now() + 30_000, lastError: 'insufficient funds for gas' }],
    }
    await page.route(`${net.url(HOSPITAL)}/`, async (route) => {
      const body = route.request().method() === 'POST' ? (route.request().postDataJSON() as { id: number; method: string }) : undefined
      if (body?.method !== 'priv_getErasureStatus') return route.continue()
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: body.id, result: faked }) })
    })
    await page.goto(`${net.url(HOSPITAL)}/dashboard/#/private`)
    await lookup(page, 'patients', 'p-1')
    const owed = page.getByRole('table', { name: 'Confirmations owed by this node' })
    await owed.waitFor()
    const row = owed.locator('tbody tr[data-request="7"]')
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('3')
    expect(await row.getByRole('cell').nth(4).textContent()).toBe('insufficient funds for gas')
    const pending = page.getByRole('table', { name: 'Erasure status per member' }).locator(`tbody tr[data-address="${first!.node.toLowerCase()}"]`)
    expect((await pending.textContent()) ?? '').toMatch(/pending since \d+ \w{3} \d{4}, \d\d:\d\d/)
    await page.screenshot({ path: join(SCREENSHOTS, 'private-data-owed.png'), fullPage: true })
    await page.close()
  }, 30_000)

  it('says private data is not available when the node answers priv_ with "method not found" (answers faked in the browser)', async () => {
    const page = await newPage()
    let refused = 0
    await page.route(`${net.url(HOSPITAL)}/`, async (route) => {
      const body = route.request().method() === 'POST' ? (route.request().postDataJSON() as { id: number; method: string }) : undefined
      if (!body?.method.startsWith('priv_')) return route.continue()
      refused++
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32601, message: `the method ${body.method} does not exist` } }) })
    })
    await page.goto(`${net.url(HOSPITAL)}/dashboard/#/private`)
    await lookup(page, 'patients', 'p-1')
    await page.getByRole('main').getByText('Private data is not available on this node').waitFor()
    expect(refused).toBe(1)
    await page.close()
  }, 30_000)
})
