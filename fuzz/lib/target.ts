/**
 * What a fuzz target is, how one input is judged, and how a target is run with fast-check. Shared by
 * the bounded runner (`npm run fuzz`, fuzz/runner.ts) and the small fixed-seed runs of the default
 * test suite (test/unit/fuzz).
 *
 * A target gives an arbitrary (random bytes, valid inputs, and valid inputs mutated) and a check.
 * The check throws a `Finding` when the code under test breaks a property: it threw something other
 * than the project's typed errors, answered an unclean JSON-RPC error, a round trip changed the
 * bytes, or one input took longer than the per-input bound (a hang).
 */
import fc from 'fast-check'
import { QuorateError } from '../../src/errors.js'

export type FindingKind = 'crash' | 'hang'

/** A broken property. `kind: 'hang'` when one input took too long. */
export class Finding extends Error {
  override name = 'Finding'
  constructor(
    readonly kind: FindingKind,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined)
  }
}

export interface FuzzTarget<T = unknown> {
  readonly name: string
  /** One line: what is fed to what, and which properties are checked. */
  readonly description: string
  readonly arbitrary: fc.Arbitrary<T>
  /** Judges one input; throws a Finding (or anything else, also a crash) when a property breaks. */
  check(input: T): void | Promise<void>
  /** Bound of one input for this target, when it must differ from the runner's (e.g. a node behind it). */
  readonly inputMs?: number
  /** Outcome counts (accepted, refusals by code...) that show how deep the inputs reach; printed by the runner. */
  readonly stats?: object
  /** Releases what the target opened (a node, temp folders). */
  close?(): Promise<void>
}

export type TargetFactory = () => Promise<FuzzTarget>

/** Most time one input may take before it counts as a hang. */
export const DEFAULT_INPUT_MS = 2_000

/**
 * The typed-error oracle: `err` is a QuorateError (or subclass) with a non-empty string code, and
 * optionally one of `codes`. Anything else (TypeError, RangeError, a library's plain Error, a
 * string) is a crash.
 */
export function expectTyped(err: unknown, what: string, codes?: readonly string[]): void {
  if (!(err instanceof QuorateError) || typeof err.code !== 'string' || err.code.length === 0) {
    const shown = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    throw new Finding('crash', `${what} threw an untyped error: ${shown}`, { cause: err })
  }
  if (codes && !codes.includes(err.code)) {
    throw new Finding('crash', `${what} threw ${err.name} with code ${err.code}, not one of ${codes.join(', ')}`, { cause: err })
  }
}

/** Calls a synchronous decoder; returns its result or the typed error it threw (anything else is a Finding). */
export function tryTyped<R>(what: string, fn: () => R, codes?: readonly string[]): { ok: true; value: R } | { ok: false; error: QuorateError } {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    if (err instanceof Finding) throw err
    expectTyped(err, what, codes)
    return { ok: false, error: err as QuorateError }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

export function hex(bytes: Uint8Array, max = 96): string {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  return `0x${h.length > max ? `${h.slice(0, max)}…(${bytes.length} bytes)` : h}`
}

/** Runs `check` with a bound: a synchronous input that took longer, or a promise still pending after `ms`, is a hang. */
export async function bounded(check: () => void | Promise<void>, ms: number): Promise<void> {
  const started = performance.now()
  const out = check()
  if (out !== undefined) {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Finding('hang', `input still unanswered after ${ms} ms`)), ms)
    })
    try {
      await Promise.race([out, deadline])
    } finally {
      clearTimeout(timer)
    }
  }
  const took = performance.now() - started
  if (took > ms) throw new Finding('hang', `input took ${Math.round(took)} ms (bound ${ms} ms)`)
}

export interface RunOptions {
  runs: number
  seed: number
  /** fast-check replay path of a counterexample (from a previous report). */
  path?: string
  /** Stop after this much time and report the inputs done (not a failure). */
  timeLimitMs?: number
  inputMs?: number
  /** Called before each input with the number of inputs started (the runner's watchdog heartbeat). */
  onInput?: (n: number) => void
}

export interface RunReport {
  target: string
  inputs: number
  crashes: number
  hangs: number
  seed: number
  ms: number
  /** The run stopped at the time limit before `runs` inputs. */
  capped: boolean
  failure?: { kind: FindingKind; message: string; counterexample: string; path: string }
}

/** Runs one target with fast-check; never throws for a failing property (the report says it). */
export async function runTarget(target: FuzzTarget, opts: RunOptions): Promise<RunReport> {
  let started = 0
  const inputMs = Math.max(opts.inputMs ?? DEFAULT_INPUT_MS, target.inputMs ?? 0)
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    started++
    opts.onInput?.(started)
    await bounded(() => target.check(input), inputMs)
  })
  const t0 = performance.now()
  const details = await fc.check(property, {
    numRuns: opts.runs,
    seed: opts.seed,
    ...(opts.path !== undefined ? { path: opts.path } : {}),
    ...(opts.timeLimitMs !== undefined ? { interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false } : {}),
  })
  const ms = Math.round(performance.now() - t0)
  const report: RunReport = {
    target: target.name,
    inputs: details.numRuns,
    crashes: 0,
    hangs: 0,
    seed: details.seed,
    ms,
    capped: details.interrupted && details.numRuns < opts.runs,
  }
  if (details.failed) {
    const err = details.errorInstance
    const kind: FindingKind = err instanceof Finding ? err.kind : 'crash'
    if (kind === 'hang') report.hangs = 1
    else report.crashes = 1
    const message = err instanceof Error ? `${err.message}${err.cause instanceof Error && err.cause.stack ? `\n${err.cause.stack}` : ''}` : String(err)
    report.failure = { kind, message, counterexample: fc.stringify(details.counterexample?.[0]), path: details.counterexamplePath ?? '' }
  }
  return report
}
