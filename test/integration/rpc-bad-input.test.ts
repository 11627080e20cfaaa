/**
 * Bad input against a real node process: each gets the right JSON-RPC error, and the node keeps
 * serving (a good request is answered after every bad one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, rpc, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let node: NodeProcess

beforeAll(async () => {
  tmp = await tempDir()
  const chain = await initDevChain(tmp.dir, { config: { rpc: { port: 0, maxRequestBytes: 64 * 1024, maxBatchSize: 10 } } })
  // the helper chose a free port; keep it while shrinking the limits
  const { readFile, writeFile } = await import('node:fs/promises')
  const cfg = JSON.parse(await readFile(`${tmp.dir}/config.json`, 'utf8'))
  cfg.rpc.port = chain.rpcPort
  await writeFile(`${tmp.dir}/config.json`, JSON.stringify(cfg))
  node = await startNodeProcess(tmp.dir, chain.rpcPort)
})

afterAll(async () => {
  await node?.stop()
  await tmp?.cleanup()
})

async function post(body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(node.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

async function stillServing(): Promise<void> {
  expect(await rpc<string>(node.rpcUrl, 'eth_chainId')).toBe('0x539')
}

describe('JSON-RPC bad input on a real node', () => {
  it('invalid JSON → -32700 with id null', async () => {
    const { json } = await post('{"jsonrpc":"2.0","id":1,"method":')
    expect(json).toMatchObject({ id: null, error: { code: -32700 } })
    await stillServing()
  })

  it('unknown method → -32601 naming the method', async () => {
    const { json } = await post('{"jsonrpc":"2.0","id":7,"method":"eth_doesNotExist","params":[]}')
    expect(json).toMatchObject({ id: 7, error: { code: -32601 } })
    expect(JSON.stringify(json)).toContain('eth_doesNotExist')
    await stillServing()
  })

  it('wrong param types → -32602 saying what was expected', async () => {
    const { json } = await post('{"jsonrpc":"2.0","id":2,"method":"eth_getBalance","params":["not-an-address","latest"]}')
    expect(json).toMatchObject({ id: 2, error: { code: -32602 } })
    expect((json as { error: { message: string } }).error.message).toMatch(/address/)
    const r2 = await post('{"jsonrpc":"2.0","id":3,"method":"eth_getBlockByNumber","params":[12,false]}')
    expect(r2.json).toMatchObject({ id: 3, error: { code: -32602 } })
    await stillServing()
  })

  it('oversized request → HTTP 413 and a JSON-RPC error; over WebSocket the connection is closed', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ data: `0x${'00'.repeat(70 * 1024)}` }] })
    const { status, json } = await post(big)
    expect(status).toBe(413)
    expect(json).toMatchObject({ error: { code: -32600 } })
    const ws = new WebSocket(node.wsUrl)
    await new Promise((r) => ws.once('open', r))
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    ws.send(big)
    expect(await closed).toBe(1009)
    await stillServing()
  })

  it('oversized batch → one -32600 error and none of it runs', async () => {
    const batch = Array.from({ length: 11 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] }))
    const { json } = await post(JSON.stringify(batch))
    expect(json).toMatchObject({ error: { code: -32600 } })
    const ok = await post(JSON.stringify(batch.slice(0, 10)))
    expect(ok.json).toHaveLength(10)
    await stillServing()
  })

  it('malformed raw transaction → a clear rejection, not a crash', async () => {
    for (const raw of ['0x', '0x1234', `0x02${'ff'.repeat(40)}`, '0xf86c808504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0']) {
      const { json } = await post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'eth_sendRawTransaction', params: [raw] }))
      const err = (json as { error?: { code: number; message: string } }).error
      expect(err, raw).toBeDefined()
      expect([-32602, -32000, -32003]).toContain(err!.code)
      expect(err!.message.length).toBeGreaterThan(5)
    }
    await stillServing()
  })
})
