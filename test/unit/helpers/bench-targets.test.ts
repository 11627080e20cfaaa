/**
 * The driver shared by bench:node and bench:network, run small against a real Hardhat 2 node: the
 * senders are spread over several RPC URLs (two counting proxies in front of the node stand in for
 * the nodes of a network), a per-sender window holds submissions back, a dropped connection is
 * re-sent, a target that cannot start does not stop the others, and the report carries the ratio.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chainRate, runErc20Bench } from '../../../bench/lib/erc20-bench.js'
import { rpc, waitFor } from '../../../bench/lib/quorate-node.js'
import { addWorkloadFlags, runBenchTargets, workloadFlagsSchema, workloadOf, type BenchRun } from '../../../bench/lib/run-targets.js'
import { cpuMsPerTx, formatJson, formatTable } from '../../../bench/lib/report.js'
import type { BenchTarget } from '../../../bench/lib/targets.js'
import { devAccounts } from '../../../src/crypto/dev-accounts.js'
import { parseWith } from '../../../src/validation.js'
import { startHardhatNode, type HardhatNode } from '../../helpers/hardhat.js'

interface CountingProxy {
  url: string
  /** eth_sendRawTransaction requests received, the dropped ones included. */
  sends: number
  /** When each of them was received (performance.now()). */
  sendTimes: number[]
  server: Server
}

/**
 * Forwards JSON-RPC to `target` and counts eth_sendRawTransaction. `drop` = 'before' closes the
 * connection of the first one without forwarding it; 'after' forwards it and then closes the
 * connection instead of answering (the node has the transaction, the client does not know).
 */
