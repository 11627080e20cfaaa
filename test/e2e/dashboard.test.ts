/**
 * The operator dashboard in a real browser (Debian Chromium driven by playwright-core) against a
 * real governed network of 4 validator processes (the devnet consortium: four parties, one validator
 * each). What it shows matches node 1's JSON-RPC: height, validators and peers; the height moves with
 * newHeads pushed over WebSocket (and again after the socket drops); the parties and their nodes as
 * gov_* reports them; proposals made with the GovernanceClient, with their votes, tally and deadline,
 * and a tally that follows a new vote without a reload; a killed validator is marked as not sealing.
 * Screenshots of the main views go to test-results/screenshots.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type BrowserContext, type Page, type WebSocket, type WebSocketRoute } from 'playwright-core'
import { JsonRpcProvider, Wallet } from 'ethers'
import { keccak256, stringToHex } from 'viem'
import { parse as parseYaml } from 'yaml'
import { parseConsortium, type Consortium } from '../../src/governance/consortium.js'
import { GovernanceClient } from '../../src/governance/client.js'
import type { NetworkNode } from '../../src/node/init.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const SCREENSHOTS = join(ROOT, 'test-results/screenshots')
const CONSORTIUM_FILE = join(ROOT, 'examples/consortium/devnet.yaml')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** The insurer's validator: killed last. */
const KILLED = 2

interface RpcParty {
  id: string
  name: string
  kind: string
  status: string
  admins: string[]
}
interface RpcNode {
  address: string
  party: string
  endpoint: string
  validator: boolean
  status: string
}
interface RpcProposal {
  id: number
  state: string
  yes: number
  no: number
  votingParties: number
  deadline: number
  thresholdPercent: number
  comparator: string
  vetoParties: string[]
  votes: { party: string; support: boolean }[]
}

const KIND_LABEL: Record<string, string> = { member: 'Member', regulator: 'Regulator', observer: 'Observer' }
const STATUS_LABEL: Record<string, string> = { active: 'Active', suspended: 'Suspended', removed: 'Removed' }

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let browser: BrowserContext
let page: Page
/** Errors the page logged (script errors, CSP refusals, failed loads). */
const pageErrors: string[] = []

