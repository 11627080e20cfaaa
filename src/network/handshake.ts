/**
 * The signed handshake that turns an anonymous TLS WebSocket into a connection with a known node.
 *
 * Both ends send, right after the WebSocket opens, a HELLO frame whose payload is
 *   RLP([version, chainId, genesisHash, role, address, signature])
 * where `signature` = sign(keccak256(RLP([DOMAIN, version, chainId, genesisHash, role, address, binding])))
 * with the node key (secp256k1; the node id is its Ethereum-style address). `binding` is the TLS
 * exporter value `exportKeyingMaterial(32, 'quorate-handshake')` (RFC 5705/8446), equal on both ends of
 * one TLS session and different on each leg of a relaying man-in-the-middle, so a signature cannot be
 * replayed on another channel. `role` (dialer/listener) stops a hello being reflected to its sender.
 *
 * Each end verifies the other's hello (version, chain id, genesis, signature, not itself, the expected
 * address if dialled by address, then `admit` = allow-list, bans and duplicates), and answers ACCEPT or
 * REFUSE(reason) followed by a close with that reason. The handshake is complete on an end once it
 * has accepted the peer and received the peer's ACCEPT; frames after that are kept for the caller.
 *
 * This module owns the handshake only; it does not keep connections, dial, or decide policy.
 */
import type { TLSSocket } from 'node:tls'
import { RLP } from '@ethereumjs/rlp'
import { bytesToBigInt, bytesToHex, bytesToInt, equalsBytes } from '@ethereumjs/util'
import type WebSocket from 'ws'
import { privateKeyToAddress, recoverAddress, sign } from '../crypto/keys.js'
import { keccak256 } from '../crypto/native.js'
import type { Address } from '../types.js'
import { HandshakeError, isRefusalReason, type RefusalReason } from './errors.js'
import { decodeFrame, encodeFrame, FrameKind, toBytes } from './frame.js'

export const P2P_PROTOCOL_VERSION = 1
export const CHANNEL_BINDING_LABEL = 'quorate-handshake'
/** WebSocket close code carrying a refusal reason (application range 4000-4999). */
export const CLOSE_CODE_REFUSED = 4000
/** Largest hello we read: 6 short fields; anything bigger is garbage. */
const MAX_HELLO_BYTES = 512
const DOMAIN = new TextEncoder().encode('quorate/p2p/handshake/v1')

export type HandshakeRole = 'dialer' | 'listener'
const ROLE_BYTE: Record<HandshakeRole, number> = { dialer: 1, listener: 2 }

/** The TLS exporter value both ends of one TLS session share; binds the signatures to the channel. */
export function channelBinding(socket: TLSSocket): Uint8Array {
  return new Uint8Array(socket.exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0)))
}

export interface HelloContext {
  chainId: bigint
  genesisHash: Uint8Array
  channelBinding: Uint8Array
  version?: number
}

function digest(ctx: HelloContext, version: number, role: HandshakeRole, address: Address): Uint8Array {
  return keccak256(RLP.encode([DOMAIN, version, ctx.chainId, ctx.genesisHash, ROLE_BYTE[role], hexBytes(address), ctx.channelBinding]))
}

function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'))
}

/** The hello payload this node sends in `role`. */
export function createHello(privateKey: Uint8Array, role: HandshakeRole, ctx: HelloContext): Uint8Array {
  const version = ctx.version ?? P2P_PROTOCOL_VERSION
  const address = privateKeyToAddress(privateKey)
  const signature = sign(digest(ctx, version, role, address), privateKey)
  return RLP.encode([version, ctx.chainId, ctx.genesisHash, ROLE_BYTE[role], hexBytes(address), signature])
}

export type HelloVerdict = { ok: true; address: Address } | { ok: false; reason: RefusalReason; address?: Address }

/** Checks a peer's hello that claims `peerRole`; never throws. */
export function verifyHello(payload: Uint8Array, peerRole: HandshakeRole, ctx: HelloContext): HelloVerdict {
  if (payload.length > MAX_HELLO_BYTES) return { ok: false, reason: 'BAD_HANDSHAKE' }
  let fields: Uint8Array[]
  try {
    const decoded = RLP.decode(payload)
    if (!Array.isArray(decoded) || decoded.length !== 6 || !decoded.every((f) => f instanceof Uint8Array)) {
      return { ok: false, reason: 'BAD_HANDSHAKE' }
    }
    fields = decoded as Uint8Array[]
  } catch {
    return { ok: false, reason: 'BAD_HANDSHAKE' }
  }
  const [versionB, chainIdB, genesisB, roleB, addressB, signature] = fields as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]
  if (versionB.length > 4 || roleB.length !== 1 || addressB.length !== 20 || chainIdB.length > 32) {
    return { ok: false, reason: 'BAD_HANDSHAKE' }
  }
  const version = bytesToInt(versionB)
  if (version !== (ctx.version ?? P2P_PROTOCOL_VERSION)) return { ok: false, reason: 'WRONG_VERSION' }
  if (bytesToBigInt(chainIdB) !== ctx.chainId) return { ok: false, reason: 'WRONG_CHAIN' }
  if (!equalsBytes(genesisB, ctx.genesisHash)) return { ok: false, reason: 'WRONG_GENESIS' }
  if (roleB[0] !== ROLE_BYTE[peerRole]) return { ok: false, reason: 'BAD_HANDSHAKE' }
  const address = bytesToHex(addressB).toLowerCase() as Address
  const recovered = recoverAddress(digest(ctx, version, peerRole, address), signature)
  if (recovered === undefined || recovered.toLowerCase() !== address) return { ok: false, reason: 'BAD_SIGNATURE' }
  return { ok: true, address }
}

