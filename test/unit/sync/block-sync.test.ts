import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { pino } from 'pino'
import type { P2PHostEvents, RequestHandler } from '../../../src/network/host.js'
import type { PeerInfo } from '../../../src/network/peer.js'
import { BlockSync, MAX_BLOCKS_PER_REQUEST, type SyncChain, type SyncNetwork } from '../../../src/sync/block-sync.js'
import type { Address } from '../../../src/types.js'
import { buildBlocks, common, importerFor, openChain, seal, withHeader, type TestChain } from '../../helpers/sync-chain.js'
import { tempDir } from '../../helpers/tmp.js'

/** Two hosts wired to each other in memory: what one sends, the other receives. */
class MemoryHost extends EventEmitter<P2PHostEvents> implements SyncNetwork {
  peer: MemoryHost | undefined
  readonly handlers = new Map<string, RequestHandler>()
  readonly penalties: string[] = []
  requests = 0

  constructor(readonly address: Address) {
    super()
  }

  handle(protocol: string, handler: RequestHandler): void {
    this.handlers.set(protocol, handler)
  }
  unhandle(protocol: string): void {
    this.handlers.delete(protocol)
  }
  subscribe(): void {}
  send(peer: Address, protocol: string, payload: Uint8Array): boolean {
    const to = this.peer
    if (!to || peer !== to.address) return false
    setImmediate(() => to.emit('message', { from: this.address, protocol, payload, kind: 'direct' }))
    return true
  }
  broadcast(protocol: string, payload: Uint8Array): number {
    return this.peer && this.send(this.peer.address, protocol, payload) ? 1 : 0
  }
  async request(peer: Address, protocol: string, payload: Uint8Array): Promise<Uint8Array> {
    this.requests++
    const handler = this.peer?.address === peer ? this.peer.handlers.get(protocol) : undefined
    if (!handler) throw new Error(`no handler for ${protocol}`)
    return handler(this.address, payload)
  }
  penalise(_peer: Address, reason: string): void {
    this.penalties.push(reason)
  }
  isConnected(peer: Address): boolean {
    return this.peer?.address === peer
  }
}

function connect(a: MemoryHost, b: MemoryHost): void {
  a.peer = b
  b.peer = a
  const info = (address: Address): PeerInfo => ({ address, direction: 'outbound', remoteAddress: 'memory', connectedAt: Date.now() }) as PeerInfo
  a.emit('peer:connect', b.address, info(b.address))
  b.emit('peer:connect', a.address, info(a.address))
}

const logger = pino({ level: 'silent' })

