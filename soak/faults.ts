/**
 * Injecting and healing each kind of fault on a SoakNetwork. `inject` returns the heal; healing
 * resolves once the fault is gone (a restarted node answers RPC). What goes wrong on the way (a
 * node that hangs, will not stop, or will not start) is reported through `incident`, and the soak
 * goes on.
 */
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../src/errors.js'
import type { SoakNetwork } from './network.js'
import type { Fault } from './schedule.js'

export type NodeState = 'up' | 'down' | 'paused'

export interface FaultContext {
  network: SoakNetwork
  /** Where the soak keeps each node's state (the load and the monitor skip nodes that are not up). */
  states: NodeState[]
  incident(line: string): void
  log(line: string): void
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Injects `fault`; resolves with the function that heals it. */
export async function inject(fault: Fault, ctx: FaultContext): Promise<() => Promise<void>> {
  const { network, states } = ctx
  const [node] = fault.nodes as [number]
  switch (fault.kind) {
    case 'kill':
      states[node] = 'down'
      await network.net.kill(node)
      return () => restart(node, ctx, 'kill -9')
    case 'wipe':
      states[node] = 'down'
      await network.net.kill(node)
      await network.wipe(node)
      return () => restart(node, ctx, 'kill -9 and a wiped chain folder')
    case 'pause':
      states[node] = 'paused'
      network.signal(node, 'SIGSTOP')
      return async () => {
        network.signal(node, 'SIGCONT')
        states[node] = 'up'
      }
    case 'partition':
      network.mesh.partition(fault.nodes, network.size)
      return async () => network.mesh.heal()
    case 'disk-full':
      return fillDiskFault(node, fault.holdMs, ctx)
  }
}

async function restart(node: number, ctx: FaultContext, after: string): Promise<void> {
  const began = Date.now()
  try {
    await ctx.network.net.start(node)
    ctx.states[node] = 'up'
    ctx.log(`  node-${node + 1} restarted; it answered RPC after ${((Date.now() - began) / 1000).toFixed(1)} s`)
  } catch (err) {
    ctx.incident(`node-${node + 1} did not start after ${after}: ${errorMessage(err)}`)
  }
}

/**
 * Fills the node's small disk until the file system refuses (ENOSPC), then watches the node while
 * the disk stays full: it must either exit (fail cleanly) or keep answering RPC; a live process
 * that stops answering is a hang. The heal frees the space and restarts the node.
 */
async function fillDiskFault(node: number, holdMs: number, ctx: FaultContext): Promise<() => Promise<void>> {
  const { network } = ctx
  const ballast = join(network.chainDir(node), 'ballast')
  const bytes = await fillFile(ballast)
  ctx.log(`  disk of node-${node + 1} full (${(bytes / 2 ** 20).toFixed(1)} MiB of ballast)`)
  const url = network.url(node)
  const until = Date.now() + holdMs
  let silentSince: number | undefined
  let noticed = false
  while (Date.now() < until && network.running(node)) {
    const ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => ({ answered: true, body: await r.text() }),
      () => ({ answered: false, body: '' }),
    )
    if (ready.answered) {
      silentSince = undefined
      if (!noticed && /disk full/.test(ready.body)) {
        noticed = true
        ctx.log(`  node-${node + 1} reports the full disk on /ready and keeps serving`)
      }
    } else {
      silentSince ??= Date.now()
      if (Date.now() - silentSince > 6000) {
        ctx.incident(`node-${node + 1} hung on a full disk: its process runs but RPC has not answered for 6 s`)
        break
      }
    }
    await sleep(500)
  }
  const exit = network.net.processes[node]?.child.exitCode
  if (!network.running(node)) ctx.log(`  node-${node + 1} exited on the full disk (code ${exit ?? 'by signal'})`)
  return async () => {
    await rm(ballast, { force: true })
    ctx.states[node] = 'down'
    if (network.running(node)) {
      const began = Date.now()
      const stopped = await Promise.race([network.net.stop(node).then(() => true), sleep(15_000).then(() => false)])
      if (!stopped) {
        ctx.incident(`node-${node + 1} did not stop within 15 s of SIGTERM after its disk was full`)
        await network.net.kill(node)
      } else {
        ctx.log(`  node-${node + 1} stopped on SIGTERM in ${((Date.now() - began) / 1000).toFixed(1)} s`)
      }
    } else {
      await network.net.kill(node)
    }
    await restart(node, ctx, 'its disk was full and then freed')
  }
}

/** Writes zeros to `file` until the file system refuses; returns the bytes written. */
export async function fillFile(file: string): Promise<number> {
  let written = 0
  const fh = await open(file, 'w')
  try {
    for (let size = 1 << 20; size >= 1; size = Math.floor(size / 16)) {
      const chunk = Buffer.alloc(size)
      for (;;) {
        try {
          written += (await fh.write(chunk)).bytesWritten
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
          break
        }
      }
    }
  } finally {
    await fh.close().catch(() => undefined)
  }
  return written
}
