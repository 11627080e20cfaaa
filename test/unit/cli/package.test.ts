/**
 * What `npm pack` ships is enough for `npm i -g quorate` / `npx quorate`: the bin target with its
 * shebang, and the files the command reads at run time (the devnet's consortium file, the dashboard,
 * the governance artifacts). Checked on `npm pack --dry-run` (scripts off: the build already ran).
 * A full install into a temp prefix is in docs/cli.md "Installing the command".
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')

describe('the npm package', () => {
  it('packs the bin with a node shebang and the files the command reads at run time', async () => {
    const pkg = JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> }
    expect(pkg.bin.quorate).toBe('dist/src/cli/main.js')
    expect(pkg.scripts.prepack).toMatch(/npm run build/)
    expect((await readFile(resolve(ROOT, pkg.bin.quorate), 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node')
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
    const files = new Set((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path))
    for (const path of [pkg.bin.quorate, 'dist/src/node/run.js', 'dist/src/governance/artifacts.json', 'examples/consortium/devnet.yaml', 'web/dist/index.html', 'docs/cli.md', 'README.md', 'package.json']) {
      expect(files.has(path), path).toBe(true)
    }
    expect([...files].some((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('dist/bench/')), 'no sources, tests or benchmarks').toBe(false)
  }, 60_000)
})
