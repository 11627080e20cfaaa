/**
 * The P2P fuzz targets (fuzz/targets/p2p-*.ts) at a fixed seed and 2,000 inputs each: frames and the
 * signed handshake. `npm run fuzz` runs the same targets with 100,000+ inputs and random seeds.
 */
import { describe, it } from 'vitest'
import { createTarget as frameTarget } from '../../../fuzz/targets/p2p-frame.js'
import { createTarget as handshakeTarget } from '../../../fuzz/targets/p2p-handshake.js'
import { fuzzSmall } from './helpers.js'

describe('fuzz: P2P frames and handshake', () => {
  it('decodeFrame never throws and round-trips every frame it accepts', async () => {
    await fuzzSmall(await frameTarget(), 0x5eed01)
  })

  it('verifyHello and runHandshake refuse mutated and random input with typed errors only', async () => {
    await fuzzSmall(await handshakeTarget(), 0x5eed02, 1_000)
  })

})
