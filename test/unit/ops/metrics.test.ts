/**
 * ops/metrics.ts and the pieces of node-metrics.ts that need no node: metrics live on the registry
 * passed in, scrape hooks run once per scrape and a failing one does not cost the scrape, running
 * totals become counters, penalty reasons keep a bounded set of labels, and the data folder is
 * measured like `du` at most once per interval.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Counter, register as globalRegistry, Registry } from 'prom-client'
import { createMetrics } from '../../../src/ops/metrics.js'
import { directoryBytes, DiskUsage, penaltyKind, Totals } from '../../../src/ops/node-metrics.js'
import { tempDir } from '../../helpers/tmp.js'
import { parsePromText, valueOf } from './prom-text.js'

describe('createMetrics', () => {
  it('declares every metric on the registry passed in, not on the global one', async () => {
    const globalBefore = globalRegistry.getMetricsAsArray().length
    const a = createMetrics(new Registry())
    const b = createMetrics(new Registry())
    expect(globalRegistry.getMetricsAsArray().length).toBe(globalBefore)
    const names = a.registry.getMetricsAsArray().map((m) => m.name)
    expect(names).toEqual(b.registry.getMetricsAsArray().map((m) => m.name))
    for (const name of ['ethereum_blockchain_height', 'ethereum_peer_count', 'ethereum_best_known_block_number', 'quorate_validator_last_sealed_block', 'process_cpu_seconds_total']) {
      expect(names).toContain(name)
    }
    // Every metric has help text; counters end in _total.
    for (const { help, type, name } of await a.registry.getMetricsAsJSON()) {
      expect(help.length, name).toBeGreaterThan(10)
      if (String(type) === 'counter') expect(name, name).toMatch(/_total$/)
    }
    a.chain.height.set(7)
    expect(valueOf(parsePromText(await a.registry.metrics()), 'ethereum_blockchain_height')).toBe(7)
    expect(valueOf(parsePromText(await b.registry.metrics()), 'ethereum_blockchain_height')).toBe(0)
  })

  it('leaves out process metrics when asked', () => {
    const names = createMetrics(new Registry(), { processMetrics: false }).registry.getMetricsAsArray().map((m) => m.name)
    expect(names.some((n) => n.startsWith('process_') || n.startsWith('nodejs_'))).toBe(false)
  })

  it('runs the scrape hooks once per scrape, before any value is read', async () => {
    const metrics = createMetrics(new Registry(), { processMetrics: false })
    let runs = 0
    metrics.onScrape(async () => {
      runs++
      await new Promise((r) => setTimeout(r, 5))
      metrics.chain.height.set(runs * 10)
      metrics.p2p.peers.set(runs)
    })
    let s = parsePromText(await metrics.registry.metrics())
    expect(runs).toBe(1)
    expect(valueOf(s, 'ethereum_blockchain_height')).toBe(10)
    expect(valueOf(s, 'ethereum_peer_count')).toBe(1)
    s = parsePromText(await metrics.registry.metrics())
    expect(runs).toBe(2)
    expect(valueOf(s, 'ethereum_blockchain_height')).toBe(20)
  })

  it('keeps serving a scrape when one hook throws, and reports the error', async () => {
    const errors: unknown[] = []
    const metrics = createMetrics(new Registry(), { processMetrics: false, onHookError: (err) => errors.push(err) })
    metrics.onScrape(() => {
      throw new Error('source down')
    })
    const remove = metrics.onScrape(() => metrics.chain.height.set(42))
    const s = parsePromText(await metrics.registry.metrics())
    expect(valueOf(s, 'ethereum_blockchain_height')).toBe(42)
    expect(errors).toHaveLength(1)
    remove()
    metrics.chain.height.set(1)
    expect(valueOf(parsePromText(await metrics.registry.metrics()), 'ethereum_blockchain_height')).toBe(1)
  })
})

describe('Totals', () => {
  it('adds the increase of a running total to a counter, and takes a total that went down as restarted', async () => {
    const registry = new Registry()
    const counter = new Counter({ name: 'x_total', help: 'x', labelNames: ['peer'], registers: [registry] })
    const totals = new Totals()
    totals.follow(counter, 'a', 100, { peer: 'a' })
    totals.follow(counter, 'a', 150, { peer: 'a' })
    totals.follow(counter, 'a', 30, { peer: 'a' }) // restarted at 0 and reached 30
    const read = async () => valueOf(parsePromText(await registry.metrics()), 'x_total', { peer: 'a' })
    expect(await read()).toBe(180)
    totals.restart('a')
    totals.follow(counter, 'a', 40, { peer: 'a' }) // forgotten: all 40 are new
    expect(await read()).toBe(220)
  })
})

describe('penaltyKind', () => {
  it('keeps the kind and a code, and drops variable details', () => {
    expect(penaltyKind('consensus: FUTURE_ROUND')).toBe('consensus: FUTURE_ROUND')
    expect(penaltyKind('invalid frame: TRUNCATED')).toBe('invalid frame: TRUNCATED')
    expect(penaltyKind('invalid sync response: block 12: lacks a quorum')).toBe('invalid sync response')
    expect(penaltyKind('invalid transaction: NONCE_TOO_LOW')).toBe('invalid transaction: NONCE_TOO_LOW')
    expect(penaltyKind('bad status message')).toBe('bad status message')
  })
})

describe('disk usage', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    tmp = await tempDir()
    await mkdir(join(tmp.dir, 'chain', 'sub'), { recursive: true })
    await writeFile(join(tmp.dir, 'chain', 'a.ldb'), Buffer.alloc(10_000, 1))
    await writeFile(join(tmp.dir, 'chain', 'sub', 'b.log'), Buffer.alloc(20_000, 1))
    await writeFile(join(tmp.dir, 'outside.bin'), Buffer.alloc(50_000, 1))
  })
  afterAll(() => tmp?.cleanup())

  it('counts the files under the chain folder, recursively, and nothing outside it', async () => {
    const bytes = await directoryBytes(join(tmp.dir, 'chain'))
    // Allocated blocks: at least the data, at most a few filesystem blocks more per file.
    expect(bytes).toBeGreaterThanOrEqual(30_000)
    expect(bytes).toBeLessThan(50_000)
    expect(await directoryBytes(join(tmp.dir, 'missing'))).toBe(0)
  })

  it('measures at most once per interval', async () => {
    let now = 1_000_000
    const usage = new DiskUsage(tmp.dir, 30_000, () => now)
    const first = await usage.read()
    expect(first!.filesystem!.available).toBeGreaterThan(0)
    await writeFile(join(tmp.dir, 'chain', 'c.ldb'), Buffer.alloc(100_000, 1))
    now += 29_000
    expect((await usage.read())!.chainBytes).toBe(first!.chainBytes)
    now += 2_000
    expect((await usage.read())!.chainBytes).toBeGreaterThanOrEqual(first!.chainBytes + 100_000)
  })
})
