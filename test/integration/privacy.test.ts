/**
 * Private data on a governed network of real node processes: four parties, one node each
 * (hospital, insurer, lab, outsider). The collection "patients" is created by a SetCollection vote:
 * hospital (controller), insurer and lab are members with their own purposes; outsider is not.
 * It shows that a member reads a record, the outsider (and its whole data folder) never sees it,
 * a read for a purpose the party may not use is refused and logged, the access log exports and
 * verifies (and a modified one does not), a member offline during the put receives the record when
 * it returns, erasure removes plaintext and ciphertext from every member (confirmed on chain, the
 * anchor stays), and retention expiry purges without a request.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Consortium } from '../../src/governance/consortium.js'
import { GovernanceClient } from '../../src/governance/client.js'
import type { NetworkNode } from '../../src/node/init.js'
import type { AccessLogExport } from '../../src/privacy/access-log.js'
import { PrivateStore } from '../../src/privacy/store.js'
import { hexToBytes } from '@ethereumjs/util'
import { readKeyFile } from '../../src/node/keyfile.js'
import { P2PHost } from '../../src/network/host.js'
import { RemoteRequestError } from '../../src/network/errors.js'
import { seal } from '../../src/privacy/envelope.js'
import { encodeRecord, recordAad, type PrivateRecord } from '../../src/privacy/record.js'
import type { Address, Hex } from '../../src/types.js'
import { TestNetwork } from '../helpers/network.js'
import { CLI, waitFor } from '../helpers/node-process.js'
import { execFile } from 'node:child_process'
import { writeFile as writeFileAsync } from 'node:fs/promises'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['hospital', 'insurer', 'lab', 'outsider'] as const
const [HOSPITAL, INSURER, LAB, OUTSIDER] = [0, 1, 2, 3]

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork

function consortium(nodes: NetworkNode[]): Consortium {
  return {
    name: 'privacy',
    chainId: 1337,
    blockPeriodMs: 500,
    emptyBlockPeriodMs: 1000,
    gasLimit: 50_000_000n,
    minValidators: 1,
    requireCodeApproval: true,
    parties: PARTIES.map((id, i) => ({
      id,
      name: id,
      kind: 'member' as const,
      admins: [net0Accounts[i]!],
      accounts: [],
      nodes: [{ address: nodes[i]!.address, endpoint: '', validator: true }],
    })),
    defaultPolicy: { threshold: 50, comparator: '>', votingPeriod: 3600, veto: [] },
    // One party's yes creates a collection (enough to test; a real consortium votes).
    policies: { SetCollection: { threshold: 1, comparator: '>=', votingPeriod: 3600, veto: [] } },
    alloc: {},
  }
}
let net0Accounts: Address[] = []

/** JSON-RPC call that returns the error instead of throwing. */
async function call<T>(i: number, method: string, params: unknown[] = []): Promise<{ result?: T; error?: { code: number; message: string } }> {
  const res = await fetch(net.url(i), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return (await res.json()) as { result?: T; error?: { code: number; message: string } }
}
async function ok<T>(i: number, method: string, params: unknown[] = []): Promise<T> {
  const r = await call<T>(i, method, params)
  if (r.error) throw new Error(`${method} on node ${i}: ${r.error.message}`)
  return r.result as T
}

async function folderContains(dir: string, needle: string | Buffer): Promise<string[]> {
  const hits: string[] = []
  const bytes = typeof needle === 'string' ? Buffer.from(needle) : needle
  for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue
    const path = join(f.parentPath, f.name)
    const buf = await readFile(path).catch(() => Buffer.alloc(0))
    if (buf.includes(bytes)) hits.push(path)
  }
  return hits
}

interface PutResult {
  recordHash: Hex
  delivered: Address[]
  pending: Address[]
  txHash: Hex
}

const SECRET_1 = 'PLAINTEXT-4b1d9e77-diagnosis-rare-condition-Q87.4'
const SECRET_2 = 'PLAINTEXT-a0c3f2e1-lab-result-hba1c-9.1'
const SECRET_3 = 'PLAINTEXT-73e0aa52-short-lived-note'

