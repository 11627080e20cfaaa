/**
 * The top costs of a V8 CPU profile (`node --cpu-prof`, e.g. `bench:node --profile <dir>`): self
 * time and inclusive time per function, as shares of the profile. Inclusive time follows the
 * synchronous stack only: work after an `await` counts under the microtask queue, not its caller.
 *
 *   node dist/bench/profile-top.js <file.cpuprofile> [self rows] [inclusive rows]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, selfRows = '25', inclusiveRows = '40'] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: node dist/bench/profile-top.js <file.cpuprofile> [self rows] [inclusive rows]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const sampled = new Map<number, number>()
profile.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const total = [...sampled.values()].reduce((a, b) => a + b, 0)
const key = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
for (const n of profile.nodes) {
  const t = sampled.get(n.id) ?? 0
  if (t === 0) continue
  self.set(key(n), (self.get(key(n)) ?? 0) + t)
  // Each function once per sample, however deep it recurses.
  const seen = new Set<string>()
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const k = key(byId.get(id)!)
    if (seen.has(k)) continue
    seen.add(k)
    inclusive.set(k, (inclusive.get(k) ?? 0) + t)
  }
}
const rows = (m: Map<string, number>, n: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n')
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n--- self\n${rows(self, Number(selfRows))}\n--- inclusive\n${rows(inclusive, Number(inclusiveRows))}\n`)
