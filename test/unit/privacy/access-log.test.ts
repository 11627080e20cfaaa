import { cp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { AccessLog, HEAD_FILE, entryHash, verifyAccessLogExport, type AccessEntry, type AccessEvent, type Verification } from '../../../src/privacy/access-log.js'
import { memoryLogHeadAnchor } from '../../../src/privacy/log-anchor.js'
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

const VALID: Verification = { valid: true, errors: [] }

describe('access log', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  async function folder() {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    return tmp.dir
  }

  async function openLog() {
    const dir = join(await folder(), 'log')
    const key = generatePrivateKey()
    return { log: await AccessLog.open(dir, key, () => 1000), key, dir }
  }

  it('chains entries globally and per subject, signs each, and exports a signed, verifiable slice', async () => {
    const { log, key } = await openLog()
    const a0 = await log.append(ev('alice'))
    const b0 = await log.append(ev('bob'))
    const a1 = await log.append(ev('alice', 'refused', 'marketing'))
    expect([a0.seq, b0.seq, a1.seq]).toEqual([0, 1, 2])
    expect(b0.prev).toBe(a0.hash)
    expect(a1.prev).toBe(b0.hash)
    expect(a1.subjectPrev).toBe(a0.hash)
    expect(a0.sig).toMatch(/^0x[0-9a-f]{130}$/)
    expect(await log.verify()).toEqual(VALID)
    const x = await log.exportSubject('alice')
    expect(x.entries.map((e) => e.outcome)).toEqual(['granted', 'refused'])
    expect(x.node).toBe(privateKeyToAddress(key))
    expect([x.from, x.count, x.head, x.digests.length]).toEqual([0, 3, a1.hash, 3])
    expect(verifyAccessLogExport(JSON.parse(JSON.stringify(x)), privateKeyToAddress(key))).toEqual(VALID)
    expect(verifyAccessLogExport(x, '0x00000000000000000000000000000000000000aa').valid).toBe(false)
    // Bob's export starts at his first entry and holds only digests of Alice's entries.
    const xb = await log.exportSubject('bob')
    expect([xb.from, xb.entries.length, xb.digests.length]).toEqual([1, 1, 2])
    expect(JSON.stringify(xb)).not.toContain('alice')
    expect(verifyAccessLogExport(xb)).toEqual(VALID)
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
    expect(verifyAccessLogExport(removed).errors.join('\n')).toMatch(/an entry of this subject was removed/)
    const truncated = structuredClone(x)
    truncated.entries.pop()
    truncated.digests.pop()
    truncated.count = 2
    expect(verifyAccessLogExport(truncated).valid).toBe(false)
    // Re-hashing an edited entry does not help: its signature, the chain and the export signature no longer match.
    const rehashed = structuredClone(x)
    rehashed.entries[2]!.purpose = 'marketing'
    rehashed.entries[2]!.hash = entryHash(rehashed.entries[2]!)
    rehashed.head = rehashed.entries[2]!.hash
    const errors = verifyAccessLogExport(rehashed).errors
    expect(errors).toContain("entry 2 (seq 2): its signature is not the node's")
    expect(errors).toContain("the signature is not the node's over this head and count")
    await log.close()
  })

  it('an entry re-hashed and signed by another key fails the full verification', async () => {
    const { log } = await openLog()
    await log.append(ev('alice'))
    await log.append(ev('bob'))
    const entry = JSON.parse((await log.raw.get('l!000000000001'))!) as AccessEntry
    const { AccessLog: Other } = await import('../../../src/privacy/access-log.js')
    const otherDir = join(await folder(), 'other')
    const other = await Other.open(otherDir, generatePrivateKey(), () => 1000)
    const forged = await other.append(ev('bob'))
    await other.close()
    // Same content and hash as the real entry, but another key's signature.
    await log.raw.put('l!000000000001', JSON.stringify({ ...entry, sig: forged.sig }))
    expect((await log.verify()).errors).toEqual(["entry 1: its signature is not the node's"])
    await log.close()
  })

  it('a tampered entry, a sequence gap, a missing tail and an unparseable entry each give a verdict, never a crash', async () => {
    const { log } = await openLog()
    for (const s of ['alice', 'bob', 'carol', 'dave']) await log.append(ev(s))
    expect(await log.verify()).toEqual(VALID)

    const raw0 = (await log.raw.get('l!000000000000'))!
    await log.raw.put('l!000000000000', JSON.stringify({ ...(JSON.parse(raw0) as AccessEntry), purpose: 'marketing' }))
    expect((await log.verify()).errors).toEqual(['entry 0: its hash does not match its content'])
    await log.raw.put('l!000000000000', raw0)

    const raw1 = (await log.raw.get('l!000000000001'))!
    await log.raw.put('l!000000000001', '{"seq":1,"time":')
    const corrupt = await log.verify()
    expect(corrupt.valid).toBe(false)
    expect(corrupt.errors[0]).toMatch(/^entry 1: corrupt/)
    await log.raw.put('l!000000000001', '{"seq":1}')
    expect((await log.verify()).errors[0]).toMatch(/^entry 1: corrupt/)
    // Appending over a corrupt entry fails loudly rather than chaining onto garbage.
    await log.raw.put('l!000000000003', '[]')
    await expect(log.append(ev('erin'))).rejects.toThrow(/corrupt access log entry/)
    await log.raw.put('l!000000000003', '{"seq":3,')
    await expect(log.append(ev('erin'))).rejects.toMatchObject({ code: 'ACCESS_LOG_CORRUPT' })
    await log.raw.put('l!000000000001', raw1)
    await log.raw.del('l!000000000003')
    await log.raw.del('s!dave!000000000003')

    // The tail (entry 3) is gone: the head file still says 4.
    expect((await log.verify()).errors).toEqual(['the log holds 3 entries but 4 were written: its tail is missing'])

    await log.raw.del('l!000000000001')
    expect((await log.verify()).errors).toContain('entries 1 to 1 are missing (a gap in the sequence)')
    await log.close()
  })

  it('a log cut at the file level (the write-ahead log truncated) fails verification', async () => {
    const { log, dir, key } = await openLog()
    for (let i = 0; i < 6; i++) await log.append(ev(i % 2 ? 'alice' : 'bob'))
    await log.close()
    const wal = (await readdir(dir)).find((f) => f.endsWith('.log'))!
    await truncate(join(dir, wal), (await stat(join(dir, wal))).size - 40)
    const reopened = await AccessLog.open(dir, key)
    // LevelDB itself opens quietly with the last entry gone.
    expect((await reopened.entries()).length).toBe(5)
    expect((await reopened.verify()).errors).toEqual(['the log holds 5 entries but 6 were written: its tail is missing'])
    await reopened.close()
  })

  it('a byte changed in any file of the stored log folder fails verification or the open, or leaves every entry intact', async () => {
    const base = await folder()
    const dir = join(base, 'log')
    const key = generatePrivateKey()
    // Two sessions: the first one's entries end up in a table (.ldb) when reopened, the second's in the write-ahead log.
    let log = await AccessLog.open(dir, key)
    for (let i = 0; i < 20; i++) await log.append(ev(`subj-${i % 3}`, i % 4 === 0 ? 'refused' : 'granted'))
    await log.close()
    log = await AccessLog.open(dir, key)
    for (let i = 0; i < 20; i++) await log.append(ev(`subj-${i % 3}`))
    const original = await log.entries()
    await log.close()
    const files = (await readdir(dir)).sort()
    expect(files.some((f) => f.endsWith('.ldb'))).toBe(true)
    expect(files.some((f) => f.endsWith('.log'))).toBe(true)
    expect(files).toEqual(expect.arrayContaining(['CURRENT', HEAD_FILE]))
    expect(files.some((f) => f.startsWith('MANIFEST-'))).toBe(true)

    const verdicts: Record<string, string[]> = {}
    let detected = 0
    for (const file of files) {
      const bytes = await readFile(join(dir, file))
      // LOCK is empty: there is no byte to change.
      if (bytes.length === 0) continue
      const positions = [...new Set([0, 1, ...Array.from({ length: 30 }, (_, k) => Math.floor(((k + 1) * bytes.length) / 31)), bytes.length - 2, bytes.length - 1])].filter((p) => p >= 0 && p < bytes.length)
      for (const p of positions) {
        const copy = join(base, `t-${file}-${p}`)
        await cp(dir, copy, { recursive: true })
        const changed = Buffer.from(bytes)
        changed[p] = changed[p]! ^ 0x5a
        await writeFile(join(copy, file), changed)
        let verdict: string
        let opened: AccessLog | undefined
        try {
          opened = await AccessLog.open(copy, key)
          const v = await opened.verify()
          // A valid verdict is acceptable only if nothing was lost or changed (e.g. LevelDB's own text LOG).
          if (!v.valid) verdict = 'invalid'
          else verdict = JSON.stringify(await opened.entries()) === JSON.stringify(original) ? 'intact' : 'VALID BUT CHANGED'
        } catch (err) {
          verdict = (err as { code?: string }).code === 'ACCESS_LOG_UNAVAILABLE' ? 'open failed' : `threw ${String(err)}`
        } finally {
          await opened?.close().catch(() => undefined)
        }
        expect(verdict, `${file} byte ${p}`).not.toMatch(/^threw|^VALID BUT CHANGED/)
        if (verdict !== 'intact') detected++
        ;(verdicts[file] ??= []).push(`${p}:${verdict}`)
      }
    }
    // Every changed byte of every file that holds the log was caught: a changed entry, a dropped
    // tail (LevelDB's checksum), a lost head, or a refused open. LOG and LOG.old are LevelDB's own
    // text diagnostics: they hold no entry, and the entries stayed intact (checked above).
    for (const [file, v] of Object.entries(verdicts)) {
      if (/^LOG(\.old)?$/.test(file)) continue
      expect(v.filter((x) => x.endsWith(':intact')), `${file}: ${v.join(' ')}`).toEqual([])
    }
    expect(Object.keys(verdicts).filter((f) => !/^LOG(\.old)?$/.test(f)).length).toBeGreaterThanOrEqual(5)
    expect(detected).toBeGreaterThan(100)
  }, 60_000)

  it('a log rewritten without an entry, re-chained and re-signed with the node key, fails against the head anchored on chain', async () => {
    const base = await folder()
    const key = generatePrivateKey()
    const node = privateKeyToAddress(key)
    const anchor = memoryLogHeadAnchor(node)
    const log = await AccessLog.open(join(base, 'log'), key, () => 1000)
    for (let i = 0; i < 5; i++) await log.append(ev(i === 2 ? 'alice' : 'bob', i === 2 ? 'refused' : 'granted'))
    const anchoredHead = await log.head()
    await anchor.anchor(anchoredHead.head, anchoredHead.count)
    await log.append(ev('bob'))
    const events = (await log.entries()).map(({ party, collection, key: k, subject, purpose, action, outcome, reason }) => ({ party, collection, key: k, subject, purpose, action, outcome, reason }))
    expect(await log.verify(await anchor.latest(node))).toEqual(VALID)
    const honestExport = await log.exportSubject('alice', anchoredHead.count)
    expect(verifyAccessLogExport(honestExport, node, await anchor.latest(node))).toEqual(VALID)
    await log.close()

    // The operator drops Alice's refusal and writes the log anew with the same node key: every
    // hash, link, signature and the head file are consistent.
    const forged = await AccessLog.open(join(base, 'forged'), key, () => 1000)
    for (const e of events.filter((e) => e.subject !== 'alice')) await forged.append(e as AccessEvent)
    await forged.append(ev('alice', 'granted'))
    expect(await forged.verify()).toEqual(VALID)
    const latest = await anchor.latest(node)
    const v = await forged.verify(latest)
    expect(v.valid).toBe(false)
    expect(v.errors).toEqual([`entry 4 does not have the hash anchored on chain at block ${latest!.blockNumber}: truncated or rewritten after block ${latest!.blockNumber}`])
    const x = await forged.exportSubject('alice', latest!.count)
    expect(verifyAccessLogExport(x, node)).toEqual(VALID)
    expect(verifyAccessLogExport(x, node, latest).errors.join('\n')).toMatch(/truncated or rewritten after block 1/)
    // An export that starts after the anchor (to dodge it) cannot be checked and fails too.
    const late = await forged.exportSubject('alice')
    expect(late.from).toBe(5)
    expect(verifyAccessLogExport(late, node, latest).errors.join('\n')).toMatch(/after the head anchored on chain at block 1/)
    await forged.close()

    // A log simply cut below the anchored count fails the same way.
    const cut = await AccessLog.open(join(base, 'cut'), key, () => 1000)
    for (const e of events.slice(0, 3)) await cut.append(e as AccessEvent)
    expect((await cut.verify(latest)).errors).toEqual([`the log holds 3 entries but 5 were anchored on chain at block 1: truncated or rewritten after block 1`])
    await cut.close()
  })

  it('verification while entries are appended is valid (it does not stop the log, nor race with it)', async () => {
    const { log } = await openLog()
    let done = false
    const appends = (async () => {
      for (let i = 0; i < 150; i++) await log.append(ev(`s-${i % 5}`))
      done = true
    })()
    const verdicts: Verification[] = []
    while (!done) verdicts.push(await log.verify())
    await appends
    expect(verdicts.length).toBeGreaterThan(5)
    expect(verdicts.filter((v) => !v.valid).map((v) => v.errors.join('; '))).toEqual([])
    expect(await log.verify()).toEqual(VALID)
    await log.close()
  })

  it('a log of the unsigned format is moved aside at open (kept), and a new signed log begins', async () => {
    const dir = join(await folder(), 'log')
    const { ClassicLevel } = await import('classic-level')
    const old = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' })
    const v1 = { seq: 0, time: 1, node: '0x00000000000000000000000000000000000000aa', party: 'p', collection: 'c', key: 'k', subject: 's', purpose: 'x', action: 'read', outcome: 'granted', reason: '', prev: `0x${'00'.repeat(32)}`, subjectPrev: `0x${'00'.repeat(32)}`, hash: `0x${'11'.repeat(32)}` }
    await old.put('l!000000000000', JSON.stringify(v1))
    await old.close()
    const log = await AccessLog.open(dir, generatePrivateKey())
    expect(log.movedAside).toMatch(/log\.v1-\d+$/)
    expect(await log.entries()).toEqual([])
    await log.append(ev('alice'))
    expect(await log.verify()).toEqual(VALID)
    await log.close()
    const kept = new ClassicLevel<string, string>(log.movedAside!, { valueEncoding: 'utf8' })
    expect(JSON.parse((await kept.get('l!000000000000'))!)).toEqual(v1)
    await kept.close()
    // A signed log whose head file is lost is not moved aside: that is a finding, not an upgrade.
    const { rm } = await import('node:fs/promises')
    await rm(join(dir, HEAD_FILE))
    const again = await AccessLog.open(dir, generatePrivateKey())
    expect(again.movedAside).toBeUndefined()
    expect((await again.verify()).errors).toContain(`the head file ${HEAD_FILE} is missing`)
    await again.close()
  })

  it('a missing or corrupt head file is a failed verification', async () => {
    const { log, dir } = await openLog()
    await log.append(ev('alice'))
    await writeFile(join(dir, HEAD_FILE), '{"head":')
    expect((await log.verify()).errors).toEqual([`the head file ${HEAD_FILE} is corrupt: the last written head is unknown`])
    const { rm } = await import('node:fs/promises')
    await rm(join(dir, HEAD_FILE))
    expect((await log.verify()).errors).toEqual([`the head file ${HEAD_FILE} is missing`])
    await log.close()
  })
})
