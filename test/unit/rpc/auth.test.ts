/**
 * JSON-RPC access control: the policy on its own (grants, loopback, start-up refusal) and through a
 * real server on a loopback port whose policy is that of a public bind (the policy reads the bind
 * address it is given; the socket stays on 127.0.0.1 so no traffic leaves the machine).
 */
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { SignJWT, UnsecuredJWT } from 'jose'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import WebSocket from 'ws'
import { ConfigError } from '../../../src/errors.js'
import { createRpcAccess, grantsAllow, hashApiKey, isLoopbackHost, isReadMethod, newApiKey, RpcAccessPolicy } from '../../../src/rpc/auth.js'
import { RpcServer } from '../../../src/rpc/server.js'
import { method, noParams, type RpcCaller, type RpcMethods } from '../../../src/rpc/types.js'
import { makeRpcKey } from '../../../src/cli/rpc-key.js'
import { parseConfigText } from '../../../src/node/config.js'
import { RPC_TOKEN_ENV, rpcCall } from '../../../src/rpc/http-client.js'

const SECRET = new Uint8Array(32).fill(7)
const OPS_KEY = newApiKey()
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const READER_KEY = newApiKey()

/** One method per namespace the node registers, each answering who called it. */
function methods(): RpcMethods {
  const who = (_p: unknown, ctx: { caller?: RpcCaller }) => ctx.caller ?? null
  return {
    eth_blockNumber: noParams(() => '0x1'),
    net_version: noParams(() => '1337'),
    web3_clientVersion: noParams(() => 'quorate'),
    qbft_getValidatorsByBlockNumber: noParams(() => []),
    gov_getParties: noParams(() => []),
    gov_propose: noParams(who),
    admin_peers: noParams(who),
    txpool_content: noParams(() => ({ pending: {}, queued: {} })),
    priv_getRecord: method(z.tuple([z.string()]), who),
    priv_putRecord: noParams(who),
  }
}

class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = []
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString('utf8').split('\n')) if (l) this.lines.push(JSON.parse(l) as Record<string, unknown>)
    done()
  }
}

function publicPolicy(logger = pino({ level: 'silent' }), now?: () => number): RpcAccessPolicy {
  return new RpcAccessPolicy(
    {
      host: '0.0.0.0',
      jwtSecret: SECRET,
      apiKeys: [
        { name: 'ops', sha256: OPS_KEY.sha256, namespaces: ['admin', 'txpool', 'priv', 'gov'] },
        { name: 'reader', sha256: READER_KEY.sha256, namespaces: ['txpool_content'] },
      ],
    },
    { logger, ...(now ? { now } : {}) },
  )
}

function jwt(iatSeconds = Math.floor(Date.now() / 1000), secret: Uint8Array = SECRET, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(iatSeconds).sign(secret)
}

