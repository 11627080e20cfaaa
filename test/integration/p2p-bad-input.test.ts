/**
 * Bad input over P2P against a QBFT network of real node processes (4 validators). A rogue peer
 * holding the key of an allowed observer (so it passes the handshake) sends each validator a
 * different kind of bad input: garbage and broken WebSocket frames (node 1), an oversized frame
 * (node 2), consensus messages for wrong heights, badly signed or signed by a non-validator (node 3),
 * a false head announcement answered with garbage and with a block lacking valid seals (node 4).
 * Each is dropped and counted where an operator sees it (admin_nodeInfo, admin_peers), the rogue's
 * score rises until it is disconnected and banned, and the network keeps finalising one chain.
 *
 * Each kind goes to its own validator because a ban lasts 10 minutes: that keeps every counter
 * checked here owned by one step.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBlock, type Block } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { blockOptions, createChainCommon } from '../../src/chain/common.js'
import { encodeExtraData } from '../../src/chain/extra-data.js'
import { sealDigest } from '../../src/chain/finality.js'
import { encodeMessage, privateKeySigner, signPayload } from '../../src/consensus/qbft/index.js'
import { sign } from '../../src/crypto/keys.js'
import { encodeFrame, FrameKind } from '../../src/network/frame.js'
import { readKeyFile } from '../../src/node/keyfile.js'
import type { Address, Hex } from '../../src/types.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { dialRawPeer, RogueHost, type PeerHead, type RogueIdentity } from '../helpers/rogue-peer.js'
import { tempDir } from '../helpers/tmp.js'

const CHAIN_ID = 1337n
const OBSERVER = 4
const [GARBAGE, OVERSIZED, CONSENSUS, SYNC] = [0, 1, 2, 3]

interface NodeInfo {
  genesis: Hex
  head: { number: Hex; hash: Hex }
  consensus: { height: Hex } | null
  p2p: {
    invalidFrames: Record<string, number>
    penalties: Record<string, number>
    handshakesRefused: Record<string, number>
    penalisedPeers: { address: Address; score: number }[]
    bannedPeers: { address: Address; until: number }[]
  }
  sync: { syncing: boolean; highestKnownBlock: Hex; invalidResponses: number; requestsServed: number }
}

interface PeerEntry {
  id: Address
  invalidFrames: number
  score: number
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let identity: RogueIdentity
let rogue: RogueHost
let ROGUE: Address

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const node = (i: number): { url: string; address: Address } => ({ url: net.nodes[i]!.p2pUrl!, address: net.nodes[i]!.address })
const info = (i: number): Promise<NodeInfo> => rpc<NodeInfo>(net.url(i), 'admin_nodeInfo')
const rogueAt = async (i: number): Promise<PeerEntry | undefined> => (await rpc<PeerEntry[]>(net.url(i), 'admin_peers')).find((p) => p.id === ROGUE)
const penalisedScore = async (i: number): Promise<number | undefined> => (await info(i)).p2p.penalisedPeers.find((p) => p.address === ROGUE)?.score
const isBanned = async (i: number): Promise<boolean> => (await info(i)).p2p.bannedPeers.some((b) => b.address === ROGUE)
const penaltiesMatching = (p: Record<string, number>, re: RegExp): number => Object.entries(p).reduce((n, [k, v]) => (re.test(k) ? n + v : n), 0)
const randomDigest = (): Hex => bytesToHex(randomBytes(32)) as Hex

/** A QBFT Prepare for (height, round 0), signed by `key`; `tamper` may then change the signature. */
function prepare(key: Uint8Array, height: bigint, tamper?: (signature: Uint8Array) => void): Uint8Array {
  const signed = signPayload('prepare', { height, round: 0, digest: randomDigest() }, privateKeySigner(key))
  const signature = signed.signature.slice()
  tamper?.(signature)
  return encodeMessage<Uint8Array>({ type: 'prepare', signed: { ...signed, signature } }, { encode: (b) => b })
}

/** RLP [head number, head hash] as a node announces its head on `status`. */
const status = (number: bigint): Uint8Array => RLP.encode([bigIntToUnpaddedBytes(number), randomBytes(32)])

