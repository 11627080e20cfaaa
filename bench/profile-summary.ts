/**
 * `node dist/bench/profile-summary.js <dir or .cpuprofile>…`: the top costs of V8 CPU profiles (as
 * written by `bench:network --cpu-prof <dir>`), one block per profile: self time by function and
 * by module (a package under node_modules, or a source file of the project), and the share of idle
 * time. It reads the profile's samples only; nothing is sent anywhere.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { parseWith } from '../src/validation.js'
import { runMain } from './lib/run-targets.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  file: string
  totalMs: number
  idleMs: number
  /** Self time (ms) by function, most first. */
  functions: [string, number][]
  /** Self time (ms) by module, most first. */
  modules: [string, number][]
  /**
   * Inclusive time (ms) by function: the samples with the function anywhere on their stack (once
   * per sample, however deep the recursion), most first. Only synchronous callers count: V8 does
   * not link an async function's continuation to its caller.
   */
  inclusive: [string, number][]
}

/** Where a frame's code lives: `pkg:<name>` under node_modules, the project-relative file, or `node:` internals. */
export function moduleOf(url: string): string {
  if (url === '') return '(native)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/')
    return `pkg:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }
  const dist = url.indexOf('/dist/')
  if (dist >= 0) return url.slice(dist + '/dist/'.length)
  return url.replace(/^file:\/\//, '')
}

export function summarise(file: string, profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parentOf = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id)
  const self = new Map<number, number>()
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const functions = new Map<string, number>()
  const modules = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const nameOf = (f: ProfileNode['callFrame']): string => `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`
  let idle = 0
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame
    if (f.functionName === '(idle)') {
      idle += us
      continue
    }
    const mod = moduleOf(f.url)
    const name = nameOf(f)
    functions.set(name, (functions.get(name) ?? 0) + us)
    modules.set(mod, (modules.get(mod) ?? 0) + us)
    const onStack = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)!.callFrame
      if (frame.functionName === '(root)') continue
      onStack.add(nameOf(frame))
    }
    for (const n of onStack) inclusive.set(n, (inclusive.get(n) ?? 0) + us)
  }
  const top = (m: Map<string, number>): [string, number][] => [...m].map(([k, v]): [string, number] => [k, v / 1000]).sort((a, b) => b[1] - a[1])
  return { file, totalMs: (profile.endTime - profile.startTime) / 1000, idleMs: idle / 1000, functions: top(functions), modules: top(modules), inclusive: top(inclusive) }
}

function format(s: ProfileSummary, n: number, inclusive: number): string {
  const busy = s.totalMs - s.idleMs
  const pct = (ms: number): string => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`
  const lines = [`${basename(s.file)}: ${(s.totalMs / 1000).toFixed(1)} s profiled, busy ${(busy / 1000).toFixed(1)} s (${((100 * busy) / s.totalMs).toFixed(0)}%)`, '  by module (self time, share of busy):']
  for (const [m, ms] of s.modules.slice(0, n)) lines.push(`    ${pct(ms)}  ${m}`)
  lines.push('  by function:')
  for (const [f, ms] of s.functions.slice(0, n)) lines.push(`    ${pct(ms)}  ${f}`)
  if (inclusive > 0) {
    lines.push('  by function, inclusive (self and synchronous callees):')
    for (const [f, ms] of s.inclusive.slice(0, inclusive)) lines.push(`    ${pct(ms)}  ${f}`)
  }
  return lines.join('\n')
}

const optionsSchema = z.object({ top: z.coerce.number().int().min(1), inclusive: z.coerce.number().int().min(0) })

async function main(argv: string[]): Promise<number> {
  const program = new Command('profile-summary')
    .description('Top costs of V8 CPU profiles (self time by module and by function)')
    .argument('<paths...>', '.cpuprofile files, or folders of them')
    .option('--top <n>', 'rows per table', '15')
    .option('--inclusive <n>', 'also the top n functions by inclusive time (0: none)', '0')
    .parse(argv)
  const opts = parseWith(optionsSchema, program.opts(), 'command-line flags')
  const files: string[] = []
  for (const p of program.args) {
    if ((await stat(p)).isDirectory()) files.push(...(await readdir(p)).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(p, f)))
    else files.push(p)
  }
  for (const f of files) process.stdout.write(`${format(summarise(f, JSON.parse(await readFile(f, 'utf8')) as CpuProfile), opts.top, opts.inclusive)}\n\n`)
  return files.length > 0 ? 0 : 1
}

runMain('profile-summary', main)
