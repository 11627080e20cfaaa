/** Shared fixtures for the network tests: keys, a TLS identity, hosts on 127.0.0.1 ephemeral ports, a log capture. */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { generatePrivateKey, privateKeyToAddress } from '../../../src/crypto/keys.js'
import { keccak256 } from '../../../src/crypto/native.js'
import { P2PHost, type P2PHostOptions } from '../../../src/network/host.js'
import { generateTlsIdentity, type TlsIdentity } from '../../../src/network/tls.js'
import type { Logger } from '../../../src/ops/logger.js'
import type { Address } from '../../../src/types.js'

export const CHAIN_ID = 1337n
export const GENESIS = keccak256(new TextEncoder().encode('quorate test genesis'))
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

export interface TestNode {
  key: Uint8Array
  address: Address
}

export function makeNode(): TestNode {
  const key = generatePrivateKey()
  return { key, address: privateKeyToAddress(key) }
}

let tlsIdentity: Promise<TlsIdentity> | undefined
export function testTls(): Promise<TlsIdentity> {
  tlsIdentity ??= generateTlsIdentity('quorate-test', { altNames: ['127.0.0.1'] })
  return tlsIdentity
}

/** Fast timings so the whole suite stays small. */
export const FAST = {
  handshakeTimeoutMs: 2000,
  dialTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  reconnect: { baseMs: 40, maxMs: 300 },
  pingIntervalMs: 5000,
  proxy: false as const,
}

export interface HostSpec extends Partial<P2PHostOptions> {
  node: TestNode
  /** Addresses this host allows; defaults to allowing everyone. */
  allow?: Set<Address>
  /** Listen on 127.0.0.1:0 (default true). */
  listening?: boolean
  port?: number
}

export async function startHost(spec: HostSpec, env: Record<string, string | undefined> = {}, logger?: Logger): Promise<P2PHost> {
  const { node, allow, listening = true, port = 0, ...rest } = spec
  const host = new P2PHost(
    {
      ...FAST,
      privateKey: node.key,
      chainId: CHAIN_ID,
      genesisHash: GENESIS,
      isAllowed: (a) => (allow ? allow.has(a) : true),
      ...(listening ? { listen: { host: '127.0.0.1', port }, tls: await testTls() } : {}),
      ...rest,
    },
    { env, ...(logger ? { logger } : {}) },
  )
  await host.start()
  return host
}

/** Polls `cond` until true or fails after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export interface LogLine {
  level: number
  msg: string
  err?: string
  url?: string
  reason?: string
  peer?: string
  protocol?: string
  bytes?: number
}

/** A logger (debug level unless told) whose JSON lines the test reads back. */
export function captureLogger(level: 'debug' | 'trace' = 'debug'): { logger: Logger; lines: () => LogLine[] } {
  const out: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString('utf8'))
      cb()
    },
  })
  return { logger: pino({ level }, stream), lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine) }
}
