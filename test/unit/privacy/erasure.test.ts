import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import { afterEach, describe, expect, it } from 'vitest'
import { generatePrivateKey } from '../../../src/crypto/keys.js'
import { generateEncryptionKey, seal } from '../../../src/privacy/envelope.js'
import { appendReceipt, findText, readReceipt, scanForErased } from '../../../src/privacy/erasure-proof.js'
import { defaultKeyWrapper, KeyVault, localKeyWrapper } from '../../../src/privacy/key-vault.js'
import { encodeRecord, type PrivateRecord } from '../../../src/privacy/record.js'
import { PrivateStore } from '../../../src/privacy/store.js'
import { tempDir } from '../../helpers/tmp.js'

const WRITER = '0x00000000000000000000000000000000000000aa'
const PEER = '0x00000000000000000000000000000000000000bb'

function record(key: string, data: string, subject = 'BSN-123456782'): PrivateRecord {
  return { collection: 'patients', key, subject, purposes: ['treatment'], expiresAt: 2_000_000_000, data, writer: WRITER, writtenAt: 1_700_000_000, salt: `0x${'11'.repeat(32)}` }
}

/** Every file under `dir` (LevelDB .log and .ldb included) that holds `needle`. */
async function filesWith(dir: string, needle: Uint8Array | string): Promise<string[]> {
  const n = typeof needle === 'string' ? Buffer.from(needle) : Buffer.from(needle)
  const out: string[] = []
  for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue
    if ((await readFile(join(f.parentPath, f.name))).includes(n)) out.push(join(f.parentPath, f.name))
  }
  return out
}