/**
 * Sends a consensus message for the height node `i` is deciding now and waits until the node
 * counts the penalty `reason`. It is sent once the node has opened the height that follows a head
 * it just announced, so it arrives while that height is open: a message that lands after the height
 * was decided is dropped as OLD_HEIGHT without penalty (by design), and one that lands before it
 * opens is kept as a future message and relayed to the other validators, which would then blame
 * this node (see the last test). If the moment is missed, it is sent again.
 */
async function penalisedAtCurrentHeight(i: number, reason: string, build: (height: bigint) => Uint8Array): Promise<void> {
  const key = `consensus: ${reason}`
  for (let attempt = 1; attempt <= 3; attempt++) {
    const before = (await info(i)).p2p.penalties[key] ?? 0
    const head = await rogue.nextHead(node(i).address)
    const height = head.number + 1n
    const open = await waitFor(`node ${i + 1} to open height ${height}`, async () => BigInt((await info(i)).consensus?.height ?? '0x0') === height, 800).catch(() => false)
    if (!open) continue
    rogue.send(node(i).address, 'qbft', build(height))
    const after = await waitFor(`${key} counted`, async () => {
      const n = (await info(i)).p2p.penalties[key] ?? 0
      return n > before ? n : undefined
    }, 1500).catch(() => undefined)
    if (after !== undefined) {
      expect(after).toBe(before + 1)
      return
    }
  }
  throw new Error(`${reason} was never penalised at node ${i + 1}`)
}

/** A block that follows `parent` and passes the structural checks, but carries no valid commit seal. */
async function blockWithoutValidSeals(i: number, parent: PeerHead): Promise<{ block: Block; seals: Uint8Array[] }> {
  const p = await rpc<{ hash: Hex; timestamp: Hex; gasLimit: Hex }>(net.url(i), 'eth_getBlockByNumber', [`0x${parent.number.toString(16)}`, false])
  expect(p.hash).toBe(parent.hash)
  const validators = await rpc<Address[]>(net.url(i), 'qbft_getValidatorsByBlockNumber', [`0x${parent.number.toString(16)}`])
  const common = createChainCommon(CHAIN_ID, BigInt(p.gasLimit))
  const block = createBlock(
    {
      header: {
        parentHash: hexToBytes(parent.hash),
        number: parent.number + 1n,
        timestamp: BigInt(p.timestamp) + 1n,
        gasLimit: BigInt(p.gasLimit),
        baseFeePerGas: 0n,
        difficulty: 0n,
        coinbase: validators[0]!,
        extraData: encodeExtraData({ vanity: new Uint8Array(32), validators, round: 0, seals: [] }),
      },
    },
    blockOptions(common),
  )
  // A seal by the rogue (not a validator) over the right digest, and 65 bytes of noise.
  const seals = [sign(hexToBytes(sealDigest(block, 0, common)), identity.privateKey), new Uint8Array(randomBytes(65))]
  return { block, seals }
}

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 4, observers: 1 })
  await net.start(0, 1, 2, 3)
  const genesis = (await info(0)).genesis
  identity = { privateKey: await readKeyFile(join(net.nodes[OBSERVER]!.dataDir, 'node.key')), chainId: CHAIN_ID, genesisHash: genesis }
  ROGUE = net.nodes[OBSERVER]!.address
  rogue = new RogueHost(identity)
  await rogue.start()
  await waitFor('the validators to finalise blocks', async () => (await Promise.all([0, 1, 2, 3].map((i) => net.height(i)))).every((h) => h >= 2))
})

