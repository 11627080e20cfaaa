import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
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
})
