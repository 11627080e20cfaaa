/**
 * The QBFT message fuzz target (fuzz/targets/qbft-message.ts) at a fixed seed: decodeMessage with the
 * real block codec, and the state machine, on signed, mutated and random messages.
 */
import { describe, it } from 'vitest'
import { createTarget } from '../../../fuzz/targets/qbft-message.js'
import { createTarget as extraDataTarget } from '../../../fuzz/targets/qbft-extra-data.js'
import { fuzzSmall } from './helpers.js'

describe('fuzz: QBFT messages', () => {
  it('decodeMessage throws only QbftMessageError, round-trips what it accepts, and the machine never throws', async () => {
    await fuzzSmall(await createTarget(), 0x5eed03)
  })
})

describe('fuzz: QBFT header extraData', () => {
  it('decodeExtraData throws only ExtraDataError and round-trips what it accepts', async () => {
    await fuzzSmall(await extraDataTarget(), 0x5eed06)
  })
})
