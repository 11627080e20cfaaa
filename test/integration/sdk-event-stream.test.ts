/**
 * Event streams with checkpoints, against real ledgers: a consumer process (test/helpers/
 * stream-consumer.mjs) follows an Emitter contract's numbered Tick events while the test emits
 * 1,200 of them, and is killed with SIGKILL at random points several times and started again.
 * Every event must be in its output exactly once, in chain order, and match the chain's own logs:
 * on a Quorate node (final at once) and on Anvil (final 3 blocks deep). A second part checks what
 * is not visible from the outside: nothing is delivered before the confirmation depth, events of
 * other names are not delivered, and a checkpoint of a block the chain no longer holds stops the
 * stream with NOT_FOUND. A third part reorganises Anvil's chain (anvil_reorg): events of a block
 * replaced within the confirmation depth are never delivered, their replacements are, and a
 * reorganisation deeper than the depth stops the stream.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPublicClient, createWalletClient, http, type Abi, type Chain, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chainOf } from '../../src/governance/client.js'
import { createEventStream, fileCheckpointStore, memoryCheckpointStore, type Finality } from '../../src/sdk/index.js'
import { isLedgerError } from '../../src/sdk/errors.js'
import type { Address, Hex } from '../../src/types.js'
import { initDevChain, startNodeProcess, type NodeProcess } from '../../bench/lib/quorate-node.js'
import { startAnvil } from '../helpers/anvil.js'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { compileSolidity, readFixture } from '../helpers/solc.js'
import { tempDir } from '../helpers/tmp.js'

const CONSUMER = fileURLToPath(new URL('../helpers/stream-consumer.mjs', import.meta.url))
const TXS = 30
const PER_TX = 40
const TOTAL = TXS * PER_TX
const KILLS = 5

const emitter = compileSolidity({ 'Emitter.sol': readFixture('Emitter.sol') }).Emitter!
const key = devAccounts(1)[0]!.privateKey as Hex

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(async () => {
  await tmp?.cleanup()
})

interface Ledger {
  rpcUrl: string
  chain: Chain
  pub: PublicClient
  address: Address
  deployBlock: bigint
}

async function deploy(rpcUrl: string): Promise<Ledger> {
  const chain = await chainOf(rpcUrl)
  const pub = createPublicClient({ chain, transport: http(rpcUrl) })
  const wallet = createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpcUrl) })
  const hash = await wallet.deployContract({ abi: emitter.abi, bytecode: emitter.bytecode })
  const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })
  return { rpcUrl, chain, pub, address: receipt.contractAddress as Address, deployBlock: receipt.blockNumber }
}

/** Sends TXS emitMany calls (PER_TX events each) with an `other` call every tenth, a few in flight at a time. */
async function emitAll(l: Ledger): Promise<void> {
  const account = privateKeyToAccount(key)
  const wallet = createWalletClient({ account, chain: l.chain, transport: http(l.rpcUrl) })
  let nonce = await l.pub.getTransactionCount({ address: account.address, blockTag: 'pending' })
  let last: Hex | undefined
  for (let i = 0; i < TXS; i++) {
    if (i % 10 === 5) await wallet.writeContract({ address: l.address, abi: emitter.abi, functionName: 'other', args: [BigInt(i)], nonce: nonce++, gas: 100_000n })
    last = await wallet.writeContract({ address: l.address, abi: emitter.abi, functionName: 'emitMany', args: [BigInt(PER_TX)], nonce: nonce++, gas: 1_000_000n })
    if (i % 4 === 3) await l.pub.waitForTransactionReceipt({ hash: last, pollingInterval: 50 })
  }
  await l.pub.waitForTransactionReceipt({ hash: last!, pollingInterval: 50 })
}

function startConsumer(configFile: string): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CONSUMER, configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  return { child, exited, stderr: () => stderr }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Emits TOTAL events while a consumer follows them and is killed KILLS times at random moments;
 * returns the consumer's output lines once it has delivered TOTAL events (and exited by itself).
 */