/** The devnet consortium file with the generated node keys and endpoints filled in (by node name). */
function devnetConsortium(text: string, nodes: NetworkNode[]): Consortium {
  const raw = parseYaml(text) as { parties: { nodes?: { name?: string }[] }[] }
  for (const party of raw.parties) {
    for (const n of party.nodes ?? []) {
      const made = nodes.find((m) => m.name === n.name)
      if (!made) throw new Error(`${CONSORTIUM_FILE} names node ${n.name ?? '(unnamed)'}, which the network did not make`)
      Object.assign(n, { address: made.address, endpoint: made.p2pUrl ?? '' })
    }
  }
  return parseConsortium(JSON.stringify(raw), CONSORTIUM_FILE)
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'web/dist/index.html'))) throw new Error('the dashboard is not built: run "npm run build" first')
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (or set CHROMIUM_PATH)`)
  tmp = await tempDir('quorate-e2e-')
  await mkdir(SCREENSHOTS, { recursive: true })
  const consortium = await readFile(CONSORTIUM_FILE, 'utf8')
  net = await TestNetwork.create(join(tmp.dir, 'net'), {
    validators: 4,
    blockPeriodMs: 500,
    emptyBlockPeriodMs: 500,
    consortium: (nodes) => devnetConsortium(consortium, nodes),
  })
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

async function openView(name: 'Overview' | 'Parties' | 'Proposals' | 'Blocks', p: Page = page): Promise<void> {
  await p.getByRole('navigation', { name: 'Dashboard views' }).getByRole('link', { name: new RegExp(`^${name}`) }).click()
}

/** Marks the page so that a later check can tell it was not reloaded in between. */
async function markPage(p: Page = page): Promise<void> {
  await p.evaluate(() => {
    ;(globalThis as unknown as { marker: number }).marker = 42
  })
}
async function stillMarked(p: Page = page): Promise<boolean> {
  return (await p.evaluate(() => (globalThis as unknown as { marker?: number }).marker)) === 42
}

/** Deadlines as the page formats them, in the browser's own locale data and time zone. */
function shownDate(p: Page, unixSeconds: number): Promise<string> {
  return p.evaluate((ms) => new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }), unixSeconds * 1000)
}

const parties = () => rpc<RpcParty[]>(net.url(0), 'gov_getParties')
const partyName = async (id: string) => (await parties()).find((p) => p.id === id)!.name
const proposal = (id: number) => rpc<RpcProposal>(net.url(0), 'gov_getProposal', [id])

describe('operator dashboard on a governed network', () => {
  it('shows the height, validators (named by their party) and peers that node 1 reports', async () => {
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
    // Governance holds the same validator set.
    expect((await rpc<string[]>(net.url(0), 'gov_getValidators')).map((a) => a.toLowerCase()).sort()).toEqual(validators)
    await waitFor('all validators listed', async () => (await rowAddresses(page, 'Validators')).length === 4 || undefined)
    expect(await rowAddresses(page, 'Validators')).toEqual(validators)
    const region = page.getByRole('region', { name: 'Validators' })
    // Each full address is on screen, not only in attributes.
    for (const v of validators) expect(await region.getByText(v, { exact: true }).count()).toBe(1)
    await waitFor('every validator sealing', async () => (await region.getByText('Sealing', { exact: true }).count()) === 4 || undefined, 20_000)
    // Each validator row names the party whose node it is, as gov_getNodes and gov_getParties say.
    const nodes = await rpc<RpcNode[]>(net.url(0), 'gov_getNodes')
    const names = new Map((await parties()).map((p) => [p.id, p.name]))
    for (const n of nodes) {
      const row = region.locator(`tr[data-address="${n.address.toLowerCase()}"]`)
      await waitFor(`the party of ${n.address}`, async () => (await row.textContent())?.includes(names.get(n.party)!) || undefined)
    }

    const peers = (await rpc<{ id: string }[]>(net.url(0), 'admin_peers')).map((p) => p.id.toLowerCase()).sort()
    expect(peers).toHaveLength(3)
    await waitFor('the peers listed', async () => JSON.stringify(await rowAddresses(page, 'Peers')) === JSON.stringify(peers) || undefined)
    expect(await page.getByRole('group', { name: 'Peers' }).textContent()).toContain('3')
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
    await markPage()
    const start = await shownHeight()
    const raised = await waitFor('a higher height on screen', async () => {
      const h = await shownHeight()
      return h > start ? h : undefined
    })
    expect(raised).toBeGreaterThan(start)
    // What the page shows is a head the node pushed, not only something it polled.
    await waitFor('a pushed head on screen', async () => pushed.includes(await shownHeight()) || undefined)
    expect(await stillMarked()).toBe(true)
    // Finality latency is measured from live heads: present once one arrived.
    expect(await page.getByRole('group', { name: 'Finality latency' }).textContent()).toMatch(/\d(\.\d)? s/)
    page.off('websocket', onSocket)
  })

  it('lists recent blocks and a transaction just made final', async () => {
    // dev account 4: a pension fund account with the transact permission.
    const [sender, to] = [net.accounts[4]!, net.accounts[1]!]
    const provider = new JsonRpcProvider(net.url(0), undefined, { staticNetwork: true, pollingInterval: 100 })
    const tx = await new Wallet(sender.privateKey, provider).sendTransaction({ to: to.address, value: 2n * 10n ** 18n + 5n * 10n ** 17n, gasPrice: 0 })
    const receipt = await tx.wait()
    provider.destroy()
    await openView('Blocks')
    await page.getByRole('main', { name: 'Blocks and transactions' }).waitFor()
    const txs = page.getByRole('region', { name: 'Recent transactions' })
    const row = txs.locator('tr', { has: page.locator(`[title="${tx.hash}"]`) })
    await waitFor('the transaction listed', async () => (await row.count()) === 1 || undefined)
    expect(await row.textContent()).toContain(`#${receipt!.blockNumber.toLocaleString('en-GB')}`)
    expect(await row.textContent()).toContain('2.5')
    // Sender and recipient are named by their party: a registered account of the pension fund, the employer's admin.
    const senderParty = (await rpc<{ address: string; party: string }[]>(net.url(0), 'gov_getAccounts')).find((a) => a.address === sender.address.toLowerCase())!.party
    const toParty = (await parties()).find((p) => p.admins.includes(to.address.toLowerCase()))!.id
    expect(await row.textContent()).toContain(`${await partyName(senderParty)}${sender.address.toLowerCase().slice(0, 8)}`)
    expect(await row.textContent()).toContain(`${await partyName(toParty)}${to.address.toLowerCase().slice(0, 8)}`)
    const blocks = page.getByRole('region', { name: 'Recent blocks' })
    expect(await blocks.getByText(`#${receipt!.blockNumber.toLocaleString('en-GB')}`, { exact: true }).count()).toBe(1)
    // The proposer of the block is named by its party.
    const miner = (await rpc<{ miner: string }>(net.url(0), 'eth_getBlockByNumber', [`0x${receipt!.blockNumber.toString(16)}`, false])).miner.toLowerCase()
    const minerParty = (await rpc<RpcNode[]>(net.url(0), 'gov_getNodes')).find((n) => n.address.toLowerCase() === miner)!.party
    const blockRow = blocks.locator('tr', { hasText: `#${receipt!.blockNumber.toLocaleString('en-GB')}` })
    expect(await blockRow.textContent()).toContain(await partyName(minerParty))
    await screenshot('blocks')
  })

  it('shows the parties and their nodes as gov_getParties and gov_getNodes report them', async () => {
    await openView('Parties')
    await page.getByRole('main', { name: 'Parties and nodes' }).waitFor()
    const [ps, nodes] = await Promise.all([parties(), rpc<RpcNode[]>(net.url(0), 'gov_getNodes')])
    expect(ps.map((p) => p.id).sort()).toEqual(['employer', 'insurer', 'pensionfund', 'regulator'])
    await waitFor('every party shown', async () => (await page.getByRole('article').count()) === ps.length || undefined)
    for (const p of ps) {
      const card = page.getByRole('article', { name: p.name, exact: true })
      const text = (await card.textContent()) ?? ''
      expect(text).toContain(p.id)
      expect(text).toContain(KIND_LABEL[p.kind]!)
      expect(text).toContain(STATUS_LABEL[p.status]!)
      for (const a of p.admins) expect(await card.locator(`[title="${a}"]`).count()).toBe(1)
      const own = nodes.filter((n) => n.party === p.id)
      const items = card.locator('li[data-address]')
      expect((await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-address'))))).toEqual(own.map((n) => n.address.toLowerCase()))
      for (const n of own) {
        const item = card.locator(`li[data-address="${n.address.toLowerCase()}"]`)
        expect(n.status).toBe('active')
        expect(await item.textContent()).toContain(n.validator ? 'Validator' : 'Node')
        expect(await item.textContent()).toContain(n.endpoint)
      }
    }
    // Node 1 serves the page; the others are its connected, sealing peers.
    const node = (i: number) => page.locator(`li[data-address="${net.nodes[i]!.address.toLowerCase()}"]`)
    await waitFor('the live state of node 1', async () => (await node(0).textContent())?.includes('This node') || undefined)
    for (const i of [1, 2, 3]) {
      await waitFor(`node ${i + 1} connected and sealing`, async () => {
        const t = (await node(i).textContent()) ?? ''
        return (t.includes('Connected') && t.includes('Sealing')) || undefined
      })
    }
    const accounts = await rpc<unknown[]>(net.url(0), 'gov_getAccounts')
    expect(await page.getByRole('main').locator('.summary').textContent()).toBe(`4 active parties · 4 nodes (4 validators) · ${accounts.length} accounts`)
    await screenshot('parties')
  })

  let open = 0
  it('shows proposals made with the GovernanceClient: open with its votes, tally and deadline; vetoed as rejected', async () => {
    const [pensionfund, , insurer, regulator] = await Promise.all([0, 1, 2, 3].map((i) => GovernanceClient.connect(net.url(0), net.accounts[i]!.privateKey)))
    const [a, b] = await Promise.all([
      pensionfund!.propose({ decision: 'ApproveCode', codeHash: keccak256(stringToHex('PensionLedger v2')) }, 'Approve the code of PensionLedger v2 for deployment.'),
      insurer!.propose({ decision: 'ApproveCode', codeHash: keccak256(stringToHex('ClaimsRegister v1')) }, 'Approve the code of ClaimsRegister v1.'),
    ])
    await Promise.all([pensionfund!.vote(a.id, true), regulator!.vote(b.id, false)])
    open = a.id

    await openView('Proposals')
    await page.getByRole('main', { name: 'Proposals' }).waitFor()
    const card = page.locator(`article[data-proposal="${a.id}"]`)
    await waitFor('the open proposal with its first vote', async () => (await card.textContent())?.includes('1 yes') || undefined)
    const p = await proposal(a.id)
    expect([p.state, p.yes, p.no, p.votingParties]).toEqual(['open', 1, 0, 4])
    expect([p.thresholdPercent, p.comparator, p.vetoParties]).toEqual([50, '>', ['regulator']])
    const text = (await card.textContent()) ?? ''
    expect(await card.getByRole('heading').textContent()).toBe(`#${a.id} Approve code`)
    expect(text).toContain('Open')
    expect(text).toContain(`Proposed by ${await partyName('pensionfund')}`)
    expect(text).toContain('Approve the code of PensionLedger v2 for deployment.')
    expect(text).toContain(keccak256(stringToHex('PensionLedger v2')))
    const tally = card.getByRole('group', { name: 'Tally' })
    expect(await tally.locator('.tally__text').textContent()).toBe('1 yes · 0 no · 3 not voted, of 4 voting parties')
    expect(await tally.locator('.tally__rule').textContent()).toBe(`Needs more than 50 % yes · veto: ${await partyName('regulator')}`)
    // The deadline the chain set (three days, the ApproveCode policy), as a date and as time left.
    expect(text).toContain(`(${await shownDate(page, p.deadline)}; voting period 3 d)`)
    expect(text).toMatch(/Voting closes in (2 d 23 h|3 d)/)
    // Every voting party is listed with its vote so far.
    const vote = async (party: string) => (await card.locator(`tr[data-party="${party}"]`).textContent()) ?? ''
    expect(await vote('pensionfund')).toMatch(/Yes$/)
    for (const party of ['employer', 'insurer', 'regulator']) expect(await vote(party)).toMatch(/Not voted$/)
    expect(await page.getByRole('link', { name: /^Proposals/ }).locator('[aria-label="1 open"]').textContent()).toBe('1')

    // The other proposal was vetoed by the regulator: decided at once.
    const vetoed = await proposal(b.id)
    expect([vetoed.state, vetoed.yes, vetoed.no]).toEqual(['rejected', 0, 1])
    const rejected = page.locator(`article[data-proposal="${b.id}"]`)
    await waitFor('the vetoed proposal', async () => (await rejected.count()) === 1 || undefined)
    const decided = page.getByRole('region', { name: 'Decided proposals' })
    expect(await decided.locator(`article[data-proposal="${b.id}"]`).count()).toBe(1)
    expect(await rejected.textContent()).toContain('Rejected')
    expect(await rejected.textContent()).toContain(`Vetoed by ${await partyName('regulator')}.`)
    expect(await rejected.locator('tr[data-party="regulator"]').textContent()).toMatch(/No$/)
    expect(await rejected.locator('tr').filter({ hasText: 'Not voted' }).count()).toBe(0)
  })

  it("updates the tally when another party votes, without a reload", async () => {
    expect(open).toBeGreaterThan(0)
    await markPage()
    const card = page.locator(`article[data-proposal="${open}"]`)
    const employer = await GovernanceClient.connect(net.url(0), net.accounts[1]!.privateKey)
    await employer.vote(open, false)
    const p = await proposal(open)
    expect([p.state, p.yes, p.no]).toEqual(['open', 1, 1])
    expect(p.votes).toEqual([
      { party: 'pensionfund', support: true },
      { party: 'employer', support: false },
    ])
    await waitFor('the new vote on screen', async () => (await card.getByRole('group', { name: 'Tally' }).textContent())?.includes('1 yes · 1 no · 2 not voted') || undefined, 15_000)
    expect(await card.locator('tr[data-party="employer"]').textContent()).toMatch(/No$/)
    expect(await card.textContent()).toContain('Open')
    expect(await stillMarked()).toBe(true)
    await screenshot('proposals')
  })

  it('says governance is not enabled when the node answers gov_* with "method not found" (answers faked in the browser)', async () => {
    const plain = await browser.newPage()
    watchErrors(plain)
    let refused = 0
    await plain.route(`${net.url(0)}/`, async (route) => {
      const body = route.request().method() === 'POST' ? (route.request().postDataJSON() as { id: number; method: string }) : undefined
      if (!body?.method.startsWith('gov_')) return route.continue()
      refused++
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32601, message: `the method ${body.method} does not exist` } }) })
    })
    try {
      for (const view of ['parties', 'proposals']) {
        await plain.goto(dashboardUrl(view))
        const notice = plain.getByRole('main').getByText('Governance not enabled on this chain')
        await notice.waitFor()
        expect(await notice.count()).toBe(1)
        expect(await plain.getByRole('article').count()).toBe(0)
      }
      expect(refused).toBeGreaterThan(0)
    } finally {
      await plain.close()
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

  it('marks a killed validator as not sealing, on the overview and under its party', async () => {
    await openView('Overview')
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

    // The parties view says the same of the insurer's node; the chain still lists it as active.
    await openView('Parties')
    const insurer = page.getByRole('article', { name: await partyName('insurer'), exact: true })
    const item = insurer.locator(`li[data-address="${killed}"]`)
    await waitFor('the node under its party', async () => {
      const t = (await item.textContent()) ?? ''
      return (t.includes('Not connected') && t.includes('Not sealing')) || undefined
    })
    expect((await rpc<RpcNode[]>(net.url(0), 'gov_getNodes')).find((n) => n.address.toLowerCase() === killed)?.status).toBe('active')
    await screenshot('parties-node-down')
    expect(pageErrors).toEqual([])
  })
})
