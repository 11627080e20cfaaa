/** processCpuSeconds reads a process's CPU time from /proc: this process's, while it burns CPU. */
import { describe, expect, it } from 'vitest'
import { processCpuSeconds, totalCpuSeconds } from '../../../bench/lib/process-cpu.js'

describe('processCpuSeconds', () => {
  it('grows by the CPU this process burns, and matches what Node counts', async () => {
    const before = await processCpuSeconds(process.pid)
    const ownBefore = process.cpuUsage()
    // 300 ms of CPU, however long that takes on a loaded machine.
    let x = 0
    while (process.cpuUsage(ownBefore).user < 300_000) for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1)
    expect(x).toBeGreaterThan(0)
    const after = await processCpuSeconds(process.pid)
    const own = process.cpuUsage(ownBefore)
    expect(before).toBeTypeOf('number')
    const grew = after! - before!
    // /proc counts in 10 ms ticks.
    expect(grew).toBeGreaterThanOrEqual(0.28)
    expect(Math.abs(grew - (own.user + own.system) / 1e6)).toBeLessThan(0.05)
  })

  it('says undefined for a process that is not there, and for a set holding one', async () => {
    expect(await processCpuSeconds(2 ** 30)).toBeUndefined()
    expect(await totalCpuSeconds([process.pid, 2 ** 30])).toBeUndefined()
    expect(await totalCpuSeconds([process.pid])).toBeGreaterThan(0)
  })
})
