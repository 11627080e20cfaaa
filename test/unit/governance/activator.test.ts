/**
 * ValidatorActivator decides when a validator candidate activates itself: only when the head is
 * recent, nothing is being synced, and enough of the current validators are peers; once, and again
 * only after its transaction left the pool without the node becoming a validator.
 */
import { describe, expect, it } from 'vitest'
import { createBlock } from '@ethereumjs/block'
import pino from 'pino'
import { ValidatorActivator, type ActivationHost } from '../../../src/governance/activator.js'
import type { Address, Hex } from '../../../src/types.js'

const ME = '0x00000000000000000000000000000000000000aa' as Address
const V = [1, 2, 3, 4].map((i) => `0x${i.toString(16).padStart(40, '0')}` as Address)
const NOW = 1_700_000_000_000

function head(number: bigint, ageMs: number) {
  return createBlock({ header: { number, timestamp: BigInt(Math.floor((NOW - ageMs) / 1000)) } })
}

function fakeHost(over: Partial<ActivationHost> = {}) {
  const sent: Hex[] = []
  const pool = new Set<Hex>()
  const host: ActivationHost = {
    address: ME,
    candidates: () => Promise.resolve([ME]),
    validators: () => Promise.resolve(V),
    peers: () => V,
    highestKnown: () => 10n,
    syncing: () => false,
    pooled: (h) => pool.has(h),
    sendActivation: () => {
      const h = `0x${(sent.length + 1).toString(16).padStart(64, '0')}` as Hex
      sent.push(h)
      pool.add(h)
      return Promise.resolve(h)
    },
    ...over,
  }
  return { host, sent, pool }
}

const activator = (host: ActivationHost) => new ValidatorActivator(host, { maxHeadAgeMs: () => 30_000, now: () => NOW }, pino({ level: 'silent' }))

describe('ValidatorActivator', () => {
  it('sends activateValidator once when synced and connected, and again only if the transaction left the pool', async () => {
    const { host, sent, pool } = fakeHost()
    const a = activator(host)
    expect(await a.check(head(10n, 1000))).toEqual({ kind: 'sent', txHash: sent[0] })
    expect(await a.check(head(11n, 1000))).toEqual({ kind: 'sent', txHash: sent[0] })
    expect(sent).toHaveLength(1)
    pool.clear() // mined without effect, or dropped: still a candidate, so it retries
    expect(await a.check(head(12n, 1000))).toEqual({ kind: 'sent', txHash: sent[1] })
    expect(sent).toHaveLength(2)
  })

  it('does nothing for a node that is not a candidate', async () => {
    const { host, sent } = fakeHost({ candidates: () => Promise.resolve([V[0]!]) })
    expect(await activator(host).check(head(10n, 1000))).toEqual({ kind: 'not-candidate' })
    expect(sent).toHaveLength(0)
  })

  it('waits while the head is old, while syncing, and while too few validators are peers', async () => {
    const stale = fakeHost()
    expect((await activator(stale.host).check(head(10n, 60_000))).kind).toBe('waiting')
    const behind = fakeHost({ highestKnown: () => 20n })
    expect(await activator(behind.host).check(head(10n, 1000))).toEqual({ kind: 'waiting', reason: 'syncing: head 10, a peer has 20' })
    // 4 validators + this one: quorum(5) = 4, so 3 of the 4 must be peers.
    const two = fakeHost({ peers: () => V.slice(0, 2) })
    expect(await activator(two.host).check(head(10n, 1000))).toEqual({
      kind: 'waiting',
      reason: 'connected to 2 of 4 validators; 3 are needed so that the set with this node keeps its quorum',
    })
    const three = fakeHost({ peers: () => V.slice(0, 3) })
    expect((await activator(three.host).check(head(10n, 1000))).kind).toBe('sent')
    expect([stale, behind, two].map((h) => h.sent.length)).toEqual([0, 0, 0])
  })

  it('reports a refused activation and tries again on a later head', async () => {
    let refuse = true
    const { host, sent } = fakeHost()
    const send = host.sendActivation
    host.sendActivation = (h) => (refuse ? Promise.reject(new Error('execution reverted: governance: party "x" is not active (PartyNotActive)')) : send(h))
    const a = activator(host)
    expect(await a.check(head(10n, 1000))).toEqual({ kind: 'waiting', reason: 'execution reverted: governance: party "x" is not active (PartyNotActive)' })
    refuse = false
    expect((await a.check(head(11n, 1000))).kind).toBe('sent')
    expect(sent).toHaveLength(1)
  })
})
