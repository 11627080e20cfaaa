/**
 * The fleet monitor gathers a node's view for the pure rules: connected peers with the heads they
 * announced, peers that left, when the head last changed, governance's nodes and recent seals.
 * Driven through its narrow port with plain objects (no node needed for what it only reads).
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { FleetMonitor, sealWindow, type FleetNodePort } from '../../../src/ops/fleet-monitor.js'
import type { Address } from '../../../src/types.js'

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const [A, B, C, D] = [addr(1), addr(2), addr(3), addr(4)]

function fakeNode(over: { validators?: Address[] } = {}) {
  const events = new EventEmitter()
  let head = 20n
  const port: FleetNodePort & { setHead(n: bigint): void } = {
    address: A,
    get head() {
      return { header: { number: head } } as FleetNodePort['head']
    },
    host: { peers: () => [{ address: B }, { address: C }] },
    sync: {
      peerReports: () => ({
        // C connected but has not announced yet; D left at our head 18 after announcing 18.
        announced: [{ address: B, head: 20n, at: 5000 }],
        departed: [{ address: D, lastSeenAt: 4000, head: 18n, ourHeadAtLeave: 18n }],
      }),
    },
    producer: { status: () => (over.validators ? { validators: over.validators } : undefined) },
    on: (e, l) => events.on(e, l),
    off: (e, l) => events.off(e, l),
    setHead: (n) => {
      head = n
      events.emit('block')
    },
  }
  return port
}

describe('FleetMonitor', () => {
  it('hands the rules the peers with their announced heads, the peers that left, and when the head changed', () => {
    let now = 1000
    const node = fakeNode({ validators: [A, B, C, D] })
    const m = new FleetMonitor(node, { stalledAfterMs: () => 30_000, maxBlocksBehind: 2, now: () => now })
    now = 6000
    node.setHead(21n)
    const input = m.input()
    expect(input).toMatchObject({ now: 6000, self: A, head: 21, lastBlockAt: 6000, validators: [A, B, C, D], sealWindow: sealWindow(4), maxBlocksBehind: 2 })
    expect(input.peers).toEqual([{ address: B, head: 20, headAt: 5000 }, { address: C }])
    expect(input.departed).toEqual([{ address: D, lastSeenAt: 4000, head: 18, ourHeadAtLeave: 18 }])
    expect(m.headChangedAt).toBe(6000)
    m.close()
    now = 9000
    node.setHead(22n)
    expect(m.headChangedAt).toBe(6000)
  })

  it('reports with governance nodes, the seals of the last sealWindow blocks, and the validator set from the chain before consensus has one', async () => {
    const asked: [number, number][] = []
    const node = fakeNode()
    const m = new FleetMonitor(
      node,
      { stalledAfterMs: () => 30_000, maxBlocksBehind: 2 },
      {
        validators: async () => [A, B, C, D],
        nodes: async () => [{ address: D, party: 'regulator', validator: true, status: 'active' }],
        lastActive: async (from, to) => {
          asked.push([from, to])
          return new Map([A, B, C].map((v) => [v, 20]))
        },
      },
    )
    const r = await m.report()
    expect(asked).toEqual([[20 - sealWindow(4) + 1, 20]])
    expect(r.quorum).toMatchObject({ validators: 4, reachable: 3, unreachable: 1, state: 'degraded' })
    expect(r.nodes.find((n) => n.address === D)).toMatchObject({ party: 'regulator', state: 'down', head: 18, lastSeenAt: 4000 })
    // C is connected but has not announced a head: up, with no height of its own yet.
    expect(r.nodes.find((n) => n.address === C)).toMatchObject({ state: 'up', sealing: 'sealing' })
    expect(r.nodes.find((n) => n.address === C)?.head).toBeUndefined()
    m.close()
  })
})
