/**
 * The SDK's consortium actions on a governed network of real node processes (three parties, one
 * node each: hospital, insurer, outsider): governance reads, a collection created by propose and
 * vote, private data put/get/erase with a purpose, the access-log export, and each refusal as its
 * LedgerError code (NOT_PERMITTED, NOT_A_MEMBER, NOT_FOUND). On Anvil, which has none of these,
 * each action answers NotSupportedByFabric, both when the fabric says so up front and when a
 * ledger turns out not to have the method.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import type { NetworkNode } from '../../src/node/init.js'
import {
  erasePrivateData,
  exportAccessLog,
  getChainParameters,
  getConsents,
  getErasureStatus,
  getNodes,
  getParties,
  getPrivateCollections,
  getPrivateData,
  getProposal,
  getProposals,
  propose,
  putPrivateData,
  setConsent,
  verifyAccessLog,
  vote,
  type ConsortiumClient,
} from '../../src/sdk/consortium/index.js'
import { LedgerError, NotSupportedByFabric, type LedgerErrorCode } from '../../src/sdk/errors.js'
import type { Address, Hex } from '../../src/types.js'
import { startAnvil, type AnvilNode } from '../helpers/anvil.js'
import { TestNetwork } from '../helpers/network.js'
import { waitFor } from '../helpers/node-process.js'
import { privacyConsortium } from '../helpers/privacy-consortium.js'
import { clientOf } from '../helpers/consortium-client.js'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['hospital', 'insurer', 'outsider'] as const
const [HOSPITAL, INSURER, OUTSIDER] = [0, 1, 2] as const
const accounts = devAccounts(6)
const admins = accounts.slice(0, 3).map((a) => a.address as Address)
async function codeOf(p: Promise<unknown>): Promise<LedgerErrorCode | string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (err === undefined) return 'resolved'
  return err instanceof LedgerError ? err.code : `not a LedgerError: ${String(err)}`
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let anvil: AnvilNode | undefined
const c: ConsortiumClient[] = []

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 3, blockPeriodMs: 200, emptyBlockPeriodMs: 500, consortium: (nodes: NetworkNode[]) => privacyConsortium('sdk', PARTIES, admins, nodes) })
  await net.start()
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2, 30_000)
  for (let i = 0; i < 3; i++) c.push(clientOf(net.url(i), accounts[i]!.privateKey as Hex))
}, 90_000)

afterAll(async () => {
  await net?.stopAll()
  await anvil?.stop()
  await tmp?.cleanup()
})

describe('consortium actions on a governed Quorate network', () => {
  it('reads parties, nodes, chain parameters and (no) proposals', async () => {
    const parties = await getParties(c[OUTSIDER]!)
    expect(parties.map((p) => [p.id, p.kind, p.status])).toEqual(PARTIES.map((id) => [id, 'member', 'active']))
    expect(parties[INSURER]!.admins).toEqual([admins[INSURER]!.toLowerCase()])
    const nodes = await getNodes(c[HOSPITAL]!)
    expect(nodes.map((n) => [n.address, n.party, n.validator])).toEqual(PARTIES.map((p, i) => [net.nodes[i]!.address.toLowerCase(), p, true]))
    expect((await getChainParameters(c[INSURER]!)).current.blockPeriodMs).toBe(200)
    expect(await getProposals(c[HOSPITAL]!)).toEqual([])
  })

  it('creates a collection by propose and vote; a second vote, a vote by a non-admin and an unknown proposal are refused', async () => {
    const proposed = await propose(c[HOSPITAL]!, {
      decision: {
        decision: 'SetCollection',
        id: 'patients',
        controller: 'hospital',
        retentionSeconds: 3600,
        members: ['hospital', 'insurer'],
        grants: [
          { party: 'hospital', purpose: 'treatment', basis: 'vital-interests' },
          { party: 'insurer', purpose: 'billing', basis: 'contract' },
        ],
      },
      description: 'patients collection',
    })
    expect(proposed.id).toBe(1n)
    const voted = await vote(c[HOSPITAL]!, { id: proposed.id, support: true })
    expect(voted.blockNumber).toBeGreaterThanOrEqual(proposed.blockNumber)
    const p = await getProposal(c[OUTSIDER]!, { id: 1 })
    expect([p.decision, p.state, p.proposer, p.votes]).toEqual(['SetCollection', 'approved', 'hospital', [{ party: 'hospital', support: true }]])
    expect((await getProposals(c[OUTSIDER]!, { state: 'approved' })).map((x) => x.id)).toEqual([1])
    await waitFor('the collection on every node', async () => {
      for (const client of c) if ((await getPrivateCollections(client)).length !== 1) return false
      return true
    })

    expect(await codeOf(vote(c[HOSPITAL]!, { id: 1, support: false }))).toBe('NOT_PERMITTED')
    const notAdmin = clientOf(net.url(HOSPITAL), accounts[5]!.privateKey as Hex)
    const second = await propose(c[INSURER]!, { decision: { decision: 'SuspendParty', id: 'outsider' }, description: 'suspend outsider' })
    const refused = await vote(notAdmin, { id: second.id, support: true }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LedgerError)
    expect((refused as LedgerError).code).toBe('NOT_PERMITTED')
    expect((refused as LedgerError).message).toMatch(/NotVotingAdmin/)
    await vote(c[INSURER]!, { id: second.id, support: false })
    expect(await codeOf(vote(c[INSURER]!, { id: second.id, support: true }))).toBe('NOT_PERMITTED')
    expect(await codeOf(vote(c[HOSPITAL]!, { id: 99, support: true }))).toBe('NOT_FOUND')
    const missing = await getProposal(c[HOSPITAL]!, { id: 99 }).catch((e: unknown) => e)
    expect([(missing as LedgerError).code, (missing as LedgerError).message]).toEqual(['NOT_FOUND', expect.stringMatching(/UnknownProposal/)])
    // Without an account there is nothing to sign with.
    expect(await codeOf(vote(clientOf(net.url(HOSPITAL), undefined), { id: second.id, support: true }))).toBe('INVALID_INPUT')
  }, 60_000)

  it('puts a record, a member reads it for its purpose; another purpose, a non-member and a non-controller are refused; the controller erases it', async () => {
    const put = await putPrivateData(c[HOSPITAL]!, { collection: 'patients', key: 'p-1', subject: 'subj-alice', purposes: ['treatment', 'billing'], data: 'diagnosis Q87.4' })
    expect(put.delivered).toEqual([net.nodes[INSURER]!.address])
    const read = await getPrivateData(c[INSURER]!, { collection: 'patients', key: 'p-1', purpose: 'billing' })
    expect([read.data, read.subject, read.recordHash]).toEqual(['diagnosis Q87.4', 'subj-alice', put.recordHash])

    expect(await codeOf(getPrivateData(c[INSURER]!, { collection: 'patients', key: 'p-1', purpose: 'treatment' }))).toBe('NOT_A_MEMBER')
    expect(await codeOf(getPrivateData(c[OUTSIDER]!, { collection: 'patients', key: 'p-1', purpose: 'billing', subject: 'subj-alice' }))).toBe('NOT_A_MEMBER')
    expect(await codeOf(putPrivateData(c[OUTSIDER]!, { collection: 'patients', key: 'p-9', subject: 'subj-bob', purposes: ['billing'], data: 'x' }))).toBe('NOT_A_MEMBER')
    expect(await codeOf(getPrivateData(c[INSURER]!, { collection: 'nope', key: 'p-1', purpose: 'billing' }))).toBe('NOT_FOUND')
    expect(await codeOf(erasePrivateData(c[INSURER]!, { collection: 'patients', key: 'p-1' }))).toBe('NOT_PERMITTED')

    const { requestId } = await erasePrivateData(c[HOSPITAL]!, { collection: 'patients', key: 'p-1' })
    expect(requestId).toBe(1)
    const status = await waitFor('both members to confirm the erasure', async () => {
      const s = await getErasureStatus(c[HOSPITAL]!, { collection: 'patients', key: 'p-1' })
      return s.confirmations.length === 2 ? s : undefined
    }, 30_000)
    expect(status.anchor.erasedAt).toBeGreaterThan(0)
  }, 60_000)

  it("exports a data subject's access log, which verifies", async () => {
    const log = await exportAccessLog(c[INSURER]!, { subject: 'subj-alice' })
    expect(log.entries.map((e) => [e.key, e.action, e.purpose, e.outcome])).toEqual([
      ['p-1', 'read', 'billing', 'granted'],
      ['p-1', 'read', 'treatment', 'refused'],
      ['p-1', 'erase', '', 'granted'],
    ])
    expect(await verifyAccessLog(c[INSURER]!, log)).toEqual({ valid: true, errors: [] })
    const outsider = await exportAccessLog(c[OUTSIDER]!, { subject: 'subj-alice' })
    expect(outsider.entries.map((e) => [e.action, e.outcome])).toEqual([['read', 'refused']])
  })
})

describe('consortium actions on a fabric without them (Anvil)', () => {
  it('answer NotSupportedByFabric, whether the fabric says so up front or the ledger lacks the method', async () => {
    anvil = await startAnvil()
    const evm = clientOf(anvil.rpcUrl, accounts[0]!.privateKey as Hex, { fabric: 'evm', privateData: false, accessLog: false, governance: false })
    const actions: [string, Promise<unknown>][] = [
      ['putPrivateData', putPrivateData(evm, { collection: 'c', key: 'k', subject: 's', purposes: ['p'], data: 'd' })],
      ['getPrivateData', getPrivateData(evm, { collection: 'c', key: 'k', purpose: 'p' })],
      ['erasePrivateData', erasePrivateData(evm, { collection: 'c', key: 'k' })],
      ['exportAccessLog', exportAccessLog(evm, { subject: 's' })],
      ['setConsent', setConsent(evm, { collection: 'c', subject: 's', party: 'p', purpose: 'q', granted: true })],
      ['getConsents', getConsents(evm, { collection: 'c', subject: 's' })],
      ['getParties', getParties(evm)],
      ['getNodes', getNodes(evm)],
      ['getProposals', getProposals(evm)],
      ['getChainParameters', getChainParameters(evm)],
      ['propose', propose(evm, { decision: { decision: 'SuspendParty', id: 'x' }, description: '' })],
      ['vote', vote(evm, { id: 1, support: true })],
    ]
    // Each refusal is taken as it comes (awaited one by one, a later one would be an unhandled rejection).
    const errors = await Promise.all(actions.map(([, p]) => p.catch((e: unknown) => e)))
    for (const [i, [name]] of actions.entries()) {
      const err = errors[i]
      expect(err, name).toBeInstanceOf(NotSupportedByFabric)
      expect((err as NotSupportedByFabric).fabric, name).toBe('evm')
    }
    // A ledger that claims the features but has no such methods: the same error, from the answer.
    const claims = clientOf(anvil.rpcUrl, accounts[0]!.privateKey as Hex, { fabric: 'evm', privateData: true, accessLog: true, governance: true })
    const answered = [getParties(claims), getPrivateData(claims, { collection: 'c', key: 'k', purpose: 'p' }), setConsent(claims, { collection: 'c', subject: 's', party: 'p', purpose: 'q', granted: false })]
    for (const err of await Promise.all(answered.map((p) => p.catch((e: unknown) => e)))) expect(err).toBeInstanceOf(NotSupportedByFabric)
  })
})
