import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, it } from 'vitest'
import { generateEncryptionKey, seal } from '../../../src/privacy/envelope.js'
import { decodeRecord, encodeRecord, recordHash, type PrivateRecord } from '../../../src/privacy/record.js'
import { openPrivateStore } from '../../../src/privacy/store.js'
import { generatePrivateKey } from '../../../src/crypto/keys.js'
import { tempDir } from '../../helpers/tmp.js'

const WRITER = '0x00000000000000000000000000000000000000aa'

function record(key: string, data: string, over: Partial<PrivateRecord> = {}): PrivateRecord {
  return { collection: 'patients', key, subject: 'subj-1', purposes: ['treatment'], expiresAt: 2_000_000_000, data, writer: WRITER, writtenAt: 1_700_000_000, salt: `0x${'11'.repeat(32)}`, ...over }
}

async function folderContains(dir: string, needle: string): Promise<boolean> {
  for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue
    const buf = await readFile(join(f.parentPath, f.name))
    if (buf.includes(Buffer.from(needle))) return true
  }
  return false
}

describe('private record and store', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  it('the record hash covers every field and the encoding round-trips', () => {
    const r = record('k1', 'x')
    expect(decodeRecord(encodeRecord(r))).toEqual(r)
    expect(recordHash(r)).not.toBe(recordHash({ ...r, data: 'y' }))
    expect(recordHash(r)).not.toBe(recordHash({ ...r, salt: `0x${'22'.repeat(32)}` }))
    expect(recordHash(r)).not.toBe(recordHash({ ...r, purposes: ['billing'] }))
  })

  it('stores records encrypted at rest, lists them and reads them back', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const store = await openPrivateStore(join(tmp.dir, 'private'), generatePrivateKey())
    const secret = 'PLAINTEXT-7f3a9c1e-blood-type-AB-negative'
    const meta = await store.put(record('k1', secret))
    await store.put(record('k2', 'other', { collection: 'claims' }))
    expect(meta.recordHash).toBe(recordHash(record('k1', secret)))
    expect((await store.get('patients', 'k1'))?.data).toBe(secret)
    expect((await store.list('patients')).map((m) => m.key)).toEqual(['k1'])
    expect((await store.list()).length).toBe(2)
    expect(await store.get('patients', 'nope')).toBeUndefined()
    await store.compact()
    // Encrypted at rest: the plaintext is nowhere in the files.
    expect(await folderContains(join(tmp.dir, 'private'), secret)).toBe(false)
    await store.close()
  })

  it('erasure removes data, key and pending deliveries from disk and leaves a tombstone', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const dir = join(tmp.dir, 'private')
    const nodeKey = generatePrivateKey()
    const store = await openPrivateStore(dir, nodeKey)
    const r = record('k1', 'erase-me')
    const meta = await store.put(r)
    const peer = generateEncryptionKey()
    const envelope = seal(peer.publicKey, encodeRecord(r), new Uint8Array())
    await store.addPending({ node: '0x00000000000000000000000000000000000000bb', collection: 'patients', key: 'k1', envelope })
    await store.addPending({ node: '0x00000000000000000000000000000000000000bb', collection: 'patients', key: 'k2', envelope })
    await store.compact()
    expect(await folderContains(dir, envelope.ct.slice(2, 42))).toBe(true)
    await store.erase([{ collection: 'patients', key: 'k1', recordHash: meta.recordHash }], 'erasure request 1', 123)
    expect(await store.get('patients', 'k1')).toBeUndefined()
    expect(await store.list()).toEqual([])
    expect(await store.tombstone('patients', 'k1')).toEqual({ recordHash: meta.recordHash, erasedAt: 123, reason: 'erasure request 1' })
    expect((await store.allPending()).map((p) => p.key)).toEqual(['k2'])
    await store.close()
    // The pending envelope for k1 is gone; the one for k2 (same bytes) was kept, so drop it too and check the files.
    const again = await openPrivateStore(dir, nodeKey)
    await again.erase([{ collection: 'patients', key: 'k2', recordHash: meta.recordHash }], 'test', 124)
    await again.close()
    expect(await folderContains(dir, envelope.ct.slice(2, 42))).toBe(false)
    expect(await folderContains(dir, 'subj-1')).toBe(false)
  })

  it('a removal-purge marker survives close and reopen with its kind; markers written before kinds read as deletions', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const dir = join(tmp.dir, 'private')
    const nodeKey = generatePrivateKey()
    const removed = `0x${'ab'.repeat(32)}` as const
    const retention = `0x${'cd'.repeat(32)}` as const
    const store = await openPrivateStore(dir, nodeKey)
    const meta = await store.put(record('k1', 'x'))
    await store.erase([{ ...meta, confirm: { keyId: removed, request: 0, kind: 'removal' } }], 'party removed', 1_700_000_100)
    // A retention purge of the same keyId (also request 0) must not overwrite the removal marker.
    await store.markToConfirm([{ collection: 'patients', keyId: removed, request: 0, since: 1_700_000_200 }])
    await store.close()
    // A marker as written by a node before kinds existed: no `kind` field.
    const raw = new ClassicLevel<string, string>(join(dir, 'records'), { valueEncoding: 'utf8' })
    await raw.put(`t!patients!${'7'.padStart(12, '0')}!${retention}`, JSON.stringify({ collection: 'patients', keyId: retention, request: 7, since: 1_700_000_000, attempts: 2, nextAttemptAt: 5 }))
    await raw.close()

    const again = await openPrivateStore(dir, nodeKey)
    const owed = await again.toConfirm()
    expect(owed).toHaveLength(3)
    expect(owed.find((t) => t.kind === 'removal')).toEqual({ collection: 'patients', keyId: removed, kind: 'removal', request: 0, since: 1_700_000_100, attempts: 0, nextAttemptAt: 0 })
    expect(owed.filter((t) => t.kind === 'deletion').map((t) => t.request).sort()).toEqual([0, 7])
    expect(owed.find((t) => t.request === 7)).toMatchObject({ kind: 'deletion', attempts: 2 })
    // A failed attempt keeps the kind; a success drops only that marker.
    const rm = owed.find((t) => t.kind === 'removal')!
    await again.settleConfirm([rm], { ok: false, error: 'underpriced', nextAttemptAt: 9 })
    expect((await again.toConfirm()).find((t) => t.kind === 'removal')).toMatchObject({ attempts: 1, lastError: 'underpriced', nextAttemptAt: 9 })
    await again.settleConfirm([rm], { ok: true })
    expect((await again.toConfirm()).map((t) => t.kind)).toEqual(['deletion', 'deletion'])
    await again.close()
  })

  it('a copy dropped without a tombstone (consent withdrawn) is gone from disk and may be stored again', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const dir = join(tmp.dir, 'private')
    const store = await openPrivateStore(dir, generatePrivateKey())
    const meta = await store.put(record('k1', 'held-on-consent', { subject: 'subj-consenting' }))
    await store.erase([meta], 'consent withdrawn', 125, { tombstone: false })
    expect(await store.get('patients', 'k1')).toBeUndefined()
    expect(await store.tombstone('patients', 'k1')).toBeUndefined()
    expect(await store.toConfirm()).toEqual([])
    expect(await folderContains(dir, 'subj-consenting')).toBe(false)
    await store.put(record('k1', 'held-on-consent', { subject: 'subj-consenting' }))
    expect((await store.get('patients', 'k1'))?.data).toBe('held-on-consent')
    await store.close()
  })
})
