/**
 * Errors of the P2P layer. Each has a stable `code`; handshake errors also carry the `reason` that
 * was (or would have been) sent to the peer, so logs on both ends name the same cause.
 */
import { QuorateError, type QuorateErrorOptions } from '../errors.js'
import type { Address } from '../types.js'

/**
 * Why a handshake was refused. Sent to the peer in a REFUSE frame and as the WebSocket close reason.
 * - UNKNOWN_NODE: the node key is not on the allow-list (governance).
 * - WRONG_GENESIS / WRONG_CHAIN / WRONG_VERSION: a different network or an incompatible release.
 * - BAD_SIGNATURE: the signature does not recover to the claimed key for this TLS channel (also what a
 *   relaying man-in-the-middle produces, since each TLS leg has its own channel binding).
 * - BAD_HANDSHAKE: the hello could not be decoded, or a frame other than the handshake arrived.
 * - UNEXPECTED_PEER: the dialled URL answered with a different node key than configured.
 * - SELF: we dialled ourselves. DUPLICATE: another connection to the same node won.
 * - BANNED: the node is serving a ban for misbehaviour. TOO_MANY_PEERS: connection limit reached.
 * - TIMEOUT: the handshake did not finish in time. SHUTDOWN: the host is stopping.
 * - DISCONNECTED: the node closed this connection on request (disconnect()) while it was handshaking.
 * - CLOSED: the connection closed mid-handshake without a reason (never sent, only reported locally).
 */
export const REFUSAL_REASONS = [
  'UNKNOWN_NODE',
  'WRONG_GENESIS',
  'WRONG_CHAIN',
  'WRONG_VERSION',
  'BAD_SIGNATURE',
  'BAD_HANDSHAKE',
  'UNEXPECTED_PEER',
  'SELF',
  'DUPLICATE',
  'BANNED',
  'TOO_MANY_PEERS',
  'TIMEOUT',
  'SHUTDOWN',
  'DISCONNECTED',
  'CLOSED',
] as const
export type RefusalReason = (typeof REFUSAL_REASONS)[number]

export function isRefusalReason(value: string): value is RefusalReason {
  return (REFUSAL_REASONS as readonly string[]).includes(value)
}

/**
 * A bounded label for why an established connection closed: a refusal reason or PING_TIMEOUT as
 * is; a close with a reason from the peer as REMOTE_<reason> when that is a refusal reason, else
 * REMOTE_OTHER; a socket closed without a reason as CLOSED; anything else as OTHER.
 */
export function disconnectKind(reason: string): string {
  if (isRefusalReason(reason) || reason === 'PING_TIMEOUT') return reason
  if (reason.startsWith('remote: ')) {
    const theirs = reason.slice('remote: '.length)
    return isRefusalReason(theirs) || theirs === 'PING_TIMEOUT' ? `REMOTE_${theirs}` : 'REMOTE_OTHER'
  }
  if (/^closed \(\d+\)$/.test(reason)) return 'CLOSED'
  return 'OTHER'
}

const HINTS: Record<RefusalReason, string> = {
  UNKNOWN_NODE: 'the node key is not on the allow-list; add the node through governance first',
  WRONG_GENESIS: 'the peer runs a different network (genesis hash differs); check the consortium file',
  WRONG_CHAIN: 'the peer runs a different chain id; check the consortium file',
  WRONG_VERSION: 'the peer speaks another P2P protocol version; upgrade the older node',
  BAD_SIGNATURE: 'the handshake signature is invalid for this TLS channel (a TLS-intercepting proxy in between?)',
  BAD_HANDSHAKE: 'the peer sent a malformed handshake; is this port really a Quorate node?',
  UNEXPECTED_PEER: 'the node at this URL has a different address than configured for it; check the static peer list',
  SELF: 'this URL points at this node itself; remove it from the static peer list',
  DUPLICATE: 'another connection to the same node is kept instead',
  BANNED: 'the node is temporarily banned for sending invalid data',
  TOO_MANY_PEERS: 'the node has reached its connection limit',
  TIMEOUT: 'the handshake did not complete in time',
  SHUTDOWN: 'the node is shutting down',
  DISCONNECTED: 'the node closed the connection on request',
  CLOSED: 'the connection closed during the handshake without a reason',
}

