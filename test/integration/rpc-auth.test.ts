/**
 * Access control on real node processes: a node bound to 0.0.0.0 refuses admin_, txpool_ and
 * priv_ to anonymous callers and serves them to an API key or a JWT, answers 401 to bad
 * credentials, takes `?token=` on WebSocket, and logs the caller; a node on 0.0.0.0 without auth
 * does not start; a loopback node is open as before. Clients connect over 127.0.0.1 only.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { newApiKey } from '../../src/rpc/auth.js'
import { tempDir } from '../helpers/tmp.js'
import { CLI, initDevChain, startNodeProcess, waitFor, type NodeProcess } from '../helpers/node-process.js'

const SECRET_HEX = 'a1'.repeat(32)
const OPS = newApiKey()
const AUDITOR = newApiKey()

type Answer = { status: number; body: { result?: unknown; error?: { code: number; message: string } } }

async function post(url: string, method: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) })
  return { status: res.status, body: (await res.json()) as Answer['body'] }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const jwt = (iat = Math.floor(Date.now() / 1000)) =>
  new SignJWT({ id: 'ci-runner' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).sign(Buffer.from(SECRET_HEX, 'hex'))

describe('a node bound to 0.0.0.0 with API keys and a JWT secret', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let node: NodeProcess

  beforeAll(async () => {
    tmp = await tempDir()
    await writeFile(join(tmp.dir, 'jwt.hex'), `${SECRET_HEX}\n`)
    const chain = await initDevChain(tmp.dir, {
      config: {
        logLevel: 'debug',
        rpc: {
          host: '0.0.0.0',
          auth: {
            jwtSecretFile: 'jwt.hex',
            apiKeys: [
              { name: 'ops-team', sha256: OPS.sha256, namespaces: ['admin', 'txpool', 'priv'] },
              { name: 'auditor', sha256: AUDITOR.sha256, namespaces: ['txpool_status'] },
            ],
          },
        },
      },
    })
    // initDevChain's port is overwritten by the config spread: put it back.
    const cfg = JSON.parse(await readFile(join(tmp.dir, 'config.json'), 'utf8')) as { rpc: Record<string, unknown> }
    cfg.rpc.port = chain.rpcPort
    await writeFile(join(tmp.dir, 'config.json'), JSON.stringify(cfg))
    node = await startNodeProcess(tmp.dir, chain.rpcPort)
  })

  afterAll(async () => {
    await node?.stop()
    await tmp?.cleanup()
  })

  it('refuses unauthenticated admin_, txpool_ and priv_ with -40100, and serves eth_', async () => {
    for (const m of ['admin_peers', 'admin_nodeInfo', 'txpool_content', 'txpool_status', 'priv_putRecord', 'priv_requestErasure', 'priv_getRecord']) {
      const { status, body } = await post(node.rpcUrl, m)
      expect(status, m).toBe(200)
      expect(body.error?.code, m).toBe(-40100)
      expect(body.error?.message).toMatch(/Authorization: Bearer/)
    }
    expect((await post(node.rpcUrl, 'eth_chainId')).body.result).toBe('0x539')
  })

  it('serves them to an API key that grants them, and to a fresh JWT', async () => {
    expect((await post(node.rpcUrl, 'admin_peers', bearer(OPS.key))).body.result).toEqual([])
    expect((await post(node.rpcUrl, 'txpool_content', bearer(OPS.key))).body.result).toMatchObject({ pending: {}, queued: {} })
    expect((await post(node.rpcUrl, 'txpool_status', bearer(AUDITOR.key))).body.result).toMatchObject({ pending: '0x0' })
    expect((await post(node.rpcUrl, 'txpool_content', bearer(AUDITOR.key))).body.error?.code).toBe(-40100)
    expect((await post(node.rpcUrl, 'admin_nodeInfo', bearer(await jwt()))).body.result).toMatchObject({ chainId: '0x539' })
  })

  it('answers 401 to a wrong key, an expired or future JWT and an alg=none JWT', async () => {
    const t = Math.floor(Date.now() / 1000)
    for (const token of [newApiKey().key, await jwt(t - 300), await jwt(t + 300), new UnsecuredJWT({}).setIssuedAt(t).encode()]) {
      const { status, body } = await post(node.rpcUrl, 'eth_chainId', bearer(token))
      expect(status).toBe(401)
      expect(body.error?.code).toBe(-40100)
    }
  })

  it('takes the key as ?token= on the WebSocket upgrade', async () => {
    const ws = new WebSocket(`${node.wsUrl}/?token=${encodeURIComponent(OPS.key)}`)
    await once(ws, 'open')
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'admin_peers', params: [] }))
    const [data] = (await once(ws, 'message')) as [Buffer]
    expect(JSON.parse(String(data))).toMatchObject({ result: [] })
    ws.close()
    const bad = new WebSocket(`${node.wsUrl}/?token=${encodeURIComponent(newApiKey().key)}`)
    bad.on('error', () => {})
    const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }]
    expect(res.statusCode).toBe(401)
  })

  it('writes each authenticated call to the log with the caller name and remote address, never the key', async () => {
    await post(node.rpcUrl, 'txpool_content', bearer(OPS.key))
    const line = await waitFor('the access log line', async () => {
      const lines = (await readFile(join(tmp.dir, 'node.log'), 'utf8')).split('\n').filter((l) => l.startsWith('{'))
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.method === 'txpool_content' && l.caller === 'ops-team')
    })
    expect(line).toMatchObject({ auth: 'apiKey', transport: 'http', ok: true, module: 'rpc' })
    expect(String(line.remote)).toMatch(/127\.0\.0\.1/)
    const log = await readFile(join(tmp.dir, 'node.log'), 'utf8')
    expect(log).not.toContain(OPS.key)
    expect(log).not.toContain(SECRET_HEX)
  })
})

describe('start-up and loopback', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let node: NodeProcess | undefined

  beforeAll(async () => {
    tmp = await tempDir()
  })
  afterAll(async () => {
    await node?.stop()
    await tmp?.cleanup()
  })

  it('refuses to start on 0.0.0.0 without authentication, naming the fix', async () => {
    const dir = join(tmp.dir, 'public')
    await initDevChain(dir, { config: { rpc: { host: '0.0.0.0', port: 0 } } })
    const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    // Were it to start after all, stop it rather than leave a node listening on 0.0.0.0.
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const [code] = (await once(child, 'exit')) as [number | null]
    clearTimeout(guard)
    expect(code).toBe(2)
    // The reason is the last log line, at level fatal (60), with its code.
    const fatal = JSON.parse(stdout.trim().split('\n').at(-1)!) as { level: number; code: string }
    expect(fatal).toMatchObject({ level: 60, code: 'CONFIG_INVALID' })
    const text = JSON.stringify(fatal)
    expect(text).toMatch(/rpc\.host/)
    expect(text).toMatch(/rpc-key new/)
    expect(text).toMatch(/allowPublicWithoutAuth/)
  })

  it('leaves a loopback node open to anonymous callers, as before', async () => {
    const dir = join(tmp.dir, 'loopback')
    const chain = await initDevChain(dir)
    node = await startNodeProcess(dir, chain.rpcPort)
    expect((await post(node.rpcUrl, 'admin_peers')).body.result).toEqual([])
    expect((await post(node.rpcUrl, 'txpool_content')).body.result).toMatchObject({ pending: {} })
    // Nothing configured, so a header some tool sends is ignored, as before.
    expect((await post(node.rpcUrl, 'admin_peers', bearer('whatever'))).body.result).toEqual([])
    // WebSocket without a token: subscriptions work as the dashboard's live view uses them.
    const ws = new WebSocket(node.wsUrl)
    await once(ws, 'open')
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
    const [sub] = (await once(ws, 'message')) as [Buffer]
    expect(JSON.parse(String(sub))).toMatchObject({ id: 1, result: expect.stringMatching(/^0x/) as unknown })
    const [head] = (await once(ws, 'message')) as [Buffer]
    expect(JSON.parse(String(head))).toMatchObject({ method: 'eth_subscription' })
    ws.close()
  })
})
