/**
 * The signed P2P handshake (src/network/handshake.ts), two ways:
 * - verifyHello on random bytes, valid hellos and mutated hellos (both roles): never throws, and
 *   accepts only a hello whose signer is the node it names, in the role it claims (a mutation must
 *   not forge one);
 * - runHandshake on an in-memory WebSocket fed a random sequence of frames (valid and mutated
 *   hellos, ACCEPT, REFUSE, garbage, text frames) and then closed: the handshake always settles,
 *   resolving only with a node that signed a valid hello, else rejecting with a HandshakeError.
 */
import { EventEmitter } from 'node:events'
import fc from 'fast-check'
import type WebSocket from 'ws'
import { privateKeyToAddress } from '../../src/crypto/keys.js'
import { keccak256 } from '../../src/crypto/native.js'
import { HandshakeError } from '../../src/network/errors.js'
import { encodeFrame, FrameKind } from '../../src/network/frame.js'
import { createHello, runHandshake, verifyHello, type HandshakeRole, type HelloContext } from '../../src/network/handshake.js'
import type { Address } from '../../src/types.js'
import { decoderInputs, mutated } from '../lib/mutate.js'
import { Finding, hex, type FuzzTarget } from '../lib/target.js'
import { frameArb } from './p2p-frame.js'

const KEYS = [1, 2, 3].map((i) => keccak256(Uint8Array.of(i)))
const ADDRESSES = new Set<Address>(KEYS.map((k) => privateKeyToAddress(k)))
const OWN_KEY = keccak256(Uint8Array.of(99))
const CTX: HelloContext = { chainId: 1337n, genesisHash: keccak256(Uint8Array.of(7)), channelBinding: keccak256(Uint8Array.of(8)) }

const roleArb = fc.constantFrom<HandshakeRole>('dialer', 'listener')
const ctxArb = fc.oneof(
  { arbitrary: fc.constant(CTX), weight: 6 },
  fc.constant({ ...CTX, chainId: 1n }),
  fc.constant({ ...CTX, genesisHash: keccak256(CTX.genesisHash) }),
  fc.constant({ ...CTX, version: 2 }),
)
const validHelloArb = fc.tuple(fc.nat({ max: KEYS.length - 1 }), roleArb, ctxArb).map(([i, role, ctx]) => createHello(KEYS[i]!, role, ctx))

interface HelloInput {
  kind: 'hello'
  payload: Uint8Array
  role: HandshakeRole
}
interface SessionInput {
  kind: 'session'
  messages: { bytes: Uint8Array; binary: boolean }[]
}
type Input = HelloInput | SessionInput

const stats = { hellosAccepted: 0, hellosRefused: 0, sessionsCompleted: 0, sessionsRefused: 0 }

function checkHello(input: HelloInput): void {
  let verdict: ReturnType<typeof verifyHello>
  try {
    verdict = verifyHello(input.payload, input.role, CTX)
  } catch (err) {
    throw new Finding('crash', `verifyHello threw (it must return a verdict): ${String(err)}`, { cause: err })
  }
  if (verdict.ok && !ADDRESSES.has(verdict.address)) {
    throw new Finding('crash', `verifyHello accepted ${verdict.address}, which signed no hello: ${hex(input.payload)}`)
  }
  if (verdict.ok) stats.hellosAccepted++
  else stats.hellosRefused++
}

/** Enough of a ws WebSocket for runHandshake: events in, sent frames and the close recorded. */
class MemorySocket extends EventEmitter {
  readonly OPEN = 1
  readyState = 1
  isPaused = false
  refused = false
  send(data: Uint8Array): void {
    if (data[0] === FrameKind.REFUSE) this.refused = true
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState !== 1) return
    this.readyState = 3
    queueMicrotask(() => this.emit('close', code, Buffer.from(reason)))
  }
  terminate(): void {
    this.close(1006)
  }
  resume(): void {}
}

async function checkSession(input: SessionInput): Promise<void> {
  const socket = new MemorySocket()
  const outcome = runHandshake(socket as unknown as WebSocket, { ...CTX, privateKey: OWN_KEY, role: 'listener', timeoutMs: 60_000 })
  // A rejection is read below; a promise rejected before that must not count as unhandled.
  outcome.catch(() => {})
  for (const m of input.messages) {
    if (socket.readyState !== 1) break
    try {
      socket.emit('message', Buffer.from(m.bytes), m.binary)
    } catch (err) {
      throw new Finding('crash', `the handshake's message handler threw: ${String(err)}`, { cause: err })
    }
  }
  socket.close(1006)
  try {
    const { address } = await outcome
    if (!ADDRESSES.has(address)) throw new Finding('crash', `the handshake completed with ${address}, which signed no hello`)
    if (socket.refused) throw new Finding('crash', 'the handshake completed after refusing the peer')
    stats.sessionsCompleted++
  } catch (err) {
    if (err instanceof Finding) throw err
    if (!(err instanceof HandshakeError)) throw new Finding('crash', `runHandshake rejected with a ${String(err)}, not a HandshakeError`, { cause: err })
    stats.sessionsRefused++
  }
}

const helloFrame = (payload: Uint8Array): Uint8Array => encodeFrame({ kind: FrameKind.HELLO, payload })
const messageArb = fc.oneof(
  { arbitrary: validHelloArb.map(helloFrame), weight: 3 },
  { arbitrary: mutated(validHelloArb).map(helloFrame), weight: 3 },
  { arbitrary: fc.constant(encodeFrame({ kind: FrameKind.ACCEPT })), weight: 3 },
  { arbitrary: frameArb.map(encodeFrame), weight: 2 },
  { arbitrary: mutated(validHelloArb.map(helloFrame)), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
)

export async function createTarget(): Promise<FuzzTarget<Input> & { stats: typeof stats }> {
  return {
    stats,
    name: 'p2p-handshake',
    description: 'verifyHello and runHandshake on valid, mutated and random hellos and frame sequences: typed refusals only, no forged peer',
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('hello' as const), payload: decoderInputs(validHelloArb), role: roleArb }),
      fc.record({
        kind: fc.constant('session' as const),
        messages: fc.array(fc.record({ bytes: messageArb, binary: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, fc.constant(false)) }), { minLength: 1, maxLength: 4 }),
      }),
    ),
    check: (input) => (input.kind === 'hello' ? checkHello(input) : checkSession(input)),
  }
}
