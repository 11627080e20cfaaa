/**
 * One established, authenticated connection to a node: its counters, its outbound send path with a
 * bound on buffered bytes, and the bookkeeping of requests it has in flight. Routing received frames
 * is the host's job; a Peer only moves bytes and matches responses to requests.
 */
import type WebSocket from 'ws'
import type { Address } from '../types.js'
import { PeerDisconnectedError, RemoteRequestError, RequestTimeoutError } from './errors.js'
import { encodeFrame, FrameKind } from './frame.js'

export type PeerDirection = 'inbound' | 'outbound'

/** A snapshot for operators and the admin RPC. */
export interface PeerInfo {
  address: Address
  direction: PeerDirection
  /** The URL dialled (outbound only). */
  url?: string
  /** ip:port of the TCP peer (for a tunnelled outbound connection, the proxy). */
  remoteAddress: string
  /** ms since epoch */
  connectedAt: number
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
  invalidFrames: number
  /** Misbehaviour points after decay; 0 = clean. The peer is banned at the threshold. */
  score: number
  /** Frames from the peer dropped because it was over a budget. */
  droppedIn: number
  /** A validator past the ban threshold is throttled, not banned: until when (ms since epoch). */
  throttledUntil?: number
}

interface PendingRequest {
  protocol: string
  resolve: (payload: Uint8Array) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export interface PeerMeta {
  address: Address
  direction: PeerDirection
  url?: string
  remoteAddress: string
  maxSendBufferBytes: number
}

export class Peer {
  readonly address: Address
  readonly direction: PeerDirection
  readonly url?: string
  readonly remoteAddress: string
  readonly connectedAt = Date.now()
  bytesIn = 0
  bytesOut = 0
  messagesIn = 0
  messagesOut = 0
  invalidFrames = 0
  /** Outbound frames dropped because the peer did not read fast enough. */
  droppedOut = 0
  /** Inbound frames dropped because the peer was over a budget. */
  droppedIn = 0
  /** Requests from this peer being answered now. */
  inflight = 0
  /** Cleared on each ping, set by any pong or frame; a peer still not alive at the next ping is dead. */
  alive = true
  /** Why we closed it, when we did. */
  closeReason?: string
  private readonly pending = new Map<number, PendingRequest>()
  private nextRequestId = 1
  private readonly maxSendBufferBytes: number

  constructor(
    readonly ws: WebSocket,
    meta: PeerMeta,
  ) {
    this.address = meta.address
    this.direction = meta.direction
    if (meta.url !== undefined) this.url = meta.url
    this.remoteAddress = meta.remoteAddress
    this.maxSendBufferBytes = meta.maxSendBufferBytes
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN && this.closeReason === undefined
  }

  /** Queues one frame; false if the connection is closing or the peer's send buffer is full. */
  send(frame: Uint8Array): boolean {
    if (!this.isOpen) return false
    if (this.ws.bufferedAmount + frame.length > this.maxSendBufferBytes) {
      this.droppedOut++
      return false
    }
    this.ws.send(frame)
    this.bytesOut += frame.length
    this.messagesOut++
    return true
  }

  request(protocol: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const id = this.nextRequestId
      this.nextRequestId = this.nextRequestId >= 0xffffffff ? 1 : this.nextRequestId + 1
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new RequestTimeoutError(this.address, protocol, timeoutMs))
      }, timeoutMs)
      this.pending.set(id, { protocol, resolve, reject, timer })
      if (!this.send(encodeFrame({ kind: FrameKind.REQUEST, protocol, id, payload }))) {
        clearTimeout(timer)
        this.pending.delete(id)
        reject(new PeerDisconnectedError(this.address, this.closeReason ?? 'send buffer full or closing'))
      }
    })
  }

  /** Settles the request `id`; false if none is waiting (late after a timeout, or never asked). */
  settle(id: number, result: { payload: Uint8Array } | { code: string }): boolean {
    const req = this.pending.get(id)
    if (!req) return false
    this.pending.delete(id)
    clearTimeout(req.timer)
    if ('payload' in result) req.resolve(result.payload)
    else req.reject(new RemoteRequestError(this.address, req.protocol, result.code))
    return true
  }

  failPending(reason: string): void {
    for (const [id, req] of this.pending) {
      this.pending.delete(id)
      clearTimeout(req.timer)
      req.reject(new PeerDisconnectedError(this.address, reason))
    }
  }

  info(score: number, throttledUntil?: number): PeerInfo {
    return {
      address: this.address,
      direction: this.direction,
      ...(this.url !== undefined ? { url: this.url } : {}),
      remoteAddress: this.remoteAddress,
      connectedAt: this.connectedAt,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      invalidFrames: this.invalidFrames,
      score,
      droppedIn: this.droppedIn,
      ...(throttledUntil !== undefined ? { throttledUntil } : {}),
    }
  }
}
