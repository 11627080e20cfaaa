/**
 * CallPool: eth_call / eth_estimateGas in worker threads over a real LevelDB store. The worker is
 * the build's (dist/src/execution/call-worker.js, made by `npm run build`); its reads of trie
 * nodes and block hashes come back to this thread. Results must be those of the in-thread
 * CallExecutor; a call past the time limit ends with geth's error and the next call still works.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { pino } from 'pino'
import { createChainCommon } from '../../../src/chain/common.js'
import { encodeExtraData } from '../../../src/chain/extra-data.js'
import { createGenesisBlock, parseGenesis, writeGenesisState } from '../../../src/chain/genesis.js'
import { ChainStore } from '../../../src/chain/store.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { CallExecutor, type CallRequest } from '../../../src/execution/call.js'
import { CallPool, type CallPoolOptions } from '../../../src/execution/call-pool.js'
import { BlockExecutor, createStateManager } from '../../../src/execution/executor.js'
import { toJsonRpcError } from '../../../src/rpc/errors.js'
import { tempDir } from '../../helpers/tmp.js'

const KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const SENDER = privateKeyToAddress(KEY)
const contract = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as `0x${string}`
/** JUMPDEST PUSH1 0 JUMP: loops until the gas or the time runs out. */
const LOOP = contract(0x100)
/** Returns storage slot 0 (0x2a). */
const SLOT0 = contract(0x101)
/** Reverts with its calldata. */
const REVERTER = contract(0x102)
/** SSTORE 1 into slot 1 (about 22,100 gas above the intrinsic: something to estimate). */
const WRITER = contract(0x103)
/** Returns BLOCKHASH(0). */
const HASH0 = contract(0x104)
/** Returns the gas left at its first instruction. */
const GAS = contract(0x105)
const CODE: Record<string, string> = {
  [LOOP]: '0x5b600056',
  [SLOT0]: '0x60005460005260206000f3',
  [REVERTER]: '0x3660006000373660' + '00fd',
  [WRITER]: '0x6001600155' + '00',
  [HASH0]: '0x60004060005260206000f3',
  [GAS]: '0x5a60005260206000f3',
}
/** ABI encoding of Error("nope"). */
const REVERT_NOPE =
  '0x08c379a0' +
  '0000000000000000000000000000000000000000000000000000000000000020' +
  '0000000000000000000000000000000000000000000000000000000000000004' +
  '6e6f706500000000000000000000000000000000000000000000000000000000'
const HUGE_GAS = 0xffffffffffffn

const logger = pino({ level: 'silent' })
const opened: { store: ChainStore; pool?: CallPool; cleanup: () => Promise<void> }[] = []

afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.pool?.stop()
    await o.store.close()
    await o.cleanup()
  }
})

/** A store with the contracts at genesis and one empty block on top (so BLOCKHASH(0) is defined). */
async function chain() {
  const tmp = await tempDir()
  const alloc: Record<string, { balance?: string; code?: string; storage?: Record<string, string> }> = { [SENDER]: { balance: '1000000000000000000' } }
  for (const [addr, code] of Object.entries(CODE)) alloc[addr] = { code }
  alloc[SLOT0]!.storage = { '0x00': '0x2a' }
  const genesis = parseGenesis({ config: { chainId: 1337 }, validators: [SENDER], alloc })
  const common = createChainCommon(1337n, genesis.gasLimit)
  const store = await ChainStore.open(tmp.dir, common)
  const entry: (typeof opened)[number] = { store, cleanup: tmp.cleanup }
  opened.push(entry)
  const root = await writeGenesisState(genesis, createStateManager(common, store))
  await store.commit({ block: createGenesisBlock(genesis, common, root), finality: { round: 0, seals: [] }, receipts: [] })
  const executor = await BlockExecutor.create(common, store)
  const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })
  const built = await executor.build(store.head, [], { timestamp: 1n, coinbase: createAddressFromString(SENDER), extraData })
  await store.commit({ block: built.block, finality: { round: 0, seals: [] }, receipts: [] })
  const pool = (opts: Partial<CallPoolOptions> = {}) => {
    entry.pool = new CallPool(
      { chainId: 1337n, gasLimit: genesis.gasLimit, gasCap: 50_000_000n, timeoutMs: 5000, workers: 1, maxQueued: 8, ...opts },
      { store, logger },
    )
    return entry.pool
  }
  return { common, store, pool, genesisHash: bytesToHex((await store.getBlockByNumber(0n))!.hash()) }
}

