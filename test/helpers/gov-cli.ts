/**
 * Governance through the built `quorate` CLI, for multi-process tests: admin key files of a
 * TestNetwork's founding parties (dev accounts 0..3, mode 0600), a runner that never throws on a
 * non-zero exit, and the proposal id of `gov propose` output.
 */
import { execFile } from 'node:child_process'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DevAccount } from '../../src/crypto/dev-accounts.js'
import { CLI } from './node-process.js'

export interface Run {
  code: number
  stdout: string
  stderr: string
}

export function quorate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** Runs the CLI and returns stdout; throws with both outputs on a non-zero exit. */
export async function quorateOk(args: string[]): Promise<string> {
  const r = await quorate(args)
  if (r.code !== 0) throw new Error(`quorate ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

export function proposalId(out: string): string {
  const m = /proposal #(\d+) opened/.exec(out)
  if (!m) throw new Error(`no proposal id in:\n${out}`)
  return m[1]!
}

/** Writes `account`'s private key to `<dir>/<name>.key` (0600) and returns the path. */
export async function writeKeyFile(dir: string, name: string, account: DevAccount): Promise<string> {
  const file = join(dir, `${name}.key`)
  await writeFile(file, `${account.privateKey}\n`)
  await chmod(file, 0o600)
  return file
}
