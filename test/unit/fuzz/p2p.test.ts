/**
 * The P2P fuzz targets (fuzz/targets/p2p-*.ts) at a fixed seed and 2,000 inputs each: frames and the
 * signed handshake. `npm run fuzz` runs the same targets with 100,000+ inputs and random seeds.
 */
import { describe, expect, it } from 'vitest'
import { createTarget as frameTarget } from '../../../fuzz/targets/p2p-frame.js'
import { createTarget as handshakeTarget } from '../../../fuzz/targets/p2p-handshake.js'
import { fuzzSmall } from './helpers.js'

describe('fuzz: P2P frames and handshake', () => {
  it('decodeFrame never throws and round-trips every frame it accepts', async () => {
    await fuzzSmall(await frameTarget(), 0x5eed01)
  })

  it('verifyHello and runHandshake refuse mutated and random input with typed errors only', async () => {
    const target = await handshakeTarget()
    await fuzzSmall(target, 0x5eed02, 1_000)
    // Both outcomes happen: valid hellos are accepted and some sessions complete.
    expect(target.stats.hellosAccepted).toBeGreaterThan(0)
    expect(target.stats.sessionsCompleted).toBeGreaterThan(0)
    expect(target.stats.sessionsRefused).toBeGreaterThan(0)
  })

})
