/**
 * No accepted transaction is lost while the pool holds more than a block takes: a real node with
 * blocks of 210,000 gas and transfers that reserve 100,000 gas each and use 21,000 (as wallets
 * reserve more than they use), 10 senders each submitting 40 in nonce order, for over a second.
 * The proposer builds while its period runs and takes transactions as they arrive, filling the
 * block to the gas used; a sender's newest transaction must never run before its older ones the
 * pool's order for the block left out (it would fail on its nonce and be dropped from the pool).
 * Every transfer must end up in a block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createChainCommon } from '../../src/chain/common.js'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, rpc, startNodeProcess, waitFor, type DevChain, type NodeProcess } from '../helpers/node-process.js'

const SENDERS = 10
const PER_SENDER = 40
/** A block's gas: 10 transfers by the gas they use. */
const GAS_LIMIT = 10 * 21_000
/**
 * Each transfer reserves far more gas than it uses, as wallets do: the pool's order for a block
 * (by gas reserved) leaves room that transactions arriving during the build could fill.
 */
const TX_GAS_LIMIT = 100_000

let tmp: Awaited<ReturnType<typeof tempDir>>
let chain: DevChain
let node: NodeProcess | undefined

beforeAll(async () => {
  tmp = await tempDir()
  chain = await initDevChain(tmp.dir, { blockPeriodMs: 100, genesis: { gasLimit: GAS_LIMIT } })
  node = await startNodeProcess(tmp.dir, chain.rpcPort)
})

afterAll(async () => {
  await node?.stop()
  await tmp.cleanup()
})

describe('a pool backlog larger than a block', () => {
  it('every accepted transfer is included, none dropped on its nonce', async () => {
    const url = node!.rpcUrl
    const common = createChainCommon(1337n, BigInt(GAS_LIMIT))
    const senders = chain.accounts.slice(0, SENDERS)
    const refused: string[] = []
    await Promise.all(
      senders.map(async (s, i) => {
        for (let nonce = 0; nonce < PER_SENDER; nonce++) {
          const tx = createLegacyTx({ nonce, gasLimit: TX_GAS_LIMIT, gasPrice: 0, to: `0x${(0x5000 + i).toString(16).padStart(40, '0')}`, value: 1 }, { common }).sign(hexToBytes(s.privateKey))
          await rpc(url, 'eth_sendRawTransaction', [bytesToHex(tx.serialize())]).catch((err: Error) => refused.push(err.message))
          // Submissions keep coming over several blocks (about 400 a second against 50 included), so
          // that blocks are built while the backlog grows.
          await new Promise((r) => setTimeout(r, 25))
        }
      }),
    )
    expect(refused).toEqual([])
    // 400 transfers at 4-6 a block, a block every 100 ms: about 8 s; a dropped one would never come.
    await waitFor(
      'every sender\'s 40 transfers in blocks',
      async () => (await Promise.all(senders.map(async (s) => Number(await rpc<string>(url, 'eth_getTransactionCount', [s.address, 'latest']))))).every((n) => n === PER_SENDER),
      60_000,
    )
    const status = await rpc<{ pending: string; queued: string }>(url, 'txpool_status')
    expect(Number(status.pending) + Number(status.queued)).toBe(0)
  })
})
