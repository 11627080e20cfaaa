/**
 * Private data on a governed network of real node processes: four parties, one node each
 * (hospital, insurer, lab, outsider). The collection "patients" is created by a SetCollection vote:
 * hospital (controller), insurer and lab are members with their own purposes; outsider is not.
 * It shows that a member reads a record, the outsider (and its whole data folder) never sees it,
 * a read for a purpose the party may not use is refused and logged, the access log exports and
 * verifies (and a modified one does not), a member offline during the put receives the record when
 * it returns, erasure removes plaintext and ciphertext from every member (confirmed on chain, the
 * anchor stays), and retention expiry purges without a request. On-chain ids are keyed by the
 * collection secret, which only member nodes hold: the outsider, reading every anchor from the
 * chain, sees no purpose in clear and cannot brute-force a BSN-shaped subject id back to the BSN.
 */
import { cp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { privateKeyToAccount } from 'viem/accounts'
import { defaultKeyWrapper, KeyVault } from '../../src/privacy/key-vault.js'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GovernanceClient } from '../../src/governance/client.js'
import type { NetworkNode } from '../../src/node/init.js'
import { privacyConsortium } from '../helpers/privacy-consortium.js'
import type { AccessLogExport } from '../../src/privacy/access-log.js'
import { openPrivateStore } from '../../src/privacy/store.js'
import { hexToBytes } from '@ethereumjs/util'
import { readKeyFile } from '../../src/node/keyfile.js'
import { P2PHost } from '../../src/network/host.js'
import { RemoteRequestError } from '../../src/network/errors.js'
import { open, seal, type Envelope } from '../../src/privacy/envelope.js'
import { collectionIds, encodeRecord, recordAad, toBytes32, type PrivateRecord } from '../../src/privacy/record.js'
import { keccakHex } from '../../src/crypto/keys.js'
import { governanceArtifacts } from '../../src/governance/artifacts.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from '../../src/privacy/address.js'
import { readEncryptionKeyFile } from '../../src/privacy/keys.js'
import { decodeEventLog, decodeFunctionResult, encodeFunctionData, type Abi } from 'viem'
import { bruteForceBsn } from '../helpers/bsn.js'
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

