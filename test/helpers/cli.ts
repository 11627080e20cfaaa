/** Runs the built `quorate` CLI as a child process, as an operator would; never throws on a non-zero exit. */
import { execFile } from 'node:child_process'
import { CLI } from './node-process.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export function quorate(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', HTTPS_PROXY: '', https_proxy: '', ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      res({ code, stdout, stderr })
    })
  })
}

/** Runs the CLI and returns its stdout; throws with both streams on a non-zero exit. */
export async function quorateOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await quorate(args, env)
  if (r.code !== 0) throw new Error(`quorate ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** The id in `proposal #N opened`. */
export function proposalId(out: string): number {
  const m = /proposal #(\d+) opened/.exec(out)
  if (!m) throw new Error(`no proposal id in:\n${out}`)
  return Number(m[1])
}