describe('erasure: crypto-shredding, physical deletion, proof', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  async function open() {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const dir = join(tmp.dir, 'private')
    await mkdir(dir, { mode: 0o700 })
    const vault = await KeyVault.open(join(dir, 'keys'), localKeyWrapper(new Uint8Array(32).fill(7), 'test'))
    const store = await PrivateStore.open(join(dir, 'records'), vault)
    return { dir, vault, store }
  }

  it('keeps data keys out of the record store, wrapped, in 0600 files of a 0700 folder', async () => {
    const { dir, vault, store } = await open()
    await store.put(record('k1', 'PLAIN-one'))
    const wrapped = (await vault.raw('patients!k1'))!
    const dataKey = (await vault.get('patients!k1'))!
    expect(dataKey.length).toBe(32)
    expect(await filesWith(join(dir, 'records'), dataKey)).toEqual([])
    expect(await filesWith(join(dir, 'records'), bytesToHex(dataKey).slice(2))).toEqual([])
    expect(await filesWith(join(dir, 'keys'), dataKey)).toEqual([])
    expect((await filesWith(join(dir, 'keys'), wrapped)).length).toBe(1)
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, 'records'))).mode & 0o777).toBe(0o700)
    for (const sub of ['keys', 'records']) {
      for (const f of await readdir(join(dir, sub))) if (f !== 'LOCK') expect({ f, mode: (await stat(join(dir, sub, f))).mode & 0o777 }).toEqual({ f, mode: 0o600 })
    }
    // Another KEK (another node key) cannot unwrap it.
    const other = await KeyVault.open(join(dir, 'keys'), await defaultKeyWrapper(join(dir, 'keys'), generatePrivateKey(), undefined))
    await expect(other.get('patients!k1')).rejects.toThrow(/does not unwrap/)
    await store.close()
  })

  it('after erasure, no file of the folder holds the ciphertext, data key or envelopes, without a restart', async () => {
    const { dir, vault, store } = await open()
    const victims = ['k1', 'k2', 'k3']
    const seqs: { what: string; bytes: Uint8Array | string }[] = []
    const peer = generateEncryptionKey()
    for (const k of victims) {
      await store.put(record(k, `PLAIN-${k}`))
      const envelope = seal(peer.publicKey, encodeRecord(record(k, `PLAIN-${k}`)), new Uint8Array())
      await store.addPending({ node: PEER, collection: 'patients', key: k, envelope })
      const c = (await store.rawPart('c', 'patients', k))!
      const dk = (await vault.get(`patients!${k}`))!
      seqs.push({ what: `ciphertext ${k}`, bytes: c.slice(2) }, { what: `data key ${k}`, bytes: dk }, { what: `wrapped key ${k}`, bytes: (await vault.raw(`patients!${k}`))! }, { what: `envelope ${k}`, bytes: envelope.ct.slice(2) })
    }
    await store.put(record('keep', 'PLAIN-keep', 'BSN-999999990'))
    // Positive control: before erasure every sequence is on disk (.log or .ldb).
    for (const s of seqs.filter((x) => !x.what.startsWith('data key'))) expect({ what: s.what, found: (await filesWith(dir, s.bytes)).length > 0 }).toEqual({ what: s.what, found: true })
    const proofs = await store.erase(
      victims.map((k, i) => ({ collection: 'patients', key: k, recordHash: `0x${'ab'.repeat(32)}` as const, confirm: { keyId: `0x${String(i).repeat(64)}` as const, request: 7 } })),
      'erasure request 7',
      100,
    )
    for (const s of seqs) expect({ what: s.what, files: await filesWith(dir, s.bytes) }).toEqual({ what: s.what, files: [] })
    // Nor the record keys or subject (tombstones are keyed by hash; metadata is gone).
    expect(await filesWith(dir, 'BSN-123456782')).toEqual([])
    expect(await filesWith(dir, 'patients!k1')).toEqual([])
    // The store still works, without a restart, and the kept record is intact.
    expect((await store.get('patients', 'keep'))?.data).toBe('PLAIN-keep')
    expect(await store.get('patients', 'k1')).toBeUndefined()
    expect(await store.tombstone('patients', 'k2')).toMatchObject({ reason: 'erasure request 7' })
    expect((await store.toConfirm()).map((t) => t.request)).toEqual([7, 7, 7])
    expect(await store.allPending()).toEqual([])
    // The proof: fingerprints of what was destroyed, and a scan that finds none of it.
    await mkdir(join(dir, 'erasures'), { mode: 0o700 })
    await appendReceipt(dir, 7, proofs.map((p) => ({ ...p, erasedAt: 100, reason: 'erasure request 7' })))
    const receipt = (await readReceipt(dir, 7))!
    expect(receipt.records.length).toBe(3)
    expect(JSON.stringify(receipt)).not.toContain('BSN-123456782')
    const scan = await scanForErased(dir, receipt, ['PLAIN-k1', 'BSN-123456782'])
    expect(scan).toMatchObject({ clean: true, findings: [] })
    expect(scan.filesScanned).toBeGreaterThan(3)
    await store.close()
  })

  it('the scan finds a surviving fragment of an erased ciphertext, or a given text, and says where', async () => {
    const { dir, vault, store } = await open()
    await store.put(record('k1', 'PLAIN-k1'))
    const c = (await store.rawPart('c', 'patients', 'k1'))!
    const dk = (await vault.get('patients!k1'))!
    const proofs = await store.erase([{ collection: 'patients', key: 'k1', recordHash: `0x${'ab'.repeat(32)}` }], 'erasure request 3', 100)
    await mkdir(join(dir, 'erasures'))
    await appendReceipt(dir, 3, proofs.map((p) => ({ ...p, erasedAt: 100, reason: 'r' })))
    const receipt = (await readReceipt(dir, 3))!
    // A backup copy of 70 bytes from the middle of the ciphertext, a raw key in another file, a subject in a log.
    await writeFile(join(dir, 'backup.bin'), Buffer.concat([Buffer.from('junk'), Buffer.from(c.slice(40, 110)), Buffer.from('tail')]))
    await writeFile(join(dir, 'keys.bak'), Buffer.concat([Buffer.alloc(5), Buffer.from(dk)]))
    await writeFile(join(dir, 'app.log'), '{"subject":"BSN-123456782"}')
    const scan = await scanForErased(dir, receipt, ['BSN-123456782'])
    expect(scan.clean).toBe(false)
    expect(scan.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'backup.bin', what: expect.stringMatching(/^ciphertext/) }),
        expect.objectContaining({ file: 'keys.bak', offset: 5, what: expect.stringMatching(/^data key/) }),
        expect.objectContaining({ file: 'app.log', what: 'text #1' }),
      ]),
    )
    await store.close()
  })

  it('a text is found as a whole word, JSON-escaped or hex, but not inside a longer run of letters and digits (a hash key)', () => {
    expect(findText(Buffer.from('{"salary":61234,"name":"A"}'), '61234')).toBe(10)
    expect(findText(Buffer.from('salary 61234'), '61234')).toBe(7)
    expect(findText(Buffer.from('61234'), '61234')).toBe(0)
    expect(findText(Buffer.from(`x${Buffer.from('61234').toString('hex')}y`), '61234')).toBe(1)
    expect(findText(Buffer.from('{"n":"Anneke \\"A\\" Visser"}'), 'Anneke "A" Visser')).toBe(6)
    // A trie node's key: the digits occur, but inside a hex hash.
    expect(findText(Buffer.from('b:9f3a61234c0d'), '61234')).toBe(-1)
    expect(findText(Buffer.from('b:9f3a61234c0d then 61234.'), '61234')).toBe(20)
    // A text that starts or ends with punctuation keeps that end unbounded.
    expect(findText(Buffer.from('a-1968-03-14-b'), '-1968-03-14')).toBe(1)
    expect(findText(Buffer.from('a-1968-03-14b'), '-1968-03-14')).toBe(-1)
  })

  it('a subject kept by the access log is reported as retained, not as a finding; a ciphertext fragment there still is one', async () => {
    const { dir, store } = await open()
    await store.put(record('k1', 'PLAIN-k1'))
    const c = (await store.rawPart('c', 'patients', 'k1'))!
    const proofs = await store.erase([{ collection: 'patients', key: 'k1', recordHash: `0x${'ab'.repeat(32)}` }], 'erasure request 4', 100)
    await mkdir(join(dir, 'erasures'))
    await appendReceipt(dir, 4, proofs.map((p) => ({ ...p, erasedAt: 100, reason: 'r' })))
    const receipt = (await readReceipt(dir, 4))!
    await mkdir(join(dir, 'access-log'))
    await writeFile(join(dir, 'access-log', '000003.log'), '{"subject":"BSN-123456782","action":"read"}')
    const kept = await scanForErased(dir, receipt, ['BSN-123456782'])
    expect(kept).toMatchObject({ clean: true, findings: [], retained: [{ file: join('access-log', '000003.log'), what: 'text #1' }] })
    await writeFile(join(dir, 'access-log', '000004.log'), Buffer.from(c.slice(40, 110)))
    const leaked = await scanForErased(dir, receipt, ['BSN-123456782'])
    expect(leaked.clean).toBe(false)
    expect(leaked.findings).toEqual([expect.objectContaining({ file: join('access-log', '000004.log'), what: expect.stringMatching(/^ciphertext/) })])
    await store.close()
  })

  it('a confirmation marker survives until settled, with attempts and backoff', async () => {
    const { store } = await open()
    await store.markToConfirm([{ collection: 'patients', keyId: `0x${'01'.repeat(32)}`, request: 2, since: 50 }])
    const [t] = await store.toConfirm()
    await store.settleConfirm([t!], { ok: false, error: 'transaction underpriced', nextAttemptAt: 1234 })
    expect(await store.toConfirm()).toEqual([{ ...t, attempts: 1, nextAttemptAt: 1234, lastError: 'transaction underpriced' }])
    await store.settleConfirm(await store.toConfirm(), { ok: true })
    expect(await store.toConfirm()).toEqual([])
    await store.close()
  })
})

