/**
 * Fair peer scoring on a QBFT network of real node processes (issue #9, finding 3): 4 validators, an
 * observer whose key a rogue peer uses, and an outbound-only observer.
 * - Node 1 has a small `txpool.maxTxBytes`; large valid transactions sent to node 2 reach it by
 *   gossip and are refused there, which is no fault of the validators relaying them: node 1 bans
 *   nobody, keeps all its peers and keeps up (it used to ban all three and fall behind).
 * - The rogue (an allowed key) gossips on protocols nobody handles (node 2), floods node 3 with
 *   gossip that is only ever a duplicate, and node 4 with block-sync requests: each is dropped over
 *   a per-peer budget or penalised, and the rogue is banned.
 * - Connections that never finish their handshake, from 127.0.0.1 and 127.0.0.2, do not keep a
 *   restarted node from connecting.
 */
import { readFile, writeFile } from 'node:fs/promises'
import type { P2PStats } from '../../src/network/host.js'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RLP } from '@ethereumjs/rlp'
import { Wallet } from 'ethers'
import { encodeFrame, FrameKind } from '../../src/network/frame.js'
import { readKeyFile } from '../../src/node/keyfile.js'
import type { Address, Hex } from '../../src/types.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { dialRawPeer, openSilentConnection, RogueHost, type RogueIdentity, type SilentConnection } from '../helpers/rogue-peer.js'
import { tempDir } from '../helpers/tmp.js'

const CHAIN_ID = 1337n
const [SMALL, ENTRY, GOSSIP_BUDGET, SYNC_BUDGET, ROGUE_KEY, LATE] = [0, 1, 2, 3, 4, 5]
const VALIDATORS = [0, 1, 2, 3]

interface NodeInfo {
  genesis: Hex
  p2p: P2PStats
  sync: { requestsServed: number }
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let identity: RogueIdentity
let rogue: RogueHost
let ROGUE: Address

const info = (i: number): Promise<NodeInfo> => rpc<NodeInfo>(net.url(i), 'admin_nodeInfo')
const peersOf = async (i: number): Promise<Address[]> => (await rpc<{ id: Address }[]>(net.url(i), 'admin_peers')).map((p) => p.id)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function patchConfig(i: number, patch: (c: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const file = join(net.nodes[i]!.dataDir, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>
  patch(config)
  await writeFile(file, JSON.stringify(config, null, 2))
}

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 4, observers: 2, outboundOnly: [LATE] })
  await patchConfig(SMALL, (c) => (c.txpool = { ...c.txpool, maxTxBytes: 4096 }))
  await patchConfig(GOSSIP_BUDGET, (c) => (c.p2p = { ...c.p2p, peerBudget: { gossipBytesPerSecond: 1024 * 1024, gossipBurstBytes: 4 * 1024 * 1024 } }))
  await patchConfig(SYNC_BUDGET, (c) => (c.p2p = { ...c.p2p, peerBudget: { requestsPerSecond: 2, requestBurst: 40 } }))
  await net.start(...VALIDATORS)
  identity = { privateKey: await readKeyFile(join(net.nodes[ROGUE_KEY]!.dataDir, 'node.key')), chainId: CHAIN_ID, genesisHash: (await info(0)).genesis }
  ROGUE = net.nodes[ROGUE_KEY]!.address
  rogue = new RogueHost(identity)
  await rogue.start()
  await waitFor('the validators to finalise blocks', async () => (await Promise.all(VALIDATORS.map((i) => net.height(i)))).every((h) => h >= 2))
})

