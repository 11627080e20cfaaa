/**
 * The operator dashboard in a real browser (Debian Chromium driven by playwright-core) against a
 * real governed network of 4 validator processes (the devnet consortium: four parties, one validator
 * each). What it shows matches node 1's JSON-RPC: height, validators and peers; the height moves with
 * newHeads pushed over WebSocket (and again after the socket drops); the parties and their nodes as
 * gov_* reports them; proposals made with the GovernanceClient, with their votes, tally and deadline,
 * and a tally that follows a new vote without a reload; search by block number, transaction hash and
 * address with the governance contract's calls and logs decoded; active alerts from a real
 * Prometheus scraping the four nodes and a real Alertmanager it notifies: node 1 reads Alertmanager,
 * node 2 reads Prometheus (a pending alert marked so). The alerting rules are this test's own, on the
 * `up` series of node 1, so that one fires at the first evaluation and one stays pending (the shipped
 * rules' timings are tested with promtool in test/integration/metrics.test.ts); the history charts
 * from node 1's ring buffer.
 * The fleet view and the quorum in words through the states of one network: all healthy, one
 * validator down (within the fault budget), two down (quorum lost, halted: never "4 of 4" nor
 * green), and the serving node down (the page says so and keeps the last state marked stale).
 * Screenshots of the main views go to test-results/screenshots.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page, WebSocket, WebSocketRoute } from 'playwright-core'
import { JsonRpcProvider, Wallet } from 'ethers'
import { keccak256, stringToHex } from 'viem'
import { parse as parseYaml } from 'yaml'
import { parseConsortium, type Consortium } from '../../src/governance/consortium.js'
import { GovernanceClient } from '../../src/governance/client.js'
import type { NetworkNode } from '../../src/node/init.js'
import { TestNetwork } from '../helpers/network.js'
import { startAlertmanager, startPrometheus, type AlertRule, type Monitor } from '../helpers/prometheus.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { launchChromium, requireChromium } from '../helpers/chromium.js'
import { tempDir } from '../helpers/tmp.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const SCREENSHOTS = join(ROOT, 'test-results/screenshots')
const CONSORTIUM_FILE = join(ROOT, 'examples/consortium/devnet.yaml')
/** The insurer's validator: killed first (one down, within the fault budget). */
const KILLED = 2
/** Killed next: two of four down, the quorum is lost and the chain halts. */
const KILLED_SECOND = 3

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
/** Alertmanager (node 1's dashboard.alertmanagerUrl) and Prometheus (node 2's dashboard.prometheusUrl). */
let alertmanager: Monitor | undefined
let prometheus: Monitor | undefined
/** This test's rules, on node 1's `up` series: one fires at once, one stays pending for an hour. */
const rules = (instance: string): AlertRule[] => [
  {
    alert: 'QuorateTestNodeScraped',
    expr: `up{instance="${instance}"} == 1`,
    labels: { severity: 'warning' },
    annotations: { summary: 'Node 1 answers its scrape (a rule of this test)' },
  },
  {
    alert: 'QuorateTestStillPending',
    expr: `up{instance="${instance}"} == 1`,
    for: '1h',
    labels: { severity: 'critical' },
    annotations: { summary: 'Pending for an hour (a rule of this test)' },
  },
]
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
  requireChromium()
  tmp = await tempDir('quorate-e2e-')
  await mkdir(SCREENSHOTS, { recursive: true })
  const consortium = await readFile(CONSORTIUM_FILE, 'utf8')
  net = await TestNetwork.create(join(tmp.dir, 'net'), {
    validators: 4,
    blockPeriodMs: 500,
    emptyBlockPeriodMs: 500,
    consortium: (nodes) => devnetConsortium(consortium, nodes),
  })
  // Alertmanager, then Prometheus notifying it and scraping the four nodes' /metrics (on their JSON-RPC ports).
  const hostOf = (i: number) => new URL(net.url(i)).host
  alertmanager = await startAlertmanager(join(tmp.dir, 'alertmanager'))
  prometheus = await startPrometheus(join(tmp.dir, 'prometheus'), { targets: net.nodes.map((_, i) => hostOf(i)), rules: rules(hostOf(0)), alertmanager: alertmanager.url })
  // Node 1 serves the page: it reads Alertmanager's alerts and samples its history every second.
  const configFile = join(net.nodes[0]!.dataDir, 'config.json')
  const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>
  config.dashboard = { alertmanagerUrl: alertmanager.url, historyIntervalMs: 1000 }
  await writeFile(configFile, JSON.stringify(config, null, 2))
  // Node 2 reads Prometheus (firing and pending alerts).
  const configFile2 = join(net.nodes[1]!.dataDir, 'config.json')
  const config2 = JSON.parse(await readFile(configFile2, 'utf8')) as Record<string, unknown>
  config2.dashboard = { prometheusUrl: prometheus.url }
  await writeFile(configFile2, JSON.stringify(config2, null, 2))
  const [, launched] = await Promise.all([
    net.start(),
    launchChromium(join(tmp.dir, 'chromium-profile'), { width: 1360, height: 900 }),
  ])
  browser = launched
  page = browser.pages()[0] ?? (await browser.newPage())
  watchErrors(page)
})

