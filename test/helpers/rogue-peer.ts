/**
 * A misbehaving peer for integration tests. It holds a key the network allows (an observer's), so it
 * passes the signed handshake, and then sends what an honest node never would: raw WebSocket frames
 * below the P2PHost's own checks (`dialRawPeer`), or well-framed but wrong protocol payloads through
 * a P2PHost of its own (`RogueHost`): consensus messages, `status` announcements, and answers to the
 * node's `sync/blocks` requests chosen by the test.
 */
import type { TLSSocket } from 'node:tls'
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
