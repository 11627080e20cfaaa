/**
 * The soak's fault schedule: a seeded, reproducible list of faults. The same seed, node count and
 * kinds always give the same list, so a failing run can be replayed with `--seed`.
 *
 * Faults run one after another: a quiet gap under load, the fault held for a while, then healed,
 * then the soak waits for recovery before the next gap. The list is longer than any run needs; the
 * soak stops taking faults from it when its time is up. Kinds are dealt in shuffled rounds, so any
 * `kinds.length` consecutive faults hold every kind once.
 */
export const FAULT_KINDS = ['kill', 'pause', 'partition', 'wipe', 'disk-full'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export interface Fault {
  /** 1-based position in the schedule. */
  seq: number
  kind: FaultKind
  /** Nodes the fault acts on (0-based). For a partition: the nodes cut off from the others. */
  nodes: number[]
  /** Load without faults before this one, ms. */
  gapMs: number
  /** How long the fault lasts before it is healed, ms. */
  holdMs: number
}

export interface ScheduleOptions {
  seed: number
  validators: number
  kinds: readonly FaultKind[]
  /** Faults to make. */
  count: number
  /** The node whose data folder is the small disk (disk-full always hits it). */
  diskNode: number
  gapMs?: [number, number]
  holdMs?: [number, number]
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function buildSchedule(opts: ScheduleOptions): Fault[] {
  if (opts.validators < 4) throw new RangeError('a soak needs at least 4 validators: one faulty node must leave a quorum')
  if (opts.kinds.length === 0) throw new RangeError('no fault kinds to schedule')
  const random = seededRandom(opts.seed)
  const between = ([lo, hi]: [number, number]): number => Math.round(lo + random() * (hi - lo))
  const pick = (n: number): number => Math.floor(random() * n)
  const gap: [number, number] = opts.gapMs ?? [4000, 12_000]
  const hold: [number, number] = opts.holdMs ?? [3000, 10_000]
  const faults: Fault[] = []
  let round: FaultKind[] = []
  while (faults.length < opts.count) {
    if (round.length === 0) round = shuffle([...opts.kinds], pick)
    const kind = round.pop()!
    faults.push({ seq: faults.length + 1, kind, nodes: targets(kind, opts, pick), gapMs: between(gap), holdMs: between(hold) })
  }
  return faults
}

function targets(kind: FaultKind, opts: ScheduleOptions, pick: (n: number) => number): number[] {
  if (kind === 'disk-full') return [opts.diskNode]
  const one = pick(opts.validators)
  // Half the partitions split the network in two halves, which halts it (no side has a quorum) until healed.
  if (kind === 'partition' && pick(2) === 0) {
    const rest = shuffle(
      Array.from({ length: opts.validators }, (_, i) => i),
      pick,
    )
    return rest.slice(0, Math.floor(opts.validators / 2)).sort((a, b) => a - b)
  }
  return [one]
}

function shuffle<T>(items: T[], pick: (n: number) => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = pick(i + 1)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/** Parses `--faults kill,pause,...`. */
export function parseKinds(text: string): FaultKind[] {
  const kinds = text.split(',').map((k) => k.trim()).filter(Boolean)
  for (const k of kinds) if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new RangeError(`unknown fault kind ${JSON.stringify(k)} (known: ${FAULT_KINDS.join(', ')})`)
  return [...new Set(kinds)] as FaultKind[]
}
