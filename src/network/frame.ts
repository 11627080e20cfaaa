/**
 * The wire frame of the P2P layer: one binary WebSocket message is one frame.
 *
 *   offset  size  field
 *   0       1     kind (see FrameKind)
 *   1       1     P = length of the protocol name (0..64); 0 for HELLO/ACCEPT/REFUSE/RESPONSE/ERROR
 *   2       P     protocol name, ASCII [a-z0-9][a-z0-9/_.-]*  (e.g. "qbft/1", "tx/1", "sync/blocks/1")
 *   2+P     4     request id, big-endian uint32 -- only for REQUEST, RESPONSE and ERROR
 *   ...     rest  payload (opaque to this layer; HELLO: RLP hello, REFUSE/ERROR: ASCII reason code)
 *
 * A binary header rather than RLP so that a frame is routed without decoding the payload. The
 * decoder never throws: garbage yields `{ ok: false, reason }` which the host counts and penalises.
 * This module owns only the byte layout; it knows nothing of peers or sockets.
 */
import { FrameError } from './errors.js'

export const FrameKind = {
  HELLO: 0x01,
  ACCEPT: 0x02,
  REFUSE: 0x03,
  MESSAGE: 0x10,
  GOSSIP: 0x11,
  REQUEST: 0x12,
  RESPONSE: 0x13,
  ERROR: 0x14,
} as const
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind]

export type Frame =
  | { kind: typeof FrameKind.HELLO; payload: Uint8Array }
  | { kind: typeof FrameKind.ACCEPT }
  | { kind: typeof FrameKind.REFUSE; reason: string }
  | { kind: typeof FrameKind.MESSAGE | typeof FrameKind.GOSSIP; protocol: string; payload: Uint8Array }
  | { kind: typeof FrameKind.REQUEST; protocol: string; id: number; payload: Uint8Array }
  | { kind: typeof FrameKind.RESPONSE; id: number; payload: Uint8Array }
  | { kind: typeof FrameKind.ERROR; id: number; code: string }

/** Why a received frame was dropped; the keys of the host's invalid-frame counters. */
export type InvalidFrameReason =
  | 'EMPTY'
  | 'TRUNCATED'
  | 'UNKNOWN_KIND'
  | 'BAD_PROTOCOL'
  | 'BAD_TEXT'
  | 'TEXT_FRAME'
  | 'OVERSIZED'
  | 'BAD_WEBSOCKET'
  | 'UNEXPECTED_HANDSHAKE'
  | 'UNSOLICITED_RESPONSE'
  | 'UNKNOWN_PROTOCOL'

export const MAX_PROTOCOL_LENGTH = 64
const PROTOCOL_RE = /^[a-z0-9][a-z0-9/_.-]*$/
const CODE_RE = /^[A-Z0-9_]{1,64}$/
/** Largest header: kind + length + protocol + request id. */
export const MAX_HEADER_BYTES = 2 + MAX_PROTOCOL_LENGTH + 4

export function isValidProtocol(protocol: string): boolean {
  return protocol.length > 0 && protocol.length <= MAX_PROTOCOL_LENGTH && PROTOCOL_RE.test(protocol)
}

export function assertProtocol(protocol: string): void {
  if (!isValidProtocol(protocol)) {
    throw new FrameError(`Invalid protocol name ${JSON.stringify(protocol)}: use 1-64 chars of a-z 0-9 / _ . - (e.g. "qbft/1")`)
  }
}

const ascii = new TextEncoder()
const decoder = new TextDecoder()

function hasId(kind: number): boolean {
  return kind === FrameKind.REQUEST || kind === FrameKind.RESPONSE || kind === FrameKind.ERROR
}

export function encodeFrame(frame: Frame): Uint8Array {
  const protocol = 'protocol' in frame ? ascii.encode(frame.protocol) : new Uint8Array(0)
  let payload: Uint8Array
  switch (frame.kind) {
    case FrameKind.ACCEPT:
      payload = new Uint8Array(0)
      break
    case FrameKind.REFUSE:
      payload = ascii.encode(frame.reason)
      break
    case FrameKind.ERROR:
      payload = ascii.encode(frame.code)
      break
    default:
      payload = frame.payload
  }
  const idBytes = hasId(frame.kind) ? 4 : 0
  const out = new Uint8Array(2 + protocol.length + idBytes + payload.length)
  out[0] = frame.kind
  out[1] = protocol.length
  out.set(protocol, 2)
  if ('id' in frame) new DataView(out.buffer).setUint32(2 + protocol.length, frame.id >>> 0)
  out.set(payload, 2 + protocol.length + idBytes)
  return out
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: InvalidFrameReason }

export function decodeFrame(data: Uint8Array): DecodeResult {
  if (data.length === 0) return { ok: false, reason: 'EMPTY' }
  if (data.length < 2) return { ok: false, reason: 'TRUNCATED' }
  const kind = data[0]!
  const plen = data[1]!
  if (plen > MAX_PROTOCOL_LENGTH) return { ok: false, reason: 'BAD_PROTOCOL' }
  const idBytes = hasId(kind) ? 4 : 0
  const bodyStart = 2 + plen + idBytes
  if (data.length < bodyStart) return { ok: false, reason: 'TRUNCATED' }
  const protocol = decoder.decode(data.subarray(2, 2 + plen))
  const id = idBytes ? new DataView(data.buffer, data.byteOffset + 2 + plen, 4).getUint32(0) : 0
  const payload = data.subarray(bodyStart)
  const needsProtocol = kind === FrameKind.MESSAGE || kind === FrameKind.GOSSIP || kind === FrameKind.REQUEST
  if (needsProtocol ? !isValidProtocol(protocol) : plen !== 0) return { ok: false, reason: 'BAD_PROTOCOL' }
  switch (kind) {
    case FrameKind.HELLO:
      return { ok: true, frame: { kind, payload } }
    case FrameKind.ACCEPT:
      return payload.length === 0 ? { ok: true, frame: { kind } } : { ok: false, reason: 'TRUNCATED' }
    case FrameKind.REFUSE:
    case FrameKind.ERROR: {
      const text = decoder.decode(payload)
      if (!CODE_RE.test(text)) return { ok: false, reason: 'BAD_TEXT' }
      return kind === FrameKind.REFUSE ? { ok: true, frame: { kind, reason: text } } : { ok: true, frame: { kind, id, code: text } }
    }
    case FrameKind.MESSAGE:
    case FrameKind.GOSSIP:
      return { ok: true, frame: { kind, protocol, payload } }
    case FrameKind.REQUEST:
      return { ok: true, frame: { kind, protocol, id, payload } }
    case FrameKind.RESPONSE:
      return { ok: true, frame: { kind, id, payload } }
    default:
      return { ok: false, reason: 'UNKNOWN_KIND' }
  }
}

/** Copies a ws message (Buffer, ArrayBuffer or Buffer[]) into one Uint8Array view. */
export function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
