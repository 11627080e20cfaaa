/**
 * The node logger writes JSON lines and never writes a private key, node key or private payload
 * that a caller put (by mistake) in a log object, at the top level or one level down.
 */
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../../src/ops/logger.js'
import { tempDir } from '../../helpers/tmp.js'

const SECRET_KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const NODE_KEY = '0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63'
const PAYLOAD = 'participant 123-45-678: salary 51234'

let tmp: Awaited<ReturnType<typeof tempDir>>
let file: string
let fd: number

beforeEach(async () => {
  tmp = await tempDir('quorate-logger-')
  file = join(tmp.dir, 'node.log')
  fd = openSync(file, 'a')
})

afterEach(async () => {
  closeSync(fd)
  await tmp.cleanup()
})

function lines(): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('ops/logger', () => {
  it('redacts privateKey, nodeKey and payload at the top level and one level down', () => {
    const logger = createLogger({ level: 'info', destination: fd })
    logger.info({ privateKey: SECRET_KEY, nodeKey: NODE_KEY, payload: PAYLOAD, number: 7 }, 'top level')
    logger.warn({ account: { address: '0xabc', privateKey: SECRET_KEY }, node: { nodeKey: NODE_KEY }, record: { payload: PAYLOAD, purpose: 'pension' } }, 'nested')
    logger.child({ module: 'privacy' }).error({ tx: { payload: PAYLOAD } }, 'from a child logger')
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(SECRET_KEY)
    expect(text).not.toContain(NODE_KEY)
    expect(text).not.toContain(PAYLOAD)
    const [top, nested, child] = lines()
    expect(top).toMatchObject({ privateKey: '[redacted]', nodeKey: '[redacted]', payload: '[redacted]', number: 7, msg: 'top level' })
    expect(nested).toMatchObject({
      account: { address: '0xabc', privateKey: '[redacted]' },
      node: { nodeKey: '[redacted]' },
      record: { payload: '[redacted]', purpose: 'pension' },
    })
    expect(child).toMatchObject({ module: 'privacy', tx: { payload: '[redacted]' } })
  })

  it('writes one JSON object per line with numeric level, epoch-ms time and msg, and no pid or hostname', () => {
    const logger = createLogger({ level: 'info', destination: fd })
    const before = Date.now()
    logger.info({ number: 12, hash: '0x01', txs: 3, gasUsed: 63000, round: 0, seals: 3 }, 'block final')
    const [line] = lines()
    expect(line).toMatchObject({ level: 30, number: 12, txs: 3, round: 0, seals: 3, msg: 'block final' })
    expect(line!.time as number).toBeGreaterThanOrEqual(before)
    expect(line).not.toHaveProperty('pid')
    expect(line).not.toHaveProperty('hostname')
  })

  it('drops lines below the configured level', () => {
    const logger = createLogger({ level: 'warn', destination: fd })
    logger.debug('protocol detail')
    logger.info('lifecycle')
    logger.warn('degraded')
    logger.error('needs an operator')
    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      [40, 'degraded'],
      [50, 'needs an operator'],
    ])
  })

  it('rate-limits warn and error lines per message, then says how many were suppressed (client traffic cannot grow the log)', () => {
    let now = 1_000_000
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now)
    try {
      const logger = createLogger({ level: 'info', destination: fd, rateLimit: { burst: 5, perMinute: 6 } })
      const rpc = logger.child({ module: 'rpc' })
      for (let i = 0; i < 1000; i++) rpc.error({ err: { message: `boom ${i}`, stack: 'x'.repeat(500) } }, 'JSON-RPC handler failed unexpectedly')
      for (let i = 0; i < 3; i++) logger.info({ i }, 'block final')
      logger.warn('another message')
      const first = lines()
      expect(first.filter((l) => l.msg === 'JSON-RPC handler failed unexpectedly')).toHaveLength(5)
      expect(first.filter((l) => l.msg === 'block final')).toHaveLength(3)
      expect(first.filter((l) => l.msg === 'another message')).toHaveLength(1)
      // 10 s later one token is back: the next line carries the count of the 995 held back.
      now += 10_000
      rpc.error({ err: { message: 'again' } }, 'JSON-RPC handler failed unexpectedly')
      const all = lines()
      expect(all.find((l) => l.msg === '995 similar log lines suppressed')).toMatchObject({ level: 50, module: 'rpc', suppressed: 995, suppressedMsg: 'JSON-RPC handler failed unexpectedly' })
      expect(all.filter((l) => l.msg === 'JSON-RPC handler failed unexpectedly')).toHaveLength(6)
      // fatal is never held back
      for (let i = 0; i < 20; i++) logger.fatal('stopping')
      expect(lines().filter((l) => l.msg === 'stopping')).toHaveLength(20)
    } finally {
      clock.mockRestore()
    }
  })
})
