/**
 * Response budgets (rpc/limits.ts) as the dispatcher applies them: a batch stops running once its
 * response passes rpc.maxResponseBytes, a single result bigger than the budget answers -32005
 * without being serialised whole, a closed client's batch stops, and the node-wide memory of
 * unsent responses refuses big work but still answers small requests.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { RpcDispatcher, type CallScope } from '../../../src/rpc/dispatch.js'
import { ResponseBudget, ResponseMemory, WorkSlots } from '../../../src/rpc/limits.js'
import { method, noParams } from '../../../src/rpc/types.js'

const http = (): CallScope => ({ ctx: { transport: 'http' }, end: () => {} })
const KB = 1024

function fixture() {
  const runs = { big: 0, small: 0 }
  const d = new RpcDispatcher({
    methods: {
      test_big: method(z.tuple([z.number().int()]), ([kb]) => {
        runs.big++
        return 'x'.repeat(kb * KB)
      }),
      test_huge: noParams(() => {
        runs.big++
        // 64 strings of 1 MiB: the serialiser must give up long before building 64 MiB.
        return Array.from({ length: 64 }, () => 'y'.repeat(1024 * KB))
      }),
      test_small: noParams(() => {
        runs.small++
        return '0x1'
      }),
    },
  })
  return { d, runs }
}

const req = (m: string, params: unknown[] = [], id: number | undefined = 1): object => ({ jsonrpc: '2.0', method: m, params, ...(id === undefined ? {} : { id }) })

describe('rpc/limits: response budgets', () => {
  it('a batch past the response budget answers -32005 for the rest, without running them', async () => {
    const { d, runs } = fixture()
    const batch = Array.from({ length: 100 }, (_, i) => req('test_big', [100], i))
    const budget = new ResponseBudget({ maxBytes: 1024 * KB })
    const out = JSON.parse((await d.handle(JSON.stringify(batch), http, { budget }))!) as { id: number; result?: string; error?: { code: number; message: string } }[]
    expect(out).toHaveLength(100)
    const answered = out.filter((r) => r.result !== undefined)
    expect(answered.length).toBe(10)
    expect(out.slice(10).every((r) => r.error?.code === -32005)).toBe(true)
    expect(out[99]!.error!.message).toMatch(/rpc\.maxResponseBytes.*split the batch/)
    expect(runs.big).toBe(11) // the 11th was built, found too big and dropped; the other 89 never ran
  })

  it('a single result bigger than the budget answers -32005, and the budget stops its serialisation early', async () => {
    const { d } = fixture()
    const budget = new ResponseBudget({ maxBytes: 2 * 1024 * KB })
    const out = JSON.parse((await d.handle(JSON.stringify(req('test_huge')), http, { budget }))!) as { error: { code: number; message: string } }
    expect(out.error.code).toBe(-32005)
    expect(budget.remaining).toBe(2 * 1024 * KB) // nothing charged
  })

  it('a closed client stops its batch at the next item and gets no answer', async () => {
    let calls = 0
    const gone = new AbortController()
    const d = new RpcDispatcher({
      methods: {
        test_slow: noParams(async () => {
          if (++calls === 3) gone.abort()
          await new Promise((r) => setTimeout(r, 1))
          return calls
        }),
      },
    })
    const out = await d.handle(JSON.stringify(Array.from({ length: 50 }, (_, i) => req('test_slow', [], i))), http, { signal: gone.signal })
    expect(out).toBeUndefined()
    expect(calls).toBe(3)
  })

  it('node-wide memory of unsent responses refuses big work but still answers small requests, and is given back on release', async () => {
    const { d, runs } = fixture()
    const memory = new ResponseMemory(512 * KB)
    const first = new ResponseBudget({ maxBytes: 25 * 1024 * KB, memory })
    const out1 = JSON.parse((await d.handle(JSON.stringify(Array.from({ length: 10 }, (_, i) => req('test_big', [100], i))), http, { budget: first }))!) as { error?: { code: number; message: string } }[]
    expect(out1.filter((r) => r.error === undefined)).toHaveLength(5)
    expect(out1[9]!.error!.message).toMatch(/rpc\.maxPendingResponseBytes/)
    // The client has not read its response yet: another client's small call is still answered.
    const small = new ResponseBudget({ maxBytes: 25 * 1024 * KB, memory })
    expect(JSON.parse((await d.handle(JSON.stringify(req('test_small')), http, { budget: small }))!)).toMatchObject({ result: '0x1' })
    small.release()
    const big = new ResponseBudget({ maxBytes: 25 * 1024 * KB, memory })
    expect(JSON.parse((await d.handle(JSON.stringify(req('test_big', [100])), http, { budget: big }))!)).toMatchObject({ error: { code: -32005 } })
    first.release()
    expect(memory.bytes).toBe(0)
    const again = new ResponseBudget({ maxBytes: 25 * 1024 * KB, memory })
    expect(JSON.parse((await d.handle(JSON.stringify(req('test_big', [100])), http, { budget: again }))!)).toMatchObject({ result: expect.any(String) })
    expect(runs.small).toBe(1)
  })

  it('a batch past its time budget answers -32005 for the items not started', async () => {
    const d = new RpcDispatcher({ methods: { test_wait: noParams(() => new Promise((r) => setTimeout(() => r(true), 30))) } })
    const budget = new ResponseBudget({ maxBytes: 1024 * KB, deadline: Date.now() + 50 })
    const out = JSON.parse((await d.handle(JSON.stringify(Array.from({ length: 10 }, (_, i) => req('test_wait', [], i))), http, { budget }))!) as { result?: boolean; error?: { code: number; message: string } }[]
    expect(out.filter((r) => r.result === true).length).toBeLessThanOrEqual(3)
    expect(out[9]!.error).toMatchObject({ code: -32005, message: expect.stringMatching(/rpc\.batchTimeoutMs/) })
  })
})

describe('rpc/limits: other clients get a turn (a probe waited 9–30 s under a WebSocket flood)', () => {
  it('a work slot passes to the next message of the same address only after pending I/O', async () => {
    const slots = new WorkSlots(1)
    const order: string[] = []
    const release = await slots.acquire('flooder')
    const next = slots.acquire('flooder').then((r) => {
      order.push('flooder next')
      r()
    })
    // Another client's request, already read from its socket: it runs before the flooder's next message.
    setImmediate(() => order.push('other client'))
    release()
    await next
    expect(order).toEqual(['other client', 'flooder next'])
  })

  it('a long batch of cached reads lets other sockets be read between its items', async () => {
    let spin = 0
    const d = new RpcDispatcher({
      methods: {
        // Busy for 5 ms and answered from memory, as a cached block read: no I/O between items.
        test_cached: noParams(async () => {
          const until = Date.now() + 5
          while (Date.now() < until) spin++
          return '0x1'
        }),
      },
    })
    let otherAnsweredAt = -1
    let items = 0
    const batch = Array.from({ length: 40 }, (_, i) => req('test_cached', [], i))
    setImmediate(() => (otherAnsweredAt = items))
    const done = d.handle(JSON.stringify(batch), () => {
      items++
      return http()
    })
    await done
    // Without turns, the other client ran only after all 40 items (200 ms of work).
    expect(otherAnsweredAt).toBeGreaterThan(0)
    expect(otherAnsweredAt).toBeLessThan(40)
    expect(spin).toBeGreaterThan(0)
  })
})

describe('rpc/dispatch: client input that is not valid Unicode', () => {
  it('a lone surrogate anywhere in the params is -32602 naming the argument, never reaching the handler', async () => {
    let ran = 0
    const d = new RpcDispatcher({ methods: { test_any: method(z.tuple([z.unknown(), z.unknown().optional()]), () => ++ran) } })
    const cases: [string, RegExp][] = [
      ['["\\ud800"]', /invalid argument 0: a string holds a lone UTF-16 surrogate/],
      ['["ok", {"data": ["a", "\\udfff"]}]', /invalid argument 1: data\[1\]: a string holds a lone/],
      ['[{"\\ud800": 1}]', /invalid argument 0: a string holds/],
    ]
    for (const [params, message] of cases) {
      const out = JSON.parse((await d.handle(`{"jsonrpc":"2.0","id":1,"method":"test_any","params":${params}}`, http))!) as { error: { code: number; message: string } }
      expect(out.error.code).toBe(-32602)
      expect(out.error.message).toMatch(message)
    }
    expect(ran).toBe(0)
    // A proper pair (an emoji) is fine.
    expect(JSON.parse((await d.handle('{"jsonrpc":"2.0","id":1,"method":"test_any","params":["\\ud83d\\ude00"]}', http))!)).toMatchObject({ result: 1 })
  })
})
