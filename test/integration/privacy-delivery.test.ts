/**
 * Delivery follows grants, and a vote that removes a party is followed through, on a governed
 * network of four real node processes (hospital, insurer, lab, outsider; one node each). The
 * collection "patients" has hospital (controller), insurer and lab as members; the insurer holds a
 * grant for "billing" only. It shows that a record collected for "treatment" never reaches the
 * insurer's node (its whole data folder is scanned), that the insurer's node refuses such a record
 * even when the writer's key sends it, that a party voted out of the collection purges what it
 * held and confirms on chain, that priv_* params refuse unknown fields, and that `gov propose
 * set-collection` refuses a legal basis outside the documented list before anything is sent.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hexToBytes } from '@ethereumjs/util'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GovernanceClient } from '../../src/governance/client.js'
import { RemoteRequestError } from '../../src/network/errors.js'
import { P2PHost } from '../../src/network/host.js'
import type { NetworkNode } from '../../src/node/init.js'
import { privacyConsortium, voteCollection } from '../helpers/privacy-consortium.js'
import { readKeyFile } from '../../src/node/keyfile.js'
import { seal } from '../../src/privacy/envelope.js'
import { encodeRecord, recordAad, recordHash } from '../../src/privacy/record.js'
import { defaultKeyWrapper, KeyVault } from '../../src/privacy/key-vault.js'
import { openPrivateStore } from '../../src/privacy/store.js'
import type { Address, Hex } from '../../src/types.js'
import { TestNetwork } from '../helpers/network.js'
import { CLI, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['hospital', 'insurer', 'lab', 'outsider'] as const
const [HOSPITAL, INSURER, LAB] = [0, 1, 2]

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let admins: { address: Address; privateKey: Hex }[] = []

const consortium = (nodes: NetworkNode[]) => privacyConsortium('privacy-delivery', PARTIES, admins.map((a) => a.address), nodes)

async function call<T>(i: number, method: string, params: unknown[] = []): Promise<{ result?: T; error?: { code: number; message: string } }> {
  const res = await fetch(net.url(i), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return (await res.json()) as { result?: T; error?: { code: number; message: string } }
}
async function ok<T>(i: number, method: string, params: unknown[] = []): Promise<T> {
  const r = await call<T>(i, method, params)
  if (r.error) throw new Error(`${method} on node ${i}: ${r.error.message}`)
  return r.result as T
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

interface PutResult {
  recordHash: Hex
  delivered: Address[]
  pending: Address[]
  withheld: { node: Address; party: string; reason: string }[]
}

const grants = [
  { party: 'hospital', purpose: 'treatment', basis: 'vital-interests' },
  { party: 'hospital', purpose: 'billing', basis: 'contract' },
  { party: 'insurer', purpose: 'billing', basis: 'contract' },
  { party: 'lab', purpose: 'treatment', basis: 'contract' },
]

const TREATMENT_ONLY = 'PLAINTEXT-9f1c2b-treatment-only-diagnosis-K50.1'
const LAB_HELD = 'PLAINTEXT-5e7a11-lab-held-before-removal'
const FORCED = 'PLAINTEXT-c2d4e6-forced-on-the-insurer'

beforeAll(async () => {
  tmp = await tempDir()
  const { devAccounts } = await import('../../src/crypto/dev-accounts.js')
  admins = devAccounts(4).map((a) => ({ address: a.address as Address, privateKey: a.privateKey as Hex }))
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium })
  await net.start()
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2)
  await voteCollection(net, admins[HOSPITAL]!.privateKey, { id: 'patients', controller: 'hospital', retentionSeconds: 3600, members: ['hospital', 'insurer', 'lab'], grants })
}, 90_000)

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('delivery follows grants; removal from a collection is followed through', () => {
  it('a record collected for a purpose the insurer has no grant for never reaches the insurer\'s node', async () => {
    const put = await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 't-1', subject: 'subj-erin', purposes: ['treatment'], data: TREATMENT_ONLY }])
    expect(put.delivered).toEqual([net.nodes[LAB]!.address])
    expect(put.pending).toEqual([])
    expect(put.withheld).toEqual([{ node: net.nodes[INSURER]!.address, party: 'insurer', reason: expect.stringMatching(/party "insurer" holds no grant for "treatment"/) as unknown as string }])
    expect((await ok<{ data: string }>(LAB, 'priv_getRecord', ['patients', 't-1', 'treatment'])).data).toBe(TREATMENT_ONLY)
    // Give a (wrong) delivery time to arrive, then look at every byte the insurer's node wrote.
    await new Promise((r) => setTimeout(r, 2500))
    expect((await call(INSURER, 'priv_getRecord', ['patients', 't-1', 'billing'])).error?.message).toMatch(/holds no record "t-1"/)
    expect(await folderContains(net.nodes[INSURER]!.dataDir, TREATMENT_ONLY)).toEqual([])
    expect(await folderContains(net.nodes[INSURER]!.dataDir, 'subj-erin')).toEqual([])
  }, 30_000)

  it('the insurer\'s node refuses, and does not store, an anchored record it holds no grant for, even from its writer', async () => {
    await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 't-2', subject: 'subj-finn', purposes: ['treatment'], data: FORCED }])
    // The writer's own copy (with its salt) and node key, while the hospital node is down: a
    // writer that ignores the rule and pushes the genuine record to the insurer.
    await net.stop(HOSPITAL)
    const key = await readKeyFile(join(net.nodes[HOSPITAL]!.dataDir, 'node.key'))
    const store = await openPrivateStore(join(net.nodes[HOSPITAL]!.dataDir, 'private'), key)
    const record = (await store.get('patients', 't-2'))!
    await store.close()
    const genesis = await ok<{ hash: Hex }>(INSURER, 'eth_getBlockByNumber', ['0x0', false])
    const host = new P2PHost({ privateKey: key, chainId: 1337n, genesisHash: genesis.hash, isAllowed: () => true, proxy: false })
    await host.start()
    try {
      const insurer = net.nodes[INSURER]!
      await host.connect(insurer.p2pUrl!, insurer.address)
      const envelope = seal(hexToBytes(insurer.encryptionKey), encodeRecord(record), recordAad('patients', 't-2', recordHash(record)))
      const err = await host.request(insurer.address, 'private/deliver', new TextEncoder().encode(JSON.stringify({ collection: 'patients', key: 't-2', envelope })), 10_000).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RemoteRequestError)
      expect((err as RemoteRequestError).remoteCode).toBe('PRIVATE_PURPOSE_NOT_ALLOWED')
    } finally {
      await host.stop()
      await net.start(HOSPITAL)
    }
    expect(await folderContains(net.nodes[INSURER]!.dataDir, FORCED)).toEqual([])
    expect(await folderContains(net.nodes[INSURER]!.dataDir, 'subj-finn')).toEqual([])
  }, 60_000)

  it('priv_* params refuse unknown fields, naming the field and the one meant', async () => {
    const r = await call(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'u-1', subject: 'subj-gus', purposes: ['billing'], data: 'x', retention: 60 }])
    expect(r.error?.code).toBe(-32602)
    expect(r.error?.message).toMatch(/unknown field "retention" \(did you mean "retentionSeconds"\?\)/)
    const e = await call(HOSPITAL, 'priv_requestErasure', [{ collection: 'patients', key: 'u-1', reason: 'asked' }])
    expect(e.error?.code).toBe(-32602)
    expect(e.error?.message).toMatch(/unknown field "reason"/)
    // Nothing was written.
    expect((await ok<{ anchor: { anchoredAt: number } }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'u-1'])).anchor.anchoredAt).toBe(0)
  })

  it('gov propose set-collection refuses a legal basis outside the documented list before sending', async () => {
    const file = join(tmp.dir, 'bad-basis.yaml')
    await writeFile(file, ['id: patients', 'controller: hospital', 'retention: 1h', 'members: [hospital, insurer]', 'grants:', '  - { party: insurer, purpose: billing, basis: "because we can" }'].join('\n'))
    const before = (await ok<unknown[]>(HOSPITAL, 'gov_getProposals', [])).length
    const out = await new Promise<{ code: number; stderr: string }>((res) => {
      execFile(process.execPath, [CLI, 'gov', 'propose', 'set-collection', '--collection-file', file, '--description', 'bad', '--key', admins[HOSPITAL]!.privateKey, '--rpc', net.url(HOSPITAL)], (err, _stdout, stderr) =>
        res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
      )
    })
    expect(out.code).not.toBe(0)
    expect(out.stderr).toMatch(/legal basis "because we can" is not one of: consent, contract, legal-obligation, vital-interests, public-task, legitimate-interests/)
    expect((await ok<unknown[]>(HOSPITAL, 'gov_getProposals', [])).length).toBe(before)
  }, 30_000)

  it('a party voted out of the collection purges what it held and confirms on chain, across a restart while its confirmation fails; later records skip it', async () => {
    await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'r-1', subject: 'subj-hana', purposes: ['treatment'], data: LAB_HELD }])
    expect((await ok<{ data: string }>(LAB, 'priv_getRecord', ['patients', 'r-1', 'treatment'])).data).toBe(LAB_HELD)
    // What the lab holds of r-1 on disk (its at-rest ciphertext and data key), taken while it is down.
    await net.stop(LAB)
    const labRecords = join(net.nodes[LAB]!.dataDir, 'private', 'records')
    const labKey = await readKeyFile(join(net.nodes[LAB]!.dataDir, 'node.key'))
    const store = await openPrivateStore(join(net.nodes[LAB]!.dataDir, 'private'), labKey)
    const ciphertext = (await store.rawPart('c', 'patients', 'r-1'))!.slice(2)
    await store.close()
    const keysDir = join(net.nodes[LAB]!.dataDir, 'private', 'keys')
    const vault = await KeyVault.open(keysDir, await defaultKeyWrapper(keysDir, labKey, undefined))
    const dataKey = Buffer.from((await vault.get('patients!r-1'))!).toString('hex')
    const held = [ciphertext]
    // The lab now asks a gas price of 1 wei: its confirmation pays it, and its node key holds nothing.
    const cfgFile = join(net.nodes[LAB]!.dataDir, 'config.json')
    const cfg = JSON.parse(await readFile(cfgFile, 'utf8')) as Record<string, unknown>
    await writeFile(cfgFile, JSON.stringify({ ...cfg, txpool: { ...(cfg.txpool as object), minGasPrice: 1 } }))
    await net.start(LAB)
    for (const needle of [...held, 'subj-hana', 'subj-erin']) expect(await folderContains(labRecords, needle), needle).not.toEqual([])
    const gov = await GovernanceClient.connect(net.url(HOSPITAL), admins[HOSPITAL]!.privateKey)
    const { id } = await gov.propose({ decision: 'SetCollection', id: 'patients', controller: 'hospital', retentionSeconds: 3600, members: ['hospital', 'insurer'], grants: grants.filter((g) => g.party !== 'lab') }, 'the lab leaves the study')
    await gov.vote(id, true)
    const lab = net.nodes[LAB]!.address
    type Owed = { thisNode: { kind: string; attempts: number; lastError?: string }[] }
    const failing = await waitFor(
      'the lab to purge and fail to confirm',
      async () => (await ok<Owed>(LAB, 'priv_getErasureStatus', ['patients', 'r-1'])).thisNode.find((t) => t.kind === 'removal' && t.attempts >= 1),
      30_000,
    )
    expect(failing.lastError).toMatch(/insufficient|balance|funds/i)
    // The lab restarts while it still owes the confirmation: the debt is on disk, not in memory.
    await net.stop(LAB)
    await net.start(LAB)
    expect((await ok<Owed>(LAB, 'priv_getErasureStatus', ['patients', 'r-1'])).thisNode.map((t) => t.kind)).toEqual(['removal'])
    expect((await ok<{ removedPartyPurges: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'r-1'])).removedPartyPurges).toEqual([])
    // The cause is fixed (the lab's node key is funded by its party's admin); nobody touches the lab.
    const funder = net.accounts[LAB]!
    const nonce = Number(await ok<Hex>(HOSPITAL, 'eth_getTransactionCount', [funder.address, 'pending']))
    const raw = await privateKeyToAccount(funder.privateKey as Hex).signTransaction({ type: 'legacy', chainId: 1337, nonce, gasPrice: 1n, gas: 21_000n, to: lab, value: 10n ** 18n })
    await ok(HOSPITAL, 'eth_sendRawTransaction', [raw])
    const status = await waitFor(
      'the lab to confirm its purge on chain',
      async () => {
        const s = await ok<{ anchor: { erasedAt: number }; removedPartyPurges: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'r-1'])
        return s.removedPartyPurges.includes(lab) ? s : undefined
      },
      90_000,
    )
    expect(status.removedPartyPurges).toEqual([lab])
    // The lab drops its marker once its own transaction is final (a moment after the hospital sees it).
    await waitFor('the lab to owe nothing more', async () => (await ok<Owed>(LAB, 'priv_getErasureStatus', ['patients', 'r-1'])).thisNode.length === 0, 30_000)
    // The record lives on for the remaining members.
    expect(status.anchor.erasedAt).toBe(0)
    expect((await ok<{ data: string }>(HOSPITAL, 'priv_getRecord', ['patients', 'r-1', 'treatment'])).data).toBe(LAB_HELD)
    // Every record the lab held in the collection is gone from its store's files: ciphertext, data
    // key, subjects (the access log keeps the pseudonymous subject id as evidence, docs/privacy.md).
    for (const needle of [...held, 'subj-hana', 'subj-erin']) expect(await folderContains(labRecords, needle), needle).toEqual([])
    // and its data key is shredded from the key vault.
    expect(await (await KeyVault.open(keysDir, await defaultKeyWrapper(keysDir, labKey, undefined))).get('patients!r-1')).toBeUndefined()
    expect(dataKey).toMatch(/^[0-9a-f]{64}$/)
    for (const secret of [LAB_HELD, TREATMENT_ONLY]) expect(await folderContains(net.nodes[LAB]!.dataDir, secret), secret).toEqual([])
    expect((await ok<{ removedPartyPurges: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 't-1'])).removedPartyPurges).toEqual([lab])
    expect((await call(LAB, 'priv_getRecord', ['patients', 'r-1', 'treatment'])).error?.message).toMatch(/not a member of this collection/)
    const later = await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'r-2', subject: 'subj-hana', purposes: ['billing', 'treatment'], data: 'after' }])
    expect(later.delivered).toEqual([net.nodes[INSURER]!.address])
    expect(later.withheld).toEqual([])
  }, 240_000)
})
