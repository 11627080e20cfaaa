import { defineConfig } from 'vitest/config'

/**
 * Tests that measure how a node holds up under a flood it is sent (CPU-bound on both sides): they
 * run alone, after the rest, so another file's nodes do not take the cores they measure.
 */
const ALONE = ['test/integration/rpc-limits.test.ts']

const shared = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' } as const

export default defineConfig({
  test: {
    // Two files at a time: most integration time is spent waiting on block periods, halts and
    // timeouts of real node processes (each on its own random loopback ports), not on the CPU.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { test: { ...shared, name: 'main', include: ['test/**/*.test.ts'], exclude: ALONE, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'alone', include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
})