function syncOver(chain: TestChain, host: MemoryHost, served: SyncChain = chain.store): BlockSync {
  return new BlockSync({ common, chain: served, host, importer: importerFor(chain), logger })
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

describe('block sync (two nodes in memory)', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })
  async function chains(): Promise<{ source: TestChain; joining: TestChain }> {
    const a = await tempDir()
    const b = await tempDir()
    const source = await openChain(a.dir)
    const joining = await openChain(b.dir)
    cleanups.push(async () => {
      await source.store.close()
      await joining.store.close()
      await a.cleanup()
      await b.cleanup()
    })
    return { source, joining }
  }

  /** Block sync between the source (serving `served`, its own store by default) and the joining node, connected. */
  function syncPair(source: TestChain, joining: TestChain, served: SyncChain = source.store) {
    const sourceHost = new MemoryHost('0x00000000000000000000000000000000000000a1')
    const joiningHost = new MemoryHost('0x00000000000000000000000000000000000000b2')
    const serving = syncOver(source, sourceHost, served)
    const sync = syncOver(joining, joiningHost)
    cleanups.unshift(async () => {
      serving.stop()
      sync.stop()
      await until('sync to end', () => !sync.syncing)
    })
    connect(sourceHost, joiningHost)
    return { sync, served: serving, joiningHost }
  }

  it('a joining node fetches more than one batch from the peer that announced its head and reaches it', async () => {
    const { source, joining } = await chains()
    const count = MAX_BLOCKS_PER_REQUEST + 6
    await buildBlocks(source, count, 1)
    // The peer keeps each block's outcome: the joining node enters blocks from it, running no transaction.
    const execute = vi.spyOn(joining.executor, 'execute')
    const { served, joiningHost } = syncPair(source, joining)
    await until('the joining node to reach the head', () => joining.store.head.header.number === BigInt(count))
    expect(bytesToHex(joining.store.head.hash())).toBe(bytesToHex(source.store.head.hash()))
    expect(joiningHost.requests).toBe(2)
    expect(joiningHost.penalties).toEqual([])
    expect(served.stats().requestsServed).toBe(2)
    expect(execute).not.toHaveBeenCalled()
  })

  it('refuses a served block whose seal is valid but whose state root is wrong, penalises the peer and keeps the blocks before it', async () => {
    const { source, joining } = await chains()
    await buildBlocks(source, 4, 2)
    const bad = 3n
    // The peer serves block 3 with another state root, sealed by the validator: only re-execution can tell.
    const original = (await source.store.getBlockByNumber(bad))!
    const tampered = withHeader(original, { stateRoot: bytesToHex(original.header.receiptTrie) })
    const lying: SyncChain = {
      get head() {
        return source.store.head
      },
      getBlockByNumber: async (n) => (n === bad ? tampered : source.store.getBlockByNumber(n)),
      getFinality: async (hash) => (hash === bytesToHex(tampered.hash()) ? seal(tampered) : source.store.getFinality(hash)),
      getBlockOutcome: (hash) => source.store.getBlockOutcome(hash),
    }
    const { sync, joiningHost } = syncPair(source, joining, lying)
    await until('the bad response to be counted', () => sync.stats().invalidResponses === 1)
    await until('sync to end', () => !sync.syncing)
    expect(joining.store.head.header.number).toBe(bad - 1n)
    expect(joiningHost.penalties.join()).toMatch(/state root mismatch/)
  })

  it('re-executes blocks whose served outcome fails its checks, penalises the peer that served it, and still reaches the head', async () => {
    const { source, joining } = await chains()
    await buildBlocks(source, 4, 2)
    const bad = 3n
    const badHash = bytesToHex((await source.store.getBlockByNumber(bad))!.hash())
    const lying: SyncChain = {
      get head() {
        return source.store.head
      },
      getBlockByNumber: (n) => source.store.getBlockByNumber(n),
      getFinality: (hash) => source.store.getFinality(hash),
      // Block 3 comes with block 2's state changes: well formed, and what a stale or lying peer would send.
      getBlockOutcome: async (hash) => {
        const outcome = await source.store.getBlockOutcome(hash)
        if (hash !== badHash || !outcome) return outcome
        const other = await source.store.getBlockOutcome(bytesToHex((await source.store.getBlockByNumber(bad - 1n))!.hash()))
        return { receipts: outcome.receipts, changes: other!.changes }
      },
    }
    const { sync, joiningHost } = syncPair(source, joining, lying)
    await until('the joining node to reach the head', () => joining.store.head.header.number === 4n)
    expect(bytesToHex(await joining.executor.stateManager.getStateRoot())).toBe(bytesToHex(source.store.head.header.stateRoot))
    expect(sync.stats().invalidResponses).toBe(1)
    expect(joiningHost.penalties).toEqual(['invalid sync response: state changes that do not give the sealed roots'])
  })

  it('serves blocks with their outcome only to a node that asks for it (a node of an earlier release gets [block, round, seals])', async () => {
    const { source } = await chains()
    await buildBlocks(source, 3, 2)
    const host = new MemoryHost('0x00000000000000000000000000000000000000a1')
    const served = syncOver(source, host)
    cleanups.unshift(async () => served.stop())
    const serve = host.handlers.get('sync/blocks')!
    const entries = async (request: Uint8Array[]) => RLP.decode(await serve('0x00000000000000000000000000000000000000b2', RLP.encode(request))) as Uint8Array[][]
    const old = await entries([Uint8Array.of(1), Uint8Array.of(3)])
    expect(old.map((e) => e.length)).toEqual([3, 3, 3])
    const current = await entries([Uint8Array.of(1), Uint8Array.of(3), Uint8Array.of(1)])
    expect(current.map((e) => e.length)).toEqual([5, 5, 5])
    const outcome = await source.store.getBlockOutcome(bytesToHex((await source.store.getBlockByNumber(2n))!.hash()))
    expect(bytesToHex(current[1]![3]!)).toBe(bytesToHex(outcome!.receipts))
    expect(bytesToHex(current[1]![4]!)).toBe(bytesToHex(outcome!.changes))
  })
})
