import { afterEach, describe, expect, it } from 'vitest'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, createAddressFromString, createContractAddress, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { createChainCommon } from '../../../src/chain/common.js'
import { createGenesisBlock, parseGenesis, writeGenesisState } from '../../../src/chain/genesis.js'
import { encodeExtraData } from '../../../src/chain/extra-data.js'
import { ChainStore } from '../../../src/chain/store.js'
import { privateKeyToAddress } from '../../../src/crypto/keys.js'
import { CallExecutor } from '../../../src/execution/call.js'
import { BlockExecutor, createStateManager, InvalidBlockError } from '../../../src/execution/executor.js'
import { decodeStateChanges, encodeStateChanges, StateChangesError, type StateChanges } from '../../../src/execution/state-changes.js'
import { QuorateError } from '../../../src/errors.js'
import { tempDir } from '../../helpers/tmp.js'

const KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const SENDER = privateKeyToAddress(KEY)
const TO = '0x00000000000000000000000000000000000000aa'
// Runtime: SSTORE(0, calldata word 0); LOG0 of nothing; STOP. Init code copies it out and returns it.
const RUNTIME = '60003560005560006000a000'
const INIT = `0x600c600c600039600c6000f3${RUNTIME}` as const
const genesis = parseGenesis({ config: { chainId: 1337 }, validators: [SENDER], alloc: { [SENDER]: { balance: '1000000000000000000' } } })
const common = createChainCommon(1337n, genesis.gasLimit)
const extraData = encodeExtraData({ vanity: new Uint8Array(32), validators: [SENDER], round: 0, seals: [] })

async function node(dir: string) {
  const store = await ChainStore.open(dir, common)
  const root = await writeGenesisState(genesis, createStateManager(common, store))
  await store.commit({ block: createGenesisBlock(genesis, common, root), finality: { round: 0, seals: [] }, receipts: [] })
  return { store, executor: await BlockExecutor.create(common, store), calls: await CallExecutor.create(common, store) }
}

const tx = (nonce: number, to: `0x${string}` | undefined, data: `0x${string}`, value = 0) =>
  createLegacyTx({ nonce, gasLimit: 200_000, gasPrice: 0, value, data: hexToBytes(data), ...(to ? { to } : {}) }, { common }).sign(KEY)

