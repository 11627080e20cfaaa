/**
 * Real `quorate start` processes that cannot start: each ends with ONE JSON line at level fatal
 * (code, fix), nothing on stderr, no "node stopped" after it, and the exit code of the failure's
 * class (src/node/start-failure.ts).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CLASSES } from '../../src/node/start-failure.js'
import { tempDir } from '../helpers/tmp.js'
import { CLI, freePort, initDevChain, startNodeProcess } from '../helpers/node-process.js'

interface Run {
  code: number | null
  stderr: string
  lines: Record<string, unknown>[]
}

async function start(dataDir: string, args: string[] = []): Promise<Run> {
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  // Were it to start after all, do not leave it running.
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(guard)
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { code, stderr, lines }
}

/** The run ended with exactly one fatal line, the last one, with this code and a fix, and nothing on stderr. */
function expectFatal(run: Run, code: string, exit: number): Record<string, unknown> {
  const fatal = run.lines.filter((l) => l.level === 60)
  expect(fatal, JSON.stringify(run.lines)).toHaveLength(1)
  expect(run.lines.at(-1)).toBe(fatal[0])
  expect(fatal[0]).toMatchObject({ code, exit })
  expect(String(fatal[0]!.fix).length).toBeGreaterThan(20)
  expect(String(fatal[0]!.msg)).toMatch(/^start failed: /)
  expect(fatal[0]!.err, 'no stack at info detail').toBeUndefined()
  expect(run.lines.some((l) => l.msg === 'node stopped')).toBe(false)
  expect(run.lines.every((l) => typeof l.node === 'string')).toBe(true)
  expect(run.stderr).toBe('')
  expect(run.code).toBe(exit)
  return fatal[0]!
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

describe('start failures', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let base: string
  const servers: Server[] = []
  beforeAll(async () => {
    tmp = await tempDir()
    base = join(tmp.dir, 'base')
    await initDevChain(base, { config: { name: 'alpha', p2p: { listen: { host: '127.0.0.1', port: await freePort() } } } })
  })
  afterAll(async () => {
    for (const s of servers) s.close()
    await tmp?.cleanup()
  })

  async function copy(name: string, edit?: (config: Record<string, Record<string, unknown>>) => void): Promise<string> {
    const dir = join(tmp.dir, name)
    await cp(base, dir, { recursive: true })
    if (edit) {
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, Record<string, unknown>>
      edit(config)
      await writeFile(join(dir, 'config.json'), JSON.stringify(config))
    }
    return dir
  }

  it('a busy P2P port: P2P_PORT_IN_USE, exit 4', async () => {
    const port = await freePort()
    servers.push(await listen(port))
    const dir = await copy('p2p-busy', (c) => (c.p2p!.listen = { host: '127.0.0.1', port }))
    const fatal = expectFatal(await start(dir), 'P2P_PORT_IN_USE', EXIT_CLASSES.network.exit)
    expect(fatal).toMatchObject({ node: 'alpha', field: 'p2p.listen.port' })
  })

  it('a busy RPC port: RPC_PORT_IN_USE, exit 4', async () => {
    const port = await freePort()
    servers.push(await listen(port))
    const dir = await copy('rpc-busy', (c) => (c.rpc!.port = port))
    expectFatal(await start(dir), 'RPC_PORT_IN_USE', EXIT_CLASSES.network.exit)
  })

  it('a corrupt TLS pair: TLS_INVALID, exit 5; the stack only at debug detail', async () => {
    const dir = await copy('tls')
    await writeFile(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n')
    expectFatal(await start(dir), 'TLS_INVALID', EXIT_CLASSES.keys.exit)
    const debug = await start(dir, ['--log-level', 'debug'])
    const fatal = debug.lines.find((l) => l.level === 60) as { code: string; err?: { stack?: string } }
    expect(fatal.code).toBe('TLS_INVALID')
    expect(fatal.err?.stack).toMatch(/at /)
    expect(debug.code).toBe(EXIT_CLASSES.keys.exit)
  })

  it('an unknown config key: CONFIG_UNKNOWN_KEY with a did-you-mean, exit 2', async () => {
    const dir = await copy('unknown-key', (c) => {
      c.p2p!.peer = []
      ;(c as Record<string, unknown>).logLvl = 'debug'
    })
    const fatal = expectFatal(await start(dir), 'CONFIG_UNKNOWN_KEY', EXIT_CLASSES.config.exit)
    expect(fatal.msg).toMatch(/p2p\.peer: unknown key; did you mean p2p\.peers\?/)
    expect(fatal.details).toMatch(/logLvl \(did you mean logLevel\?\)/)
  })

  it('a node key that is not a key: NODE_KEY_INVALID, exit 5', async () => {
    const dir = await copy('key')
    await writeFile(join(dir, 'node.key'), 'nonsense\n')
    expectFatal(await start(dir), 'NODE_KEY_INVALID', EXIT_CLASSES.keys.exit)
  })

  it('a missing data folder: DATA_DIR_MISSING, exit 3', async () => {
    expectFatal(await start(join(tmp.dir, 'nowhere')), 'DATA_DIR_MISSING', EXIT_CLASSES.data.exit)
  })

  it('a changed genesis.json: GENESIS_MISMATCH, exit 3, without suggesting a flag start does not have', async () => {
    const dir = await copy('genesis')
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { rpc: { port: number } }
    const node = await startNodeProcess(dir, config.rpc.port)
    expect(await node.stop()).toBe(0)
    const genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as { config: Record<string, unknown> }
    genesis.config.emptyBlockPeriodMs = 20_000
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesis))
    const fatal = expectFatal(await start(dir), 'GENESIS_MISMATCH', EXIT_CLASSES.data.exit)
    expect(JSON.stringify(fatal)).not.toMatch(/--reset/)
  })
})
