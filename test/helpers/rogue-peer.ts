/**
 * A misbehaving peer for integration tests. It holds a key the network allows (an observer's), so it
 * passes the signed handshake, and then sends what an honest node never would: raw WebSocket frames
 * below the P2PHost's own checks (`dialRawPeer`), or well-framed but wrong protocol payloads through
 * a P2PHost of its own (`RogueHost`): consensus messages, `status` announcements, and answers to the
 * node's `sync/blocks` requests chosen by the test. And connections that never finish their handshake
 * (`openSilentConnection`), which need no key at all.
 */
import { randomBytes } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import type WebSocket from 'ws'
import { RLP } from '@ethereumjs/rlp'
import { bytesToBigInt, bytesToHex } from '@ethereumjs/util'
import { dialWebSocket } from '../../src/network/dial.js'
import { channelBinding, runHandshake } from '../../src/network/handshake.js'
import { P2PHost } from '../../src/network/host.js'
import type { Address, Hex } from '../../src/types.js'

export interface RogueIdentity {
  privateKey: Uint8Array
  chainId: bigint
  genesisHash: Hex
}

export interface RawPeer {
  /** The authenticated WebSocket: `ws.send` puts any bytes (or text) into a well-formed frame. */
  ws: WebSocket
  /** The TLS socket under it: writing here bypasses WebSocket framing altogether. */
  socket: TLSSocket
  /** Resolves when the node (or anything) closes the connection, with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>
}

/** Dials `url`, runs the handshake as `identity` (the node must be `address`), and hands over the raw socket. */
export async function dialRawPeer(url: string, address: Address, identity: RogueIdentity): Promise<RawPeer> {
  const { ws, socket } = await dialWebSocket(url, { timeoutMs: 5000, maxPayload: 1 << 24 })
  // Sending into a connection the node has just failed gives EPIPE/ECONNRESET: expected here.
  ws.on('error', () => {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const outcome = await runHandshake(ws, {
    privateKey: identity.privateKey,
    chainId: identity.chainId,
    genesisHash: Buffer.from(identity.genesisHash.slice(2), 'hex'),
    channelBinding: channelBinding(socket),
    role: 'dialer',
    timeoutMs: 5000,
    expectedAddress: address,
  })
  outcome.takeOver() // whatever the node sends from now on is ignored
  return { ws, socket, closed }
}

export interface SyncRequest {
  from: Address
  first: bigint
  count: number
}

/** Status announcement as the node sends it: RLP [head number, head hash]. */
export interface PeerHead {
  number: bigint
  hash: Hex
}

type SyncAnswer = (req: SyncRequest) => Promise<Uint8Array> | Uint8Array

/**
 * An outbound-only P2PHost under the rogue key, with a test-chosen answer to `sync/blocks` and a
 * record of the heads its peers announce and of the sync requests they make.
 */
export class RogueHost {
  readonly host: P2PHost
  readonly syncRequests: SyncRequest[] = []
  /** Answer to the next `sync/blocks` requests; default: no blocks (an empty list). */
  answer: SyncAnswer = () => RLP.encode([])
  private readonly headWaiters: { from: Address; resolve: (h: PeerHead) => void }[] = []

  constructor(identity: RogueIdentity) {
    this.host = new P2PHost({ privateKey: identity.privateKey, chainId: identity.chainId, genesisHash: identity.genesisHash, isAllowed: () => true, proxy: false })
    this.host.handle('sync/blocks', async (from, payload) => {
      const [first, count] = RLP.decode(payload) as Uint8Array[]
      const req: SyncRequest = { from, first: bytesToBigInt(first!), count: Number(bytesToBigInt(count!)) }
      this.syncRequests.push(req)
      return this.answer(req)
    })
    this.host.on('message', (msg) => {
      if (msg.protocol !== 'status') return
      const [number, hash] = RLP.decode(msg.payload) as Uint8Array[]
      const head: PeerHead = { number: bytesToBigInt(number!), hash: bytesToHex(hash!) as Hex }
      for (const w of this.headWaiters.filter((w) => w.from === msg.from)) {
        this.headWaiters.splice(this.headWaiters.indexOf(w), 1)
        w.resolve(head)
      }
    })
  }

  async start(): Promise<void> {
    await this.host.start()
  }

  async connect(url: string, address: Address): Promise<void> {
    await this.host.connect(url, address)
  }

  /**
   * The next head `peer` announces. A node announces a head right after committing it, so the
   * next block is at least the empty-block period away: time-sensitive input is sent just after.
   */
  nextHead(peer: Address, timeoutMs = 10_000): Promise<PeerHead> {
    return new Promise<PeerHead>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no new head announced by ${peer} within ${timeoutMs} ms`)), timeoutMs)
      this.headWaiters.push({
        from: peer.toLowerCase() as Address,
        resolve: (h) => {
          clearTimeout(timer)
          resolve(h)
        },
      })
    })
  }

  /** Sends `payload` on `protocol` to `peer` as a direct message (not de-duplicated by the node). */
  send(peer: Address, protocol: string, payload: Uint8Array): void {
    if (!this.host.send(peer, protocol, payload)) throw new Error(`could not send ${protocol} to ${peer}`)
  }

  async stop(): Promise<void> {
    await this.host.stop()
  }
}

/** How far a silent connection goes before it stops talking. */
export type SilentStage = 'tcp' | 'tls' | 'websocket'

export interface SilentConnection {
  /** Resolves when the node closes it (or it fails), with the time it stayed open. */
  closed: Promise<{ openMs: number }>
  destroy(): void
}

/**
 * Opens a connection to a P2P port from `localAddress` (any 127.x.y.z on Linux loopback), takes it
 * to `stage` (TCP connected; TLS done; WebSocket upgraded) and then says nothing: a handshake that
 * never finishes. Resolves once the stage is reached (or the node closed it before that).
 */
export function openSilentConnection(port: number, stage: SilentStage, localAddress = '127.0.0.1'): Promise<SilentConnection> {
  const started = Date.now()
  return new Promise<SilentConnection>((resolve) => {
    let raw: Socket
    let resolved = false
    const closed = new Promise<{ openMs: number }>((res) => {
      const done = (): void => {
        res({ openMs: Date.now() - started })
        if (!resolved) {
          resolved = true
          resolve(conn)
        }
      }
      if (stage === 'tcp') {
        raw = netConnect({ host: '127.0.0.1', port, localAddress }, () => ready())
      } else {
        raw = tlsConnect({ socket: netConnect({ host: '127.0.0.1', port, localAddress }), rejectUnauthorized: false }, () => {
          if (stage === 'tls') return ready()
          const key = randomBytes(16).toString('base64')
          raw.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
          let head = ''
          raw.on('data', (chunk: Buffer) => {
            if (resolved) return
            head += chunk.toString('latin1')
            if (head.includes('\r\n\r\n')) {
              if (head.startsWith('HTTP/1.1 101')) ready()
              else raw.destroy()
            }
          })
        })
      }
      raw.on('error', () => {})
      raw.once('close', done)
    })
    const conn: SilentConnection = { closed, destroy: () => raw.destroy() }
    const ready = (): void => {
      if (resolved) return
      resolved = true
      resolve(conn)
    }
  })
}