describe('state changes: encoding', () => {
  const sample: StateChanges = {
    accounts: [
      { address: hexToBytes(TO), account: { nonce: 1n, balance: 10n ** 18n, codeHash: new Uint8Array(32).fill(7) }, wiped: true, slots: [[new Uint8Array(32).fill(1), Uint8Array.of(42)], [new Uint8Array(32), new Uint8Array(0)]] },
      { address: hexToBytes(SENDER), account: null, wiped: true, slots: [] },
    ],
    codes: [hexToBytes('0x6000')],
  }

  it('decodes what it encodes', () => {
    expect(decodeStateChanges(encodeStateChanges(sample))).toEqual(sample)
  })

  it.each([
    ['a short address', { ...sample, accounts: [{ ...sample.accounts[0]!, address: new Uint8Array(19) }] }, /address must be 20 bytes/],
    ['an address twice', { ...sample, accounts: [sample.accounts[0]!, sample.accounts[0]!] }, /appears twice/],
    ['a slot value with a leading zero', { ...sample, accounts: [{ ...sample.accounts[0]!, slots: [[new Uint8Array(32), Uint8Array.of(0, 1)]] }] }, /without leading zeros/],
    ['a short slot key', { ...sample, accounts: [{ ...sample.accounts[0]!, slots: [[new Uint8Array(31), Uint8Array.of(1)]] }] }, /32-byte key/],
    ['a deleted account with slots', { ...sample, accounts: [{ ...sample.accounts[1]!, slots: [[new Uint8Array(32), Uint8Array.of(1)]] }] }, /deleted account has no slots/],
  ] as [string, StateChanges, RegExp][])('refuses %s', (_what, changes, message) => {
    const err = (() => {
      try {
        decodeStateChanges(encodeStateChanges(changes))
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(StateChangesError)
    expect((err as StateChangesError).code).toBe('STATE_BAD_CHANGES')
    expect((err as Error).message).toMatch(message)
  })
})

describe('state changes: a block applied from its outcome instead of re-executed', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  /** A validator that built two blocks (a deployment, then a call storing a word and a transfer) and a joining node at genesis. */
  async function twoNodes() {
    const a = await tempDir()
    const b = await tempDir()
    const source = await node(a.dir)
    const joining = await node(b.dir)
    cleanups.push(async () => {
      await source.store.close()
      await joining.store.close()
      await a.cleanup()
      await b.cleanup()
    })
    const contract = createContractAddress(createAddressFromString(SENDER), 0n).toString()
    const header = (n: bigint) => ({ timestamp: n, coinbase: createAddressFromString(SENDER), extraData })
    const blocks = []
    for (const [n, txs] of [[1n, [tx(0, undefined, INIT)]], [2n, [tx(1, contract as `0x${string}`, `0x${'00'.repeat(31)}2a`), tx(2, TO, '0x', 1234)]]] as const) {
      const built = await source.executor.build(source.store.head, txs, header(n))
      expect(built.rejected).toEqual([])
      await source.store.commit({ block: built.block, finality: { round: 0, seals: [] }, receipts: built.receipts, changes: built.changes })
      blocks.push(built)
    }
    return { source, joining, contract, blocks }
  }

  it('gives the state, code and receipts the validator has, without running a transaction', async () => {
    const { source, joining, contract, blocks } = await twoNodes()
    for (const built of blocks) {
      const parent = joining.store.head
      const applied = await joining.executor.apply(parent, built.block, built.receipts, built.changes)
      await joining.store.commit({ block: built.block, finality: { round: 0, seals: [] }, receipts: applied.receipts, changes: applied.changes })
    }
    const head = joining.store.head
    expect(bytesToHex(await joining.executor.stateManager.getStateRoot())).toBe(bytesToHex(source.store.head.header.stateRoot))
    expect(bytesToHex(await joining.calls.getCode(head, contract as `0x${string}`))).toBe(`0x${RUNTIME}`)
    expect(bytesToHex(await joining.calls.getStorage(head, contract as `0x${string}`, new Uint8Array(32)))).toBe(bytesToHex(setLengthLeft(Uint8Array.of(42), 32)))
    expect((await joining.calls.getAccount(head, TO)).balance).toBe(1234n)
    // What it stored is what the validator stored: it can serve the next joining node.
    expect(await joining.store.getBlockOutcome(bytesToHex(head.hash()))).toEqual(await source.store.getBlockOutcome(bytesToHex(head.hash())))
  })

  it('refuses changes that do not give the sealed state root (one balance off by one), and the untouched changes still apply', async () => {
    const { joining, blocks } = await twoNodes()
    const [deploy, call] = blocks
    await joining.executor.apply(joining.store.head, deploy!.block, deploy!.receipts, deploy!.changes)
    await joining.store.commit({ block: deploy!.block, finality: { round: 0, seals: [] }, receipts: deploy!.receipts, changes: deploy!.changes })
    const changes = decodeStateChanges(call!.changes)
    const to = changes.accounts.find((c) => bytesToHex(c.address) === TO)!
    to.account = { ...to.account!, balance: to.account!.balance + 1n }
    const err = await joining.executor.apply(joining.store.head, call!.block, call!.receipts, encodeStateChanges(changes)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidBlockError)
    expect((err as Error).message).toMatch(/state root mismatch/)
    // The state is back at the parent: the genuine changes apply.
    const applied = await joining.executor.apply(joining.store.head, call!.block, call!.receipts, call!.changes)
    expect(applied.receipts).toEqual(call!.receipts)
  })

  it('refuses changes that leave out the code of a deployed contract (the state root cannot tell)', async () => {
    const { joining, blocks } = await twoNodes()
    const [deploy] = blocks
    const changes = decodeStateChanges(deploy!.changes)
    expect(changes.codes).toHaveLength(1)
    const err = await joining.executor.apply(joining.store.head, deploy!.block, deploy!.receipts, encodeStateChanges({ ...changes, codes: [] })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidBlockError)
    expect((err as Error).message).toMatch(/no code for account/)
    await expect(joining.executor.apply(joining.store.head, deploy!.block, deploy!.receipts, deploy!.changes)).resolves.toBeDefined()
  })

  it.each([
    ['a receipt whose status is flipped', (r: StateReceipts) => void (r[0]!.status = 0), /receipts root mismatch/],
    ['a receipt without its log', (r: StateReceipts) => void (r[0]!.logs = []), /receipts root mismatch/],
    ['a receipt with more gas', (r: StateReceipts) => void (r[1]!.cumulativeGasUsed += 1n), /gas used mismatch/],
    ['a receipt missing', (r: StateReceipts) => void r.pop(), /receipts do not match the transactions/],
    ['a log that is not [address, topics, data]', (r: StateReceipts) => void (r[0]!.logs = [Uint8Array.of(1) as unknown as StateReceipts[number]['logs'][number]]), /receipts cannot be read/],
  ] as [string, (r: StateReceipts) => void, RegExp][])('refuses %s', async (_what, tamper, message) => {
    const { joining, blocks } = await twoNodes()
    const [deploy, call] = blocks
    await joining.executor.apply(joining.store.head, deploy!.block, deploy!.receipts, deploy!.changes)
    await joining.store.commit({ block: deploy!.block, finality: { round: 0, seals: [] }, receipts: deploy!.receipts, changes: deploy!.changes })
    expect(call!.receipts[0]!.logs).toHaveLength(1)
    const receipts = structuredClone(call!.receipts)
    tamper(receipts)
    const err = await joining.executor.apply(joining.store.head, call!.block, receipts, call!.changes).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QuorateError)
    expect((err as QuorateError).code).toBe('INVALID_BLOCK')
    expect((err as Error).message).toMatch(message)
  })
})

type StateReceipts = Awaited<ReturnType<BlockExecutor['build']>>['receipts']