describe('access policy', () => {
  it('tells loopback binds from public ones', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true)
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'node.example.org', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false)
  })

  it('classifies reads by name, so an unknown write is never open as a read', () => {
    expect(isReadMethod('gov_getParties')).toBe(true)
    expect(isReadMethod('priv_listRecords')).toBe(true)
    expect(isReadMethod('txpool_content')).toBe(true)
    expect(isReadMethod('gov_propose')).toBe(false)
    expect(isReadMethod('priv_putRecord')).toBe(false)
    expect(isReadMethod('priv_requestErasure')).toBe(false)
    expect(isReadMethod('gov_getaway')).toBe(false)
    const g = new Set(['gov:read', 'txpool_status'])
    expect(grantsAllow(g, 'gov_getProposals')).toBe(true)
    expect(grantsAllow(g, 'gov_vote')).toBe(false)
    expect(grantsAllow(g, 'txpool_status')).toBe(true)
    expect(grantsAllow(g, 'txpool_content')).toBe(false)
    expect(grantsAllow(new Set(['*']), 'admin_addPeer')).toBe(true)
  })

  it('opens every namespace to anonymous callers on loopback, and only public reads elsewhere', () => {
    const anon = (transport: 'http' | 'ws' = 'http'): RpcCaller => ({ kind: 'anonymous', transport })
    const loop = new RpcAccessPolicy({ host: '127.0.0.1' })
    for (const m of Object.keys(methods())) expect(loop.authorize(m, anon()), m).toBeUndefined()
    const pub = publicPolicy()
    for (const m of ['eth_blockNumber', 'net_version', 'web3_clientVersion', 'qbft_getValidatorsByBlockNumber', 'gov_getParties']) expect(pub.authorize(m, anon()), m).toBeUndefined()
    for (const m of ['admin_peers', 'txpool_content', 'priv_getRecord', 'priv_putRecord', 'gov_propose']) {
      const err = pub.authorize(m, anon())
      expect(err, m).toMatchObject({ code: 'RPC_FORBIDDEN' })
      expect(err?.message).toContain('Authorization: Bearer')
    }
  })

  it('refuses to be built for a public bind without credentials unless the operator insists', () => {
    expect(() => new RpcAccessPolicy({ host: '0.0.0.0' })).toThrow(ConfigError)
    expect(() => new RpcAccessPolicy({ host: '192.168.1.10' })).toThrow(/allowPublicWithoutAuth/)
    const insisted = new RpcAccessPolicy({ host: '0.0.0.0', allowPublicWithoutAuth: true })
    expect(insisted.authorize('admin_peers', { kind: 'anonymous', transport: 'http' })).toBeDefined()
    expect(() => new RpcAccessPolicy({ host: '0.0.0.0', apiKeys: [{ name: 'a', sha256: OPS_KEY.sha256, namespaces: ['admin'] }] })).not.toThrow()
  })

  it('rejects bad grants, bad hashes and duplicate key names in the config', () => {
    expect(() => new RpcAccessPolicy({ host: '127.0.0.1', namespaces: ['admin!'] })).toThrow(/rpc.namespaces/)
    expect(() => new RpcAccessPolicy({ host: '127.0.0.1', apiKeys: [{ name: 'a', sha256: 'abc', namespaces: ['*'] }] })).toThrow(/sha256/)
    const k = { sha256: OPS_KEY.sha256, namespaces: ['*'] }
    expect(() => new RpcAccessPolicy({ host: '127.0.0.1', apiKeys: [{ name: 'a', ...k }, { name: 'a', ...k }] })).toThrow(/names two API keys/)
  })

  it('reads the JWT secret file relative to the data folder, and refuses a short one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quorate-auth-'))
    try {
      await writeFile(join(dir, 'jwt.hex'), `0x${Buffer.from(SECRET).toString('hex')}\n`)
      const policy = await createRpcAccess({ host: '0.0.0.0', allowPublicWithoutAuth: false, auth: { jwtSecretFile: 'jwt.hex', apiKeys: [] } }, dir)
      expect(await policy.authenticate(bearer(await jwt()))).toEqual({ kind: 'jwt' })
      await writeFile(join(dir, 'short.hex'), 'abcd')
      await expect(createRpcAccess({ host: '0.0.0.0', allowPublicWithoutAuth: false, auth: { jwtSecretFile: 'short.hex', apiKeys: [] } }, dir)).rejects.toThrow(/64 hex digits/)
      await expect(createRpcAccess({ host: '0.0.0.0', allowPublicWithoutAuth: false, auth: { jwtSecretFile: 'missing.hex', apiKeys: [] } }, dir)).rejects.toThrow(/cannot read/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('accepts a JWT only with HS256, the right secret, and iat within 60 s', async () => {
    const now = Date.now()
    const policy = publicPolicy(undefined, () => now)
    const t = Math.floor(now / 1000)
    expect(await policy.authenticate(bearer(await jwt(t - 50, SECRET, { id: 'cl-1' })))).toEqual({ kind: 'jwt', name: 'cl-1' })
    await expect(policy.authenticate(bearer(await jwt(t - 61)))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    await expect(policy.authenticate(bearer(await jwt(t + 61)))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    await expect(policy.authenticate(bearer(await jwt(t, new Uint8Array(32).fill(8))))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    const none = new UnsecuredJWT({}).setIssuedAt(t).encode()
    await expect(policy.authenticate(bearer(none))).rejects.toThrow(/algorithm none/)
    const noIat = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(SECRET)
    await expect(policy.authenticate(bearer(noIat))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
  })

  it('refuses a header that is not Bearer, and two different tokens, even for open methods', async () => {
    const policy = publicPolicy()
    expect(await policy.authenticate({})).toEqual({ kind: 'anonymous' })
    await expect(policy.authenticate({ authorization: 'Basic dTpw' })).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    await expect(policy.authenticate({ ...bearer(OPS_KEY.key), queryToken: READER_KEY.key })).rejects.toThrow(/two different credentials/)
    expect(await policy.authenticate({ queryToken: READER_KEY.key })).toEqual({ kind: 'apiKey', name: 'reader' })
    // A loopback node with nothing configured ignores whatever a tool sends, as before.
    expect(await new RpcAccessPolicy({ host: '127.0.0.1' }).authenticate({ authorization: 'Basic dTpw' })).toEqual({ kind: 'anonymous' })
    // ... but with credentials configured, bad ones are refused on loopback too.
    const loopWithKeys = new RpcAccessPolicy({ host: '127.0.0.1', apiKeys: [{ name: 'ops', sha256: OPS_KEY.sha256, namespaces: ['*'] }] })
    await expect(loopWithKeys.authenticate(bearer('qrk_wrong'))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    const closed = new RpcAccessPolicy({ host: '0.0.0.0', namespaces: [], apiKeys: [{ name: 'ops', sha256: OPS_KEY.sha256, namespaces: ['*'] }] })
    await expect(closed.authenticate({})).rejects.toThrow(/authenticated callers only/)
  })

  it('knows API keys by their SHA-256 only', async () => {
    const policy = publicPolicy()
    expect(await policy.authenticate(bearer(OPS_KEY.key))).toEqual({ kind: 'apiKey', name: 'ops' })
    expect(await policy.authenticate(bearer(READER_KEY.key))).toEqual({ kind: 'apiKey', name: 'reader' })
    await expect(policy.authenticate(bearer(`${OPS_KEY.key}x`))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    await expect(policy.authenticate(bearer(OPS_KEY.sha256))).rejects.toMatchObject({ code: 'RPC_UNAUTHORIZED' })
    expect(hashApiKey(OPS_KEY.key)).toBe(OPS_KEY.sha256)
    const made = makeRpcKey('insurer', ['priv'])
    expect(made.key.startsWith('qrk_')).toBe(true)
    expect(made.entry).toEqual({ name: 'insurer', sha256: hashApiKey(made.key), namespaces: ['priv'] })
  })
})

describe('the rpc section of config.json', () => {
  it('takes the entry quorate rpc-key new prints, and refuses unknown or malformed auth fields', () => {
    const { entry } = makeRpcKey('insurer-app', ['priv', 'gov:read'])
    const config = parseConfigText(JSON.stringify({ rpc: { host: '0.0.0.0', auth: { apiKeys: [entry], jwtSecretFile: 'jwt.hex' } } }), 'config.json')
    expect(config.rpc).toMatchObject({ allowPublicWithoutAuth: false, auth: { apiKeys: [entry], jwtSecretFile: 'jwt.hex', jwtNamespaces: ['*'] } })
    expect(config.rpc.namespaces).toBeUndefined()
    expect(() => parseConfigText(JSON.stringify({ rpc: { auth: { apiKeys: [{ ...entry, key: 'qrk_plain' }] } } }), 'config.json')).toThrow(ConfigError)
    expect(() => parseConfigText(JSON.stringify({ rpc: { auth: { jwtSecret: 'ab' } } }), 'config.json')).toThrow(ConfigError)
    expect(() => parseConfigText(JSON.stringify({ rpc: { namespaces: ['eth', 'admin!'] } }), 'config.json')).toThrow(/rpc.namespaces/)
  })

  it('keeps the defaults loopback and without CORS', () => {
    const config = parseConfigText('{}', 'config.json')
    expect(config.rpc).toMatchObject({ host: '127.0.0.1', cors: [], allowPublicWithoutAuth: false, auth: { apiKeys: [] } })
    expect(() => new RpcAccessPolicy({ host: config.rpc.host })).not.toThrow()
  })
})

describe('a server whose listener is public', () => {
  const sink = new LogSink()
  let server: RpcServer

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, sink)
    server = new RpcServer({ host: '127.0.0.1', port: 0, methods: methods(), wsPingIntervalMs: 0 }, { logger, access: publicPolicy(logger) })
    await server.start()
  })
  afterAll(async () => {
    await server.stop()
  })

  async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; res: Response }> {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, res }
  }
  const req = (m: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id: 1, method: m, params })

  it('refuses unauthenticated admin_, txpool_, priv_ and gov_ writes with -40100, and serves reads', async () => {
    for (const m of ['admin_peers', 'txpool_content', 'priv_putRecord', 'gov_propose']) {
      const { status, json } = await post(req(m))
      expect(status, m).toBe(200)
      expect(json.error, m).toMatchObject({ code: -40100 })
      expect(JSON.stringify(json.error)).toContain('docs/security.md')
    }
    expect((await post(req('priv_getRecord', ['k']))).json.error).toMatchObject({ code: -40100 })
    expect((await post(req('eth_blockNumber'))).json).toMatchObject({ result: '0x1' })
    expect((await post(req('gov_getParties'))).json).toMatchObject({ result: [] })
    // Refused before the lookup: an anonymous caller cannot probe which admin_ methods exist.
    expect((await post(req('admin_noSuchMethod'))).json.error).toMatchObject({ code: -40100 })
    expect((await post(req('eth_noSuchMethod'))).json.error).toMatchObject({ code: -32601 })
  })

  it('answers refused and allowed calls of one batch each on their own', async () => {
    const { json } = (await post([req('eth_blockNumber'), { ...req('admin_peers'), id: 2 }])) as unknown as { json: { id: number; result?: unknown; error?: { code: number } }[] }
    expect(json[0]).toMatchObject({ id: 1, result: '0x1' })
    expect(json[1]).toMatchObject({ id: 2, error: { code: -40100 } })
  })

  it('serves them to an API key that grants them, with the caller in ctx', async () => {
    const { json } = await post(req('admin_peers'), bearer(OPS_KEY.key))
    expect(json.result).toMatchObject({ kind: 'apiKey', name: 'ops', transport: 'http', remoteAddress: expect.stringMatching(/127\.0\.0\.1/) as unknown })
    expect((await post(req('priv_putRecord'), bearer(OPS_KEY.key))).json.result).toMatchObject({ name: 'ops' })
  })

  it('holds an API key to its own grant', async () => {
    expect((await post(req('txpool_content'), bearer(READER_KEY.key))).json).toMatchObject({ result: { pending: {} } })
    expect((await post(req('admin_peers'), bearer(READER_KEY.key))).json.error).toMatchObject({ code: -40100 })
  })

  it('serves a fresh JWT', async () => {
    expect((await post(req('admin_peers'), bearer(await jwt(undefined, SECRET, { id: 'cl-1' })))).json.result).toMatchObject({ kind: 'jwt', name: 'cl-1' })
  })

  it('answers 401 to a wrong key, an expired or future JWT, alg=none and a non-Bearer header: never anonymous', async () => {
    const t = Math.floor(Date.now() / 1000)
    const bad = [
      bearer(`qrk_${'A'.repeat(43)}`),
      bearer(await jwt(t - 120)),
      bearer(await jwt(t + 120)),
      bearer(new UnsecuredJWT({}).setIssuedAt(t).encode()),
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    ]
    for (const headers of bad) {
      // eth_blockNumber is open to anonymous callers: bad credentials must still fail the request.
      const { status, json, res } = await post(req('eth_blockNumber'), headers)
      expect(status, headers.authorization).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(json.error, headers.authorization).toMatchObject({ code: -40100 })
    }
  })

  it('logs each authenticated call with method, caller name and remote address, and no secret', async () => {
    await post(req('priv_putRecord'), bearer(OPS_KEY.key))
    const line = sink.lines.find((l) => l.method === 'priv_putRecord' && l.caller === 'ops' && l.msg === 'JSON-RPC call by an authenticated caller')
    expect(line).toMatchObject({ level: 30, auth: 'apiKey', transport: 'http', ok: true })
    expect(String(line?.remote)).toMatch(/127\.0\.0\.1/)
    expect(JSON.stringify(sink.lines)).not.toContain(OPS_KEY.key)
  })

  it('lets the CLI\'s client send the token from QUORATE_RPC_TOKEN', async () => {
    const saved = process.env[RPC_TOKEN_ENV]
    try {
      delete process.env[RPC_TOKEN_ENV]
      await expect(rpcCall(server.url, 'admin_peers', [], 5000)).rejects.toMatchObject({ rpcCode: -40100 })
      process.env[RPC_TOKEN_ENV] = OPS_KEY.key
      expect(await rpcCall(server.url, 'admin_peers', [], 5000)).toMatchObject({ name: 'ops' })
      process.env[RPC_TOKEN_ENV] = 'qrk_wrong'
      await expect(rpcCall(server.url, 'eth_blockNumber', [], 5000)).rejects.toMatchObject({ rpcCode: -40100, shortMessage: expect.stringMatching(/unauthorized/) as unknown })
    } finally {
      if (saved === undefined) delete process.env[RPC_TOKEN_ENV]
      else process.env[RPC_TOKEN_ENV] = saved
    }
  })

  it('takes the token as ?token= on a WebSocket upgrade, and refuses a bad one with 401', async () => {
    const ws = new WebSocket(`${server.wsUrl}?token=${encodeURIComponent(OPS_KEY.key)}`)
    await once(ws, 'open')
    ws.send(JSON.stringify(req('admin_peers')))
    const [data] = (await once(ws, 'message')) as [Buffer]
    expect(JSON.parse(String(data))).toMatchObject({ result: { kind: 'apiKey', name: 'ops', transport: 'ws' } })
    ws.close()

    const anon = new WebSocket(server.wsUrl)
    await once(anon, 'open')
    anon.send(JSON.stringify(req('admin_peers')))
    const [refused] = (await once(anon, 'message')) as [Buffer]
    expect(JSON.parse(String(refused))).toMatchObject({ error: { code: -40100 } })
    anon.close()

    const bad = new WebSocket(`${server.wsUrl}?token=qrk_wrong`)
    bad.on('error', () => {})
    const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }]
    expect(res.statusCode).toBe(401)
    bad.terminate()
  })
})
