import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generatePrivateKey } from '../../../src/crypto/keys.js'
import { AccessLog, type AccessEvent } from '../../../src/privacy/access-log.js'
import { LogHeadAnchorer, memoryLogHeadAnchor, type LogHeadAnchor } from '../../../src/privacy/log-anchor.js'
import type { Hex } from '../../../src/types.js'
import { tempDir } from '../../helpers/tmp.js'

const ev: AccessEvent = { party: 'hospital', collection: 'patients', key: 'k', subject: 'alice', purpose: 'treatment', action: 'read', outcome: 'granted', reason: '' }

describe('log head anchorer', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  async function setup(anchorImpl?: (inner: LogHeadAnchor) => LogHeadAnchor) {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const log = await AccessLog.open(join(tmp.dir, 'log'), generatePrivateKey())
    const memory = memoryLogHeadAnchor(log.node)
    const calls: { head: Hex; count: number }[] = []
    const counting: LogHeadAnchor = {
      anchor: async (head, count) => {
        calls.push({ head, count })
        await memory.anchor(head, count)
      },
      latest: (n) => memory.latest(n),
    }
    return { log, memory, calls, anchor: anchorImpl ? anchorImpl(counting) : counting }
  }

  it('anchors every N entries, not when nothing was appended, and the timer catches the rest', async () => {
    const { log, memory, calls, anchor } = await setup()
    const anchorer = new LogHeadAnchorer(log, anchor, { intervalMs: 3_600_000, everyEntries: 3 })
    await anchorer.run()
    expect(calls).toEqual([])
    for (let i = 0; i < 7; i++) {
      const e = await log.append(ev)
      anchorer.appended(e.seq + 1)
      await anchorer.run()
    }
    // First run on an empty log learned count 0; then entries 3 and 6 triggered anchors (the
    // explicit run() calls stand in for the timer and anchor whatever is new).
    expect(calls.at(-1)).toEqual({ ...(await log.head()) })
    expect(memory.heads.get(log.node)?.count).toBe(7)
    const before = calls.length
    await anchorer.run()
    expect(calls.length).toBe(before)
    expect((await log.verify(await memory.latest(log.node))).valid).toBe(true)
    anchorer.stop()
    await log.append(ev)
    await anchorer.run()
    expect(calls.length).toBe(before)
    await log.close()
  })

  it('appends alone anchor at every N entries', async () => {
    const { log, calls, anchor } = await setup()
    const anchorer = new LogHeadAnchorer(log, anchor, { intervalMs: 3_600_000, everyEntries: 3 })
    await anchorer.run()
    for (let i = 0; i < 7; i++) {
      const e = await log.append(ev)
      anchorer.appended(e.seq + 1)
      await anchorer.settled()
    }
    expect(calls.map((c) => c.count)).toEqual([3, 6])
    await log.close()
  })

  it('a failing chain does not break the log: the anchor is retried at the next trigger', async () => {
    let fail = true
    const { log, calls, anchor } = await setup((inner) => ({
      anchor: (h, c) => (fail ? Promise.reject(new Error('anchorAccessLogHead refused')) : inner.anchor(h, c)),
      latest: (n) => inner.latest(n),
    }))
    const anchorer = new LogHeadAnchorer(log, anchor, { intervalMs: 3_600_000, everyEntries: 1 })
    await log.append(ev)
    await anchorer.run()
    expect(calls).toEqual([])
    fail = false
    await anchorer.run()
    expect(calls.map((c) => c.count)).toEqual([1])
    await log.close()
  })
})
