/**
 * Partitions on loopback without touching the host's firewall: every P2P connection between two
 * nodes goes through a TCP relay in the soak process, one relay per dialling direction (node a
 * dials node b at relay (a, b), which forwards to b's P2P port). Cutting a link destroys the
 * relayed connections of both directions and refuses new ones until it is healed; the nodes see
 * dropped connections and failing dials, as across a real partition. TLS runs end to end through
 * the relay, so the nodes still authenticate each other.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'

class Relay {
  private readonly sockets = new Set<Socket>()
  blocked = false

  constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async listen(port: number, targetPort: number): Promise<Relay> {
    const server = createServer()
    const relay = new Relay(server, port)
    server.on('connection', (inbound) => relay.accept(inbound, targetPort))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    return relay
  }

  private accept(inbound: Socket, targetPort: number): void {
    if (this.blocked) {
      inbound.destroy()
      return
    }
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const s of [inbound, outbound]) {
      this.sockets.add(s)
      s.setNoDelay(true)
      s.on('error', () => undefined)
      s.on('close', () => {
        this.sockets.delete(s)
        inbound.destroy()
        outbound.destroy()
      })
    }
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  }

  cut(): void {
    this.blocked = true
    for (const s of this.sockets) s.destroy()
  }

  async close(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** The relays of a network of n nodes: `port(a, b)` is where node a dials node b. */
export class RelayMesh {
  private constructor(private readonly relays: Map<string, Relay>) {}

  /** `ports(a, b)` gives the relay port of a → b; `p2pPorts[b]` is where b listens. */
  static async start(p2pPorts: readonly number[], port: (a: number, b: number) => Promise<number>): Promise<RelayMesh> {
    const relays = new Map<string, Relay>()
    try {
      for (let a = 0; a < p2pPorts.length; a++) {
        for (let b = 0; b < p2pPorts.length; b++) if (a !== b) relays.set(`${a}>${b}`, await Relay.listen(await port(a, b), p2pPorts[b]!))
      }
    } catch (err) {
      await Promise.all([...relays.values()].map((r) => r.close()))
      throw err
    }
    return new RelayMesh(relays)
  }

  port(a: number, b: number): number {
    return this.relay(a, b).port
  }

  /** Cuts every link between `side` and the other nodes, both directions. */
  partition(side: readonly number[], nodes: number): void {
    for (const a of side) {
      for (let b = 0; b < nodes; b++) {
        if (side.includes(b)) continue
        this.relay(a, b).cut()
        this.relay(b, a).cut()
      }
    }
  }

  heal(): void {
    for (const r of this.relays.values()) r.blocked = false
  }

  async close(): Promise<void> {
    await Promise.all([...this.relays.values()].map((r) => r.close()))
  }

  private relay(a: number, b: number): Relay {
    const r = this.relays.get(`${a}>${b}`)
    if (!r) throw new RangeError(`no relay from node ${a} to node ${b}`)
    return r
  }
}