afterAll(async () => {
  await browser?.close()
  await net?.stopAll()
  await prometheus?.stop()
  await alertmanager?.stop()
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

async function openView(name: 'Overview' | 'Parties' | 'Proposals' | 'Blocks' | 'Search', p: Page = page): Promise<void> {
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

async function quorumText(p: Page = page): Promise<string | undefined> {
  const banner = p.getByRole('status', { name: 'Quorum' })
  return (await banner.count()) === 1 ? ((await banner.textContent()) ?? undefined) : undefined
}

/** The fleet table's rows: address, state (up / behind / down) and the row's text. */
async function fleetRows(p: Page = page): Promise<{ address: string; state: string; text: string }[]> {
  return p
    .getByRole('region', { name: 'Fleet' })
    .locator('tbody tr[data-address]')
    .evaluateAll((els) => els.map((e) => ({ address: e.getAttribute('data-address') ?? '', state: e.getAttribute('data-state') ?? '', text: e.textContent ?? '' })))
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

    // All healthy: the quorum in words, in green, and every node up in the fleet with its own height.
    await waitFor('the quorum healthy', async () => (await quorumText())?.includes('All 4 validators reachable — quorum 3, fault budget 1') || undefined)
    expect(await page.getByRole('status', { name: 'Quorum' }).getAttribute('class')).toContain('notice--ok')
    expect(await page.getByRole('group', { name: 'Validators reachable' }).textContent()).toContain('4 of 4')
    await waitFor('every node up with the head it announced', async () => {
      const rows = await fleetRows()
      return (rows.length === 4 && rows.every((r) => r.state === 'up' && /#\d/.test(r.text))) || undefined
    })
    expect((await fleetRows()).map((r) => r.address).sort()).toEqual(validators)
    // Every fleet row is named by its party, as in the validators table; the serving node also by its own name.
    for (const n of nodes) {
      const row = (await fleetRows()).find((r) => r.address === n.address.toLowerCase())!
      expect(row.text).toContain(names.get(n.party)!)
    }
    expect((await fleetRows()).find((r) => r.address === net.nodes[0]!.address.toLowerCase())!.text).toContain(`serving this page (${net.nodes[0]!.name})`)
    await screenshot('overview')

    // On a phone-sized screen the quorum and fleet still fit: wide tables scroll inside their box, the page does not.
    const phone = await browser.newPage()
    watchErrors(phone)
    try {
      await phone.setViewportSize({ width: 390, height: 844 })
      await phone.goto(dashboardUrl())
      await waitFor('the quorum on the phone', async () => (await quorumText(phone))?.includes('All 4 validators reachable') || undefined)
      await waitFor('the fleet on the phone', async () => (await fleetRows(phone)).length === 4 || undefined)
      const fits = await phone.evaluate(() => {
        const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number }
        return g.document.documentElement.scrollWidth <= g.innerWidth
      })
      expect(fits).toBe(true)
      await screenshot('overview-phone', phone)
    } finally {
      await phone.close()
    }
  })

  it('shows the alerts node 1 reads from Alertmanager, and history charts from its ring buffer', async () => {
    const alerts = page.getByRole('region', { name: 'Active alerts' })
    await waitFor('the firing alert', async () => (await alerts.textContent())?.includes('QuorateTestNodeScraped') || undefined, 30_000)
    const text = (await alerts.textContent()) ?? ''
    expect(text).toContain('Node 1 answers its scrape (a rule of this test)')
    expect(text).toContain('warning')
    expect(text).toContain('From Alertmanager')
    // Alertmanager only hears of firing alerts: the pending one is not there.
    expect(text).not.toContain('QuorateTestStillPending')

    const history = page.getByRole('region', { name: 'History' })
    await waitFor('a few history samples', async () => (await rpc<unknown[]>(net.url(0), 'ops_getHistory')).length >= 3 || undefined, 20_000)
    await waitFor('the charts drawn', async () => (await history.locator('svg path').count()) >= 2 || undefined, 20_000)
    for (const label of ['Block time', 'Transactions per second', 'Peers']) {
      expect(await history.getByRole('img', { name: new RegExp(`^${label}: latest`) }).count()).toBe(1)
    }
    expect(await history.getByRole('img', { name: /^Peers: latest 3,/ }).count()).toBe(1)
    await history.scrollIntoViewIfNeeded()
    await screenshot('overview-alerts-history')

    // Node 2 reads Prometheus: a pending alert (its `for:` not run out, nobody paged) is listed after
    // the firing one and marked pending, not shown as if it fired.
    const second = await browser.newPage()
    watchErrors(second)
    try {
      await second.goto(`${net.url(1)}/dashboard/#/overview`)
      const list = second.getByRole('region', { name: 'Active alerts' })
      await waitFor('the Prometheus alerts', async () => (await list.textContent())?.includes('QuorateTestStillPending') || undefined, 30_000)
      expect(await list.textContent()).toContain('From Prometheus')
      const items = list.locator('li[data-state]')
      expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['firing', 'pending'])
      expect(await items.nth(0).textContent()).toContain('QuorateTestNodeScraped')
      expect(await items.nth(1).textContent()).toContain('QuorateTestStillPending')
      expect(await items.nth(0).getByText('pending', { exact: true }).count()).toBe(0)
      expect(await items.nth(1).getByText('pending', { exact: true }).count()).toBe(1)
      expect(await items.nth(1).locator('.badge--warn, .badge--bad').count()).toBe(0)
      await list.scrollIntoViewIfNeeded()
      await screenshot('alerts-prometheus-pending', second)
    } finally {
      await second.close()
    }
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
    const blockRow = blocks.locator('tr', { has: page.getByText(`#${receipt!.blockNumber.toLocaleString('en-GB')}`, { exact: true }) })
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

  it('finds a block by number, a governance transaction by hash (call and logs decoded) and the governance contract by address', async () => {
    const GOVERNANCE = '0x0000000000000000000000000000000000001000'
    const logs = await rpc<{ transactionHash: string; blockNumber: string }[]>(net.url(0), 'eth_getLogs', [{ address: GOVERNANCE, fromBlock: '0x0', toBlock: 'latest' }])
    expect(logs.length).toBeGreaterThan(0)
    const last = logs[logs.length - 1]!
    await openView('Search')
    await page.getByRole('main', { name: 'Search' }).waitFor()
    const box = page.getByLabel('Block number, block or transaction hash, or address')
    const result = page.getByRole('region', { name: 'Search result' })

    const n = Number(last.blockNumber)
    await box.fill(String(n))
    await page.getByRole('button', { name: 'Search' }).click()
    await waitFor('the block', async () => (await result.getByRole('heading', { name: `Block #${n.toLocaleString('en-GB')}` }).count()) === 1 || undefined)
    expect(await result.textContent()).toContain(last.transactionHash.slice(0, 10))

    await box.fill(last.transactionHash)
    await box.press('Enter')
    await waitFor('the transaction', async () => (await result.getByRole('heading', { name: 'Transaction' }).count()) === 1 || undefined)
    const txText = (await result.textContent()) ?? ''
    expect(txText).toContain('Succeeded')
    // The call and its logs, decoded with the governance contract's ABI.
    expect(txText).toMatch(/ConsortiumGovernance\.(propose|vote)/)
    expect(txText).toMatch(/ConsortiumGovernance\.(ProposalCreated|VoteCast)/)
    expect(txText).not.toContain('not decoded')
    // The call's arguments by their ABI names, and a party id (bytes32) as its text.
    expect(txText).toMatch(/ConsortiumGovernance\.(voteid\d+support(true|false)|proposekind\d)/)
    expect(txText).toMatch(/party"[a-z0-9-]+" \(0x[0-9a-f]{8}…\)/)
    await screenshot('search-transaction')

    await box.fill(GOVERNANCE)
    await box.press('Enter')
    await waitFor('the contract', async () => (await result.getByRole('heading', { name: 'ConsortiumGovernance' }).count()) === 1 || undefined)
    expect(await result.textContent()).toContain('ConsortiumGovernance.ProposalCreated')
    expect(await result.getByRole('list', { name: 'Logs' }).locator('li').count()).toBe(logs.length)
    expect(page.url()).toContain(`#/search?q=${GOVERNANCE}`)

    await box.fill('not a thing')
    await box.press('Enter')
    await waitFor('the hint', async () => (await result.textContent())?.includes('Enter a block number') || undefined)
    expect(pageErrors).toEqual([])
  })

  it('one validator down: within the fault budget; the killed one is down and never sealing, on the overview and under its party', async () => {
    await openView('Overview')
    const killed = net.nodes[KILLED]!.address.toLowerCase()
    const row = page.getByRole('region', { name: 'Validators' }).locator(`tr[data-address="${killed}"]`)
    await waitFor('the validator sealing', async () => (await row.textContent())?.includes('Sealing') || undefined)
    await net.kill(KILLED)
    await waitFor('the one-down wording', async () => (await quorumText())?.includes('1 of 4 validators unreachable — within the fault budget (1)') || undefined, 30_000)
    expect(await page.getByRole('status', { name: 'Quorum' }).getAttribute('class')).toContain('notice--warn')
    await waitFor('the killed validator marked not sealing', async () => (await row.textContent())?.includes('Not sealing') || undefined, 30_000)
    expect(await row.textContent()).toContain('Not connected')
    expect(await row.getByText('Sealing', { exact: true }).count()).toBe(0)
    const fleet = await fleetRows()
    expect(fleet.find((r) => r.address === killed)?.state).toBe('down')
    expect(fleet.filter((r) => r.state === 'up')).toHaveLength(3)
    // What node 1 knows of it: when the link ended and the head it had announced by then (block sync's status).
    const report = await rpc<{ nodes: { address: string; state: string; head?: number; lastSeenAt?: number; sealing?: string }[] }>(net.url(0), 'ops_getFleet')
    const gone = report.nodes.find((n) => n.address.toLowerCase() === killed)!
    expect(gone).toMatchObject({ state: 'down', sealing: 'down' })
    expect(gone.head).toBeGreaterThan(0)
    expect(gone.lastSeenAt).toBeLessThanOrEqual(Date.now())
    // The others keep sealing, and the page says how many are reachable.
    const self = page.getByRole('region', { name: 'Validators' }).locator(`tr[data-address="${net.nodes[0]!.address.toLowerCase()}"]`)
    await waitFor('node 1 sealing', async () => (await self.textContent())?.includes('Sealing') || undefined)
    expect(await page.getByRole('group', { name: 'Validators reachable' }).textContent()).toContain('3 of 4')
    await screenshot('fleet-one-down')

    // The parties view says the same of the insurer's node; the chain still lists it as active.
    await openView('Parties')
    const insurer = page.getByRole('article', { name: await partyName('insurer'), exact: true })
    const item = insurer.locator(`li[data-address="${killed}"]`)
    await waitFor('the node under its party', async () => {
      const t = (await item.textContent()) ?? ''
      return (t.includes('Down') && t.includes('Not connected') && t.includes('Not sealing')) || undefined
    })
    expect((await rpc<RpcNode[]>(net.url(0), 'gov_getNodes')).find((n) => n.address.toLowerCase() === killed)?.status).toBe('active')
    await screenshot('parties-node-down')
    expect(pageErrors).toEqual([])
  })

  it('two validators down: quorum lost, chain halted since the last block; never "4 of 4" nor green, as readiness says', async () => {
    await openView('Overview')
    await net.kill(KILLED_SECOND)
    await waitFor('quorum lost', async () => (await quorumText())?.includes('Quorum lost: 2 of 4 validators unreachable') || undefined, 30_000)
    const head = await net.height(0)
    // Readiness fails after 30 s without a block (max(3 × 500 ms, 30 s)); the page says "halted" from then on.
    await waitFor('the chain called halted', async () => (await quorumText())?.includes(`chain halted since #${head}`) || undefined, 60_000)
    const banner = page.getByRole('status', { name: 'Quorum' })
    expect(await banner.getAttribute('class')).toContain('notice--bad')
    expect(await quorumText()).toContain(`Quorum lost: 2 of 4 validators unreachable — chain halted since #${head} (needs 3 of 4)`)
    const overview = (await page.getByRole('main').textContent()) ?? ''
    expect(overview).not.toContain('4 of 4')
    expect(overview).not.toContain('may be changing rounds')
    expect(await page.getByRole('group', { name: 'Validators reachable' }).textContent()).toContain('2 of 4')
    expect(await page.getByRole('group', { name: 'Validators reachable' }).getAttribute('class')).toContain('stat--bad')
    // No validator's status is green: the reachable ones are halted, the others not sealing.
    const validators = page.getByRole('region', { name: 'Validators' })
    expect(await validators.locator('tbody td:nth-child(2) .badge--ok').count()).toBe(0)
    expect(await page.getByRole('region', { name: 'Fleet' }).locator('tbody td:nth-child(2) .badge--ok, tbody td:nth-child(5) .badge--ok').count()).toBe(0)
    expect(await validators.getByText('Halted', { exact: true }).count()).toBe(2)
    expect(await validators.getByText('Not sealing', { exact: true }).count()).toBe(2)
    expect((await fleetRows()).filter((r) => r.state === 'down').map((r) => r.address).sort()).toEqual([net.nodes[KILLED]!, net.nodes[KILLED_SECOND]!].map((n) => n.address.toLowerCase()).sort())
    // Readiness of node 1 names the same cause in the same words.
    const ready = (await (await fetch(`${net.url(0)}/ready`)).json()) as { checks: { name: string; reason?: string }[] }
    expect(ready.checks.find((c) => c.name === 'not_stalled')?.reason).toContain(`Quorum lost: 2 of 4 validators unreachable — chain halted since #${head}`)
    await screenshot('fleet-halted')
    expect(pageErrors).toEqual([])
  })

  it('serving node down: the page says node 1 is unreachable, keeps the last state marked stale, and retries', async () => {
    await openView('Overview')
    await net.stop(0)
    const notice = page.getByRole('alert', { name: 'Serving node unreachable' })
    await waitFor('the unreachable notice', async () => (await notice.count()) === 1 || undefined, 20_000)
    expect(await notice.textContent()).toContain('The node serving this page (node-1) is unreachable')
    expect(await notice.textContent()).toMatch(/last known state, from .* and is marked stale/)
    expect(await notice.textContent()).toContain('Retrying every 5 s')
    expect(await page.getByRole('status', { name: 'Live updates' }).textContent()).toContain('Node unreachable')
    // The last known quorum stays, grey and marked stale, not green nor red as if current.
    const banner = page.getByRole('status', { name: 'Quorum' })
    expect(await banner.textContent()).toContain('Last known · stale')
    expect(await banner.getAttribute('class')).toContain('notice--neutral')
    expect(await page.getByRole('main').locator('.badge--ok').count()).toBe(0)
    await screenshot('serving-node-down')
  })
})
