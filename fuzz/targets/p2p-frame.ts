/**
 * P2P wire frames (src/network/frame.ts): decodeFrame is fed random bytes, valid frames and valid
 * frames mutated. It must never throw (its contract), must name a known reason when it refuses, and
 * a frame it accepts must encode back to the very same bytes.
 */
import fc from 'fast-check'
import { decodeFrame, encodeFrame, FrameKind, type Frame, type InvalidFrameReason } from '../../src/network/frame.js'
import { decoderInputs } from '../lib/mutate.js'
import { Finding, hex, sameBytes, type FuzzTarget } from '../lib/target.js'

const REASONS: ReadonlySet<InvalidFrameReason> = new Set<InvalidFrameReason>(['EMPTY', 'TRUNCATED', 'UNKNOWN_KIND', 'BAD_PROTOCOL', 'BAD_TEXT'])

export const protocolArb = fc.stringMatching(/^[a-z0-9][a-z0-9/_.-]{0,63}$/)
const codeArb = fc.stringMatching(/^[A-Z0-9_]{1,64}$/)
const payloadArb = fc.uint8Array({ maxLength: 200 })
const idArb = fc.nat({ max: 0xffff_ffff })

export const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  payloadArb.map((payload): Frame => ({ kind: FrameKind.HELLO, payload })),
  fc.constant<Frame>({ kind: FrameKind.ACCEPT }),
  codeArb.map((reason): Frame => ({ kind: FrameKind.REFUSE, reason })),
  fc.tuple(fc.constantFrom(FrameKind.MESSAGE, FrameKind.GOSSIP), protocolArb, payloadArb).map(([kind, protocol, payload]): Frame => ({ kind, protocol, payload })),
  fc.tuple(protocolArb, idArb, payloadArb).map(([protocol, id, payload]): Frame => ({ kind: FrameKind.REQUEST, protocol, id, payload })),
  fc.tuple(idArb, payloadArb).map(([id, payload]): Frame => ({ kind: FrameKind.RESPONSE, id, payload })),
  fc.tuple(idArb, codeArb).map(([id, code]): Frame => ({ kind: FrameKind.ERROR, id, code })),
)

export function checkFrame(bytes: Uint8Array): void {
  let decoded: ReturnType<typeof decodeFrame>
  try {
    decoded = decodeFrame(bytes)
  } catch (err) {
    throw new Finding('crash', `decodeFrame threw (it must return a reason): ${String(err)}`, { cause: err })
  }
  if (!decoded.ok) {
    if (!REASONS.has(decoded.reason)) throw new Finding('crash', `decodeFrame refused with an unknown reason ${decoded.reason}`)
    return
  }
  const again = encodeFrame(decoded.frame)
  if (!sameBytes(again, bytes)) throw new Finding('crash', `frame round trip changed the bytes: ${hex(bytes)} -> ${hex(again)}`)
}

export async function createTarget(): Promise<FuzzTarget<Uint8Array>> {
  return {
    name: 'p2p-frame',
    description: 'decodeFrame on random, valid and mutated frames: never throws, known reasons, encode(decode(x)) = x',
    arbitrary: decoderInputs(frameArb.map(encodeFrame)),
    check: checkFrame,
  }
}
