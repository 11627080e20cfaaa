/**
 * The operator dashboard in a real browser (Debian Chromium driven by playwright-core) against a
 * real network of 4 validator processes: what it shows matches node 1's JSON-RPC, the height moves
 * with newHeads pushed over WebSocket (and again after the socket drops), governance reads as "not
 * enabled" on a chain without it, the governance views render gov_* answers, and a killed
 * validator is marked as not sealing. Screenshots of the main views go to test-results/screenshots.
 */
import { mkdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type BrowserContext, type Page, type WebSocket, type WebSocketRoute } from 'playwright-core'
import { JsonRpcProvider, Wallet } from 'ethers'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'
import { governanceFixture } from './governance-fixture.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const SCREENSHOTS = join(ROOT, 'test-results/screenshots')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const KILLED = 2

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let browser: BrowserContext
let page: Page
/** Errors the page logged (script errors, CSP refusals, failed loads). */
const pageErrors: string[] = []

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'web/dist/index.html'))) throw new Error('the dashboard is not built: run "npm run build" first')
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (or set CHROMIUM_PATH)`)
  tmp = await tempDir('quorate-e2e-')
  await mkdir(SCREENSHOTS, { recursive: true })
  net = await TestNetwork.create(join(tmp.dir, 'net'), { validators: 4 })
  const [, launched] = await Promise.all([
    net.start(),
    chromium.launchPersistentContext(join(tmp.dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1360, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ])
  browser = launched
  page = browser.pages()[0] ?? (await browser.newPage())
  watchErrors(page)
})

afterAll(async () => {
  await browser?.close()
  await net?.stopAll()
  await tmp?.cleanup()
})

function watchErrors(p: Page): void {
  p.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`))
  p.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`)
  })
}

const dashboardUrl = (view = 'overview') => `${net.url(0)}/dashboard/#/${view}`

async function shownHeight(p: Page = page): Promise<number> {
  const text = (await p.getByTestId('height').textContent()) ?? ''
  return Number(text.replace(/[^0-9]/g, ''))
}

async function screenshot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

