/**
 * Consent on a governed network of three real node processes (fund, adviser, employer; one node
 * each). The collection "pensions" has the fund as controller; the adviser may use
 * "retirement-advice" only on the basis "consent"; the employer holds a grant on a contract for
 * another purpose. Through the SDK's consortium actions it shows that the adviser's node neither
 * holds nor reads a participant's record before consent, reads it once the fund records consent,
 * is refused and drops its copy from disk when consent is withdrawn, and receives it again with
 * new consent; every read and refusal is in the participant's access log. A record the adviser
 * holds on another basis stays, and its consent-based purpose is still gated. Consent withdrawn
 * while the adviser's node is down: the copy is still in its folder while it is stopped, and gone once
 * it has started again. Only the fund's node may record consent, only for a member party and a
 * consent-based grant.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import type { NetworkNode } from '../../src/node/init.js'
import { exportAccessLog, getConsents, getPrivateData, putPrivateData, setConsent, verifyAccessLog, type ConsortiumClient } from '../../src/sdk/consortium/index.js'
import { LedgerError } from '../../src/sdk/errors.js'
import type { Address, Hex } from '../../src/types.js'
import { clientOf } from '../helpers/consortium-client.js'
import { TestNetwork } from '../helpers/network.js'
import { waitFor } from '../helpers/node-process.js'
import { privacyConsortium, voteCollection } from '../helpers/privacy-consortium.js'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['fund', 'adviser', 'employer'] as const
const [FUND, ADVISER, EMPLOYER] = [0, 1, 2] as const
const admins = devAccounts(3).map((a) => ({ address: a.address as Address, privateKey: a.privateKey as Hex }))
const SALARY = 'PLAINTEXT-e41c07-salary-61250-eur'
const ANN = 'participant-ann-7731'
const CONSENT = { collection: 'pensions', subject: ANN, party: 'adviser', purpose: 'retirement-advice' } as const

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
const c: ConsortiumClient[] = []

async function rpc(i: number, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const res = await fetch(net.url(i), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } }
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof LedgerError)) throw new Error(`expected a LedgerError, got ${String(err)}`)
  return { code: err.code, message: err.message }
}

/** Every file under `dir` whose bytes contain `needle`. */
async function folderContains(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = []
  for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue
    const path = join(f.parentPath, f.name)
    if ((await readFile(path).catch(() => Buffer.alloc(0))).includes(Buffer.from(needle))) hits.push(path)
  }
  return hits
}

