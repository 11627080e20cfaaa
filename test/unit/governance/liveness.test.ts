import { describe, expect, it } from 'vitest'
import { livenessShortfall, quorumOf, shortfallText, validatorsAfter } from '../../../src/governance/liveness.js'
import type { Address } from '../../../src/types.js'

const addr = (i: number) => `0x${i.toString(16).padStart(40, '0')}` as Address
const V = [1, 2, 3, 4].map(addr)
const nodes = [
  { address: addr(1), party: 'a' },
  { address: addr(2), party: 'b' },
  { address: addr(3), party: 'c' },
  { address: addr(4), party: 'c' },
  { address: addr(9), party: 'd' },
]

describe('liveness of a validator change', () => {
  it('computes the set each decision leaves, or none when the set does not change', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(quorumOf)).toEqual([1, 1, 2, 2, 3, 4, 4, 5])
    expect(validatorsAfter({ decision: 'RemoveValidator', node: addr(2) }, V, nodes)).toEqual([addr(1), addr(3), addr(4)])
    expect(validatorsAfter({ decision: 'RemoveNode', node: addr(9) }, V, nodes)).toBeUndefined()
    expect(validatorsAfter({ decision: 'SuspendParty', id: 'c' }, V, nodes)).toEqual([addr(1), addr(2)])
    expect(validatorsAfter({ decision: 'AddValidator', node: addr(9) }, V, nodes)).toEqual([...V, addr(9)])
    expect(validatorsAfter({ decision: 'AddNode', node: addr(9), party: 'd', endpoint: '', validator: false }, V, nodes)).toBeUndefined()
    expect(validatorsAfter({ decision: 'AddNode', node: addr(9), party: 'd', endpoint: '', validator: true }, V, nodes)).toHaveLength(5)
    expect(validatorsAfter({ decision: 'ApproveCode', codeHash: `0x${'11'.repeat(32)}` }, V, nodes)).toBeUndefined()
    // A freeze takes the party's validators out like a suspension.
    expect(validatorsAfter({ decision: 'FreezeParty', id: 'c' }, V, nodes)).toEqual([addr(1), addr(2)])
    expect(validatorsAfter({ decision: 'FreezeParty', id: 'd' }, V, nodes)).toBeUndefined()
  })

  it('brings back the validators of a reinstated or unfrozen party, and nothing else', () => {
    const suspended = [
      { address: addr(1), party: 'a', validator: true, status: 'active' },
      { address: addr(2), party: 'b', validator: true, status: 'active' },
      { address: addr(3), party: 'c', validator: true, status: 'active' },
      { address: addr(4), party: 'c', validator: false, status: 'active' },
      { address: addr(5), party: 'c', validator: true, status: 'removed' },
    ]
    const V2 = [addr(1), addr(2)]
    expect(validatorsAfter({ decision: 'UnfreezeParty', id: 'c' }, V2, suspended)).toEqual([addr(1), addr(2), addr(3)])
    expect(validatorsAfter({ decision: 'ReinstateParty', id: 'c' }, V2, suspended)).toEqual([addr(1), addr(2), addr(3)])
    expect(validatorsAfter({ decision: 'ReinstateParty', id: 'a' }, V2, suspended)).toBeUndefined()
    // 2 live validators; the unfrozen party's validator is down: 3 validators need 2 of them online, 2 are: fine.
    expect(livenessShortfall({ decision: 'UnfreezeParty', id: 'c' }, V2, suspended, new Set(V2))).toBeUndefined()
    // With 3 active validators of which 3 live, bringing back two dead ones makes 5 that need 4 online.
    const more = [...suspended, { address: addr(6), party: 'c', validator: true, status: 'active' }, { address: addr(7), party: 'e', validator: true, status: 'active' }]
    const V3 = [addr(1), addr(2), addr(7)]
    expect(livenessShortfall({ decision: 'UnfreezeParty', id: 'c' }, V3, more, new Set(V3))).toEqual({ validators: 5, quorum: 4, live: 3, silent: [addr(3), addr(6)] })
  })

  it('refuses a change that leaves fewer live validators than a quorum, and names the silent ones', () => {
    // 4 validators, 3 live: adding a fifth that is not live needs 4 of 5 live; only 3 are.
    const live = new Set([1, 2, 3].map(addr))
    const short = livenessShortfall({ decision: 'AddValidator', node: addr(9) }, V, nodes, live)
    expect(short).toEqual({ validators: 5, quorum: 4, live: 3, silent: [addr(4), addr(9)] })
    expect(shortfallText(short!)).toBe(`after this change 5 validators need 4 online to finalise blocks, but only 3 of them are live (not live: ${addr(4)}, ${addr(9)})`)
    // A candidate that is connected counts as live.
    expect(livenessShortfall({ decision: 'AddValidator', node: addr(9) }, V, nodes, new Set([...live, addr(9)]))).toBeUndefined()
    // Removing a live validator of 4 with one silent: 3 left need 2, and 2 are live.
    expect(livenessShortfall({ decision: 'RemoveValidator', node: addr(1) }, V, nodes, live)).toBeUndefined()
    // Suspending party c (two validators, one live) with only 1 and 2 live: 2 left need 2: fine; with 2 silent: refused.
    expect(livenessShortfall({ decision: 'SuspendParty', id: 'c' }, V, nodes, live)).toBeUndefined()
    expect(livenessShortfall({ decision: 'SuspendParty', id: 'c' }, V, nodes, new Set([addr(1), addr(3)]))).toMatchObject({ validators: 2, quorum: 2, live: 1 })
    expect(livenessShortfall({ decision: 'FreezeParty', id: 'c' }, V, nodes, new Set([addr(1), addr(3)]))).toMatchObject({ validators: 2, quorum: 2, live: 1 })
  })
})
