import { describe, expect, it } from 'vitest'
import { buildSchedule, FAULT_KINDS, parseKinds, seededRandom, type ScheduleOptions } from '../../../soak/schedule.js'

const base: ScheduleOptions = { seed: 42, validators: 4, kinds: FAULT_KINDS, count: 50, diskNode: 3 }

describe('soak fault schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(buildSchedule(base)).toEqual(buildSchedule(base))
    expect(buildSchedule({ ...base, seed: 43 })).not.toEqual(buildSchedule(base))
    const a = seededRandom(1)
    const b = seededRandom(1)
    expect([a(), a(), a()]).toEqual([b(), b(), b()])
  })

  it('deals every kind once in each round of as many faults as kinds', () => {
    const faults = buildSchedule(base)
    expect(faults).toHaveLength(50)
    expect(faults.map((f) => f.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    for (let r = 0; r < 10; r++) {
      const round = faults.slice(r * 5, r * 5 + 5).map((f) => f.kind)
      expect(new Set(round)).toEqual(new Set(FAULT_KINDS))
    }
  })

  it('targets real nodes, the small disk for disk-full, and never a whole network', () => {
    for (const seed of [1, 2, 3, 99, 12345]) {
      for (const validators of [4, 5, 7]) {
        for (const f of buildSchedule({ ...base, seed, validators, diskNode: validators - 1 })) {
          expect(f.nodes.length).toBeGreaterThan(0)
          expect(f.nodes.every((n) => Number.isInteger(n) && n >= 0 && n < validators)).toBe(true)
          expect(new Set(f.nodes).size).toBe(f.nodes.length)
          if (f.kind === 'disk-full') expect(f.nodes).toEqual([validators - 1])
          else if (f.kind === 'partition') expect(f.nodes.length).toBeLessThanOrEqual(Math.floor(validators / 2))
          else expect(f.nodes).toHaveLength(1)
          expect(f.gapMs).toBeGreaterThanOrEqual(4000)
          expect(f.gapMs).toBeLessThanOrEqual(12_000)
          expect(f.holdMs).toBeGreaterThanOrEqual(3000)
          expect(f.holdMs).toBeLessThanOrEqual(10_000)
        }
      }
    }
  })

  it('makes both kinds of partition: one node cut off, and the network split in halves', () => {
    const sizes = new Set(buildSchedule({ ...base, kinds: ['partition'], count: 40 }).map((f) => f.nodes.length))
    expect(sizes).toEqual(new Set([1, 2]))
  })

  it('keeps to the kinds asked for and refuses what it cannot run', () => {
    const faults = buildSchedule({ ...base, kinds: ['kill', 'wipe'], count: 10 })
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(['kill', 'wipe']))
    expect(() => buildSchedule({ ...base, validators: 3 })).toThrow(/at least 4 validators/)
    expect(() => buildSchedule({ ...base, kinds: [] })).toThrow(/no fault kinds/)
    expect(parseKinds('kill, pause,kill')).toEqual(['kill', 'pause'])
    expect(() => parseKinds('kill,reboot')).toThrow(/unknown fault kind "reboot"/)
  })
})
