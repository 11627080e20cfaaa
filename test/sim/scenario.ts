/**
 * Fault scenarios for the QBFT simulation, drawn from a seed. Faulty nodes (byzantine, crashed,
 * restarted with an empty memory) never exceed f: a node that restarts without its lock is as
 * faulty as any other for the protocol's safety argument.
 */
import { maxFaulty } from '../../src/consensus/qbft/index.js'
import { Prng } from './prng.js'

/** See adversary.ts: equivocate and double-vote; also withhold votes; or only send RoundChanges. */
export type ByzantineMode = 'equivocate' | 'withhold' | 'silent'

export interface Crash {
  node: number
  at: number
  /** Restart with an empty machine at the node's stored chain head; undefined = stays dead. */
  restartAt?: number
}

export interface Partition {
  from: number
  to: number
  /** Nodes on one side; the rest are on the other. */
  side: ReadonlySet<number>
}

export interface Scenario {
  seed: number
  n: number
  byzantine: number[]
  byzantineMode: ByzantineMode
  crashes: Crash[]
  dropRate: number
  /** Extra drop probability for Commit messages before GST (some nodes decide, others do not). */
  commitDropRate: number
  /**
   * Before GST, share of heights where the network delivers Commits to one honest victim only and
   * cuts the victim off (for 2-8 s) once it decides: the victim has decided, the others have not
   * and do not hear about it, so only their locks keep them from deciding another block.
   */
  targetedCommitRate: number
  maxDelayMs: number
  partitions: Partition[]
  /** Global stabilisation time: from here no drops, no partitions, delays <= postGstMaxDelayMs. */
  gstMs: number
  postGstMaxDelayMs: number
  /** Heights every live honest node must add after GST ... */
  heightsAfterGst: number
  /** ... within this much virtual time. */
  livenessBoundMs: number
  blockPeriodMs: number
  roundTimeout: { baseMs: number; capMs: number }
  /** Test-only quorum for the negative control. */
  quorum?: (n: number) => number
}

export interface ScenarioOptions {
  /** Force this many byzantine nodes (default: 0..min(f, 2), mostly 1). */
  byzantine?: number
  /** Force the byzantine strategy (default: random). */
  byzantineMode?: ByzantineMode
  /** Allow crashes (default true). */
  crashes?: boolean
  /** Allow drops, partitions and long delays before GST (default true). */
  networkFaults?: boolean
  quorum?: (n: number) => number
}

export function randomScenario(seed: number, n: number, opts: ScenarioOptions = {}): Scenario {
  const rng = new Prng(seed ^ 0x5bd1e995)
  const f = maxFaulty(n)
  const gstMs = rng.int(3000, 15_000)
  const byzCount = opts.byzantine ?? Math.min(f, rng.chance(0.8) ? 1 : rng.chance(0.5) ? 2 : 0)
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i))
  const byzantine = order.slice(0, byzCount)
  const crashCount = opts.crashes === false ? 0 : rng.int(0, f - byzCount)
  const crashes: Crash[] = order.slice(byzCount, byzCount + crashCount).map((node) => {
    const at = rng.int(0, gstMs - 1000)
    const crash: Crash = { node, at }
    if (rng.chance(0.6)) crash.restartAt = rng.int(at + 1, gstMs)
    return crash
  })
  const faults = opts.networkFaults !== false
  // Two families: general chaos, and a split-brain network that lets one node decide alone.
  const splitBrain = faults && rng.chance(0.4)
  const partitions: Partition[] = []
  const windows = faults && !splitBrain ? rng.int(0, 2) : 0
  for (let i = 0; i < windows; i++) {
    const from = rng.int(0, gstMs - 500)
    const to = rng.int(from + 200, gstMs)
    const side = new Set(rng.shuffle(order).slice(0, rng.int(1, n - 1)))
    partitions.push({ from, to, side })
  }
  const scenario: Scenario = {
    seed,
    n,
    byzantine,
    byzantineMode: opts.byzantineMode ?? (rng.chance(0.5) ? 'equivocate' : rng.chance(0.5) ? 'withhold' : 'silent'),
    crashes,
    dropRate: !faults ? 0 : splitBrain ? rng.next() * 0.05 : rng.next() * 0.3,
    commitDropRate: faults && !splitBrain && rng.chance(0.5) ? rng.next() * 0.8 : 0,
    targetedCommitRate: splitBrain ? 0.5 + rng.next() * 0.5 : 0,
    maxDelayMs: !faults ? 20 : splitBrain ? rng.int(10, 150) : rng.int(10, 600),
    partitions,
    gstMs,
    postGstMaxDelayMs: 50,
    heightsAfterGst: 3,
    livenessBoundMs: 60_000,
    blockPeriodMs: 1000,
    roundTimeout: { baseMs: 2000, capMs: 10_000 },
  }
  if (opts.quorum) scenario.quorum = opts.quorum
  return scenario
}

export function describeScenario(s: Scenario): string {
  const crashes = s.crashes.map((c) => `${c.node}@${c.at}${c.restartAt === undefined ? '(dead)' : `->${c.restartAt}`}`).join(',')
  const parts = s.partitions.map((p) => `[${[...p.side].join('')}|${p.from}-${p.to}]`).join('')
  return `seed=${s.seed} n=${s.n} byz=[${s.byzantine}](${s.byzantineMode}) crashes=[${crashes}] drop=${s.dropRate.toFixed(2)} commitDrop=${s.commitDropRate.toFixed(2)} targeted=${s.targetedCommitRate.toFixed(2)} delay<=${s.maxDelayMs} partitions=${parts || 'none'} gst=${s.gstMs}`
}