describe('store written before the key vault', () => {
  it('moves data keys into the vault and tombstones to hashed keys, and rewrites the old bytes away', async () => {
    const tmp = await tempDir()
    try {
      const dir = join(tmp.dir, 'private')
      const { ClassicLevel } = await import('classic-level')
      const vault = await KeyVault.open(join(dir, 'keys'), localKeyWrapper(new Uint8Array(32).fill(9), 'test'))
      // Write through a current store, then put it back in the old layout (key beside the ciphertext).
      const current = await PrivateStore.open(join(dir, 'records'), vault)
      await current.put(record('k1', 'PLAIN-old'))
      const dataKey = (await vault.get('patients!k1'))!
      await current.close()
      await vault.destroy('patients!k1')
      const reopened = new ClassicLevel<string, string>(join(dir, 'records'), { valueEncoding: 'utf8', compression: false })
      await reopened.open()
      await reopened.put('k!patients!k1', bytesToHex(dataKey))
      await reopened.put('e!patients!gone-key', JSON.stringify({ recordHash: `0x${'ab'.repeat(32)}`, erasedAt: 1, reason: 'r' }))
      await reopened.close()
      expect((await filesWith(join(dir, 'records'), bytesToHex(dataKey).slice(2))).length).toBeGreaterThan(0)
      const store = await PrivateStore.open(join(dir, 'records'), vault)
      expect((await store.get('patients', 'k1'))?.data).toBe('PLAIN-old')
      expect(await store.tombstone('patients', 'gone-key')).toMatchObject({ reason: 'r' })
      expect(await filesWith(join(dir, 'records'), bytesToHex(dataKey).slice(2))).toEqual([])
      expect(await filesWith(join(dir, 'records'), 'gone-key')).toEqual([])
      await store.close()
    } finally {
      await tmp.cleanup()
    }
  })
})
