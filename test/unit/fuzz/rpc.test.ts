/**
 * The JSON-RPC fuzz target (fuzz/targets/rpc.ts) at a fixed seed: the dispatcher and the params
 * schemas of a real governed node's methods, fed random requests, batches and broken JSON.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { FuzzTarget } from '../../../fuzz/lib/target.js'
import { createTarget } from '../../../fuzz/targets/rpc.js'
import { fuzzSmall } from './helpers.js'

let target: FuzzTarget<string>

beforeAll(async () => {
  target = await createTarget()
})

afterAll(async () => {
  await target?.close?.()
})

describe('fuzz: JSON-RPC params', () => {
  it('every request, batch and broken text gets a clean JSON-RPC answer, never -32603', async () => {
    await fuzzSmall(target, 0x5eed05)
  })
})
