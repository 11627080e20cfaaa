import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { AccessLog, verifyAccessLogExport, type AccessEntry, type AccessEvent } from '../../../src/privacy/access-log.js'
import { tempDir } from '../../helpers/tmp.js'

const ev = (subject: string, outcome: 'granted' | 'refused' = 'granted', purpose = 'treatment'): AccessEvent => ({
  party: 'hospital',
  collection: 'patients',
  key: `k-${subject}`,
  subject,
  purpose,
  action: 'read',
  outcome,
  reason: outcome === 'refused' ? 'purpose not allowed' : '',
})

describe('access log', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  async function openLog() {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const key = generatePrivateKey()
    return { log: await AccessLog.open(join(tmp.dir, 'log'), key, () => 1000), key }
  }

  it('chains entries globally and per subject, and exports a signed, verifiable slice', async () => {
    const { log, key } = await openLog()
    const a0 = await log.append(ev('alice'))
    const b0 = await log.append(ev('bob'))
    const a1 = await log.append(ev('alice', 'refused', 'marketing'))
    expect([a0.seq, b0.seq, a1.seq]).toEqual([0, 1, 2])
    expect(b0.prev).toBe(a0.hash)
    expect(a1.prev).toBe(b0.hash)
    expect(a1.subjectPrev).toBe(a0.hash)
    expect(await log.verify()).toEqual({ valid: true, errors: [] })
    const x = await log.exportSubject('alice')
    expect(x.entries.map((e) => e.outcome)).toEqual(['granted', 'refused'])
    expect(x.node).toBe(privateKeyToAddress(key))
    expect(verifyAccessLogExport(JSON.parse(JSON.stringify(x)), privateKeyToAddress(key))).toEqual({ valid: true, errors: [] })
    expect(verifyAccessLogExport(x, '0x00000000000000000000000000000000000000aa').valid).toBe(false)
    await log.close()
  })

  it('records the API caller in the entry and its hash: a changed or removed caller fails verification', async () => {
    const { log } = await openLog()
    await log.append({ ...ev('alice'), caller: 'apiKey:insurer-ops@10.0.0.7' })
    const x = await log.exportSubject('alice')
    expect(x.entries[0]!.caller).toBe('apiKey:insurer-ops@10.0.0.7')
    expect(verifyAccessLogExport(x).valid).toBe(true)
    const renamed = structuredClone(x)
    renamed.entries[0]!.caller = 'anonymous@10.0.0.7'
    expect(verifyAccessLogExport(renamed).errors).toContain('entry 0 (seq 0): its hash does not match its content')
    const dropped = structuredClone(x)
    delete dropped.entries[0]!.caller
    expect(verifyAccessLogExport(dropped).valid).toBe(false)
    await log.close()
  })

  it('a modified, removed or truncated export fails verification', async () => {
    const { log } = await openLog()
    for (let i = 0; i < 3; i++) await log.append(ev('alice', i === 1 ? 'refused' : 'granted'))
    const x = await log.exportSubject('alice')
    const edited = structuredClone(x)
    edited.entries[1]!.outcome = 'granted'
    expect(verifyAccessLogExport(edited).errors).toContain('entry 1 (seq 1): its hash does not match its content')
    const removed = structuredClone(x)
    removed.entries.splice(1, 1)
    removed.count = 2
    expect(verifyAccessLogExport(removed).valid).toBe(false)
    const truncated = structuredClone(x)
    truncated.entries.pop()
    expect(verifyAccessLogExport(truncated).valid).toBe(false)
    // Re-hashing an edited entry does not help: the links and the signature no longer match.
    const rehashed = structuredClone(x)
    rehashed.entries[2]!.purpose = 'marketing'
    const { entryHash } = await import('../../../src/privacy/access-log.js')
    const { hash: _h, ...body } = rehashed.entries[2]!
    rehashed.entries[2]!.hash = entryHash(body)
    rehashed.head = rehashed.entries[2]!.hash
    expect(verifyAccessLogExport(rehashed).errors).toContain("the signature is not the node's over this head and count")
    await log.close()
  })

  it('a tampered entry in the database fails the full verification', async () => {
    const { log } = await openLog()
    await log.append(ev('alice'))
    await log.append(ev('bob'))
    const raw = await log.raw.get('l!000000000000')
    const entry = JSON.parse(raw!) as AccessEntry
    await log.raw.put('l!000000000000', JSON.stringify({ ...entry, purpose: 'marketing' }))
    const result = await log.verify()
    expect(result.valid).toBe(false)
    expect(result.errors).toEqual(['entry 0: its hash does not match its content'])
    await log.close()
  })
})