afterAll(async () => {
  await rogue?.stop()
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('bad input over P2P on a QBFT network of processes', () => {
  it('drops garbage and broken WebSocket frames, counts and penalises each, and bans the sender at the threshold', async () => {
    const { url, address } = node(GARBAGE)
    expect((await info(GARBAGE)).p2p.invalidFrames).toEqual({})
    const raw = await dialRawPeer(url, address, identity)
    await waitFor('the rogue to be a peer of node 1', () => rogueAt(GARBAGE))
    raw.ws.send('a text frame')
    raw.ws.send(Uint8Array.of(0x7f, 0x00, 1, 2, 3)) // unknown frame kind
    raw.ws.send(Uint8Array.of(FrameKind.MESSAGE, 40, 0x71)) // protocol name cut short
    const peer = await waitFor('three invalid frames', async () => {
      const p = await rogueAt(GARBAGE)
      return p?.invalidFrames === 3 ? p : undefined
    })
    // 20 points each (minus decay of 1 point/s); below the ban threshold of 100 it stays connected.
    expect(peer.score).toBeGreaterThan(50)
    expect(peer.score).toBeLessThanOrEqual(60)
    let stats = (await info(GARBAGE)).p2p
    expect(stats.invalidFrames).toEqual({ TEXT_FRAME: 1, UNKNOWN_KIND: 1, TRUNCATED: 1 })
    expect(stats.penalties).toMatchObject({ 'invalid frame: TEXT_FRAME': 1, 'invalid frame: UNKNOWN_KIND': 1, 'invalid frame: TRUNCATED': 1 })

    // Below WebSocket framing: a frame with a reserved opcode. ws fails the connection (1002).
    raw.socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]))
    expect((await raw.closed).code).toBe(1002)
    stats = await waitFor('the broken frame counted', async () => {
      const s = (await info(GARBAGE)).p2p
      return s.invalidFrames.BAD_WEBSOCKET === 1 ? s : undefined
    })
    expect(stats.penalties['invalid frame: BAD_WEBSOCKET']).toBe(1)
    expect(stats.bannedPeers).toEqual([])
    expect(await rogueAt(GARBAGE)).toBeUndefined()

    // Not banned yet, so it may come back; two more bad frames cross the threshold.
    const again = await dialRawPeer(url, address, identity)
    again.ws.send(new Uint8Array(0)) // empty
    again.ws.send(Uint8Array.of(FrameKind.GOSSIP, 3, 0x41, 0x42, 0x43)) // protocol name in capitals
    again.ws.send(encodeFrame({ kind: FrameKind.ACCEPT })) // a handshake frame after the handshake
    expect(await again.closed).toEqual({ code: 4001, reason: 'BANNED' })
    stats = (await info(GARBAGE)).p2p
    expect(stats.invalidFrames).toMatchObject({ TEXT_FRAME: 1, UNKNOWN_KIND: 1, TRUNCATED: 1, BAD_WEBSOCKET: 1, EMPTY: 1, BAD_PROTOCOL: 1 })
    expect(stats.bannedPeers.map((b) => b.address)).toEqual([ROGUE])
    expect(stats.penalisedPeers.map((p) => p.address)).not.toContain(ROGUE)
    expect(await rogueAt(GARBAGE)).toBeUndefined()

    // A banned node is refused at the handshake, and the refusal is counted.
    await expect(dialRawPeer(url, address, identity)).rejects.toMatchObject({ reason: 'BANNED', byPeer: true })
    expect((await info(GARBAGE)).p2p.handshakesRefused.BANNED).toBeGreaterThanOrEqual(1)
  })

  it('drops a frame above the 16 MiB limit, closes that connection (1009) and penalises the sender without banning it', async () => {
    const { url, address } = node(OVERSIZED)
    const raw = await dialRawPeer(url, address, identity)
    await waitFor('the rogue to be a peer of node 2', () => rogueAt(OVERSIZED))
    raw.ws.send(new Uint8Array(17 * 1024 * 1024))
    expect((await raw.closed).code).toBe(1009)
    const stats = await waitFor('the oversized frame counted', async () => {
      const s = (await info(OVERSIZED)).p2p
      return s.invalidFrames.OVERSIZED === 1 ? s : undefined
    })
    expect(stats.invalidFrames).toEqual({ OVERSIZED: 1 })
    expect(stats.penalties['invalid frame: OVERSIZED']).toBe(1)
    const score = stats.penalisedPeers.find((p) => p.address === ROGUE)?.score ?? 0
    expect(score).toBeGreaterThan(40)
    expect(score).toBeLessThanOrEqual(50)
    expect(stats.bannedPeers).toEqual([])
    expect(await rogueAt(OVERSIZED)).toBeUndefined()

    // Penalised, not banned: a new connection is accepted.
    const again = await dialRawPeer(url, address, identity)
    await waitFor('the rogue to be a peer of node 2 again', () => rogueAt(OVERSIZED))
    again.ws.close()
    await again.closed
  })

  it('drops consensus messages for wrong heights without penalty, and penalises undecodable, badly signed and non-validator ones', async () => {
    const { url, address } = node(CONSENSUS)
    await rogue.connect(url, address)
    const base = (await info(CONSENSUS)).p2p.penalties
    const consensusPenalties = (p: Record<string, number>): number => penaltiesMatching(p, /^consensus: /) - penaltiesMatching(base, /^consensus: /)
    const head = BigInt((await info(CONSENSUS)).head.number)

    // Wrong heights, signed by the rogue: an old one, then one far ahead. Both are normal under
    // gossip (late messages; a peer ahead of us), so they are dropped without penalty; the far one
    // makes the node ask its sender for blocks, and it is handled after the old one (one connection).
    rogue.send(address, 'qbft', prepare(identity.privateKey, 1n))
    rogue.send(address, 'qbft', prepare(identity.privateKey, head + 1000n))
    await waitFor('node 3 to ask the rogue for blocks', async () => rogue.syncRequests.some((r) => r.from === address))
    expect(consensusPenalties((await info(CONSENSUS)).p2p.penalties)).toBe(0)
    expect((await rogueAt(CONSENSUS))?.score).toBeLessThan(1)
    expect(await net.height(CONSENSUS)).toBeLessThan(Number(head) + 1000)

    // Bytes that are no QBFT message, and a Prepare whose signature has an impossible recovery id.
    rogue.send(address, 'qbft', Uint8Array.of(0xde, 0xad, 0xbe, 0xef))
    rogue.send(address, 'qbft', prepare(identity.privateKey, head, (sig) => (sig[64] = 7)))
    await waitFor('undecodable and badly signed messages penalised', async () => {
      const p = (await info(CONSENSUS)).p2p.penalties
      return (p['consensus: BAD_MESSAGE'] ?? 0) === (base['consensus: BAD_MESSAGE'] ?? 0) + 1 && (p['consensus: BAD_SIGNATURE'] ?? 0) === (base['consensus: BAD_SIGNATURE'] ?? 0) + 1
    })

    // A Prepare signed by validator 2 with one signature byte changed recovers to another key: not
    // accepted as validator 2's. And a correctly signed Prepare from the rogue, which is no validator.
    const validatorKey = await readKeyFile(join(net.nodes[1]!.dataDir, 'node.key'))
    await penalisedAtCurrentHeight(CONSENSUS, 'NOT_VALIDATOR', (h) => prepare(validatorKey, h, (sig) => (sig[63] = sig[63]! ^ 0x01)))
    await penalisedAtCurrentHeight(CONSENSUS, 'NOT_VALIDATOR', (h) => prepare(identity.privateKey, h))

    const stats = (await info(CONSENSUS)).p2p
    expect(consensusPenalties(stats.penalties)).toBe(4)
    const peer = await rogueAt(CONSENSUS)
    // 20 points each; frames themselves were well formed; still below the ban threshold.
    expect(peer?.invalidFrames).toBe(0)
    expect(peer?.score).toBeGreaterThan(60)
    expect(peer?.score).toBeLessThanOrEqual(80)
    expect(stats.invalidFrames).toEqual({})
    expect(stats.bannedPeers).toEqual([])
  })

  it('rejects invalid sync responses (garbage, a block lacking valid seals), counts and penalises them, forgets the false head, and bans on', async () => {
    const { url, address } = node(SYNC)
    await rogue.connect(url, address)
    expect((await info(SYNC)).sync.invalidResponses).toBe(0)
    const requestsFromNode = (): number => rogue.syncRequests.filter((r) => r.from === address).length

    // A head far above the real one, then garbage for the blocks the node asks for.
    rogue.answer = () => Uint8Array.of(0xff, 0x00, 0x01)
    let head = await rogue.nextHead(address)
    rogue.send(address, 'status', status(head.number + 1000n))
    let sync = await waitFor('the garbage response counted', async () => {
      const s = (await info(SYNC)).sync
      return s.invalidResponses === 1 ? s : undefined
    })
    expect(requestsFromNode()).toBe(1)
    expect(rogue.syncRequests.at(-1)!.first).toBe(head.number + 1n)
    expect(BigInt(sync.highestKnownBlock)).toBeLessThan(head.number + 1000n)
    expect((await info(SYNC)).p2p.penalties['invalid sync response: not RLP']).toBe(1)
    expect(await penalisedScore(SYNC)).toBeGreaterThan(40)

    // Again, answered with the next block built on the node's head: well formed, but its seals are
    // one by the rogue and 65 bytes of noise.
    head = await rogue.nextHead(address)
    let fake: Block | undefined
    rogue.answer = async () => {
      const { block, seals } = await blockWithoutValidSeals(SYNC, head)
      fake = block
      return RLP.encode([[block.serialize(), new Uint8Array(0), seals]])
    }
    rogue.send(address, 'status', status(head.number + 1000n))
    sync = await waitFor('the unsealed block counted', async () => {
      const s = (await info(SYNC)).sync
      return s.invalidResponses === 2 ? s : undefined
    })
    expect(requestsFromNode()).toBe(2)
    expect(fake?.header.number).toBe(head.number + 1n)
    const penalties = (await info(SYNC)).p2p.penalties
    expect(penaltiesMatching(penalties, /^invalid sync response: block \d+ lacks a quorum of valid commit seals/)).toBe(1)
    expect(BigInt(sync.highestKnownBlock)).toBeLessThan(head.number + 1000n)
    // The node's block at that height is the network's, not the fake.
    await waitFor('node 4 past the fake height', async () => (await net.height(SYNC)) > Number(head.number))
    expect(await net.hashAt(SYNC, Number(head.number + 1n))).not.toBe(bytesToHex(fake!.hash()))
    expect(await net.hashAt(SYNC, Number(head.number + 1n))).toBe(await net.hashAt(0, Number(head.number + 1n)))
    expect(await penalisedScore(SYNC)).toBeGreaterThan(80)
    expect(await rogueAt(SYNC)).toBeDefined()

    // Malformed status messages (a 9-byte head number) cost 10 points each: the next crosses 100.
    for (let i = 0; i < 5 && !(await isBanned(SYNC)); i++) {
      rogue.send(address, 'status', RLP.encode([new Uint8Array(9).fill(1)]))
      await sleep(200)
    }
    const stats = (await info(SYNC)).p2p
    expect(stats.penalties['bad status message']).toBeGreaterThanOrEqual(1)
    expect(stats.penalties['bad status message']).toBeLessThanOrEqual(2)
    expect(stats.bannedPeers.map((b) => b.address)).toEqual([ROGUE])
    await waitFor('the rogue to be disconnected from node 4', async () => !rogue.host.isConnected(address) && (await rogueAt(SYNC)) === undefined)
    expect((await info(SYNC)).sync.invalidResponses).toBe(2)
  })

  it('keeps every validator finalising the same chain and answering RPC, and no honest validator is penalised', async () => {
    const validators = [0, 1, 2, 3]
    const start = Math.max(...(await Promise.all(validators.map((i) => net.height(i)))))
    await waitFor(`all validators past height ${start + 2}`, async () => (await Promise.all(validators.map((i) => net.height(i)))).every((h) => h >= start + 3))
    const low = Math.min(...(await Promise.all(validators.map((i) => net.height(i)))))
    for (let n = 1; n <= low; n++) {
      const hashes = new Set(await Promise.all(validators.map((i) => net.hashAt(i, n))))
      expect(hashes.size, `one block at height ${n}`).toBe(1)
    }
    const honest = new Set(net.nodes.slice(0, 4).map((n) => n.address))
    for (const i of validators) {
      const { p2p } = await info(i)
      expect(p2p.penalisedPeers.filter((p) => honest.has(p.address)), `node ${i + 1} penalised a validator: ${JSON.stringify(p2p.penalties)}`).toEqual([])
      expect(p2p.bannedPeers.filter((b) => honest.has(b.address)), `node ${i + 1} banned a validator`).toEqual([])
      expect(Number(await rpc<string>(net.url(i), 'net_peerCount'))).toBeGreaterThanOrEqual(3)
    }
    expect(await isBanned(GARBAGE)).toBe(true)
    expect(await isBanned(SYNC)).toBe(true)
  })
})
