import { afterEach, describe, expect, it } from 'vitest'
import { createBlock, type Block } from '@ethereumjs/block'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import {
  Account,
  bigIntToBytes,
  bigIntToUnpaddedBytes,
  bytesToBigInt,
  bytesToHex,
  createAddressFromString,
  generateAddress,
  hexToBytes,
  KECCAK256_NULL,
  KECCAK256_RLP,
  MapDB,
  setLengthLeft,
  utf8ToBytes,
  ValueEncoding,
  type Address as EthAddress,
} from '@ethereumjs/util'
import { createVM, encodeReceipt, runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { encodeDeployData, encodeFunctionData, type Abi } from 'viem'
import { blockOptions, createChainCommon, FIXED_HEADER_FIELDS } from '../../../src/chain/common.js'
import { createGenesisBlock, parseGenesis, writeGenesisState, type Genesis } from '../../../src/chain/genesis.js'
import { ChainStore } from '../../../src/chain/store.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { keccak256 } from '../../../src/crypto/native.js'
import { createStateManager } from '../../../src/execution/executor.js'
import { FlatStateError, FlatStateManager, TrieNodeCache } from '../../../src/execution/flat-state.js'
import { errorMessage } from '../../../src/errors.js'
import type { Address } from '../../../src/types.js'
import { compileSolidity, tokenArtifact } from '../../helpers/solc.js'
import { tempDir } from '../../helpers/tmp.js'

const common = createChainCommon(1337n, 30_000_000n)

/** Deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return { next, int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p }
}

function trieOver(db: MapDB<string, Uint8Array>): MerklePatriciaTrie {
  return new MerklePatriciaTrie({ db: new TrieNodeCache(db), useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common })
}

function flatOver(db: MapDB<string, Uint8Array>): FlatStateManager {
  return new FlatStateManager({ trie: trieOver(db), common })
}

const addr = (i: number): EthAddress => createAddressFromString(`0x${(i + 1).toString(16).padStart(40, '0')}`)
const slot = (i: number): Uint8Array => setLengthLeft(bigIntToBytes(BigInt(i)), 32)
const word = (v: bigint): Uint8Array => bigIntToUnpaddedBytes(v)

describe('FlatStateManager: checkpoints and journal', () => {
  it('reverts accounts, storage and code changed since the checkpoint and keeps what was committed', async () => {
    const state = flatOver(new MapDB())
    const a = addr(0)
    await state.putAccount(a, new Account(1n, 100n))
    await state.putStorage(a, slot(1), word(11n))

    await state.checkpoint()
    await state.modifyAccountFields(a, { balance: 50n })
    await state.checkpoint()
    await state.putStorage(a, slot(1), word(22n))
    await state.putStorage(a, slot(2), word(33n))
    await state.putCode(a, hexToBytes('0x6001600055'))
    expect(await state.getCodeSize(a)).toBe(5)
    await state.revert()
    expect(await state.getStorage(a, slot(1))).toEqual(word(11n))
    expect(await state.getStorage(a, slot(2))).toEqual(new Uint8Array())
    expect(await state.getCode(a)).toEqual(new Uint8Array())
    expect((await state.getAccount(a))?.balance).toBe(50n)
    await state.commit()
    expect(state.checkpointDepth).toBe(0)
    expect((await state.getAccount(a))?.balance).toBe(50n)
  })

  it('reverts deleteAccount and clearStorage, bringing back slots that are only in the trie', async () => {
    const db = new MapDB<string, Uint8Array>()
    const state = flatOver(db)
    const a = addr(0)
    await state.putAccount(a, new Account(1n, 100n))
    await state.putStorage(a, slot(1), word(11n))
    await state.putStorage(a, slot(2), word(12n))
    const root = await state.getStateRoot()

    // A fresh state reads the slots through from the trie.
    const fresh = flatOver(db)
    await fresh.setStateRoot(root)
    await fresh.checkpoint()
    await fresh.putStorage(a, slot(1), word(99n))
    await fresh.deleteAccount(a)
    expect(await fresh.getAccount(a)).toBeUndefined()
    expect(await fresh.getStorage(a, slot(2))).toEqual(new Uint8Array())
    await fresh.revert()
    expect(await fresh.getStorage(a, slot(1))).toEqual(word(11n))
    expect(await fresh.getStorage(a, slot(2))).toEqual(word(12n))

    await fresh.checkpoint()
    await fresh.clearStorage(a)
    expect(await fresh.getStorage(a, slot(2))).toEqual(new Uint8Array())
    expect((await fresh.getAccount(a))?.storageRoot).toEqual(KECCAK256_RLP)
    await fresh.revert()
    expect(await fresh.getStorage(a, slot(2))).toEqual(word(12n))
    expect(await fresh.getStateRoot()).toEqual(root)

    // Committed, the clear empties the storage trie: same root as an account that never had storage.
    await fresh.checkpoint()
    await fresh.clearStorage(a)
    await fresh.commit()
    const cleared = await fresh.getStateRoot()
    const reference = new MerkleStateManager({ common })
    await reference.putAccount(a, new Account(1n, 100n))
    expect(bytesToHex(cleared)).toBe(bytesToHex(await reference.getStateRoot()))
  })

  it('gives the value at the start of the transaction as the original storage value (EIP-2200)', async () => {
    const state = flatOver(new MapDB())
    const a = addr(0)
    await state.putAccount(a, new Account())
    await state.putStorage(a, slot(0), word(5n))
    await state.getStateRoot()

    await state.checkpoint()
    expect(await state.originalStorageCache.get(a, slot(0))).toEqual(word(5n))
    await state.putStorage(a, slot(0), word(6n))
    await state.checkpoint()
    await state.putStorage(a, slot(0), word(7n))
    await state.commit()
    expect(await state.originalStorageCache.get(a, slot(0))).toEqual(word(5n))
    expect(await state.getStorage(a, slot(0))).toEqual(word(7n))
    await state.commit()
    // The transaction is over: the next one starts from 7.
    await state.checkpoint()
    expect(await state.originalStorageCache.get(a, slot(0))).toEqual(word(7n))
    await state.revert()
  })

  it('refuses to write the trie inside a checkpoint and unbalanced commit/revert', async () => {
    const state = flatOver(new MapDB())
    await state.checkpoint()
    await state.putAccount(addr(1), new Account(0n, 1n))
    await expect(state.getStateRoot()).rejects.toMatchObject({ code: 'STATE_CHECKPOINT_OPEN' })
    await state.commit()
    await expect(state.commit()).rejects.toBeInstanceOf(FlatStateError)
    await expect(state.revert()).rejects.toMatchObject({ code: 'STATE_NO_CHECKPOINT' })
    await expect(state.putStorage(addr(2), slot(0), word(1n))).rejects.toMatchObject({ code: 'STATE_NO_ACCOUNT' })
  })

  it('drops the block changes and the caches on setStateRoot, and refuses an unknown root', async () => {
    const db = new MapDB<string, Uint8Array>()
    const state = flatOver(db)
    const a = addr(0)
    await state.putAccount(a, new Account(0n, 1n))
    const r1 = await state.getStateRoot()
    await state.putAccount(a, new Account(0n, 2n))
    await state.putStorage(a, slot(0), word(3n))
    const r2 = await state.getStateRoot()
    await state.putAccount(addr(1), new Account(0n, 9n)) // pending, never written

    await state.setStateRoot(r1)
    expect((await state.getAccount(a))?.balance).toBe(1n)
    expect(await state.getStorage(a, slot(0))).toEqual(new Uint8Array())
    expect(await state.getAccount(addr(1))).toBeUndefined()
    await state.setStateRoot(r2)
    expect((await state.getAccount(a))?.balance).toBe(2n)
    expect(await state.getStorage(a, slot(0))).toEqual(word(3n))
    expect(await state.hasStateRoot(r1)).toBe(true)
    await expect(state.setStateRoot(new Uint8Array(32).fill(7))).rejects.toMatchObject({ code: 'STATE_ROOT_MISSING' })
  })

  it('shallowCopy carries the committed block changes but not the open checkpoints', async () => {
    const state = flatOver(new MapDB())
    const a = addr(0)
    await state.putAccount(a, new Account(0n, 1n))
    await state.putStorage(a, slot(0), word(4n))
    await state.checkpoint()
    await state.putStorage(a, slot(0), word(5n))
    await state.deleteAccount(addr(0))
    const copy = state.shallowCopy()
    expect((await copy.getAccount(a))?.balance).toBe(1n)
    expect(await copy.getStorage(a, slot(0))).toEqual(word(4n))
    expect(copy.checkpointDepth).toBe(0)
    await state.revert()
    expect(bytesToHex(await copy.getStateRoot())).toBe(bytesToHex(await state.getStateRoot()))
  })

  it('matches a plain model through random operations, nested checkpoints and blocks (state roots and reads)', async () => {
    type ModelAccount = { nonce: bigint; balance: bigint; code: Uint8Array }
    type Model = { accounts: Map<number, ModelAccount>; storage: Map<number, Map<number, bigint>> }
    const copyModel = (m: Model): Model => ({
      accounts: new Map([...m.accounts].map(([k, v]) => [k, { ...v }])),
      storage: new Map([...m.storage].map(([k, v]) => [k, new Map(v)])),
    })
    const modelRoot = async (m: Model): Promise<string> => {
      const ref = new MerkleStateManager({ common })
      for (const [i, acc] of m.accounts) {
        await ref.putAccount(addr(i), new Account(acc.nonce, acc.balance))
        if (acc.code.length > 0) await ref.putCode(addr(i), acc.code)
        for (const [s, v] of m.storage.get(i) ?? []) if (v !== 0n) await ref.putStorage(addr(i), slot(s), word(v))
      }
      return bytesToHex(await ref.getStateRoot())
    }
    const checkReads = async (state: FlatStateManager, m: Model, where: string): Promise<void> => {
      for (let i = 0; i < 8; i++) {
        const acc = await state.getAccount(addr(i))
        const want = m.accounts.get(i)
        expect(acc === undefined, `${where}: exists ${i}`).toBe(want === undefined)
        if (!acc || !want) continue
        expect([acc.nonce, acc.balance], `${where}: account ${i}`).toEqual([want.nonce, want.balance])
        expect(bytesToHex(acc.codeHash)).toBe(bytesToHex(want.code.length > 0 ? keccak256(want.code) : KECCAK256_NULL))
        expect(bytesToHex(await state.getCode(addr(i)))).toBe(bytesToHex(want.code))
        for (let s = 0; s < 6; s++) {
          expect(bytesToBigInt(await state.getStorage(addr(i), slot(s))), `${where}: slot ${i}/${s}`).toBe(m.storage.get(i)?.get(s) ?? 0n)
        }
      }
    }

    const rnd = prng(20260501)
    const db = new MapDB<string, Uint8Array>()
    let state = flatOver(db)
    let model: Model = { accounts: new Map(), storage: new Map() }
    const saved: Model[] = []
    let ops = 0
    for (let block = 0; block < 12; block++) {
      for (let n = 0; n < 60; n++) {
        const i = rnd.int(8)
        const a = addr(i)
        const op = rnd.int(10)
        ops++
        if (op === 0) {
          const acc = (await state.getAccount(a)) ?? new Account()
          acc.nonce = BigInt(rnd.int(5))
          acc.balance = BigInt(rnd.int(1000))
          await state.putAccount(a, acc)
          const old = model.accounts.get(i)
          model.accounts.set(i, { nonce: acc.nonce, balance: acc.balance, code: old?.code ?? new Uint8Array() })
        } else if (op === 1 && rnd.chance(0.5)) {
          await state.deleteAccount(a)
          model.accounts.delete(i)
          model.storage.delete(i)
        } else if (op === 2 || op === 3) {
          const s = rnd.int(6)
          const v = rnd.chance(0.3) ? 0n : BigInt(1 + rnd.int(1 << 30)) * (rnd.chance(0.5) ? 1n : 2n ** 200n)
          if (!model.accounts.has(i)) {
            await expect(state.putStorage(a, slot(s), word(v))).rejects.toMatchObject({ code: 'STATE_NO_ACCOUNT' })
            continue
          }
          await state.putStorage(a, slot(s), setLengthLeft(word(v), 32)) // padded on purpose: stored unpadded
          if (!model.storage.has(i)) model.storage.set(i, new Map())
          model.storage.get(i)!.set(s, v)
        } else if (op === 4 && rnd.chance(0.4)) {
          await state.clearStorage(a)
          model.storage.delete(i)
          if (!model.accounts.has(i)) model.accounts.set(i, { nonce: 0n, balance: 0n, code: new Uint8Array() })
        } else if (op === 5 && rnd.chance(0.4)) {
          const code = keccak256(utf8ToBytes(`code ${rnd.int(3)}`)).subarray(0, 1 + rnd.int(31))
          await state.putCode(a, code)
          const old = model.accounts.get(i)
          model.accounts.set(i, { nonce: old?.nonce ?? 0n, balance: old?.balance ?? 0n, code })
        } else if (op === 6) {
          await state.checkpoint()
          saved.push(copyModel(model))
        } else if (op === 7 && saved.length > 0) {
          await state.commit()
          saved.pop()
        } else if (op === 8 && saved.length > 0) {
          await state.revert()
          model = saved.pop()!
        } else {
          await checkReads(state, model, `block ${block} op ${ops}`)
        }
      }
      while (saved.length > 0) {
        if (rnd.chance(0.5)) {
          await state.commit()
          saved.pop()
        } else {
          await state.revert()
          model = saved.pop()!
        }
      }
      const root = await state.getStateRoot()
      expect(bytesToHex(root), `root after block ${block}`).toBe(await modelRoot(model))
      await checkReads(state, model, `after root ${block}`)
      if (block % 3 === 2) {
        // A restarted node: nothing but the trie.
        state = flatOver(db)
        await state.setStateRoot(root)
        await checkReads(state, model, `reopened ${block}`)
      }
    }
  })
})

// ─── differential: the same transactions through the old and the new state ─────────────────────

const EDGE_SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

contract Box {
    mapping(uint256 => uint256) public slots;
    mapping(bytes32 => address) public children;
    uint256 public counter;
    bool public dieNext;
    event Set(uint256 indexed key, uint256 value);

    constructor() payable { counter = 1; }
    receive() external payable {}

    function set(uint256 key, uint256 value) external { slots[key] = value; emit Set(key, value); }
    function setAndRevert(uint256 key, uint256 value) public { slots[key] = value; revert("Box: reverted"); }
    function nested(uint256 key) external {
        slots[key] = 7;
        try this.setAndRevert(key + 1, 9) {} catch {}
        slots[key + 2] = slots[key] + 1;
    }
    function fill(uint256 n) external { for (uint256 i = 0; i < n; i++) slots[1000 + i] = i + counter; counter++; }
    function spawn(bytes32 salt, bool die) external payable {
        dieNext = die;
        children[salt] = address(new Child{salt: salt, value: msg.value}());
        dieNext = false;
    }
    function poke(bytes32 salt, uint256 v) external { Child(children[salt]).poke(v); }
    function kill(bytes32 salt) external { Child(children[salt]).kill(); }
    function destroy(address payable to) external { selfdestruct(to); }
}

contract Child {
    uint256 public x;
    constructor() payable {
        x = 42;
        if (Box(payable(msg.sender)).dieNext()) selfdestruct(payable(msg.sender));
    }
    function poke(uint256 v) external { x = v; }
    function kill() external { selfdestruct(payable(msg.sender)); }
}

contract Ephemeral {
    constructor() payable { selfdestruct(payable(address(0xdead))); }
}
`

interface Outcome {
  receipt?: string
  gas?: bigint
  error?: string
  created?: string
}

function outcomeOf(tx: TypedTransaction, r: RunTxResult): Outcome {
  return {
    receipt: bytesToHex(encodeReceipt(r.receipt, tx.type)),
    gas: r.totalGasSpent,
    ...(r.execResult.exceptionError ? { error: r.execResult.exceptionError.error } : {}),
    ...(r.createdAddress ? { created: r.createdAddress.toString() } : {}),
  }
}

async function tryRun(vm: VM, tx: TypedTransaction, block: Block, blockGasUsed: bigint): Promise<{ outcome: Outcome; result?: RunTxResult }> {
  try {
    const result = await runTx(vm, { tx, block, blockGasUsed, skipHardForkValidation: true })
    return { outcome: outcomeOf(tx, result), result }
  } catch (err) {
    return { outcome: { error: `throws: ${errorMessage(err).split(' (')[0]}` } }
  }
}

describe('FlatStateManager against MerkleStateManager: the same blocks through both', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('gives identical receipts, gas and state roots for random blocks of transfers, deploys, reverts, OOG and self-destructs', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const compiled = compileSolidity({ 'Edge.sol': EDGE_SOURCE })
    const box = compiled.Box!
    const ephemeral = compiled.Ephemeral!
    const token = tokenArtifact()
    const rnd = prng(7)

    const keys = Array.from({ length: 5 }, (_, i) => keccak256(utf8ToBytes(`flat-state-test/${i}`)))
    const senders = keys.map(privateKeyToAddress)
    const coinbase = createAddressFromString(privateKeyToAddress(keccak256(utf8ToBytes('coinbase'))))
    const genesis: Genesis = parseGenesis({
      config: { chainId: 1337 },
      gasLimit: '30000000',
      validators: [coinbase.toString()],
      alloc: Object.fromEntries(senders.map((s) => [s, { balance: (10n ** 21n).toString() }])),
    })

    // Old: what createStateManager returned before (MerkleStateManager + Caches), in memory.
    const oldTrie = new MerklePatriciaTrie({ db: new MapDB<string, Uint8Array>(), useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common })
    const oldState = new MerkleStateManager({ trie: oldTrie, common, caches: new Caches() })
    const oldVm = await createVM({ common, stateManager: oldState })
    // New: the node's own state over a real chain store, blocks committed to LevelDB.
    const store = await ChainStore.open(tmp.dir, common)
    const genesisRoot = await writeGenesisState(genesis, createStateManager(common, store))
    expect(bytesToHex(await writeGenesisState(genesis, oldState))).toBe(bytesToHex(genesisRoot))
    await store.commit({ block: createGenesisBlock(genesis, common, genesisRoot), finality: { round: 0, seals: [] }, receipts: [] })
    let newState = createStateManager(common, store)
    await newState.setStateRoot(genesisRoot)
    let newVm = await createVM({ common, stateManager: newState })

    const nonces = senders.map(() => 0)
    const tokenAddr = bytesToHex(generateAddress(hexToBytes(senders[0]!), bigIntToBytes(0n))) as Address
    const boxAddr = bytesToHex(generateAddress(hexToBytes(senders[0]!), bigIntToBytes(1n))) as Address
    const tokens = new Map<string, bigint>([[senders[0]!, 10n ** 24n]])
    const freshAddress = (): Address => bytesToHex(keccak256(utf8ToBytes(`fresh ${rnd.next()}`)).subarray(0, 20)) as Address
    const salts = [1, 2, 3].map((i) => bytesToHex(setLengthLeft(bigIntToBytes(BigInt(i)), 32)))
    const call = (abi: Abi, functionName: string, args: readonly unknown[]): Uint8Array => hexToBytes(encodeFunctionData({ abi, functionName, args }))

    type Planned = { from: number; to?: Address; data?: Uint8Array; value?: bigint; gas: bigint; nonceSkew?: number; tokenMove?: { to: string; amount: bigint } }
    const plan = (): Planned => {
      const from = rnd.int(senders.length)
      const k = rnd.int(14)
      switch (k) {
        case 0:
          return { from, to: freshAddress(), value: rnd.chance(0.3) ? 0n : BigInt(1 + rnd.int(10 ** 6)), gas: 21_000n }
        case 1:
          return { from, to: senders[rnd.int(senders.length)], value: BigInt(rnd.int(1000)), gas: 21_000n }
        case 2: {
          const have = tokens.get(senders[from]!) ?? 0n
          const to = rnd.chance(0.5) ? freshAddress() : senders[rnd.int(senders.length)]!
          const amount = rnd.chance(0.2) ? have : rnd.chance(0.15) ? have + 1n : have / 3n
          return { from, to: tokenAddr, data: call(token.abi, 'transfer', [to, amount]), gas: 90_000n, tokenMove: { to, amount } }
        }
        case 3:
          return { from, to: boxAddr, data: call(box.abi, 'set', [BigInt(rnd.int(6)), rnd.chance(0.4) ? 0n : BigInt(rnd.int(1000))]), gas: 80_000n }
        case 4:
          return { from, to: boxAddr, data: call(box.abi, 'nested', [BigInt(rnd.int(4))]), gas: 150_000n }
        case 5:
          return { from, to: boxAddr, data: call(box.abi, 'setAndRevert', [1n, 5n]), gas: 80_000n }
        case 6:
          return { from, to: boxAddr, data: call(box.abi, 'fill', [BigInt(rnd.chance(0.5) ? 40 : 2)]), gas: 120_000n }
        case 7:
        case 8:
          return { from, to: boxAddr, data: call(box.abi, 'spawn', [rnd.pick(salts), rnd.chance(0.5)]), value: BigInt(rnd.int(3)), gas: 400_000n }
        case 9:
          return {
            from,
            to: boxAddr,
            data: rnd.chance(0.5) ? call(box.abi, 'kill', [rnd.pick(salts)]) : call(box.abi, 'poke', [rnd.pick(salts), BigInt(rnd.int(3))]),
            gas: 100_000n,
          }
        case 10:
          return { from, to: boxAddr, data: call(box.abi, 'destroy', [senders[rnd.int(senders.length)]]), gas: 60_000n }
        case 11:
          return { from, data: hexToBytes(ephemeral.bytecode), value: BigInt(rnd.int(5)), gas: 200_000n }
        case 12:
          return { from, to: freshAddress(), value: 1n, gas: 21_000n, nonceSkew: 3 }
        default:
          return { from, to: boxAddr, value: BigInt(rnd.int(50)), gas: 40_000n }
      }
    }

    const seen = new Map<string, number>()
    const note = (what: string): void => void seen.set(what, (seen.get(what) ?? 0) + 1)
    let parent = store.head
    for (let b = 1; b <= 10; b++) {
      const header = {
        parentHash: parent.hash(),
        number: BigInt(b),
        gasLimit: 30_000_000n,
        timestamp: BigInt(b),
        coinbase,
        ...FIXED_HEADER_FIELDS,
      }
      const env = createBlock({ header }, blockOptions(common))
      const planned: Planned[] =
        b === 1
          ? [
              { from: 0, data: hexToBytes(encodeDeployData({ abi: token.abi, bytecode: token.bytecode, args: ['T', 'T', 10n ** 24n] })), gas: 1_500_000n },
              { from: 0, data: hexToBytes(box.bytecode), value: 10n ** 6n, gas: 2_000_000n },
              ...senders.slice(1).map((s): Planned => ({ from: 0, to: tokenAddr, data: call(token.abi, 'transfer', [s, 1000n]), gas: 90_000n, tokenMove: { to: s, amount: 1000n } })),
            ]
          : Array.from({ length: 30 }, plan)
      const included: TypedTransaction[] = []
      let gasOld = 0n
      let gasNew = 0n
      for (const p of planned) {
        const tx = createLegacyTx(
          { nonce: nonces[p.from]! + (p.nonceSkew ?? 0), gasPrice: rnd.chance(0.5) ? 0n : 7n, gasLimit: p.gas, to: p.to, value: p.value ?? 0n, data: p.data ?? new Uint8Array() },
          { common },
        ).sign(keys[p.from]!)
        const o = await tryRun(oldVm, tx, env, gasOld)
        const n = await tryRun(newVm, tx, env, gasNew)
        expect(n.outcome, `block ${b} tx ${included.length}`).toEqual(o.outcome)
        if (!o.result || !n.result) {
          note('runTx threw')
          continue
        }
        gasOld += o.result.totalGasSpent
        gasNew += n.result.totalGasSpent
        included.push(tx)
        nonces[p.from]!++
        const err = o.result.execResult.exceptionError?.error
        note(err === undefined ? 'ok' : err)
        if (o.result.gasRefund > 0n) note('refund')
        if (p.to === undefined && err === undefined && ephemeral.bytecode === bytesToHex(p.data ?? new Uint8Array())) note('created and destroyed')
        if (err === undefined && p.tokenMove) {
          const from = senders[p.from]!
          tokens.set(from, (tokens.get(from) ?? 0n) - p.tokenMove.amount)
          tokens.set(p.tokenMove.to, (tokens.get(p.tokenMove.to) ?? 0n) + p.tokenMove.amount)
        }
      }
      expect(gasNew).toBe(gasOld)
      const oldRoot = await oldState.getStateRoot()
      const newRoot = await newState.getStateRoot()
      expect(bytesToHex(newRoot), `state root of block ${b}`).toBe(bytesToHex(oldRoot))
      const block = createBlock({ header: { ...header, stateRoot: newRoot, gasUsed: gasNew }, transactions: included }, blockOptions(common))
      await store.commit({ block, finality: { round: 0, seals: [] }, receipts: [] })
      parent = block
      if (b % 4 === 0) {
        // As after a restart: a new state that knows only the root, reading from LevelDB.
        newState = createStateManager(common, store)
        await newState.setStateRoot(newRoot)
        newVm = await createVM({ common, stateManager: newState })
      }
    }
    // The random blocks did cover what they are meant to.
    for (const what of ['ok', 'revert', 'out of gas', 'runTx threw', 'refund', 'created and destroyed']) {
      expect(seen.get(what) ?? 0, `${what} in ${JSON.stringify([...seen])}`).toBeGreaterThan(0)
    }
    await store.close()
  })
})
