/**
 * A QBFT network of real node processes on loopback: 4 validators (one of them outbound-only) and
 * an observer whose key is not a validator. Blocks are final on every node with the same hashes;
 * killing f nodes does not stop the chain, killing f+1 does without a fork, and restarting resumes;
 * a wiped node syncs back (from the state changes its peers kept) to the same state and seals again; the observer cannot make a block final; a node with an
 * unknown key is refused at the handshake.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JsonRpcProvider, Wallet } from 'ethers'
import { TestNetwork } from '../helpers/network.js'
import { rpc, startNodeProcess, waitFor, freePort, type NodeProcess } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'
import { runErc20FlowEthers } from '../helpers/erc20-flow.js'
import { expectCompleteFlow } from '../helpers/erc20-expect.js'
import { createNodeKeys, writeNodeFiles } from '../../src/node/init.js'

const OUTBOUND = 3
const OBSERVER = 4
/** The token the ERC-20 flow deployed (its state is compared after a sync). */
let tokenAddress = ''

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 4, observers: 1, outboundOnly: [OUTBOUND] })
  await net.start()
})

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

const running = () => net.processes.flatMap((p, i) => (p ? [i] : []))

/** Every running node reaches `height`. */
async function allReach(height: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(`all nodes at height ${height}`, async () => (await Promise.all(running().map((i) => net.height(i)))).every((h) => h >= height), timeoutMs)
}

/** No two running nodes hold different blocks at any height up to the lowest head. */
async function expectNoFork(): Promise<number> {
  const nodes = running()
  const low = Math.min(...(await Promise.all(nodes.map((i) => net.height(i)))))
  for (let n = 1; n <= low; n++) {
    const hashes = new Set(await Promise.all(nodes.map((i) => net.hashAt(i, n))))
    expect(hashes.size, `one block at height ${n}`).toBe(1)
  }
  return low
}

async function sealersOf(i: number, blocks: number): Promise<Record<string, number>> {
  const head = await net.height(i)
  const metrics = await rpc<{ address: string; sealedBlockCount: string }[]>(net.url(i), 'qbft_getSignerMetrics', [`0x${Math.max(1, head - blocks + 1).toString(16)}`, 'latest'])
  return Object.fromEntries(metrics.map((m) => [m.address, Number(m.sealedBlockCount)]))
}