export interface HandshakeParams extends HelloContext {
  privateKey: Uint8Array
  role: HandshakeRole
  timeoutMs: number
  /** When dialling a configured peer: refuse (UNEXPECTED_PEER) if another node answers. */
  expectedAddress?: Address
  /** Admission after the signature checks (allow-list, bans, duplicates); return a reason to refuse. */
  admit?: (address: Address) => RefusalReason | undefined
  /** Aborting refuses the peer with `signal.reason` if it is a RefusalReason, else SHUTDOWN. */
  signal?: AbortSignal
}

export interface HandshakeOutcome {
  address: Address
  /**
   * Detaches the handshake's listeners and returns the binary messages that arrived after the
   * handshake completed. Attach your own 'message' listener first, then call this, synchronously.
   */
  takeOver(): Uint8Array[]
}

/**
 * Runs the handshake on an open WebSocket. Resolves with the verified peer address; rejects with a
 * HandshakeError (`byPeer` tells who refused). On refusal the socket is closed with the reason.
 */
export function runHandshake(ws: WebSocket, params: HandshakeParams): Promise<HandshakeOutcome> {
  const own = privateKeyToAddress(params.privateKey)
  const peerRole: HandshakeRole = params.role === 'dialer' ? 'listener' : 'dialer'
  return new Promise<HandshakeOutcome>((resolve, reject) => {
    let state: 'hello' | 'accepted' | 'done' | 'failed' = 'hello'
    let peer: Address | undefined
    const early: Uint8Array[] = []

    const detach = (): void => {
      clearTimeout(timer)
      ws.off('message', onMessage)
      ws.off('close', onClose)
      ws.off('error', onError)
      params.signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: HandshakeError): void => {
      if (state === 'done' || state === 'failed') return
      state = 'failed'
      detach()
      // Keep an error listener so a late socket error cannot crash the process.
      ws.on('error', () => {})
      reject(err)
    }
    const refuse = (reason: RefusalReason, details?: string): void => {
      if (state === 'done' || state === 'failed') return
      if (ws.readyState === ws.OPEN) {
        ws.send(encodeFrame({ kind: FrameKind.REFUSE, reason }))
        ws.close(CLOSE_CODE_REFUSED, reason)
      } else {
        ws.terminate()
      }
      fail(new HandshakeError(reason, false, { ...(peer ? { peerAddress: peer } : {}), ...(details ? { details } : {}) }))
    }
    function onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
      if (state === 'failed') return
      const bytes = toBytes(data)
      if (state === 'done') {
        if (isBinary) early.push(bytes)
        return
      }
      const decoded = isBinary ? decodeFrame(bytes) : undefined
      if (!decoded?.ok) return refuse('BAD_HANDSHAKE', 'undecodable frame during handshake')
      const frame = decoded.frame
      if (frame.kind === FrameKind.REFUSE) {
        ws.close()
        const reason = isRefusalReason(frame.reason) ? frame.reason : 'BAD_HANDSHAKE'
        return fail(new HandshakeError(reason, true, peer ? { peerAddress: peer } : {}))
      }
      if (state === 'hello' && frame.kind === FrameKind.HELLO) {
        const verdict = verifyHello(frame.payload, peerRole, params)
        if (!verdict.ok) return refuse(verdict.reason)
        peer = verdict.address
        if (peer === own) return refuse('SELF')
        if (params.expectedAddress && params.expectedAddress.toLowerCase() !== peer) {
          return refuse('UNEXPECTED_PEER', `expected ${params.expectedAddress}, got ${peer}`)
        }
        const refusal = params.admit?.(peer)
        if (refusal) return refuse(refusal)
        state = 'accepted'
        ws.send(encodeFrame({ kind: FrameKind.ACCEPT }))
        return
      }
      if (state === 'accepted' && frame.kind === FrameKind.ACCEPT) {
        state = 'done'
        clearTimeout(timer)
        params.signal?.removeEventListener('abort', onAbort)
        const address = peer as Address
        resolve({
          address,
          takeOver: () => {
            detach()
            return early.splice(0)
          },
        })
        return
      }
      refuse('BAD_HANDSHAKE', `unexpected frame kind ${frame.kind} during handshake`)
    }
    function onClose(code: number, reasonBuf: Buffer): void {
      if (state === 'done') return
      const text = reasonBuf.toString()
      const reason = code === CLOSE_CODE_REFUSED && isRefusalReason(text) ? text : 'CLOSED'
      fail(new HandshakeError(reason, true, { ...(peer ? { peerAddress: peer } : {}), details: `WebSocket closed with code ${code}` }))
    }
    function onError(): void {
      // 'close' follows every 'error' in ws; the close handler reports.
    }
    function onAbort(): void {
      const r: unknown = params.signal?.reason
      refuse(typeof r === 'string' && isRefusalReason(r) ? r : 'SHUTDOWN')
    }

    const timer = setTimeout(() => refuse('TIMEOUT', `no complete handshake within ${params.timeoutMs} ms`), params.timeoutMs)
    ws.on('message', onMessage)
    ws.on('close', onClose)
    ws.on('error', onError)
    if (params.signal?.aborted) return onAbort()
    params.signal?.addEventListener('abort', onAbort, { once: true })
    if (ws.readyState !== ws.OPEN) return fail(new HandshakeError('CLOSED', true, { details: 'WebSocket not open' }))
    if (ws.isPaused) ws.resume()
    ws.send(encodeFrame({ kind: FrameKind.HELLO, payload: createHello(params.privateKey, params.role, params) }))
  })
}
