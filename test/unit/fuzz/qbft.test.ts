/**
 * The QBFT message fuzz target (fuzz/targets/qbft-message.ts) at a fixed seed: decodeMessage with the
 * real block codec, and the state machine, on signed, mutated and random messages.
 */
import { describe, expect, it } from 'vitest'
import { createTarget } from '../../../fuzz/targets/qbft-message.js'
import { createTarget as extraDataTarget } from '../../../fuzz/targets/qbft-extra-data.js'
import { createTarget as stateChangesTarget } from '../../../fuzz/targets/state-changes.js'
import { fuzzSmall } from './helpers.js'

describe('fuzz: QBFT messages', () => {
  it('decodeMessage throws only QbftMessageError, round-trips what it accepts, and the machine never throws', async () => {
    const target = await createTarget()
    await fuzzSmall(target, 0x5eed03)
    // The inputs reach past the envelope: every message type is decoded and verified.
    for (const type of ['proposal', 'prepare', 'commit', 'roundChange', 'QBFT_BAD_MESSAGE', 'QBFT_BAD_SIGNATURE']) expect(target.stats[type], type).toBeGreaterThan(0)
  })
})

describe('fuzz: QBFT header extraData', () => {
  it('decodeExtraData throws only ExtraDataError and round-trips what it accepts', async () => {
    await fuzzSmall(await extraDataTarget(), 0x5eed06)
  })
})

describe('fuzz: state changes served in sync', () => {
  it('decodeStateChanges throws only StateChangesError and round-trips what it accepts', async () => {
    await fuzzSmall(await stateChangesTarget(), 0x5eed0c)
  })
})
