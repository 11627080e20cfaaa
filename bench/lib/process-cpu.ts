/**
 * CPU time used by processes, read from Linux's /proc: what a node process (all its threads) spent
 * while a benchmark ran, so that the cost per transaction is measured in the run itself rather
 * than only modelled from its parts.
 */
import { readFile } from 'node:fs/promises'

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on every Linux architecture Node runs on). */
const USER_HZ = 100

/** User + system CPU seconds of process `pid`, its threads included; undefined where /proc cannot tell (not Linux, process gone). */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  let stat: string
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : undefined
}

/** The CPU seconds of all `pids` together; undefined if any cannot be read. */
export async function totalCpuSeconds(pids: readonly number[]): Promise<number | undefined> {
  const each = await Promise.all(pids.map(processCpuSeconds))
  return each.every((s): s is number => s !== undefined) ? each.reduce((a, b) => a + b, 0) : undefined
}