beforeAll(async () => {
  tmp = await tempDir()
  const { devAccounts } = await import('../../src/crypto/dev-accounts.js')
  const accounts = devAccounts(10)
  net0Accounts = accounts.slice(0, 4).map((a) => a.address as Address)
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium })
  await net.start()
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2)
  const gov = await GovernanceClient.connect(net.url(0), accounts[0]!.privateKey as Hex)
  const { id } = await gov.propose(
    {
      decision: 'SetCollection',
      id: 'patients',
      controller: 'hospital',
      retentionSeconds: 3600,
      members: ['hospital', 'insurer', 'lab'],
      grants: [
        { party: 'hospital', purpose: 'treatment', basis: 'vital-interests' },
        { party: 'hospital', purpose: 'billing', basis: 'contract' },
        { party: 'insurer', purpose: 'billing', basis: 'contract' },
        { party: 'lab', purpose: 'treatment', basis: 'contract' },
      ],
    },
    'patients collection',
  )
  await gov.vote(id, true)
  await waitFor('the collection on every node', async () => {
    for (let i = 0; i < 4; i++) if ((await ok<unknown[]>(i, 'priv_getCollections')).length !== 1) return false
    return true
  })
}, 90_000)

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('private data collections on a governed network', () => {
  let put1: PutResult
  let labCiphertext: string

  it('governance holds the collection with each party\'s purposes and legal basis', async () => {
    const [c] = await ok<{ id: string; controller: string; members: string[]; grants: { party: string; purpose: string; basis: string }[] }[]>(OUTSIDER, 'priv_getCollections')
    expect(c).toMatchObject({ id: 'patients', controller: 'hospital', members: ['hospital', 'insurer', 'lab'] })
    expect(c!.grants).toContainEqual({ party: 'insurer', purpose: 'billing', basis: 'contract' })
  })

  it('a member writes, every member node acknowledges, and another member reads it', async () => {
    put1 = await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-1', subject: 'subj-alice', purposes: ['billing', 'treatment'], data: SECRET_1 }])
    expect(put1.pending).toEqual([])
    expect(put1.delivered.sort()).toEqual([net.nodes[INSURER]!.address, net.nodes[LAB]!.address].sort())
    const read = await ok<{ data: string; subject: string; recordHash: Hex }>(INSURER, 'priv_getRecord', ['patients', 'p-1', 'billing'])
    expect(read).toMatchObject({ data: SECRET_1, subject: 'subj-alice', recordHash: put1.recordHash })
    expect((await ok<{ data: string }>(LAB, 'priv_getRecord', ['patients', 'p-1', 'treatment'])).data).toBe(SECRET_1)
  })

  it('a non-member gets "not a member of this collection", and its data folder holds only the anchor', async () => {
    const r = await call(OUTSIDER, 'priv_getRecord', ['patients', 'p-1', 'billing'])
    expect(r.error?.message).toMatch(/not a member of this collection/)
    expect((await call(OUTSIDER, 'priv_listRecords', ['patients'])).error?.message).toMatch(/not a member of this collection/)
    const status = await ok<{ anchor: { recordHash: Hex; anchoredAt: number } }>(OUTSIDER, 'priv_getErasureStatus', ['patients', 'p-1'])
    expect(status.anchor.recordHash).toBe(put1.recordHash)
    expect(await folderContains(net.nodes[OUTSIDER]!.dataDir, SECRET_1)).toEqual([])
    expect(await folderContains(net.nodes[OUTSIDER]!.dataDir, 'subj-alice')).toEqual([])
  })

  it("a non-member's refused read names the subject it asked for, and that subject's export from the node shows the refusal", async () => {
    const r = await call(OUTSIDER, 'priv_getRecord', ['patients', 'p-1', 'billing', 'subj-carol'])
    expect(r.error?.message).toMatch(/not a member of this collection/)
    const log = await ok<AccessLogExport>(OUTSIDER, 'priv_getAccessLog', ['subj-carol'])
    expect(log.entries.map((e) => [e.key, e.action, e.purpose, e.outcome, e.caller])).toEqual([['p-1', 'read', 'billing', 'refused', 'anonymous@127.0.0.1']])
    expect(log.entries[0]!.reason).toMatch(/not a member of this collection/)
    expect(await ok(OUTSIDER, 'priv_verifyAccessLog', [log])).toEqual({ valid: true, errors: [] })
    expect(await ok(OUTSIDER, 'priv_verifyAccessLog', [])).toEqual({ valid: true, errors: [] })
  })

  it('a read for a purpose the party may not use is refused and logged; the log exports and verifies, a modified one does not', async () => {
    const refused = await call(INSURER, 'priv_getRecord', ['patients', 'p-1', 'treatment'])
    expect(refused.error?.message).toMatch(/purpose "treatment" is not allowed for party "insurer"/)
    const log = await ok<AccessLogExport>(INSURER, 'priv_getAccessLog', ['subj-alice'])
    expect(log.entries.map((e) => [e.action, e.purpose, e.outcome])).toEqual([
      ['read', 'billing', 'granted'],
      ['read', 'treatment', 'refused'],
    ])
    // Each read names the API caller that asked (here anonymous on the loopback listener).
    expect(log.entries.map((e) => e.caller)).toEqual(['anonymous@127.0.0.1', 'anonymous@127.0.0.1'])
    expect(log.node).toBe(net.nodes[INSURER]!.address)
    expect(await ok(INSURER, 'priv_verifyAccessLog', [log])).toEqual({ valid: true, errors: [] })
    expect(await ok(INSURER, 'priv_verifyAccessLog', [])).toEqual({ valid: true, errors: [] })
    const modified = structuredClone(log)
    modified.entries[1]!.outcome = 'granted'
    const bad = await ok<{ valid: boolean; errors: string[] }>(INSURER, 'priv_verifyAccessLog', [modified])
    expect(bad.valid).toBe(false)
    expect(bad.errors.join('\n')).toMatch(/hash does not match/)
  })

  it('a member node offline during a put receives the record when it comes back', async () => {
    await net.stop(LAB)
    // While it is down, take the at-rest ciphertext of p-1 from its store (checked after erasure).
    const store = await PrivateStore.open(join(net.nodes[LAB]!.dataDir, 'private', 'records'))
    labCiphertext = (await store.rawPart('c', 'patients', 'p-1'))!
    await store.close()
    expect(labCiphertext).toMatch(/^0x[0-9a-f]{100,}$/)
    const put2 = await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-2', subject: 'subj-bob', purposes: ['treatment'], data: SECRET_2 }])
    expect(put2.pending).toEqual([net.nodes[LAB]!.address])
    await net.start(LAB)
    const got = await waitFor('the record on the returning node', async () => (await call<{ data: string }>(LAB, 'priv_getRecord', ['patients', 'p-2', 'treatment'])).result, 30_000)
    expect(got.data).toBe(SECRET_2)
  }, 60_000)

  it('a member node rejects a delivered payload that does not match the anchor (tampered or forged)', async () => {
    // The hospital's node key (the anchored writer of p-2) on a host of the test's own, while the
    // hospital node is down: what a compromised writer or a man in the middle could send.
    await net.stop(HOSPITAL)
    const key = await readKeyFile(join(net.nodes[HOSPITAL]!.dataDir, 'node.key'))
    const genesis = await ok<{ hash: Hex }>(LAB, 'eth_getBlockByNumber', ['0x0', false])
    const host = new P2PHost({ privateKey: key, chainId: 1337n, genesisHash: genesis.hash, isAllowed: () => true, proxy: false })
    await host.start()
    try {
      const lab = net.nodes[LAB]!
      await host.connect(lab.p2pUrl!, lab.address)
      const status = await ok<{ anchor: { recordHash: Hex; expiresAt: number } }>(LAB, 'priv_getErasureStatus', ['patients', 'p-2'])
      const forged: PrivateRecord = { collection: 'patients', key: 'p-2', subject: 'subj-bob', purposes: ['treatment'], expiresAt: status.anchor.expiresAt, data: 'FORGED', writer: net.nodes[HOSPITAL]!.address, writtenAt: 1, salt: `0x${'44'.repeat(32)}` }
      const envelope = seal(hexToBytes(lab.encryptionKey), encodeRecord(forged), recordAad('patients', 'p-2', status.anchor.recordHash))
      const send = (env: typeof envelope) => host.request(lab.address, 'private/deliver', new TextEncoder().encode(JSON.stringify({ collection: 'patients', key: 'p-2', envelope: env })), 10_000)
      const forgedErr = await send(envelope).catch((e: unknown) => e)
      expect(forgedErr).toBeInstanceOf(RemoteRequestError)
      expect((forgedErr as RemoteRequestError).remoteCode).toBe('PRIVATE_HASH_MISMATCH')
      const tampered = { ...envelope, ct: `${envelope.ct.slice(0, 10)}${envelope.ct[10] === '0' ? '1' : '0'}${envelope.ct.slice(11)}` as Hex }
      expect(((await send(tampered).catch((e: unknown) => e)) as RemoteRequestError).remoteCode).toBe('PRIVATE_HASH_MISMATCH')
      // The record the lab holds is still the anchored one.
      expect((await ok<{ data: string }>(LAB, 'priv_getRecord', ['patients', 'p-2', 'treatment'])).data).toBe(SECRET_2)
    } finally {
      await host.stop()
      await net.start(HOSPITAL)
    }
  }, 60_000)

  it('erasure deletes plaintext and ciphertext on every member, each confirms on chain, the anchor stays', async () => {
    const { requestId } = await ok<{ requestId: number }>(HOSPITAL, 'priv_deleteRecord', ['patients', 'p-1'])
    expect(requestId).toBe(1)
    // Only the controlling party may ask.
    expect((await call(INSURER, 'priv_deleteRecord', ['patients', 'p-2'])).error?.message).toMatch(/only the controlling party "hospital"/)
    const members = [HOSPITAL, INSURER, LAB].map((i) => net.nodes[i]!.address).sort()
    const status = await waitFor(
      'every member to confirm the erasure',
      async () => {
        const s = await ok<{ anchor: { recordHash: Hex; erasedAt: number; erasureRequest: number }; confirmations: Address[] }>(OUTSIDER, 'priv_getErasureStatus', ['patients', 'p-1'])
        return [...s.confirmations].sort().join() === members.join() ? s : undefined
      },
      30_000,
    )
    expect(status.anchor.recordHash).toBe(put1.recordHash)
    expect(status.anchor.erasedAt).toBeGreaterThan(0)
    expect(status.anchor.erasureRequest).toBe(1)
    for (const i of [HOSPITAL, INSURER, LAB]) {
      expect((await call(i, 'priv_getRecord', ['patients', 'p-1', i === INSURER ? 'billing' : 'treatment'])).error?.message).toMatch(/was erased/)
      expect(await folderContains(net.nodes[i]!.dataDir, SECRET_1), `plaintext on node ${i}`).toEqual([])
      expect(await folderContains(net.nodes[i]!.dataDir, labCiphertext.slice(2)), `ciphertext on node ${i}`).toEqual([])
    }
    // The non-member never held the record in any form.
    expect(await folderContains(net.nodes[OUTSIDER]!.dataDir, labCiphertext.slice(2))).toEqual([])
    // The other record is untouched.
    expect((await ok<{ data: string }>(LAB, 'priv_getRecord', ['patients', 'p-2', 'treatment'])).data).toBe(SECRET_2)
  }, 60_000)

  it('erasure by subject removes every record of that subject on every member, also one offline at the time', async () => {
    await net.stop(LAB)
    const { requestId } = await ok<{ requestId: number }>(HOSPITAL, 'priv_requestErasure', [{ collection: 'patients', subject: 'subj-bob' }])
    expect(requestId).toBe(2)
    await waitFor('the online members to confirm', async () => (await ok<{ confirmations: Address[] }>(OUTSIDER, 'priv_getErasureStatus', ['patients', 'p-2'])).confirmations.length === 2, 30_000)
    // The lab, down, still holds it (encrypted at rest).
    const labStore = await PrivateStore.open(join(net.nodes[LAB]!.dataDir, 'private', 'records'))
    const labCipher2 = await labStore.rawPart('c', 'patients', 'p-2')
    await labStore.close()
    expect(labCipher2).toMatch(/^0x[0-9a-f]+$/)
    expect(await folderContains(net.nodes[LAB]!.dataDir, labCipher2!.slice(2))).not.toEqual([])
    await net.start(LAB)
    const members = [HOSPITAL, INSURER, LAB].map((i) => net.nodes[i]!.address).sort()
    await waitFor('every member to erase the subject', async () => {
      const s = await ok<{ confirmations: Address[] }>(OUTSIDER, 'priv_getErasureStatus', ['patients', 'p-2'])
      return [...s.confirmations].sort().join() === members.join()
    }, 30_000)
    for (const i of [HOSPITAL, INSURER, LAB]) expect(await folderContains(net.nodes[i]!.dataDir, SECRET_2)).toEqual([])
    expect(await folderContains(net.nodes[LAB]!.dataDir, labCipher2!.slice(2))).toEqual([])
  }, 60_000)

  it('the CLI reads with a purpose, exports the access log and verifies it (a modified file fails)', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
        execFile(process.execPath, [CLI, 'data', ...args], (err, stdout, stderr) => res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }))
      })
    const put = await cli(['put', 'patients', 'p-4', '--subject', 'subj-dave', '--purpose', 'billing', '--data', 'cli-record', '--rpc', net.url(HOSPITAL)])
    expect(put.code, put.stderr).toBe(0)
    const got = await cli(['get', 'patients', 'p-4', '--purpose', 'billing', '--rpc', net.url(INSURER)])
    expect(JSON.parse(got.stdout)).toMatchObject({ data: 'cli-record', subject: 'subj-dave' })
    const outsider = await cli(['get', 'patients', 'p-4', '--purpose', 'billing', '--rpc', net.url(OUTSIDER)])
    expect(outsider.code).toBe(1)
    expect(outsider.stderr).toMatch(/not a member of this collection/)
    const file = join(tmp.dir, 'dave-log.json')
    expect((await cli(['log', 'subj-dave', '--out', file, '--rpc', net.url(INSURER)])).code).toBe(0)
    const verified = await cli(['verify', file, '--node', net.nodes[INSURER]!.address])
    expect(verified.code, verified.stdout).toBe(0)
    // With --rpc the node also checks the export against the log head anchored on chain.
    const viaNode = await cli(['verify', file, '--node', net.nodes[INSURER]!.address, '--rpc', net.url(HOSPITAL)])
    expect(viaNode.code, viaNode.stdout + viaNode.stderr).toBe(0)
    expect(JSON.parse(viaNode.stdout)).toEqual({ valid: true, errors: [] })
    const log = JSON.parse(await readFile(file, 'utf8')) as AccessLogExport
    log.entries[0]!.purpose = 'marketing'
    await writeFileAsync(file, JSON.stringify(log))
    const bad = await cli(['verify', file])
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout).valid).toBe(false)
  }, 60_000)

  it('a record past its retention is purged by every member without a request', async () => {
    await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-3', subject: 'subj-carol', purposes: ['treatment'], data: SECRET_3, retentionSeconds: 3 }])
    const members = [HOSPITAL, INSURER, LAB].map((i) => net.nodes[i]!.address).sort()
    const status = await waitFor(
      'every member to purge the expired record',
      async () => {
        const s = await ok<{ anchor: { erasureRequest: number; erasedAt: number }; confirmations: Address[] }>(OUTSIDER, 'priv_getErasureStatus', ['patients', 'p-3'])
        return [...s.confirmations].sort().join() === members.join() ? s : undefined
      },
      30_000,
    )
    expect(status.anchor.erasureRequest).toBe(0)
    for (const i of [HOSPITAL, INSURER, LAB]) expect(await folderContains(net.nodes[i]!.dataDir, SECRET_3)).toEqual([])
  }, 60_000)

  it('the non-member node stored nothing: no record, no pending envelope, no tombstone', async () => {
    await net.stop(OUTSIDER)
    const store = await PrivateStore.open(join(net.nodes[OUTSIDER]!.dataDir, 'private', 'records'))
    try {
      expect(await store.list()).toEqual([])
      expect(await store.allPending()).toEqual([])
      for (const key of ['p-1', 'p-2', 'p-3', 'p-4']) {
        expect(await store.rawPart('c', 'patients', key)).toBeUndefined()
        expect(await store.tombstone('patients', key)).toBeUndefined()
      }
    } finally {
      await store.close()
    }
  })
})