const consortium = (nodes: NetworkNode[]) => privacyConsortium('privacy', PARTIES, net0Accounts, nodes)
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
    // Finding a record's anchor by its key needs the collection secret: a non-member cannot.
    expect((await call(OUTSIDER, 'priv_getErasureStatus', ['patients', 'p-1'])).error?.message).toMatch(/not a member of this collection/)
    const status = await ok<{ anchor: { recordHash: Hex; anchoredAt: number } }>(LAB, 'priv_getErasureStatus', ['patients', 'p-1'])
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
    const store = await openPrivateStore(join(net.nodes[LAB]!.dataDir, 'private'), await readKeyFile(join(net.nodes[LAB]!.dataDir, 'node.key')))
    labCiphertext = (await store.rawPart('c', 'patients', 'p-1'))!
    await store.close()
    expect(labCiphertext).toMatch(/^0x[0-9a-f]{100,}$/)
    const put2 = await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-2', subject: 'subj-bob', purposes: ['treatment', 'billing'], data: SECRET_2 }])
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
        const s = await ok<{ anchor: { recordHash: Hex; erasedAt: number; erasureRequest: number }; confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-1'])
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
    await waitFor('the online members to confirm', async () => (await ok<{ confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-2'])).confirmations.length === 2, 30_000)
    // The lab, down, still holds it (encrypted at rest).
    const labStore = await openPrivateStore(join(net.nodes[LAB]!.dataDir, 'private'), await readKeyFile(join(net.nodes[LAB]!.dataDir, 'node.key')))
    const labCipher2 = await labStore.rawPart('c', 'patients', 'p-2')
    await labStore.close()
    expect(labCipher2).toMatch(/^0x[0-9a-f]+$/)
    expect(await folderContains(net.nodes[LAB]!.dataDir, labCipher2!.slice(2))).not.toEqual([])
    await net.start(LAB)
    const members = [HOSPITAL, INSURER, LAB].map((i) => net.nodes[i]!.address).sort()
    await waitFor('every member to erase the subject', async () => {
      const s = await ok<{ confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-2'])
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

  it('a non-member reading every anchor from the chain sees no purposes and cannot brute-force a BSN subject id without the collection secret', async () => {
    const BSN = '123456782'
    await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'claim-77', subject: BSN, purposes: ['billing', 'treatment'], data: 'disability claim' }])
    // The outsider's view: every RecordAnchored log of the anchors contract, and each anchor it names.
    const abi: Abi = governanceArtifacts().PrivateDataAnchors.abi
    // p-1, p-2, p-4 and claim-77 (the outsider may be a block behind the writer).
    const anchored = await waitFor('the four anchors on the outsider', async () => {
      const logs = await ok<{ topics: Hex[]; data: Hex }[]>(OUTSIDER, 'eth_getLogs', [{ address: PRIVATE_DATA_ANCHORS_ADDRESS, fromBlock: '0x0', toBlock: 'latest' }])
      const evs = logs.map((l) => decodeEventLog({ abi, topics: l.topics as [Hex, ...Hex[]], data: l.data })).filter((e) => e.eventName === 'RecordAnchored')
      return evs.length >= 4 ? evs : undefined
    })
    const subjectIds: Hex[] = []
    for (const ev of anchored) {
      const { collection, keyId } = ev.args as unknown as { collection: Hex; keyId: Hex }
      const raw = await ok<Hex>(OUTSIDER, 'eth_call', [{ to: PRIVATE_DATA_ANCHORS_ADDRESS, data: encodeFunctionData({ abi, functionName: 'getAnchor', args: [collection, keyId] }) }, 'latest'])
      for (const purpose of ['billing', 'treatment']) expect(raw, `purpose ${purpose} in clear`).not.toContain(toBytes32(purpose).slice(2, 18))
      const a = decodeFunctionResult({ abi, functionName: 'getAnchor', data: raw }) as { subjectId: Hex; anchoredAt: bigint }
      expect(a.anchoredAt).toBeGreaterThan(0n)
      expect(Object.keys(a)).not.toContain('purposes')
      subjectIds.push(a.subjectId)
    }
    // 100,000 valid BSNs around the real one, under the former unkeyed scheme: nothing.
    const START = 123_456_782 - 550_000
    const unkeyed = (b: string) => keccakHex(new TextEncoder().encode(JSON.stringify(['patients', b])))
    expect(bruteForceBsn(subjectIds, START, 100_000, unkeyed)).toEqual({ found: undefined, tried: 100_000 })
    // Control: had the chain held the unkeyed id, the same walk finds the BSN.
    expect(bruteForceBsn([...subjectIds, unkeyed(BSN)], START, 100_000, unkeyed).found).toBe(BSN)
    // Control: a member node's collection secret (opened with that node's encryption key) finds it on the real chain.
    const hospital = net.nodes[HOSPITAL]!
    const keyFile = join(hospital.dataDir, 'private', 'collection-keys', 'patients.key')
    const { secretKey } = await readEncryptionKeyFile(join(hospital.dataDir, 'encryption.key'))
    const secret = open(secretKey, JSON.parse(await readFile(keyFile, 'utf8')) as Envelope, new TextEncoder().encode(JSON.stringify(['quorate/private-data/collection-key/v1', 'patients', hospital.address.toLowerCase()])))
    const ids = collectionIds('patients', secret)
    expect(bruteForceBsn(subjectIds, START, 100_000, (b) => ids.subjectId(b)).found).toBe(BSN)
    // Every member node holds the same secret, owner-only; the outsider holds none, in no form.
    for (const i of [HOSPITAL, INSURER, LAB]) {
      const n = net.nodes[i]!
      const file = join(n.dataDir, 'private', 'collection-keys', 'patients.key')
      expect((await stat(file)).mode & 0o777, `key file mode on node ${i}`).toBe(0o600)
      const own = await readEncryptionKeyFile(join(n.dataDir, 'encryption.key'))
      const theirs = open(own.secretKey, JSON.parse(await readFile(file, 'utf8')) as Envelope, new TextEncoder().encode(JSON.stringify(['quorate/private-data/collection-key/v1', 'patients', n.address.toLowerCase()])))
      expect(Buffer.from(theirs).equals(Buffer.from(secret)), `secret on node ${i}`).toBe(true)
    }
    expect(await folderContains(net.nodes[OUTSIDER]!.dataDir, Buffer.from(secret))).toEqual([])
    expect(await folderContains(net.nodes[OUTSIDER]!.dataDir, Buffer.from(secret).toString('hex'))).toEqual([])
    await expect(stat(join(net.nodes[OUTSIDER]!.dataDir, 'private', 'collection-keys'))).rejects.toThrow()
    // Members still erase by subject under the keyed id.
    await ok(HOSPITAL, 'priv_requestErasure', [{ collection: 'patients', subject: BSN }])
    await waitFor('every member to erase the BSN subject', async () => (await ok<{ confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'claim-77'])).confirmations.length === 3, 30_000)
  }, 90_000)

  it('a record past its retention is purged by every member without a request', async () => {
    await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-3', subject: 'subj-carol', purposes: ['treatment', 'billing'], data: SECRET_3, retentionSeconds: 3 }])
    const members = [HOSPITAL, INSURER, LAB].map((i) => net.nodes[i]!.address).sort()
    const status = await waitFor(
      'every member to purge the expired record',
      async () => {
        const s = await ok<{ anchor: { erasureRequest: number; erasedAt: number }; confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-3'])
        return [...s.confirmations].sort().join() === members.join() ? s : undefined
      },
      30_000,
    )
    expect(status.anchor.erasureRequest).toBe(0)
    for (const i of [HOSPITAL, INSURER, LAB]) expect(await folderContains(net.nodes[i]!.dataDir, SECRET_3)).toEqual([])
  }, 60_000)

  /** A record's bytes as each member holds them, read from a copy of its live private folder (the node keeps running). */
  async function heldBytes(i: number, key: string): Promise<{ ciphertext: string; dataKey: Buffer }> {
    const copy = join(tmp.dir, `copy-${i}-${key}`)
    await cp(join(net.nodes[i]!.dataDir, 'private'), copy, { recursive: true })
    await rm(join(copy, 'erasures'), { recursive: true, force: true })
    const store = await openPrivateStore(copy, await readKeyFile(join(net.nodes[i]!.dataDir, 'node.key')))
    try {
      const ciphertext = (await store.rawPart('c', 'patients', key))!
      const vault = await KeyVault.open(join(copy, 'keys'), await defaultKeyWrapper(join(copy, 'keys'), await readKeyFile(join(net.nodes[i]!.dataDir, 'node.key')), undefined))
      const dataKey = Buffer.from((await vault.get(`patients!${key}`))!)
      return { ciphertext, dataKey }
    } finally {
      await store.close()
      await rm(copy, { recursive: true, force: true })
    }
  }

  const dataCli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile(process.execPath, [CLI, 'data', ...args], (err, stdout, stderr) => res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }))
    })

  it('after an erasure no member folder holds plaintext, ciphertext, data key or subject: the writer never restarted, checked by raw scan and by `quorate data verify-erasure`', async () => {
    const SECRET = 'PLAINTEXT-5e1f0c2a-erase-me-everywhere'
    const SUBJECT = 'subj-erin-7731'
    const put = await ok<PutResult>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-9', subject: SUBJECT, purposes: ['treatment', 'billing'], data: SECRET }])
    expect(put.pending).toEqual([])
    const held = new Map<number, { ciphertext: string; dataKey: Buffer }>()
    for (const i of [HOSPITAL, INSURER, LAB]) held.set(i, await heldBytes(i, 'p-9'))
    // Positive control: the ciphertext is on disk now (the data key is not, only wrapped).
    for (const i of [HOSPITAL, INSURER, LAB]) expect((await folderContains(net.nodes[i]!.dataDir, held.get(i)!.ciphertext.slice(2))).length).toBeGreaterThan(0)
    const { requestId } = await ok<{ requestId: number }>(HOSPITAL, 'priv_deleteRecord', ['patients', 'p-9'])
    const members = [HOSPITAL, INSURER, LAB].map((i) => net.nodes[i]!.address).sort()
    await waitFor('every member to confirm', async () => [...(await ok<{ confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-9'])).confirmations].sort().join() === members.join(), 30_000)
    const status = await ok<{ members: { node: Address; status: string; confirmedAtBlock: number | null }[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-9'])
    for (const m of status.members) expect(m).toMatchObject({ status: 'confirmed', confirmedAtBlock: expect.any(Number) })
    for (const i of [HOSPITAL, INSURER, LAB]) {
      const dir = net.nodes[i]!.dataDir
      for (const [k, h] of held) {
        expect(await folderContains(dir, h.ciphertext.slice(2)), `node ${k}'s ciphertext on node ${i}`).toEqual([])
        expect(await folderContains(dir, h.dataKey), `node ${k}'s data key on node ${i}`).toEqual([])
        expect(await folderContains(dir, h.dataKey.toString('hex')), `node ${k}'s data key (hex) on node ${i}`).toEqual([])
      }
      expect(await folderContains(dir, SECRET), `plaintext on node ${i}`).toEqual([])
      // The subject stays only in the access log (the evidence of who read what, by design).
      expect((await folderContains(dir, SUBJECT)).filter((f) => !f.includes(`${join('private', 'access-log')}`)), `subject on node ${i}`).toEqual([])
      const scan = await dataCli(['verify-erasure', String(requestId), '--data-dir', dir, '--text', SECRET])
      expect(scan.code, scan.stderr + scan.stdout).toBe(0)
      expect(JSON.parse(scan.stdout)).toMatchObject({ clean: true, findings: [] })
      expect(JSON.parse(scan.stdout).fingerprints).toBeGreaterThan(0)
    }
  }, 90_000)

  it('a member whose confirmation fails (minimum gas price, no balance) confirms by itself once funded', async () => {
    // The lab now asks a gas price of 1 wei: its privacy transactions pay it, and its node key holds nothing.
    await net.stop(LAB)
    const cfgFile = join(net.nodes[LAB]!.dataDir, 'config.json')
    const cfg = JSON.parse(await readFile(cfgFile, 'utf8')) as Record<string, unknown>
    await writeFileAsync(cfgFile, JSON.stringify({ ...cfg, txpool: { ...(cfg.txpool as object), minGasPrice: 1 } }))
    await net.start(LAB)
    await waitFor('the lab back in the network', async () => (await call<unknown[]>(HOSPITAL, 'priv_putRecord', [{ collection: 'patients', key: 'p-10', subject: 'subj-gas', purposes: ['treatment'], data: 'gas-test' }])).result !== undefined, 30_000)
    await waitFor('the lab to hold p-10', async () => (await call(LAB, 'priv_getRecord', ['patients', 'p-10', 'treatment'])).result !== undefined, 30_000)
    const { requestId } = await ok<{ requestId: number }>(HOSPITAL, 'priv_deleteRecord', ['patients', 'p-10'])
    const lab = net.nodes[LAB]!.address
    const failing = await waitFor(
      'the lab to erase and fail to confirm',
      async () => {
        const s = await ok<{ thisNode: { request: number; attempts: number; lastError?: string }[] }>(LAB, 'priv_getErasureStatus', ['patients', 'p-10'])
        return s.thisNode.find((t) => t.request === requestId && t.attempts >= 1)
      },
      30_000,
    )
    expect(failing.lastError).toMatch(/insufficient|balance|funds/i)
    const before = await waitFor('the other members to confirm', async () => {
      const s = await ok<{ confirmations: Address[]; members: { node: Address; status: string; pendingSince?: number }[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-10'])
      return s.confirmations.length === 2 ? s : undefined
    })
    expect(before.members.find((m) => m.node === lab)).toMatchObject({ status: 'pending', pendingSince: expect.any(Number) })
    expect((await call(LAB, 'priv_getRecord', ['patients', 'p-10', 'treatment'])).error?.message).toMatch(/was erased/)
    // The cause is fixed (the lab's node key is funded); nobody touches the lab.
    const funder = net.accounts[LAB]! // the lab party's admin: a registered account
    const nonce = Number(await ok<Hex>(HOSPITAL, 'eth_getTransactionCount', [funder.address, 'pending']))
    const raw = await privateKeyToAccount(funder.privateKey as Hex).signTransaction({ type: 'legacy', chainId: 1337, nonce, gasPrice: 1n, gas: 21_000n, to: lab, value: 10n ** 18n })
    await ok(HOSPITAL, 'eth_sendRawTransaction', [raw])
    await waitFor('the lab to confirm on its own', async () => (await ok<{ confirmations: Address[] }>(HOSPITAL, 'priv_getErasureStatus', ['patients', 'p-10'])).confirmations.includes(lab), 90_000)
    expect((await ok<{ thisNode: unknown[] }>(LAB, 'priv_getErasureStatus', ['patients', 'p-10'])).thisNode).toEqual([])
  }, 180_000)

  it('the non-member node stored nothing: no record, no pending envelope, no tombstone; asking a member for the collection secret is refused', async () => {
    await net.stop(OUTSIDER)
    // The outsider's own node key (an active node, just not of a member party) asks the keeper directly.
    const key = await readKeyFile(join(net.nodes[OUTSIDER]!.dataDir, 'node.key'))
    const genesis = await ok<{ hash: Hex }>(HOSPITAL, 'eth_getBlockByNumber', ['0x0', false])
    const host = new P2PHost({ privateKey: key, chainId: 1337n, genesisHash: genesis.hash, isAllowed: () => true, proxy: false })
    await host.start()
    try {
      const hospital = net.nodes[HOSPITAL]!
      await host.connect(hospital.p2pUrl!, hospital.address)
      const refused = await host.request(hospital.address, 'private/collection-key', new TextEncoder().encode(JSON.stringify({ collection: 'patients' })), 10_000).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(RemoteRequestError)
      expect((refused as RemoteRequestError).remoteCode).toBe('PRIVATE_NOT_MEMBER')
    } finally {
      await host.stop()
    }
    const store = await openPrivateStore(join(net.nodes[OUTSIDER]!.dataDir, 'private'), await readKeyFile(join(net.nodes[OUTSIDER]!.dataDir, 'node.key')))
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