export interface HandshakeErrorOptions extends QuorateErrorOptions {
  /** The peer's address, when its hello was valid enough to tell. */
  peerAddress?: Address
}

/**
 * A refused handshake. `byPeer` is false when this node refused the peer (the reason was sent to it),
 * true when the peer refused this node (the reason is the one it sent).
 */
export class HandshakeError extends QuorateError {
  override name = 'HandshakeError'
  readonly reason: RefusalReason
  readonly byPeer: boolean
  readonly peerAddress?: Address

  constructor(reason: RefusalReason, byPeer: boolean, opts: HandshakeErrorOptions = {}) {
    super(
      byPeer ? 'P2P_REFUSED_BY_PEER' : 'P2P_HANDSHAKE_REFUSED',
      `${byPeer ? 'Peer refused the connection' : 'Refused peer'}: ${reason} (${HINTS[reason]})`,
      opts,
    )
    this.reason = reason
    this.byPeer = byPeer
    if (opts.peerAddress !== undefined) this.peerAddress = opts.peerAddress
  }
}

/** TCP connect, TLS or WebSocket upgrade to a peer failed (before the signed handshake). */
export class DialError extends QuorateError {
  override name = 'DialError'
  readonly url: string
  constructor(url: string, message: string, opts: QuorateErrorOptions = {}) {
    super('P2P_DIAL_FAILED', `Could not connect to ${url}: ${message}`, opts)
    this.url = url
  }
}

/** The HTTP CONNECT proxy refused or failed to open the tunnel. */
export class ProxyError extends QuorateError {
  override name = 'ProxyError'
  readonly status?: number
  constructor(message: string, opts: QuorateErrorOptions & { status?: number } = {}) {
    super('P2P_PROXY_FAILED', message, opts)
    if (opts.status !== undefined) this.status = opts.status
  }
}

export class PeerNotConnectedError extends QuorateError {
  override name = 'PeerNotConnectedError'
  readonly peer: Address
  constructor(peer: Address) {
    super('P2P_PEER_NOT_CONNECTED', `Peer ${peer} is not connected; wait for 'peer:connect' or pick a connected peer from peers()`)
    this.peer = peer
  }
}

export class PeerDisconnectedError extends QuorateError {
  override name = 'PeerDisconnectedError'
  readonly peer: Address
  constructor(peer: Address, reason: string) {
    super('P2P_PEER_DISCONNECTED', `Peer ${peer} disconnected (${reason}) before answering; retry with another peer`)
    this.peer = peer
  }
}

export class RequestTimeoutError extends QuorateError {
  override name = 'RequestTimeoutError'
  readonly peer: Address
  readonly protocol: string
  constructor(peer: Address, protocol: string, timeoutMs: number) {
    super('P2P_REQUEST_TIMEOUT', `Request ${protocol} to ${peer} got no answer within ${timeoutMs} ms; retry with another peer`)
    this.peer = peer
    this.protocol = protocol
  }
}

/** The peer answered a request with an error code (e.g. NO_HANDLER, BUSY, HANDLER_FAILED). */
export class RemoteRequestError extends QuorateError {
  override name = 'RemoteRequestError'
  readonly peer: Address
  readonly remoteCode: string
  constructor(peer: Address, protocol: string, remoteCode: string) {
    super('P2P_REMOTE_ERROR', `Peer ${peer} could not answer ${protocol}: ${remoteCode}`)
    this.peer = peer
    this.remoteCode = remoteCode
  }
}

/** A caller passed a bad protocol name or a payload larger than the frame limit. */
export class FrameError extends QuorateError {
  override name = 'FrameError'
  constructor(message: string) {
    super('P2P_BAD_FRAME', message)
  }
}

export class HostStoppedError extends QuorateError {
  override name = 'HostStoppedError'
  constructor() {
    super('P2P_HOST_STOPPED', 'The P2P host is stopped; call start() first')
  }
}