async function countingProxy(target: string, drop?: 'before' | 'after'): Promise<CountingProxy> {
  let dropped = false
  const proxy: CountingProxy = { url: '', sends: 0, sendTimes: [], server: createServer() }
  proxy.server.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const isSend = (JSON.parse(body) as { method?: string }).method === 'eth_sendRawTransaction'
      if (isSend) {
        proxy.sends++
        proxy.sendTimes.push(performance.now())
      }
      const dropNow = isSend && drop !== undefined && !dropped
      if (dropNow) dropped = true
      if (dropNow && drop === 'before') return void req.socket.destroy()
      void fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then((r) => r.text())
        .then((text) => {
          if (dropNow) return void req.socket.destroy()
          res.writeHead(200, { 'content-type': 'application/json' }).end(text)
        })
    })
  })
  await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r))
  proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`
  return proxy
}

let hardhat: HardhatNode
let proxies: CountingProxy[]

beforeAll(async () => {
  hardhat = await startHardhatNode()
  proxies = [await countingProxy(hardhat.rpcUrl, 'before'), await countingProxy(hardhat.rpcUrl, 'after')]
})

afterAll(async () => {
  for (const p of proxies ?? []) p.server.close()
  await hardhat?.stop()
})

describe('runBenchTargets', () => {
  let run: BenchRun
  const stopped: string[] = []
  const logs: string[] = []

  beforeAll(async () => {
    const network: BenchTarget = {
      label: 'hardhat',
      start: async () => ({
        rpcUrl: hardhat.rpcUrl,
        submitUrls: proxies.map((p) => p.url),
        pids: [hardhat.pid],
        description: 'two proxies in front of one hardhat node',
        stop: async () => void stopped.push('hardhat'),
      }),
    }
    const broken: BenchTarget = {
      label: 'broken',
      start: async () => {
        throw new Error('cannot start')
      },
    }
    run = await runBenchTargets([broken, network], { funderKey: devAccounts(1)[0]!.privateKey, txCount: 40, senders: 4, pollMs: 10, timeoutMs: 60_000, window: 2 }, (label, m) =>
      logs.push(`[${label}] ${m}`),
    )
  })

  it('spreads the senders round-robin over the submit URLs and lands every transfer, a dropped connection re-sent', () => {
    expect(run.rows).toHaveLength(1)
    const { result } = run.rows[0]!
    expect(result).toMatchObject({ txCount: 40, senders: 4, accepted: 40, rejected: 0, succeeded: 40, reverted: 0, window: 2, rpcUrl: hardhat.rpcUrl })
    expect(result.submitUrls).toEqual(proxies.map((p) => p.url))
    // Senders 0 and 2 on the first proxy, 1 and 3 on the second: 20 transfers each, plus the one
    // request each proxy dropped and the client sent again.
    expect(proxies.map((p) => p.sends)).toEqual([21, 21])
    expect(result.blocks).toBe(40)
    // One block per transfer: the chain's rate counts the 39 after the first over their span.
    expect(result.chainTxPerSecond).toBeGreaterThan(0)
  })

  it('measures the CPU the target\'s processes used over the run, and prints it per transfer', () => {
    const row = run.rows[0]!
    expect(row.cpu?.processes).toBe(1)
    // Hardhat mined 40 transfers and the set-up: its process used some CPU, and not more than the wall clock of the run times the cores.
    expect(row.cpu!.seconds).toBeGreaterThan(0)
    expect(formatTable([row])).toMatch(/CPU ms\/tx[\s\S]*\n.*\s(\d+\.\d\d)$/)
    expect(cpuMsPerTx(row)).toBeCloseTo((row.cpu!.seconds * 1000) / 40, 6)
  })

  it('logs a target that fails to start, marks the run failed, and still runs and stops the next', () => {
    expect(run.failed).toBe(true)
    expect(logs).toContain('[broken] failed: cannot start')
    expect(logs.some((l) => l.startsWith('[hardhat] measuring: 40 transfers from 4 senders through 2 nodes') && l.includes('at most 2 in flight per sender'))).toBe(true)
    expect(stopped).toEqual(['hardhat'])
  })

  it('reports both sides with the node count, and the ratio in the table and the JSON', () => {
    const hardhatRow = run.rows[0]!
    const rows = [
      { label: 'hardhat', result: { ...hardhatRow.result, submitUrls: [hardhat.rpcUrl] } },
      { label: 'quorate-network', result: { ...hardhatRow.result, txPerSecond: hardhatRow.result.txPerSecond / 4 } },
    ]
    const table = formatTable(rows)
    expect(table).toMatch(/nodes/)
    expect(table).toContain('ratio quorate-network/hardhat tx/s: 0.25')
    const json = JSON.parse(formatJson(rows)) as { label: string; txPerSecondRatio?: number; result: { gasPrice: string; submitUrls: string[] } }[]
    expect(json.map((r) => [r.label, r.txPerSecondRatio])).toEqual([
      ['hardhat', undefined],
      ['quorate-network', 0.25],
    ])
    expect(json[1]!.result.submitUrls).toHaveLength(2)
    expect(typeof json[0]!.result.gasPrice).toBe('string')
  })
})

describe('the per-sender window', () => {
  it('keeps at most `window` transfers per sender submitted and not yet in a block', async () => {
    const pendingCount = async (): Promise<number> => ((await rpc(hardhat.rpcUrl, 'eth_getBlockByNumber', ['pending', false])) as { transactions: unknown[] }).transactions.length
    let paused: Promise<unknown> | undefined
    const running = runErc20Bench({
      rpcUrl: hardhat.rpcUrl,
      funderKey: devAccounts(1)[0]!.privateKey,
      txCount: 80,
      senders: 4,
      window: 3,
      pollMs: 10,
      timeoutMs: 60_000,
      // Once set-up is mined, stop mining: the senders fill their windows and must wait.
      log: (m) => void (m.startsWith('measuring') && (paused = rpc(hardhat.rpcUrl, 'evm_setAutomine', [false]))),
    })
    await waitFor('the set-up to end', async () => paused !== undefined)
    await paused
    await waitFor('4 senders x 3 transfers pending', async () => (await pendingCount()) === 12, 10_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(await pendingCount()).toBe(12)
    await rpc(hardhat.rpcUrl, 'evm_setAutomine', [true])
    await rpc(hardhat.rpcUrl, 'evm_mine')
    const result = await running
    expect(result).toMatchObject({ accepted: 80, succeeded: 80, window: 3 })
  })
})

describe('the offered rate', () => {
  it('offers the transfers at the fixed rate, all senders taking turns, instead of as fast as submits return', async () => {
    const proxy = await countingProxy(hardhat.rpcUrl)
    try {
      const result = await runErc20Bench({ rpcUrl: hardhat.rpcUrl, submitUrls: [proxy.url], funderKey: devAccounts(1)[0]!.privateKey, txCount: 30, senders: 3, rate: 50, pollMs: 10, timeoutMs: 60_000 })
      expect(result).toMatchObject({ accepted: 30, succeeded: 30, rate: 50 })
      // The k-th transfer is due k × 20 ms after the first: none went early. Slack: the first may itself
      // have come late, and requests of different senders may reach the proxy a little out of turn.
      const first = proxy.sendTimes[0]!
      for (const [k, at] of proxy.sendTimes.entries()) expect(at - first).toBeGreaterThanOrEqual(k * 20 - 10)
      expect(proxy.sendTimes.at(-1)! - first).toBeGreaterThanOrEqual(29 * 20 - 10)
    } finally {
      proxy.server.close()
    }
  })
})

describe('chainRate', () => {
  it('counts the transactions of the blocks after the first over the span from the first block seen to the last', () => {
    const timings = [
      { block: 5n, includedAt: 1000 },
      { block: 5n, includedAt: 1000 },
      { block: 6n, includedAt: 1500 },
      { block: 7n, includedAt: 2000 },
      { block: 7n, includedAt: 2000 },
      { block: 7n, includedAt: 2000 },
    ]
    expect(chainRate(timings)).toBe(4)
    expect(chainRate(timings.slice(0, 2))).toBeNaN()
  })
})

describe('workload flags', () => {
  const parse = (argv: string[]) =>
    workloadOf(parseWith(workloadFlagsSchema, addWorkloadFlags(new Command('t').exitOverride(), { tx: 100, senders: 10, timeoutSeconds: 60, window: 4 }).parse(argv, { from: 'user' }).opts(), 'flags'))

  it('takes the entry point defaults, and --window 0 for no bound', () => {
    expect(parse([])).toMatchObject({ txCount: 100, senders: 10, timeoutMs: 60_000, pollMs: 20, window: 4 })
    expect(parse(['--window', '0', '--tx', '7'])).not.toHaveProperty('window')
    expect(parse(['--window', '0', '--tx', '7']).txCount).toBe(7)
    expect(parse([])).not.toHaveProperty('rate')
    expect(parse(['--rate', '350'])).toMatchObject({ rate: 350 })
    expect(parse(['--keep'])).toMatchObject({ keepFiles: true })
  })

  it('names the bad flag', () => {
    expect(() => parse(['--senders', '0'])).toThrow(/senders/)
    expect(() => parse(['--rate', '0'])).toThrow(/rate/)
  })
})
