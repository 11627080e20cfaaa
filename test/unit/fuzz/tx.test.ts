/**
 * The transaction fuzz target (fuzz/targets/tx-decode.ts) at a fixed seed: TxPool.addRaw, the decode
 * and admission path of eth_sendRawTransaction and of gossiped transactions.
 */
import { describe, expect, it } from 'vitest'
import { createTarget } from '../../../fuzz/targets/tx-decode.js'
import { fuzzSmall } from './helpers.js'

describe('fuzz: raw transactions', () => {
  it('addRaw refuses mutated and random bytes with TxPoolError only, and accepted bytes round-trip', async () => {
    const target = await createTarget()
    await fuzzSmall(target, 0x5eed04)
    // The inputs reach deep: some transactions are admitted, and refusals come from several checks.
    expect(target.stats.accepted).toBeGreaterThan(0)
    expect(Object.keys(target.stats.refused).length).toBeGreaterThan(4)
  })
})
