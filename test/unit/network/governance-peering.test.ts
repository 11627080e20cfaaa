import { describe, expect, it } from 'vitest'
import { GovernancePeering, type PeerDialing } from '../../../src/network/governance-peering.js'
import type { StaticPeer } from '../../../src/network/reconnect.js'
import { silentLogger } from '../../../src/ops/logger.js'
import type { Address } from '../../../src/types.js'

const A = '0x00000000000000000000000000000000000000aa' as Address
const B = '0x00000000000000000000000000000000000000bb' as Address
const C = '0x00000000000000000000000000000000000000cc' as Address
const SELF = '0x00000000000000000000000000000000000000ff' as Address

/** Records what the peering asks of the host, the way the P2P host keeps its diallers by URL. */
class Dialers implements PeerDialing {
  readonly peers = new Map<string, StaticPeer>()
  addPeer(peer: StaticPeer): void {
    if (!peer.url.startsWith('wss://')) throw new Error('peer URLs must use wss://')
    this.peers.set(peer.url, peer)
  }
  removePeer(url: string): boolean {
    return this.peers.delete(url)
  }
}

describe('GovernancePeering', () => {
  it('dials every admitted node with an endpoint, except itself, outbound-only nodes and configured peers', () => {
    const host = new Dialers()
    const configured = [{ url: 'wss://a:1', address: A }]
    for (const p of configured) host.addPeer(p)
    const peering = new GovernancePeering(SELF, configured, host, silentLogger())
    peering.update([
      { address: A, endpoint: 'wss://a:1' },
      { address: B, endpoint: 'wss://b:2' },
      { address: C, endpoint: '' },
      { address: SELF, endpoint: 'wss://self:9' },
    ])
    expect([...host.peers.values()]).toEqual([{ url: 'wss://a:1', address: A }, { url: 'wss://b:2', address: B }])
  })

  it('stops dialling a node governance no longer admits, follows a changed endpoint, and keeps configured peers', () => {
    const host = new Dialers()
    const configured = [{ url: 'wss://a:1', address: A }]
    for (const p of configured) host.addPeer(p)
    const peering = new GovernancePeering(SELF, configured, host, silentLogger())
    peering.update([{ address: A, endpoint: 'wss://a:1' }, { address: B, endpoint: 'wss://b:2' }, { address: C, endpoint: 'wss://c:3' }])
    expect([...host.peers.keys()].sort()).toEqual(['wss://a:1', 'wss://b:2', 'wss://c:3'])
    // B removed, C moved, A (configured) no longer admitted.
    peering.update([{ address: C, endpoint: 'wss://c2:3' }])
    expect([...host.peers.keys()].sort()).toEqual(['wss://a:1', 'wss://c2:3'])
    expect(host.peers.get('wss://c2:3')?.address).toBe(C)
    // Re-admitted later: dialled again.
    peering.update([{ address: B, endpoint: 'wss://b:2' }, { address: C, endpoint: 'wss://c2:3' }])
    expect([...host.peers.keys()].sort()).toEqual(['wss://a:1', 'wss://b:2', 'wss://c2:3'])
  })

  it('skips a malformed registered endpoint and still dials the others', () => {
    const host = new Dialers()
    const peering = new GovernancePeering(SELF, [], host, silentLogger())
    peering.update([{ address: A, endpoint: 'http://a:1' }, { address: B, endpoint: 'wss://b:2' }])
    expect([...host.peers.keys()]).toEqual(['wss://b:2'])
    // Once fixed, dialled.
    peering.update([{ address: A, endpoint: 'wss://a:1' }, { address: B, endpoint: 'wss://b:2' }])
    expect([...host.peers.keys()].sort()).toEqual(['wss://a:1', 'wss://b:2'])
  })
})