/** What a promise gives, or the JSON-RPC error it fails with. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: ReturnType<typeof toJsonRpcError> }> {
  try {
    return { ok: await p }
  } catch (err) {
    return { error: toJsonRpcError(err) }
  }
}

describe('CallPool', () => {
  it('answers calls, reverts with data, estimates and BLOCKHASH exactly as the in-thread CallExecutor', async () => {
    const { common, store, pool } = await chain()
    const calls = pool()
    const local = await CallExecutor.create(common, store)
    const head = store.head
    const cases: { kind: 'call' | 'estimate'; req: CallRequest }[] = [
      { kind: 'call', req: { to: SLOT0 } },
      { kind: 'call', req: { to: HASH0 } },
      { kind: 'call', req: { from: SENDER, to: REVERTER, data: hexToBytes(REVERT_NOPE as `0x${string}`) } },
      { kind: 'call', req: { to: WRITER, gas: 30_000n } },
      { kind: 'estimate', req: { from: SENDER, to: WRITER } },
      { kind: 'estimate', req: { to: REVERTER, data: hexToBytes(REVERT_NOPE as `0x${string}`) } },
      { kind: 'call', req: { from: SENDER, to: SLOT0, value: 10n ** 30n } },
    ]
    for (const { kind, req } of cases) {
      const run = (x: CallExecutor | CallPool) => outcome<Uint8Array | bigint>(kind === 'call' ? x.call(head, req) : x.estimateGas(head, req))
      expect(await run(calls), `${kind} ${JSON.stringify(req, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`).toEqual(await run(local))
    }
    expect(bytesToHex((await calls.call(head, { to: SLOT0 })) as Uint8Array)).toBe(`0x${'2a'.padStart(64, '0')}`)
    const revert = await outcome(calls.call(head, { to: REVERTER, data: hexToBytes(REVERT_NOPE as `0x${string}`) }))
    expect(revert).toEqual({ error: { code: 3, message: 'execution reverted: nope', data: REVERT_NOPE } })
    const estimate = await calls.estimateGas(head, { from: SENDER, to: WRITER })
    expect(estimate).toBeGreaterThan(21_000n + 22_100n)
    expect(estimate).toBeLessThan(50_000n)
  })

  it('BLOCKHASH in the worker reads the canonical hash from the main thread', async () => {
    const { store, pool, genesisHash } = await chain()
    expect(bytesToHex(await pool().call(store.head, { to: HASH0 }))).toBe(genesisHash)
  })

  it('a call past the time limit ends with geth\'s timeout error, and the next call works on a fresh worker', async () => {
    const { store, pool } = await chain()
    const calls = pool({ timeoutMs: 300, gasCap: 0n })
    calls.start()
    const t0 = performance.now()
    const looped = await outcome(calls.call(store.head, { to: LOOP, gas: HUGE_GAS }))
    expect(looped).toEqual({ error: { code: -32000, message: 'execution aborted (timeout = 300ms)' } })
    expect(performance.now() - t0).toBeLessThan(5000)
    expect(await outcome(calls.estimateGas(store.head, { to: LOOP, gas: HUGE_GAS }))).toEqual({ error: { code: -32000, message: 'execution aborted (timeout = 300ms)' } })
    expect(bytesToHex(await calls.call(store.head, { to: SLOT0 }))).toBe(`0x${'2a'.padStart(64, '0')}`)
  })

  it('a gas above the cap is lowered to the cap, for eth_call and eth_estimateGas', async () => {
    const { store, pool } = await chain()
    const calls = pool({ gasCap: 100_000n })
    // GAS at the first instruction: the cap minus the intrinsic 21,000 minus GAS's own 2.
    expect(BigInt(bytesToHex(await calls.call(store.head, { to: GAS, gas: 10n ** 9n })))).toBe(100_000n - 21_000n - 2n)
    expect(BigInt(bytesToHex(await calls.call(store.head, { to: GAS })))).toBe(100_000n - 21_000n - 2n)
    // The loop runs out of the capped gas instead of the time.
    expect(await outcome(calls.call(store.head, { to: LOOP, gas: HUGE_GAS }))).toEqual({ error: { code: -32000, message: 'execution failed: out of gas' } })
    expect(await outcome(calls.estimateGas(store.head, { to: LOOP, gas: HUGE_GAS }))).toEqual({ error: { code: -32000, message: 'execution failed: out of gas' } })
  })

  it('refuses calls past the queue bound with -32005, and serves again once the queue drains', async () => {
    const { store, pool } = await chain()
    const calls = pool({ timeoutMs: 1000, gasCap: 0n, maxQueued: 1 })
    await calls.call(store.head, { to: SLOT0 }) // the worker is up
    const running = outcome(calls.call(store.head, { to: LOOP, gas: HUGE_GAS }))
    const waiting = outcome(calls.call(store.head, { to: SLOT0 }))
    expect(calls.queued).toBe(1)
    expect(await outcome(calls.call(store.head, { to: SLOT0 }))).toEqual({ error: { code: -32005, message: 'too many calls waiting (1); try again later' } })
    expect(await running).toMatchObject({ error: { code: -32000, message: 'execution aborted (timeout = 1s)' } })
    expect(await waiting).toEqual({ ok: hexToBytes(`0x${'2a'.padStart(64, '0')}`) })
  })

  it('client mistakes answer -32000 with the reason, not -32603: gas below intrinsic, a contract as sender', async () => {
    const { store, pool } = await chain()
    const calls = pool()
    expect(await outcome(calls.call(store.head, { to: SLOT0, gas: 100n }))).toEqual({ error: { code: -32000, message: 'intrinsic gas too low: gas 100, minimum needed 21000' } })
    expect(await outcome(calls.call(store.head, { from: LOOP, to: SLOT0 }))).toEqual({ error: { code: -32000, message: 'sender not an eoa: the from address holds contract code (EIP-3607)' } })
    expect(await outcome(calls.estimateGas(store.head, { from: LOOP, to: SLOT0 }))).toEqual({ error: { code: -32000, message: 'sender not an eoa: the from address holds contract code (EIP-3607)' } })
  })
})