async function rowAddresses(p: Page, region: string): Promise<string[]> {
  const rows = p.getByRole('region', { name: region }).locator('tbody tr[data-address]')
  return (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-address') ?? ''))).sort()
}

describe('operator dashboard', () => {
  it('shows the height, validators and peers that node 1 reports', async () => {
    await waitFor('a few blocks', async () => (await net.height(0)) >= 3 || undefined, 30_000)
    await page.goto(dashboardUrl())
    await page.getByRole('main', { name: 'Network overview' }).waitFor()
    await waitFor('the height to show', async () => (await shownHeight()) > 0 || undefined)

    const before = await net.height(0)
    const shown = await shownHeight()
    const after = await net.height(0)
    // The page read its height between our two reads (give or take the block in flight).
    expect(shown).toBeGreaterThanOrEqual(before - 2)
    expect(shown).toBeLessThanOrEqual(after)

    const validators = (await rpc<string[]>(net.url(0), 'qbft_getValidatorsByBlockNumber', ['latest'])).map((a) => a.toLowerCase()).sort()
    expect(validators).toEqual(net.nodes.map((n) => n.address.toLowerCase()).sort())
    await waitFor('all validators listed', async () => (await rowAddresses(page, 'Validators')).length === 4 || undefined)
    expect(await rowAddresses(page, 'Validators')).toEqual(validators)
    // Each full address is on screen, not only in attributes.
    for (const v of validators) expect(await page.getByRole('region', { name: 'Validators' }).getByText(v, { exact: true }).count()).toBe(1)
    await waitFor('every validator sealing', async () => (await page.getByRole('region', { name: 'Validators' }).getByText('Sealing', { exact: true }).count()) === 4 || undefined, 20_000)

    const peers = (await rpc<{ id: string }[]>(net.url(0), 'admin_peers')).map((p) => p.id.toLowerCase()).sort()
    expect(peers).toHaveLength(3)
    await waitFor('the peers listed', async () => JSON.stringify(await rowAddresses(page, 'Peers')) === JSON.stringify(peers) || undefined)
    const peerStat = page.getByRole('group', { name: 'Peers' })
    expect(await peerStat.textContent()).toContain('3')
    expect(await page.getByRole('status', { name: 'Live updates' }).textContent()).toContain('Live')
    await screenshot('overview')
  })

  it('raises the height from newHeads pushed over WebSocket, without a reload', async () => {
    const pushed: number[] = []
    const onSocket = (ws: WebSocket) =>
      ws.on('framereceived', (f) => {
        const msg = JSON.parse(String(f.payload)) as { method?: string; params?: { result?: { number?: string } } }
        if (msg.method === 'eth_subscription' && msg.params?.result?.number) pushed.push(Number(msg.params.result.number))
      })
    // Sockets opened before we listened are not reported: reload once so ours is the one watched.
    page.on('websocket', onSocket)
    await page.reload()
    await waitFor('the live feed', async () => (await page.getByRole('status', { name: 'Live updates' }).textContent())?.includes('Live') || undefined)
    await page.evaluate(() => {
      ;(globalThis as unknown as { marker: number }).marker = 42
    })
    const start = await shownHeight()
    const raised = await waitFor('a higher height on screen', async () => {
      const h = await shownHeight()
      return h > start ? h : undefined
    })
    expect(raised).toBeGreaterThan(start)
    // What the page shows is a head the node pushed, not only something it polled.
    await waitFor('a pushed head on screen', async () => pushed.includes(await shownHeight()) || undefined)
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42)
    // Finality latency is measured from live heads: present once one arrived.
    expect(await page.getByRole('group', { name: 'Finality latency' }).textContent()).toMatch(/\d(\.\d)? s/)
    page.off('websocket', onSocket)
  })

  it('lists recent blocks and a transaction just made final', async () => {
    const [a, b] = net.accounts
    const provider = new JsonRpcProvider(net.url(0), undefined, { staticNetwork: true, pollingInterval: 100 })
    const tx = await new Wallet(a!.privateKey, provider).sendTransaction({ to: b!.address, value: 2n * 10n ** 18n + 5n * 10n ** 17n, gasPrice: 0 })
    const receipt = await tx.wait()
    provider.destroy()
    await page.getByRole('link', { name: 'Blocks' }).click()
    await page.getByRole('main', { name: 'Blocks and transactions' }).waitFor()
    const txs = page.getByRole('region', { name: 'Recent transactions' })
    const row = txs.locator('tr', { has: page.locator(`[title="${tx.hash}"]`) })
    await waitFor('the transaction listed', async () => (await row.count()) === 1 || undefined)
    expect(await row.textContent()).toContain(`#${receipt!.blockNumber.toLocaleString('en-GB')}`)
    expect(await row.textContent()).toContain('2.5')
    const blocks = page.getByRole('region', { name: 'Recent blocks' })
    expect(await blocks.getByText(`#${receipt!.blockNumber.toLocaleString('en-GB')}`, { exact: true }).count()).toBe(1)
    await screenshot('blocks')
  })

  it('says governance is not enabled on a chain without it', async () => {
    const answer = await fetch(net.url(0), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'gov_getParties', params: [] }),
    }).then((r) => r.json() as Promise<{ error?: { code: number } }>)
    expect(answer.error?.code).toBe(-32601)
    for (const view of ['Parties', 'Proposals']) {
      await page.getByRole('navigation', { name: 'Dashboard views' }).getByRole('link', { name: view }).click()
      const notice = page.getByRole('main').getByText('Governance not enabled on this chain')
      await notice.waitFor()
      expect(await notice.count()).toBe(1)
      await screenshot(`${view.toLowerCase()}-not-enabled`)
    }
  })

  it('renders parties, nodes and proposals from gov_* answers (fixture served for gov_* only, the rest from node 1)', async () => {
    const validators = await rpc<string[]>(net.url(0), 'qbft_getValidatorsByBlockNumber', ['latest'])
    const fixture: Record<string, unknown> = { ...governanceFixture(validators, Math.floor(Date.now() / 1000)) }
    const gov = await browser.newPage()
    watchErrors(gov)
    let served = 0
    await gov.route(`${net.url(0)}/`, async (route) => {
      const req = route.request()
      const body = req.method() === 'POST' ? (req.postDataJSON() as { id: number; method: string }) : undefined
      if (body && body.method in fixture) {
        served++
        return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: body.id, result: fixture[body.method] }) })
      }
      return route.continue()
    })
    try {
      await gov.goto(`${net.url(0)}/dashboard/#/parties`)
      const horizon = gov.getByRole('article', { name: 'Pensioenfonds Horizon' })
      await horizon.waitFor()
      expect(served).toBeGreaterThan(0)
      expect(await gov.getByRole('article').count()).toBe(5)
      expect(await gov.getByRole('article', { name: 'Uitvoerder Plus' }).getByText('Suspended').count()).toBe(1)
      // Node 1 is the pension fund's validator: joined with live data from the node.
      const node1 = horizon.locator(`li[data-address="${net.nodes[0]!.address.toLowerCase()}"]`)
      await waitFor('the live state of node 1', async () => (await node1.textContent())?.includes('This node') || undefined)
      await waitFor('node 2 connected and sealing', async () => {
        const t = (await gov.locator(`li[data-address="${net.nodes[1]!.address.toLowerCase()}"]`).textContent()) ?? ''
        return (t.includes('Connected') && t.includes('Sealing')) || undefined
      })
      await screenshot('parties', gov)

      await gov.getByRole('link', { name: /Proposals/ }).click()
      const open = gov.getByRole('article', { name: /#7 Add party/ })
      await open.waitFor()
      const text = (await open.textContent()) ?? ''
      expect(text).toContain('2 yes')
      expect(text).toContain('1 no')
      expect(text).toContain('needs more than 66 % yes')
      expect(text).toContain('Voting closes in 5 d 3 h')
      expect(await open.getByRole('row', { name: /Verzekeraar Delta/ }).textContent()).toContain('No')
      expect(await open.getByRole('row', { name: /Toezichthouder/ }).textContent()).toContain('Not voted')
      const rejected = gov.getByRole('article', { name: /#6 Approve contract/ })
      expect(await rejected.textContent()).toContain('Rejected')
      expect(await rejected.textContent()).toContain('Vetoed by Toezichthouder')
      await screenshot('proposals', gov)
    } finally {
      await gov.close()
    }
  })

  it('reconnects the live feed after the WebSocket drops', async () => {
    const live = await browser.newPage()
    watchErrors(live)
    let sockets = 0
    let first: WebSocketRoute | undefined
    await live.routeWebSocket(/^ws:\/\/127\.0\.0\.1:\d+\/$/, (ws) => {
      sockets++
      if (!first) first = ws
      ws.connectToServer()
    })
    try {
      await live.goto(dashboardUrl())
      const status = live.getByRole('status', { name: 'Live updates' })
      await waitFor('the first live feed', async () => (await status.textContent())?.includes('Live') || undefined)
      await first!.close({ code: 4000, reason: 'dropped by the test' })
      await waitFor('the drop to show', async () => (await status.textContent())?.includes('Reconnecting') || undefined, 5000)
      await waitFor('the feed to come back', async () => (sockets >= 2 && (await status.textContent())?.includes('Live')) || undefined, 15_000)
      const h = await shownHeight(live)
      await waitFor('heights after the reconnect', async () => (await shownHeight(live)) > h || undefined)
    } finally {
      await live.close()
    }
  })

  it('marks a killed validator as not sealing', async () => {
    await page.getByRole('link', { name: 'Overview' }).click()
    const killed = net.nodes[KILLED]!.address.toLowerCase()
    const row = page.getByRole('region', { name: 'Validators' }).locator(`tr[data-address="${killed}"]`)
    await waitFor('the validator sealing', async () => (await row.textContent())?.includes('Sealing') || undefined)
    await net.kill(KILLED)
    const killedAt = Date.now()
    await waitFor('the killed validator marked not sealing', async () => (await row.textContent())?.includes('Not sealing') || undefined, 60_000)
    expect(Date.now() - killedAt).toBeLessThan(60_000)
    // The others keep sealing, and the page says how many of them there are.
    const self = page.getByRole('region', { name: 'Validators' }).locator(`tr[data-address="${net.nodes[0]!.address.toLowerCase()}"]`)
    expect(await self.textContent()).toMatch(/Sealing/)
    expect(await self.textContent()).not.toMatch(/Not sealing/)
    expect(await page.getByRole('group', { name: 'Validators sealing' }).textContent()).toContain('3 of 4')
    expect(await row.textContent()).toContain('Not connected')
    await screenshot('overview-not-sealing')
    expect(pageErrors).toEqual([])
  })
})