const adviserHolds = async () => ((await rpc(ADVISER, 'priv_listRecords', ['pensions'])).result as { key: string }[]).map((r) => r.key)
const adviserReads = () => getPrivateData(c[ADVISER]!, { collection: 'pensions', key: 'salary-ann', purpose: 'retirement-advice', subject: ANN })

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, {
    validators: 3,
    blockPeriodMs: 200,
    emptyBlockPeriodMs: 500,
    consortium: (nodes: NetworkNode[]) => privacyConsortium('consent', PARTIES, admins.map((a) => a.address), nodes),
  })
  await net.start()
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2, 30_000)
  for (let i = 0; i < 3; i++) c.push(clientOf(net.url(i), admins[i]!.privateKey))
  await voteCollection(net, admins[FUND]!.privateKey, {
    id: 'pensions',
    controller: 'fund',
    retentionSeconds: 3600,
    members: ['fund', 'adviser', 'employer'],
    grants: [
      { party: 'fund', purpose: 'administration', basis: 'contract' },
      { party: 'fund', purpose: 'retirement-advice', basis: 'contract' },
      { party: 'adviser', purpose: 'retirement-advice', basis: 'consent' },
      { party: 'adviser', purpose: 'fee-billing', basis: 'contract' },
      { party: 'employer', purpose: 'contributions', basis: 'contract' },
    ],
  })
}, 60_000)

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('purpose checks and delivery follow the data subject\'s consent', () => {
  it('refused and not held before consent, read after it, refused and dropped after withdrawal, read again with new consent; all in the access log', async () => {
    const put = await putPrivateData(c[FUND]!, { collection: 'pensions', key: 'salary-ann', subject: ANN, purposes: ['administration', 'retirement-advice'], data: SALARY })
    expect(put.delivered).toEqual([])
    expect(put.withheld.find((w) => w.party === 'adviser')?.reason).toMatch(/holds only consent-based grants for .* the subject has not consented/)
    expect(await getConsents(c[FUND]!, { collection: 'pensions', subject: ANN })).toEqual([{ party: 'adviser', purpose: 'retirement-advice', granted: false, changedAt: 0 }])

    // 1. No consent yet: refused (naming the missing consent), and nothing of the record on the adviser's node.
    expect(await refusal(adviserReads())).toEqual({ code: 'NOT_A_MEMBER', message: expect.stringMatching(/no consent of the data subject for party "adviser" and purpose "retirement-advice" .* never given/) as unknown as string })
    expect((await rpc(ADVISER, 'priv_getRecord', ['pensions', 'salary-ann', 'retirement-advice', ANN])).error?.code).toBe(-32003)
    // The record store keeps data encrypted but its metadata (subject) readable: neither is there.
    await new Promise((r) => setTimeout(r, 1000))
    expect(await adviserHolds()).toEqual([])
    expect(await folderContains(join(net.nodes[ADVISER]!.dataDir, 'private', 'records'), ANN)).toEqual([])

    // 2. The fund records consent: the adviser's node receives the record and reads it.
    const given = await setConsent(c[FUND]!, { ...CONSENT, granted: true })
    expect(given.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(given.blockNumber).toBeGreaterThan(0)
    const [consent] = await getConsents(c[ADVISER]!, { collection: 'pensions', subject: ANN })
    expect(consent).toMatchObject({ party: 'adviser', purpose: 'retirement-advice', granted: true })
    expect(consent!.changedAt).toBeGreaterThan(0)
    await waitFor('the record on the adviser\'s node', async () => (await adviserHolds()).includes('salary-ann'), 15_000)
    expect((await adviserReads()).data).toBe(SALARY)

    // 3. Withdrawn: refused again, and the adviser's copy is gone from its data folder.
    await setConsent(c[FUND]!, { ...CONSENT, granted: false })
    await waitFor('the adviser\'s copy dropped', async () => (await adviserHolds()).length === 0, 15_000)
    expect(await refusal(adviserReads())).toEqual({ code: 'NOT_A_MEMBER', message: expect.stringMatching(/consent of the data subject for party "adviser" and purpose "retirement-advice" .* was withdrawn at \d{4}-/) as unknown as string })
    expect(await folderContains(join(net.nodes[ADVISER]!.dataDir, 'private', 'records'), ANN)).toEqual([])
    // The fund reads on its own (contract) basis whatever the consent.
    expect((await getPrivateData(c[FUND]!, { collection: 'pensions', key: 'salary-ann', purpose: 'retirement-advice' })).data).toBe(SALARY)

    // 4. Consent given again: the record comes back.
    await setConsent(c[FUND]!, { ...CONSENT, granted: true })
    await waitFor('the record back on the adviser\'s node', async () => (await adviserHolds()).includes('salary-ann'), 15_000)
    expect((await adviserReads()).data).toBe(SALARY)

    const log = await exportAccessLog(c[ADVISER]!, { subject: ANN })
    expect(log.entries.map((e) => [e.action, e.outcome, e.purpose])).toEqual([
      ['read', 'refused', 'retirement-advice'],
      ['read', 'refused', 'retirement-advice'],
      ['read', 'granted', 'retirement-advice'],
      ['purge', 'granted', ''],
      ['read', 'refused', 'retirement-advice'],
      ['read', 'granted', 'retirement-advice'],
    ])
    expect(log.entries[0]!.reason).toMatch(/never given/)
    expect(log.entries[2]!.reason).toMatch(/^legal basis: consent \(given at \d{4}-/)
    expect(log.entries[3]!.reason).toMatch(/^consent withdrawn/)
    expect(log.entries[4]!.reason).toMatch(/was withdrawn at/)
    expect(await verifyAccessLog(c[ADVISER]!, log)).toEqual({ valid: true, errors: [] })
    // The controller's node logs each consent change under the subject, with the API caller.
    const fundLog = await exportAccessLog(c[FUND]!, { subject: ANN })
    const changes = fundLog.entries.filter((e) => e.action === 'consent')
    expect(changes.map((e) => [e.purpose, e.reason.replace(/ \(block \d+\)$/, '')])).toEqual([
      ['retirement-advice', 'consent given for party "adviser"'],
      ['retirement-advice', 'consent withdrawn for party "adviser"'],
      ['retirement-advice', 'consent given for party "adviser"'],
    ])
    expect(changes[0]!.caller).toMatch(/@/)
    expect(await verifyAccessLog(c[FUND]!, fundLog)).toEqual({ valid: true, errors: [] })
  }, 60_000)

  it('consent withdrawn while the adviser\'s node is down: at start-up the node drops its copy', async () => {
    const DEE = 'participant-dee-5190'
    const PENSION = 'PLAINTEXT-3f9a21-accrued-pension-dee'
    await setConsent(c[FUND]!, { ...CONSENT, subject: DEE, granted: true })
    expect((await putPrivateData(c[FUND]!, { collection: 'pensions', key: 'pension-dee', subject: DEE, purposes: ['retirement-advice'], data: PENSION })).delivered).toEqual([net.nodes[ADVISER]!.address])
    await waitFor('the record on the adviser\'s node', async () => (await adviserHolds()).includes('pension-dee'), 15_000)
    const records = join(net.nodes[ADVISER]!.dataDir, 'private', 'records')

    await net.stop(ADVISER)
    await setConsent(c[FUND]!, { ...CONSENT, subject: DEE, granted: false })
    // While it was down nothing could drop it: the subject is still in the adviser's record store.
    expect(await folderContains(records, DEE)).not.toEqual([])

    // Restarted, the node syncs the blocks it missed: the withdrawal in them is followed as it is
    // imported, and the start-up check (held records against consent at the head) covers a crash
    // between the import and the follow-through. With both turned off this wait times out.
    await net.start(ADVISER)
    c[ADVISER] = clientOf(net.url(ADVISER), admins[ADVISER]!.privateKey)
    await waitFor('the adviser\'s copy dropped at start-up', async () => !(await adviserHolds()).includes('pension-dee'), 30_000)
    await waitFor('the bytes gone from its record store', async () => (await folderContains(records, DEE)).length === 0, 15_000)
    const purge = (await exportAccessLog(c[ADVISER]!, { subject: DEE })).entries.filter((e) => e.action === 'purge')
    expect(purge.map((e) => e.reason)).toEqual([expect.stringMatching(/^consent withdrawn/)])
  }, 90_000)

  it('only the controlling party\'s node records consent, for a member party and a consent-based grant', async () => {
    const employer = await refusal(setConsent(c[EMPLOYER]!, { ...CONSENT, granted: true }))
    expect(employer).toEqual({ code: 'NOT_PERMITTED', message: expect.stringMatching(/only the controlling party "fund" may record consent/) as unknown as string })
    expect((await refusal(setConsent(c[ADVISER]!, { ...CONSENT, subject: 'participant-bo', granted: true }))).code).toBe('NOT_PERMITTED')
    expect((await rpc(ADVISER, 'priv_setConsent', [{ ...CONSENT, granted: true }])).error).toMatchObject({ code: -32003, message: expect.stringMatching(/only the controlling party/) as unknown as string })
    expect(await refusal(setConsent(c[FUND]!, { ...CONSENT, party: 'employer', purpose: 'contributions', granted: true }))).toEqual({
      code: 'NOT_PERMITTED',
      message: expect.stringMatching(/no grant with basis "consent" for party "employer" and purpose "contributions"/) as unknown as string,
    })
    expect((await refusal(setConsent(c[FUND]!, { ...CONSENT, party: 'insurer', granted: true }))).code).toBe('NOT_A_MEMBER')
    // Nothing was recorded by the refused calls.
    expect(await getConsents(c[FUND]!, { collection: 'pensions', subject: 'participant-bo' })).toEqual([{ party: 'adviser', purpose: 'retirement-advice', granted: false, changedAt: 0 }])
  }, 30_000)

  it('a record the adviser holds on another basis stays on its node, but a read for the consent-based purpose follows consent', async () => {
    const CAS = 'participant-cas-2208'
    const PROFILE = 'PLAINTEXT-77b3e0-risk-profile-defensive'
    const put = await putPrivateData(c[FUND]!, { collection: 'pensions', key: 'profile-cas', subject: CAS, purposes: ['retirement-advice', 'fee-billing'], data: PROFILE })
    expect(put.delivered).toEqual([net.nodes[ADVISER]!.address])
    const read = (purpose: string) => getPrivateData(c[ADVISER]!, { collection: 'pensions', key: 'profile-cas', purpose })
    // Held (delivered for fee-billing), yet no consent: the consent-based purpose is refused.
    expect(await refusal(read('retirement-advice'))).toEqual({ code: 'NOT_A_MEMBER', message: expect.stringMatching(/never given/) as unknown as string })
    expect((await read('fee-billing')).data).toBe(PROFILE)
    await setConsent(c[FUND]!, { ...CONSENT, subject: CAS, granted: true })
    expect((await read('retirement-advice')).data).toBe(PROFILE)
    await setConsent(c[FUND]!, { ...CONSENT, subject: CAS, granted: false })
    expect(await refusal(read('retirement-advice'))).toEqual({ code: 'NOT_A_MEMBER', message: expect.stringMatching(/was withdrawn at/) as unknown as string })
    // Not dropped: the adviser holds it on a contract for fee-billing.
    await new Promise((r) => setTimeout(r, 1500))
    expect(await adviserHolds()).toContain('profile-cas')
    expect((await exportAccessLog(c[ADVISER]!, { subject: CAS })).entries.map((e) => [e.purpose, e.outcome])).toEqual([
      ['retirement-advice', 'refused'],
      ['fee-billing', 'granted'],
      ['retirement-advice', 'granted'],
      ['retirement-advice', 'refused'],
    ])
  }, 30_000)
})