afterAll(async () => {
  await rogue?.stop()
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('fair peer scoring on a QBFT network of processes', () => {
  it('a node with a smaller txpool.maxTxBytes bans nobody when large valid transactions are relayed to it, keeps its peers and is not behind', async () => {
    const validators = VALIDATORS.map((i) => net.nodes[i]!.address)
    const wallet = new Wallet(net.accounts[1]!.privateKey)
    const data = `0x${'01'.repeat(30_000)}`
    const hashes: string[] = []
    // 30 transactions of 30 kB: valid everywhere but on node 1, whose limit is 4 kB.
    for (let nonce = 0; nonce < 30; nonce++) {
      const raw = await wallet.signTransaction({ to: net.accounts[2]!.address, data, nonce, gasLimit: 21_000 + 16 * 30_000, gasPrice: 0, chainId: Number(CHAIN_ID) })
      hashes.push(await rpc<string>(net.url(ENTRY), 'eth_sendRawTransaction', [raw]))
    }
    const last = await waitFor('all 30 mined', async () => rpc<{ blockNumber: Hex } | null>(net.url(ENTRY), 'eth_getTransactionReceipt', [hashes.at(-1)]).then((r) => r ?? undefined), 60_000)
    // Node 1 holds the blocks that include them (its pool refused them; its chain did not).
    const mined = Number(last.blockNumber)
    await waitFor('node 1 at the block with the last one', async () => (await net.height(SMALL)) >= mined, 15_000)
    expect(await net.hashAt(SMALL, mined)).toBe(await net.hashAt(ENTRY, mined))

    const stats = (await info(SMALL)).p2p
    expect(stats.bannedPeers, JSON.stringify(stats.penalties)).toEqual([])
    expect(stats.throttledPeers).toEqual([])
    expect(stats.penalisedPeers.filter((p) => validators.includes(p.address))).toEqual([])
    expect(Object.keys(stats.penalties).filter((k) => k.startsWith('invalid transaction'))).toEqual([])
    const peers = await peersOf(SMALL)
    for (const v of validators.filter((v) => v !== net.nodes[SMALL]!.address)) expect(peers).toContain(v)
    // Not behind: it keeps finalising with the others.
    const target = Math.max(...(await Promise.all(VALIDATORS.map((i) => net.height(i))))) + 2
    await waitFor(`node 1 at height ${target}`, async () => (await net.height(SMALL)) >= target, 15_000)
  })

  it('penalises gossip on protocols nobody handles and bans the sender', async () => {
    const { p2pUrl, address } = net.nodes[ENTRY]!
    await rogue.connect(p2pUrl!, address)
    for (let i = 0; i < 40 && rogue.host.isConnected(address); i++) {
      rogue.host.gossip('nobody/1', new Uint8Array(64 * 1024).fill(i))
      await sleep(10)
    }
    const stats = await waitFor('the rogue banned by node 2', async () => {
      const s = (await info(ENTRY)).p2p
      return s.bannedPeers.some((b) => b.address === ROGUE) ? s : undefined
    })
    expect(stats.invalidFrames.UNKNOWN_PROTOCOL).toBeGreaterThanOrEqual(20)
    expect(stats.penalties['invalid frame: UNKNOWN_PROTOCOL']).toBeGreaterThanOrEqual(20)
    expect(await peersOf(ENTRY)).not.toContain(ROGUE)
  })

  it('drops gossip over the per-peer byte budget, even duplicates nobody is blamed for, and bans the sender', async () => {
    const { p2pUrl, address } = net.nodes[GOSSIP_BUDGET]!
    const raw = await dialRawPeer(p2pUrl!, address, identity)
    await waitFor('the rogue a peer of node 3', async () => (await peersOf(GOSSIP_BUDGET)).includes(ROGUE))
    // The same 512 kB gossip over and over: delivered once (refused as too big, no fault), then
    // only duplicates, which the node never delivers and used to take for free.
    const frame = encodeFrame({ kind: FrameKind.GOSSIP, protocol: 'tx', payload: new Uint8Array(512 * 1024).fill(0x02) })
    let sent = 0
    const closed = raw.closed.then(() => true)
    while (sent < 200 && !(await Promise.race([closed, sleep(5).then(() => false)]))) {
      raw.ws.send(frame)
      sent++
    }
    expect(await raw.closed).toEqual({ code: 4001, reason: 'BANNED' })
    const stats = (await info(GOSSIP_BUDGET)).p2p
    expect(stats.overBudget.GOSSIP_BYTES).toBeGreaterThanOrEqual(16)
    expect(stats.penalties['over budget: GOSSIP_BYTES']).toBeGreaterThanOrEqual(16)
    expect(stats.bannedPeers.map((b) => b.address)).toContain(ROGUE)
    expect(sent).toBeLessThan(200)
  })

  it('answers block-sync requests over the per-peer budget with BUSY, penalises them and bans the requester', async () => {
    const { p2pUrl, address } = net.nodes[SYNC_BUDGET]!
    await rogue.connect(p2pUrl!, address)
    const before = (await info(SYNC_BUDGET)).sync.requestsServed
    const ask = RLP.encode([1, 64])
    const outcomes = new Map<string, number>()
    for (let round = 0; round < 30 && rogue.host.isConnected(address); round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => rogue.host.request(address, 'sync/blocks', ask, 5000).then(() => 'ok', (e: { remoteCode?: string; code?: string }) => e.remoteCode ?? e.code ?? 'error')))
      for (const o of batch) outcomes.set(o, (outcomes.get(o) ?? 0) + 1)
    }
    const s = await info(SYNC_BUDGET)
    expect(s.p2p.bannedPeers.map((b) => b.address)).toContain(ROGUE)
    expect(s.p2p.overBudget.REQUESTS).toBeGreaterThanOrEqual(20)
    expect(outcomes.get('BUSY')).toBeGreaterThanOrEqual(1)
    // Served: the burst of 40 and 2 per second while it lasted, not 300.
    expect(s.sync.requestsServed - before).toBeLessThanOrEqual(60)
    expect(rogue.host.isConnected(address)).toBe(false)
  })

  it('connections that never finish their handshake, from 127.0.0.1 and 127.0.0.2, do not keep a restarted node from connecting', async () => {
    const target = ENTRY
    const port = Number(new URL(net.nodes[target]!.p2pUrl!.replace('wss:', 'https:')).port)
    const late = net.nodes[LATE]!.address
    await net.start(LATE)
    await waitFor('the late observer connected to node 2', async () => (await peersOf(target)).includes(late))
    await net.stop(LATE)
    await waitFor('the late observer gone from node 2', async () => !(await peersOf(target)).includes(late))

    // 40 silent connections per IP, most of them upgraded to WebSocket, each reopened a second after the node closes it.
    let flooding = true
    const open = new Set<SilentConnection>()
    const hold = async (ip: string, stage: 'tcp' | 'tls' | 'websocket'): Promise<void> => {
      while (flooding) {
        const c = await openSilentConnection(port, stage, ip)
        open.add(c)
        await c.closed
        open.delete(c)
        if (flooding) await sleep(1000)
      }
    }
    const holders: Promise<void>[] = []
    for (const ip of ['127.0.0.1', '127.0.0.2']) {
      for (let i = 0; i < 40; i++) holders.push(hold(ip, i < 30 ? 'websocket' : i < 35 ? 'tls' : 'tcp'))
    }
    try {
      await sleep(2000)
      const during = (await info(target)).p2p
      expect(during.pendingInbound).toBeLessThanOrEqual(16)
      expect(during.inboundDropped.PENDING_PER_IP).toBeGreaterThan(0)

      await net.start(LATE)
      await waitFor('the restarted observer connected to node 2 during the flood', async () => (await peersOf(target)).includes(late), 20_000)
      // The validators' links were never touched.
      const peers = await peersOf(target)
      for (const i of VALIDATORS.filter((i) => i !== target)) expect(peers).toContain(net.nodes[i]!.address)
    } finally {
      flooding = false
      for (const c of open) c.destroy()
      await Promise.all(holders)
    }
  })
})
