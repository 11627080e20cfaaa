/**
 * The fleet and quorum rules (pure): which nodes are up, behind or down, which validators are
 * sealing, and the quorum in words for a healthy network, one validator down, two down (halted),
 * a stall with every validator reachable, and a validator that reaches the others but not us.
 */
import { describe, expect, it } from 'vitest'
import { assessFleet, type FleetInput } from '../../../src/ops/fleet.js'
import type { Address } from '../../../src/types.js'

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const [A, B, C, D] = [addr(1), addr(2), addr(3), addr(4)]
const OBSERVER = addr(9)
const NOW = 10_000_000

/** Node A's view of a healthy 4-validator network at head 107, a block 1 s ago. */
function healthy(): FleetInput {
  return {
    now: NOW,
    self: A,
    head: 107,
    lastBlockAt: NOW - 1000,
    stalledAfterMs: 30_000,
    validators: [A, B, C, D],
    nodes: [
      { address: A, party: 'bank', validator: true, status: 'active' },
      { address: B, party: 'insurer', validator: true, status: 'active' },
      { address: C, party: 'broker', validator: true, status: 'active' },
      { address: D, party: 'regulator', validator: true, status: 'active' },
      { address: OBSERVER, party: 'regulator', validator: false, status: 'active' },
    ],
    peers: [
      { address: B, head: 107, headAt: NOW - 900 },
      { address: C, head: 106, headAt: NOW - 1900 },
      { address: D, head: 107, headAt: NOW - 900 },
    ],
    departed: [],
    lastActive: new Map([A, B, C, D].map((v, i) => [v, 104 + i])),
    sealWindow: 10,
    maxBlocksBehind: 2,
  }
}

/** The input with `gone` validators disconnected at head `at` and the head not moving since `sinceMs`. */
function without(gone: Address[], at: number, sinceMs: number): FleetInput {
  const h = healthy()
  return {
    ...h,
    head: at,
    lastBlockAt: NOW - sinceMs,
    peers: h.peers.filter((p) => !gone.includes(p.address)),
    departed: gone.map((address) => ({ address, lastSeenAt: NOW - sinceMs, head: at, ourHeadAtLeave: at })),
  }
}

const node = (r: ReturnType<typeof assessFleet>, a: Address) => r.nodes.find((n) => n.address === a)!

describe('assessFleet', () => {
  it('all healthy: every node up with its own head, every validator sealing, quorum in words', () => {
    const r = assessFleet(healthy())
    expect(r.quorum).toMatchObject({ state: 'healthy', tone: 'ok', validators: 4, quorum: 3, faultBudget: 1, reachable: 4, unreachable: 0, sealing: 4 })
    expect(r.quorum.summary).toBe('All 4 validators reachable — quorum 3, fault budget 1')
    expect(r.nodes.map((n) => [n.address, n.state, n.head, n.sealing])).toEqual([
      [A, 'up', 107, 'sealing'],
      [B, 'up', 107, 'sealing'],
      [C, 'up', 106, 'sealing'],
      [D, 'up', 107, 'sealing'],
      // Governance lists the observer; it is not connected, so it is down (and never sealing).
      [OBSERVER, 'down', undefined, undefined],
    ])
    expect(node(r, A)).toMatchObject({ self: true, party: 'bank' })
  })

  it('a connected peer more than maxBlocksBehind below the head is behind, and still reachable', () => {
    const input = healthy()
    const r = assessFleet({ ...input, peers: input.peers.map((p) => (p.address === C ? { ...p, head: 100 } : p)) })
    expect(node(r, C).state).toBe('behind')
    expect(r.quorum.reachable).toBe(4)
  })

  it('one validator down: within the fault budget, and the down one is never sealing', () => {
    const r = assessFleet(without([D], 107, 1000))
    expect(node(r, D)).toMatchObject({ state: 'down', connected: false, sealing: 'down', head: 107, lastSeenAt: NOW - 1000 })
    expect(r.quorum).toMatchObject({ state: 'degraded', tone: 'warn', reachable: 3, unreachable: 1, sealing: 3 })
    expect(r.quorum.summary).toBe('1 of 4 validators unreachable — within the fault budget (1); blocks are being made')
  })

  it('two validators down: quorum lost right away, "halted" once the head is older than the stall limit', () => {
    const early = assessFleet(without([C, D], 107, 2000))
    expect(early.quorum).toMatchObject({ state: 'lost', tone: 'bad', reachable: 2, unreachable: 2, sealing: 2 })
    expect(early.quorum.summary).toBe('Quorum lost: 2 of 4 validators unreachable — no block since #107 (needs 3 of 4)')

    const halted = assessFleet(without([C, D], 107, 45_000))
    expect(halted.quorum.summary).toBe('Quorum lost: 2 of 4 validators unreachable — chain halted since #107 (needs 3 of 4)')
    expect(halted.quorum.stalled).toBe(true)
    // Nobody seals a halted chain: the reachable ones are "stalled", the others "down".
    expect(halted.nodes.filter((n) => n.validator).map((n) => n.sealing)).toEqual(['stalled', 'stalled', 'down', 'down'])
    expect(halted.quorum.sealing).toBe(0)
  })

  it('a stall with every validator reachable says so, and is bad', () => {
    const r = assessFleet({ ...healthy(), lastBlockAt: NOW - 60_000 })
    expect(r.quorum.state).toBe('stalled')
    expect(r.quorum.tone).toBe('bad')
    expect(r.quorum.summary).toMatch(/^Chain halted since #107 although 4 of 4 validators are reachable/)
  })

  it('a validator not linked to this node but sealing blocks made since is up (the others reach it)', () => {
    const input = healthy()
    const r = assessFleet({
      ...input,
      peers: input.peers.filter((p) => p.address !== D),
      departed: [{ address: D, lastSeenAt: NOW - 20_000, ourHeadAtLeave: 100 }],
    })
    expect(node(r, D)).toMatchObject({ state: 'up', connected: false, sealing: 'sealing' })
    expect(r.quorum.state).toBe('healthy')
  })

  it('a validator whose last seal is older than its departure is down, even in a live chain', () => {
    const input = healthy()
    const r = assessFleet({
      ...input,
      peers: input.peers.filter((p) => p.address !== D),
      departed: [{ address: D, lastSeenAt: NOW - 2000, ourHeadAtLeave: 107 }],
    })
    expect(node(r, D).state).toBe('down')
    expect(node(r, D).sealing).toBe('down')
  })

  it('a connected validator that has not sealed or proposed in the window is idle, not sealing', () => {
    const input = healthy()
    const r = assessFleet({ ...input, lastActive: new Map([[A, 107], [B, 106], [C, 105]]) })
    expect(node(r, D)).toMatchObject({ state: 'up', sealing: 'idle' })
    expect(r.quorum.sealing).toBe(3)
  })

  it('a lone validator is "the only validator", not "all 1 validators"', () => {
    const r = assessFleet({ ...healthy(), validators: [A], nodes: [], peers: [] })
    expect(r.quorum.summary).toBe('The only validator is reachable — quorum 1, fault budget 0')
  })

  it('no validators known is bad, not healthy', () => {
    const r = assessFleet({ ...healthy(), validators: [], nodes: [] })
    expect(r.quorum.state).toBe('no-validators')
    expect(r.quorum.tone).toBe('bad')
  })
})