describe('QBFT network of processes', () => {
  it('finalises blocks with the same hash on every node, the outbound-only validator sealing too', async () => {
    const start = await net.height(0)
    await allReach(start + 5)
    await expectNoFork()
    const validators = await rpc<string[]>(net.url(OBSERVER), 'qbft_getValidatorsByBlockNumber', ['latest'])
    expect(validators).toEqual(net.nodes.slice(0, 4).map((n) => n.address))
    expect(validators).not.toContain(net.nodes[OBSERVER]!.address)
    // The outbound-only node has no listener, yet its seals are in recent blocks.
    expect((await rpc<{ listenAddr: string | null }>(net.url(OUTBOUND), 'admin_nodeInfo')).listenAddr).toBeNull()
    await waitFor('seals of the outbound-only validator', async () => ((await sealersOf(0, 10))[net.nodes[OUTBOUND]!.address] ?? 0) > 0)
    expect(Number(await rpc<string>(net.url(OUTBOUND), 'net_peerCount'))).toBeGreaterThanOrEqual(3)
  })

  it('makes a transaction sent to any node final on all nodes, and runs the ERC-20 flow on node 3', async () => {
    const [a, b] = net.accounts
    const provider = new JsonRpcProvider(net.url(1), undefined, { staticNetwork: true, pollingInterval: 100 })
    const tx = await new Wallet(a!.privateKey, provider).sendTransaction({ to: b!.address, value: 12345n, gasPrice: 0 })
    const receipt = await tx.wait()
    provider.destroy()
    for (const i of running()) {
      await waitFor(`receipt on node ${i}`, async () => (await rpc<{ blockHash: string } | null>(net.url(i), 'eth_getTransactionReceipt', [tx.hash]))?.blockHash === receipt!.blockHash)
    }
    const node3 = net.processes[2]!
    const flow = await runErc20FlowEthers({ rpcUrl: node3.rpcUrl, wsUrl: node3.wsUrl, privateKeys: [net.accounts[2]!.privateKey, net.accounts[3]!.privateKey] })
    expectCompleteFlow(flow, 1337, net.accounts.slice(2, 4))
    tokenAddress = flow.token.address
  })

  it('keeps finalising with one validator down, stops without a fork with two down, and resumes within 10 s', async () => {
    await net.kill(1)
    const h1 = await net.height(0)
    await allReach(h1 + 3)
    await net.kill(2)
    await new Promise((r) => setTimeout(r, 1500)) // let the last in-flight height settle
    const stalled = await net.height(0)
    await new Promise((r) => setTimeout(r, 4000))
    expect(await net.height(0)).toBe(stalled)
    await expectNoFork()
    await net.start(1, 2)
    // The bound: blocks resume within 10 s of the restarted nodes answering.
    await waitFor('a block within 10 s of the restart', async () => (await net.height(0)) > stalled, 10_000)
    await allReach(stalled + 2, 30_000)
    await expectNoFork()
  })

  it('syncs a wiped node back to the head from the blocks\' outcomes, with the same state, and it takes part again', async () => {
    await net.stop(1)
    await net.wipe(1)
    const logFile = join(net.nodes[1]!.dataDir, 'node.log')
    const logBefore = (await readFile(logFile, 'utf8')).length
    await net.start(1)
    const head = await net.height(0)
    await waitFor('the wiped node to sync', async () => (await net.height(1)) >= head, 30_000)
    // It entered the blocks from the state changes its peers kept, not by running their transactions.
    const synced = (await readFile(logFile, 'utf8')).slice(logBefore).split('\n').filter((l) => l.includes('"synced blocks"')).map((l) => JSON.parse(l) as { imported: number; applied: number })
    expect(synced.reduce((n, l) => n + l.applied, 0)).toBeGreaterThan(0)
    expect(synced.every((l) => l.applied === l.imported)).toBe(true)
    // Same state as a validator that executed every block: the token, its storage, and every account.
    const at = `0x${head.toString(16)}`
    const state = (i: number) =>
      Promise.all([
        rpc<string>(net.url(i), 'eth_getCode', [tokenAddress, at]),
        ...[0, 1, 2, 3, 4, 5].map((slot) => rpc<string>(net.url(i), 'eth_getStorageAt', [tokenAddress, `0x${slot.toString(16)}`, at])),
        ...net.accounts.flatMap((a) => [rpc<string>(net.url(i), 'eth_getBalance', [a.address, at]), rpc<string>(net.url(i), 'eth_getTransactionCount', [a.address, at])]),
      ])
    const [synced1, executed0] = [await state(1), await state(0)]
    expect(synced1[0]!.length).toBeGreaterThan(2)
    expect(synced1).toEqual(executed0)
    // With node 3 (index 2) down, a quorum of 3 needs the wiped node: blocks go on only if it takes part.
    await net.kill(2)
    const h = await net.height(0)
    await allReach(h + 3, 30_000)
    expect((await sealersOf(0, 3))[net.nodes[1]!.address] ?? 0).toBeGreaterThan(0)
    await net.start(2)
    await expectNoFork()
  })

  it('does not let a node whose key is not a validator make a block final', async () => {
    await allReach((await net.height(0)) + 1)
    expect(await net.height(OBSERVER)).toBeGreaterThan(0)
    // Two validators down: the two left plus the observer are three nodes, but only two validators.
    await net.kill(1)
    await net.kill(2)
    await new Promise((r) => setTimeout(r, 1500))
    const stalled = await net.height(OBSERVER)
    await new Promise((r) => setTimeout(r, 4000))
    expect(await net.height(OBSERVER)).toBe(stalled)
    expect(await net.height(0)).toBe(stalled)
    await net.start(1, 2)
    await allReach(stalled + 1, 30_000)
  })

  it('refuses a node with a key unknown to the network at the handshake', async () => {
    const dir = join(tmp.dir, 'stranger')
    await createNodeKeys(dir)
    const genesis = JSON.parse(await readFile(join(net.nodes[0]!.dataDir, 'genesis.json'), 'utf8'))
    const rpcPort = await freePort()
    await writeNodeFiles(dir, genesis, { rpc: { port: rpcPort }, p2p: { peers: [{ url: net.nodes[0]!.p2pUrl! }] } })
    let stranger: NodeProcess | undefined
    try {
      stranger = await startNodeProcess(dir, rpcPort)
      await waitFor('the refusal to be logged', async () => (await readFile(join(dir, 'node.log'), 'utf8')).includes('UNKNOWN_NODE'))
      expect(Number(await rpc<string>(stranger.rpcUrl, 'net_peerCount'))).toBe(0)
      const peers = await rpc<{ id: string }[]>(net.url(0), 'admin_peers')
      const strangerId = (await rpc<{ id: string }>(stranger.rpcUrl, 'admin_nodeInfo')).id
      expect(peers.map((p) => p.id)).not.toContain(strangerId)
      const info = await rpc<{ p2p: { handshakesRefused: Record<string, number> } }>(net.url(0), 'admin_nodeInfo')
      expect(info.p2p.handshakesRefused.UNKNOWN_NODE).toBeGreaterThan(0)
    } finally {
      await stranger?.stop()
    }
  })
})