async function killAndResume(l: Ledger, name: string, finality: Finality): Promise<{ lines: string[]; kills: number; killedAt: number[] }> {
  const dir = join(tmp.dir, name)
  const { mkdir } = await import('node:fs/promises')
  await mkdir(dir, { recursive: true })
  const config = {
    rpcUrl: l.rpcUrl,
    address: l.address,
    abi: emitter.abi,
    eventName: 'Tick',
    fromBlock: l.deployBlock.toString(),
    finality,
    out: join(dir, 'out.txt'),
    checkpoint: join(dir, 'checkpoint.json'),
    maxBlockRange: '4',
    batchSize: 15,
    lastSeq: TOTAL - 1,
  }
  const configFile = join(dir, 'config.json')
  await writeFile(configFile, JSON.stringify(config))
  let consumer = startConsumer(configFile)
  const emitting = emitAll(l)
  let kills = 0
  const killedAt: number[] = []
  try {
    // Kill at random points of the stream: each time after a random number of further events
    // reached the output (the kill lands anywhere: mid-batch, between write and ack, while waiting).
    const written = () => (existsSync(config.out) ? readFileSync(config.out, 'utf8').split('\n').length - 1 : 0)
    // Small steps (a few dozen events at most between kills), so every kill lands before the end.
    while (kills < KILLS) {
      const target = written() + 1 + Math.floor(Math.random() * 30)
      const deadline = Date.now() + 60_000
      while (written() < target && consumer.child.exitCode === null && Date.now() < deadline) await sleep(5)
      if (consumer.child.exitCode !== null) {
        if (consumer.child.exitCode !== 0) throw new Error(`the consumer failed (exit ${consumer.child.exitCode}): ${consumer.stderr()}`)
        break
      }
      await sleep(Math.floor(Math.random() * 30))
      consumer.child.kill('SIGKILL')
      await consumer.exited
      killedAt.push(written())
      kills++
      consumer = startConsumer(configFile)
    }
    await emitting
    const code = await Promise.race([consumer.exited, sleep(40_000).then(() => 'timeout' as const)])
    expect(code, `the consumer delivered every event and exited by itself; its stderr: ${consumer.stderr()}`).toBe(0)
  } finally {
    if (consumer.child.exitCode === null) {
      consumer.child.kill('SIGKILL')
      await consumer.exited
    }
  }
  return { lines: readFileSync(config.out, 'utf8').trimEnd().split('\n'), kills, killedAt }
}

/** Each line must be the chain's own Tick log, in order, numbered 0..TOTAL-1 once each. */
async function expectExactlyOnce(l: Ledger, lines: string[]): Promise<void> {
  const seqs = lines.map((line) => Number(line.split(' ')[0]))
  const seen = new Map<number, number>()
  for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1)
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([s]) => s)
  const gaps = Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !seen.has(i))
  expect({ duplicates, gaps }).toEqual({ duplicates: [], gaps: [] })
  expect(seqs).toEqual(Array.from({ length: TOTAL }, (_, i) => i))
  const logs = await l.pub.getContractEvents({ address: l.address, abi: emitter.abi as Abi, eventName: 'Tick', fromBlock: l.deployBlock, toBlock: 'latest' })
  const chain = logs.map((g) => `${(g as unknown as { args: { seq: bigint } }).args.seq} ${g.blockNumber} ${g.logIndex} ${g.blockHash}`)
  expect(lines).toEqual(chain)
}

describe('event stream: a consumer killed with SIGKILL resumes from its checkpoint', () => {
  it('on a Quorate node (instant finality): every one of 1,200 events exactly once, in order', async () => {
    const chain = await initDevChain(join(tmp.dir, 'quorate'), { blockPeriodMs: 200 })
    let node: NodeProcess | undefined
    try {
      node = await startNodeProcess(chain.dataDir, chain.rpcPort)
      const l = await deploy(node.rpcUrl)
      const { lines, kills, killedAt } = await killAndResume(l, 'quorate-consumer', { kind: 'instant' })
      expect(kills).toBe(KILLS)
      // Killed mid-stream: with some events handled and others still to come.
      expect(killedAt.some((n) => n > 0 && n < TOTAL), `lines written when killed: ${killedAt.join(', ')}`).toBe(true)
      await expectExactlyOnce(l, lines)
    } finally {
      await node?.stop()
    }
  }, 120_000)

  it('on Anvil (final 3 blocks deep): every one of 1,200 events exactly once, in order', async () => {
    const { rpcUrl, stop } = await startAnvil({ blockTimeSeconds: 0.3 })
    try {
      const l = await deploy(rpcUrl)
      const { lines, kills, killedAt } = await killAndResume(l, 'anvil-consumer', { kind: 'confirmations', depth: 3 })
      expect(kills).toBe(KILLS)
      expect(killedAt.some((n) => n > 0 && n < TOTAL), `lines written when killed: ${killedAt.join(', ')}`).toBe(true)
      await expectExactlyOnce(l, lines)
      // Delivered only once 3 blocks deep: the last event's block was at most head - 3 when it was.
      const head = await l.pub.getBlockNumber({ cacheTime: 0 })
      expect(BigInt(lines.at(-1)!.split(' ')[1]!)).toBeLessThanOrEqual(head - 3n)
    } finally {
      await stop()
    }
  }, 120_000)
})

