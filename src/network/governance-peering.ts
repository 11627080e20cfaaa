/**
 * Peering from governance: keeps a dialler for the registered endpoint of every admitted node, so
 * a node started with one `--peer` ends up connected to all of them. Given the admitted nodes after
 * each block, it adds a static peer (with the expected node address, so the dialler skips a node
 * already connected in either direction and backs off on failure) for each new one, and stops
 * dialling nodes that governance no longer admits. It skips this node, outbound-only nodes (no
 * endpoint) and endpoints already configured as peers. Configured peers (`p2p.peers`) are always
 * dialled: a joining node reads governance from its own, possibly old, head, where a newer peer is
 * not admitted yet. It owns the bookkeeping only: dialling, reconnecting and backoff are the host's
 * (reconnect.ts).
 */
import type { Logger } from '../ops/logger.js'
import type { Address } from '../types.js'
import type { StaticPeer } from './reconnect.js'

/** The part of the P2P host this needs. */
export interface PeerDialing {
  addPeer(peer: StaticPeer): void
  removePeer(url: string): boolean
}

export interface AdmittedEndpoint {
  address: Address
  /** wss://host:port, or '' for an outbound-only node. */
  endpoint: string
}

export class GovernancePeering {
  /** Dialled because of governance: address → url. */
  private readonly dialed = new Map<Address, string>()
  private readonly configured: Set<string>

  constructor(
    private readonly self: Address,
    configuredPeers: readonly StaticPeer[],
    private readonly host: PeerDialing,
    private readonly logger: Logger,
  ) {
    this.configured = new Set(configuredPeers.map((p) => p.url))
  }

  /** Brings the dialled set in line with the admitted nodes. */
  update(admitted: readonly AdmittedEndpoint[]): void {
    const self = this.self.toLowerCase()
    const want = new Map<Address, string>()
    for (const n of admitted) if (n.address.toLowerCase() !== self && n.endpoint !== '') want.set(n.address.toLowerCase() as Address, n.endpoint)

    for (const [address, url] of [...this.dialed]) {
      if (want.get(address) === url) continue
      this.host.removePeer(url)
      this.dialed.delete(address)
      this.logger.info({ peer: address, url }, want.has(address) ? 'registered endpoint changed; dialling the new one' : 'node no longer admitted by governance; not dialling it')
    }
    for (const [address, url] of want) {
      if (this.dialed.has(address)) continue
      if (this.configured.has(url)) continue
      try {
        this.host.addPeer({ url, address })
      } catch (err) {
        // Any admin writes endpoints; a malformed one must not stop the others being dialled.
        this.logger.warn({ peer: address, url, err: err instanceof Error ? err.message : String(err) }, 'cannot dial the endpoint governance registered for this node')
        continue
      }
      this.dialed.set(address, url)
      this.logger.info({ peer: address, url }, 'dialling the endpoint governance registered for this node')
    }
  }
}
