/**
 * Issue #9, finding 2: one eth_call or eth_estimateGas of an endless loop with huge gas froze a
 * node for 30–39 s (peers dropped it, block production stopped). On a real node process: the call
 * ends with the time-limit error within 6 s, while eth_blockNumber (polled every 100 ms) answers in
 * under 1 s throughout and blocks keep being produced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, rpc, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'

/** Runtime code JUMPDEST PUSH1 0 JUMP: loops until the gas or the time runs out. */
const LOOP_CODE = '0x5b600056'
const LOOP = '0x00000000000000000000000000000000000100ff'
const HUGE_GAS = '0xffffffffffff'

let tmp: Awaited<ReturnType<typeof tempDir>>
let node: NodeProcess

beforeAll(async () => {
  tmp = await tempDir()
  const accounts = (await import('../../src/crypto/dev-accounts.js')).devAccounts(2)
  const chain = await initDevChain(tmp.dir, {
    // An empty block every 200 ms, so a stall of block production shows within the call's time.
    genesis: {
      config: { chainId: 1337, blockPeriodMs: 200, emptyBlockPeriodMs: 200 },
      alloc: { ...Object.fromEntries(accounts.map((a) => [a.address, { balance: (10n ** 24n).toString() }])), [LOOP]: { code: LOOP_CODE } },
    },
    // No gas cap, so that only the time limit can end the loop whatever the machine's speed.
    config: { rpc: { port: 0, gasCap: 0 } },
  })
  const { readFile, writeFile } = await import('node:fs/promises')
  const cfg = JSON.parse(await readFile(`${tmp.dir}/config.json`, 'utf8'))
  cfg.rpc.port = chain.rpcPort
  await writeFile(`${tmp.dir}/config.json`, JSON.stringify(cfg))
  node = await startNodeProcess(tmp.dir, chain.rpcPort)
  // A first call waits for the call worker to start (about 1 s, not counted by the time limit).
  await rpc(node.rpcUrl, 'eth_call', [{ to: LOOP, gas: '0x5300' }, 'latest']).catch(() => undefined)
})

afterAll(async () => {
  // A frozen node cannot run its SIGTERM handler: kill it if it does not stop soon.
  if (node) await Promise.race([node.stop(), new Promise((r) => setTimeout(r, 5000)).then(() => node.kill())])
  await tmp?.cleanup()
})

interface RpcAnswer {
  result?: string
  error?: { code: number; message: string }
}

async function post(method: string, params: unknown[], timeoutMs: number): Promise<RpcAnswer> {
  const res = await fetch(node.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  return (await res.json()) as RpcAnswer
}

/** Runs `method` on the loop while polling eth_blockNumber every 100 ms; returns what was seen. */
async function loopWhilePolling(method: string, params: unknown[]) {
  const startBlock = BigInt(await rpc<string>(node.rpcUrl, 'eth_blockNumber'))
  let done = false
  let slowest = 0
  let pollFailures = 0
  const poller = (async () => {
    while (!done) {
      const t0 = performance.now()
      try {
        await post('eth_blockNumber', [], 1000)
      } catch {
        pollFailures++
      }
      slowest = Math.max(slowest, performance.now() - t0)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const t0 = performance.now()
  const answer = await post(method, params, 15_000).catch((err: Error) => ({ error: { code: 0, message: `no answer: ${err.message}` } }))
  const elapsed = performance.now() - t0
  const endBlock = await post('eth_blockNumber', [], 2000).then((a) => BigInt(a.result ?? '0x0'), () => startBlock)
  done = true
  await poller
  return { answer, elapsed, slowest, pollFailures, blocksDuring: endBlock - startBlock }
}

describe('eth_call and eth_estimateGas of an endless loop on a real node', () => {
  for (const method of ['eth_call', 'eth_estimateGas']) {
    it(`${method} with huge gas ends with the time-limit error within 6 s; the node keeps answering and producing blocks`, async () => {
      const params = [{ to: LOOP, gas: HUGE_GAS }, ...(method === 'eth_call' ? ['latest'] : [])]
      const seen = await loopWhilePolling(method, params)
      expect(seen.answer.error, JSON.stringify(seen.answer)).toMatchObject({ code: -32000 })
      expect(seen.answer.error?.message).toMatch(/^execution aborted \(timeout = 5s\)/)
      expect(seen.elapsed, `answered after ${Math.round(seen.elapsed)} ms`).toBeLessThanOrEqual(6000)
      expect(seen.pollFailures).toBe(0)
      expect(seen.slowest, `slowest eth_blockNumber ${Math.round(seen.slowest)} ms`).toBeLessThan(1000)
      // 200 ms blocks over ~5 s: production went on during the call.
      expect(seen.blocksDuring).toBeGreaterThanOrEqual(5n)
      // And the next call is served (a fresh worker replaced the stopped one).
      const next = await post('eth_call', [{ to: LOOP, gas: '0x5208' }, 'latest'], 5000).catch((err: Error) => ({ error: { code: 0, message: `no answer: ${err.message}` } }))
      expect(next.error?.message).toMatch(/out of gas/)
    })
  }
})
