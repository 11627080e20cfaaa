/**
 * Runs one fuzz target in a worker thread for fuzz/runner.ts, which bounds its heap and watches
 * its heartbeat: slot 0 of `heartbeat` holds the number of inputs started, so an input that never
 * returns (a synchronous loop) or allocates without bound is caught from outside and named.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runTarget, type RunOptions } from './lib/target.js'
import { TARGETS } from './targets/index.js'

export interface WorkerRequest {
  target: string
  options: Omit<RunOptions, 'onInput'>
  heartbeat: SharedArrayBuffer
}

export interface WorkerReply {
  report: Awaited<ReturnType<typeof runTarget>>
  stats?: unknown
}

async function main(): Promise<void> {
  const req = workerData as WorkerRequest
  const beat = new Int32Array(req.heartbeat)
  const factory = TARGETS[req.target]
  if (!factory) throw new Error(`unknown target ${req.target}`)
  const target = await factory()
  try {
    const report = await runTarget(target, { ...req.options, onInput: (n) => Atomics.store(beat, 0, n) })
    const stats = target.stats
    parentPort?.postMessage({ report, ...(stats !== undefined ? { stats } : {}) } satisfies WorkerReply)
  } finally {
    await target.close?.()
  }
}

await main()