describe('event stream: finality, filtering and checkpoints', () => {
  it('holds events back until the confirmation depth, skips other events, and refuses a checkpoint the chain does not hold', async () => {
    const { rpcUrl, stop } = await startAnvil()
    try {
      const l = await deploy(rpcUrl)
      const account = privateKeyToAccount(key)
      const wallet = createWalletClient({ account, chain: l.chain, transport: http(rpcUrl) })
      const test = createTestClient(rpcUrl)
      await wallet.writeContract({ address: l.address, abi: emitter.abi, functionName: 'other', args: [1n] })
      await wallet.writeContract({ address: l.address, abi: emitter.abi, functionName: 'emitMany', args: [3n] })
      const store = memoryCheckpointStore()
      const stream = createEventStream({ client: l.pub, address: l.address, abi: emitter.abi, eventName: 'Tick', fromBlock: l.deployBlock, checkpoint: store, finality: { kind: 'confirmations', depth: 5 }, pollingIntervalMs: 20 })
      const it = stream[Symbol.asyncIterator]()
      const first = it.next()
      let settled = false
      void first.then(() => (settled = true))
      // With 4 blocks on top of the Tick block it is not final at depth 5; with 5 it is.
      await test('anvil_mine', ['0x4'])
      await sleep(300)
      expect(settled).toBe(false)
      await test('anvil_mine', ['0x1'])
      const ev = (await first).value!
      expect(ev.eventName).toBe('Tick')
      expect((ev.args as { seq: bigint }).seq).toBe(0n)
      await stream.ack(ev.checkpoint)
      expect(store.current()).toMatchObject({ blockNumber: ev.blockNumber, logIndex: ev.logIndex, blockHash: ev.blockHash })
      stream.close()
      await it.return?.()

      // A checkpoint whose block hash the chain does not hold: NOT_FOUND, nothing delivered.
      const forged = fileCheckpointStore(join(tmp.dir, 'forged.json'))
      await forged.save({ blockNumber: ev.blockNumber, logIndex: 0, blockHash: `0x${'ab'.repeat(32)}` })
      const again = createEventStream({ client: l.pub, address: l.address, abi: emitter.abi, fromBlock: 0n, checkpoint: forged, finality: { kind: 'confirmations', depth: 0 } })
      const err = await again[Symbol.asyncIterator]().next().catch((e: unknown) => e)
      expect(isLedgerError(err, 'NOT_FOUND')).toBe(true)
    } finally {
      await stop()
    }
  }, 60_000)
})

describe('event stream: reorganisations', () => {
  it('never delivers an event of a block a shallow reorg replaced, and stops with NOT_FOUND when a deep one replaced its checkpoint', async () => {
    const { rpcUrl, stop } = await startAnvil()
    try {
      const l = await deploy(rpcUrl)
      const wallet = createWalletClient({ account: privateKeyToAccount(key), chain: l.chain, transport: http(rpcUrl) })
      const test = createTestClient(rpcUrl)
      const emit = async (n: bigint) => l.pub.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: l.address, abi: emitter.abi, functionName: 'emitMany', args: [n] }), pollingInterval: 20 })
      const store = memoryCheckpointStore()
      const open = () => createEventStream({ client: l.pub, address: l.address, abi: emitter.abi, eventName: 'Tick', fromBlock: l.deployBlock, checkpoint: store, finality: { kind: 'confirmations', depth: 3 }, pollingIntervalMs: 20 })
      const delivered: { seq: bigint; blockNumber: bigint; blockHash: Hex }[] = []
      /** Reads and acks events until the one numbered `last`; a new stream each time, resuming from the store. */
      const readUntil = async (last: bigint) => {
        const stream = open()
        for await (const e of stream) {
          const seq = (e.args as unknown as { seq: bigint }).seq
          delivered.push({ seq, blockNumber: e.blockNumber, blockHash: e.blockHash })
          await stream.ack(e.checkpoint)
          if (seq === last) break
        }
      }
      await emit(3n) // Tick 0..2
      await test('anvil_mine', ['0x4'])
      const orphan = await emit(3n) // Tick 3..5, in a block 1 deep: not final
      await test('anvil_mine', ['0x1'])
      await readUntil(2n)
      // Nothing more is final yet: Tick 3..5 are not delivered however long the stream runs.
      const more = open()
      const next = more[Symbol.asyncIterator]().next()
      const got = await Promise.race([next.then((r) => (r.done ? 'done' : `Tick ${String((r.value.args as unknown as { seq: bigint }).seq)}`)), sleep(1000).then(() => 'nothing')])
      more.close()
      await next
      expect(got).toBe('nothing')
      // The two newest blocks (the orphan's and the one on top) are replaced by empty ones.
      await test('anvil_reorg', [2, []])
      expect((await l.pub.getBlock({ blockNumber: orphan.blockNumber })).hash).not.toBe(orphan.blockHash)
      const replacement = await emit(2n) // Tick 3..4 again, now in another block
      await test('anvil_mine', ['0x3'])
      await readUntil(4n)
      expect(delivered.map((d) => d.seq)).toEqual([0n, 1n, 2n, 3n, 4n])
      expect(delivered.filter((d) => d.blockHash === orphan.blockHash)).toEqual([])
      expect(delivered.slice(3).every((d) => d.blockHash === replacement.blockHash)).toBe(true)

      // A reorganisation deeper than the confirmation depth replaces the checkpoint's block.
      await test('anvil_reorg', [5, []])
      const err = await open()[Symbol.asyncIterator]().next().catch((e: unknown) => e)
      expect(isLedgerError(err, 'NOT_FOUND')).toBe(true)
      expect((err as Error).message).toMatch(/not in the chain any more/)
    } finally {
      await stop()
    }
  }, 60_000)
})

function createTestClient(rpcUrl: string) {
  return async (method: string, params: unknown[]) => {
    const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
    const body = (await res.json()) as { error?: { message: string } }
    if (body.error) throw new Error(`${method}: ${body.error.message}`)
  }
}
