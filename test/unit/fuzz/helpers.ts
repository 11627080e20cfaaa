/** Runs a fuzz target for the default suite: a fixed seed, a small number of inputs, and the finding in the failure message. */
import { expect } from 'vitest'
import { runTarget, type FuzzTarget, type RunReport } from '../../../fuzz/lib/target.js'

export const SMALL_RUNS = 2_000

export async function fuzzSmall(target: FuzzTarget, seed: number, runs = SMALL_RUNS): Promise<RunReport> {
  const report = await runTarget(target, { runs, seed })
  const f = report.failure
  expect(f, f ? `${f.kind} in ${report.target} (seed ${report.seed}, path ${f.path}): ${f.message}\ninput: ${f.counterexample}` : '').toBeUndefined()
  expect(report.inputs).toBe(runs)
  return report
}
