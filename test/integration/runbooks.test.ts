/**
 * The runbooks' commands run as written: every fenced ```sh block of docs/runbooks/*.md is executed
 * with bash against one real 4-node devnet, made and started as `npm run devnet` does (in a temp
 * folder holding `.devnet/`, `quorate` on the PATH resolving to the built CLI). The conventions (which
 * blocks run, placeholders, the RPC/P2P port mapping) are in docs/operations.md "Runbook commands are
 * tested". Files run in alphabetical order, blocks in document order, one shell each. The blocks
 * take about 4 minutes (most of it governance votes waiting for blocks), up to 7 under load.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const RUNBOOKS = join(ROOT, 'docs/runbooks')
const BLOCK_TIMEOUT_MS = 60_000
/** The info strings a fence may carry: `sh` runs; the others are shown, never run. */
const NOT_RUN = new Set(['text', 'json', 'yaml', 'console', 'ini', 'promql'])

export interface Block {
  file: string
  line: number
  lang: string
  code: string
}

/** Fenced blocks, also indented ones inside list items (the indent is removed). */
export function fencedBlocks(file: string, text: string): Block[] {
  const out: Block[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!.length
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !new RegExp(`^ {0,${indent}}\`\`\`\\s*$`).test(lines[j]!)) body.push(lines[j++]!.slice(indent))
    out.push({ file, line: i + 1, lang: open[2]!, code: body.join('\n') })
    i = j
  }
  return out
}

/** The devnet's documented ports (8545–8548 RPC, 30303–30306 P2P) mapped to the ports this run uses. */
export function mapPorts(code: string, rpcBase: number, p2pBase: number): string {
  return code
    .replace(/\b(127\.0\.0\.1|localhost):(854[5-8])\b/g, (_, host: string, port: string) => `${host}:${rpcBase + Number(port) - 8545}`)
    .replace(/\b(127\.0\.0\.1|localhost):(3030[3-6])\b/g, (_, host: string, port: string) => `${host}:${p2pBase + Number(port) - 30303}`)
}

async function portsFree(base: number, count: number): Promise<boolean> {
  for (let p = base; p < base + count; p++) {
    const free = await new Promise<boolean>((res) => {
      const srv = createServer()
      srv.once('error', () => res(false))
      srv.listen(p, '127.0.0.1', () => srv.close(() => res(true)))
    })
    if (!free) return false
  }
  return true
}

/** Four consecutive free ports below the ephemeral range. */
async function freeRange(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000)
    if (await portsFree(base, 4)) return base
  }
}

async function runBlock(code: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT_MS)
  const [exit] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code: exit, out }
}

describe('runbook commands', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let devnet: ChildProcess | undefined
  let devnetOut = ''
  let rpcBase = 0
  let p2pBase = 0
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    tmp = await tempDir('quorate-runbooks-')
    rpcBase = await freeRange()
    do p2pBase = await freeRange()
    while (Math.abs(p2pBase - rpcBase) < 4)
    // `quorate` on the PATH is the built CLI, as after `npm link` / `npm i -g`.
    const bin = join(tmp.dir, 'bin')
    await mkdir(bin)
    await writeFile(join(bin, 'quorate'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`)
    await chmod(join(bin, 'quorate'), 0o755)
    env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, QUORATE_RPC: `http://127.0.0.1:${rpcBase}`, NO_COLOR: '1' }
    delete env.QUORATE_ADMIN_KEY
    // As `npm run devnet` does (the default consortium), on this run's ports.
    devnet = spawn(process.execPath, [CLI, 'devnet', '--data-dir', '.devnet', '--rpc-port', String(rpcBase), '--p2p-port', String(p2pBase)], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] })
    devnet.stdout!.on('data', (d: Buffer) => (devnetOut += d.toString()))
    devnet.stderr!.on('data', (d: Buffer) => (devnetOut += d.toString()))
    const deadline = Date.now() + 60_000
    while (!devnetOut.includes('Ctrl-C stops the devnet')) {
      if (devnet.exitCode !== null || Date.now() > deadline) throw new Error(`the devnet did not start:\n${devnetOut}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }, 90_000)

  afterAll(async () => {
    if (devnet && devnet.exitCode === null) {
      const exited = once(devnet, 'exit')
      devnet.kill('SIGTERM')
      const timer = setTimeout(() => devnet?.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    }
    await tmp?.cleanup()
  }, 30_000)

  it('every fenced block of docs/runbooks is labelled, and every ```sh block runs against the devnet', async () => {
    const files = (await readdir(RUNBOOKS)).filter((f) => f.endsWith('.md')).sort()
    expect(files.length).toBeGreaterThanOrEqual(3)
    const blocks: Block[] = []
    for (const f of files) blocks.push(...fencedBlocks(f, await readFile(join(RUNBOOKS, f), 'utf8')))
    const unlabelled = blocks.filter((b) => b.lang === '').map((b) => `${b.file}:${b.line}`)
    expect(unlabelled, 'label each block ```sh (runs) or ```text (shown only)').toEqual([])
    const unknown = blocks.filter((b) => b.lang !== 'sh' && !NOT_RUN.has(b.lang)).map((b) => `${b.file}:${b.line} ${b.lang}`)
    expect(unknown).toEqual([])

    // The admin keys the runbooks use are the devnet's own files.
    for (let i = 1; i <= 4; i++) expect((await stat(join(tmp.dir, '.devnet', `admin-${i}.key`))).mode & 0o077).toBe(0)

    const ran: Record<string, number> = {}
    for (const b of blocks.filter((x) => x.lang === 'sh')) {
      const started = Date.now()
      const { code, out } = await runBlock(mapPorts(b.code, rpcBase, p2pBase), tmp.dir, env)
      console.log(`${b.file}:${b.line} ${((Date.now() - started) / 1000).toFixed(1)} s`)
      expect(code, `docs/runbooks/${b.file}:${b.line} failed:\n${b.code}\n--- output ---\n${out}`).toBe(0)
      ran[b.file] = (ran[b.file] ?? 0) + 1
    }
    const total = Object.values(ran).reduce((a, b) => a + b, 0)
    console.log(`runbook blocks run: ${total} (${Object.entries(ran).map(([f, n]) => `${f} ${n}`).join(', ')}); shown only: ${blocks.length - total}`)
    expect(total).toBeGreaterThanOrEqual(8)
    for (const f of files) expect(ran[f], `${f} has no \`\`\`sh block`).toBeGreaterThan(0)
  }, 420_000)

  it('the devnet nodes logged each line with the node name and at most one module key', async () => {
    for (let i = 1; i <= 4; i++) {
      const lines = (await readFile(join(tmp.dir, '.devnet', `node-${i}`, 'node.log'), 'utf8')).split('\n').filter((l) => l.trim())
      expect(lines.length).toBeGreaterThan(5)
      for (const line of lines) {
        expect(line.match(/"module":/g)?.length ?? 0, line).toBeLessThanOrEqual(1)
        expect((JSON.parse(line) as { node?: string }).node, line).toBe(`node-${i}`)
      }
    }
  })
})
