/**
 * Runs many seeded scenarios and turns every broken property into a line that names the seed and
 * how to replay it. Replay one run with a trace:
 *   QBFT_SIM_SEED=<seed> QBFT_SIM_N=<n> QBFT_SIM_TRACE=1 npx vitest run test/sim
 */
import { describeScenario, randomScenario, type ScenarioOptions } from './scenario.js'
import { simulate, type SimResult } from './simulator.js'

export interface Campaign {
  results: SimResult[]
  failures: string[]
}

function replayHint(seed: number, n: number): string {
  return `replay: QBFT_SIM_SEED=${seed} QBFT_SIM_N=${n} QBFT_SIM_TRACE=1 npx vitest run test/sim`
}

/** Seeds from..to, or only QBFT_SIM_SEED when set (and QBFT_SIM_N matches or is unset). */
export function seedsFor(n: number, from: number, to: number): number[] {
  const only = process.env.QBFT_SIM_SEED
  if (only !== undefined) {
    const wantN = process.env.QBFT_SIM_N
    return wantN === undefined || Number(wantN) === n ? [Number(only)] : []
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

export function runCampaign(n: number, seeds: number[], opts: ScenarioOptions = {}): Campaign {
  const trace = process.env.QBFT_SIM_TRACE ? (line: string) => console.log(line) : undefined
  const results: SimResult[] = []
  const failures: string[] = []
  for (const seed of seeds) {
    const scenario = randomScenario(seed, n, opts)
    const r = simulate(scenario, trace)
    results.push(r)
    const problems = [
      ...r.conflicts.map((c) => `SAFETY: ${c}`),
      ...r.badCommits.map((c) => `BAD COMMIT: ${c}`),
      ...r.honestFlagged.map((c) => `HONEST NODE REPORTED: ${c}`),
      ...(r.liveness.ok ? [] : [`LIVENESS: ${r.liveness.detail}`]),
    ]
    if (problems.length > 0) failures.push(`${describeScenario(scenario)}\n  ${problems.slice(0, 5).join('\n  ')}\n  ${replayHint(seed, n)}`)
  }
  return { results, failures }
}
