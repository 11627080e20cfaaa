/**
 * The pool survives restarts of a real node process (the finding: the pool was lost on a full
 * restart). Transactions wait behind nonce gaps so no block takes them; after a SIGTERM restart
 * and after a kill -9 (once the journal interval has passed) they are still in the pool, and once
 * the gaps are filled they are all mined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createChainCommon } from '../../src/chain/common.js'
import type { DevAccount } from '../../src/crypto/dev-accounts.js'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, rpc, startNodeProcess, waitFor, type DevChain, type NodeProcess } from '../helpers/node-process.js'

const JOURNAL_INTERVAL_MS = 500

let tmp: Awaited<ReturnType<typeof tempDir>>
let chain: DevChain
let node: NodeProcess | undefined

beforeAll(async () => {
  tmp = await tempDir()
  chain = await initDevChain(tmp.dir, { config: { txpool: { journalIntervalMs: JOURNAL_INTERVAL_MS } } })
})

afterAll(async () => {
  await node?.kill()
  await tmp.cleanup()
})

const common = createChainCommon(1337n, 50_000_000n)
function rawTx(from: DevAccount, nonce: bigint): string {
  const tx = createFeeMarket1559Tx({ nonce, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, gasLimit: 21_000n, to: chain.accounts[9]!.address, value: 1n }, { common }).sign(hexToBytes(from.privateKey))
  return bytesToHex(tx.serialize())
}

type Content = Record<string, Record<string, { hash: string }>>
async function pooled(url: string): Promise<Set<string>> {
  const c = await rpc<{ pending: Content; queued: Content }>(url, 'txpool_content')
  return new Set([...Object.values(c.pending), ...Object.values(c.queued)].flatMap((byNonce) => Object.values(byNonce).map((t) => t.hash)))
}

describe('txpool journal', () => {
  it('keeps pooled transactions across a SIGTERM restart and a kill -9, and they are mined once their gaps fill', async () => {
    const [a, b] = chain.accounts as [DevAccount, DevAccount]
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    const sent: string[] = []
    for (const n of [1n, 2n, 3n, 4n, 5n]) sent.push(await rpc<string>(node.rpcUrl, 'eth_sendRawTransaction', [rawTx(a, n)]))
    for (const n of [1n, 2n, 3n]) sent.push(await rpc<string>(node.rpcUrl, 'eth_sendRawTransaction', [rawTx(b, n)]))
    expect(await pooled(node.rpcUrl)).toEqual(new Set(sent))

    // Graceful restart: written at shutdown.
    expect(await node.stop()).toBe(0)
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    expect(await pooled(node.rpcUrl)).toEqual(new Set(sent))
    expect(await rpc(node.rpcUrl, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x8' })

    // kill -9 after the journal interval: at most the last interval is lost.
    sent.push(await rpc<string>(node.rpcUrl, 'eth_sendRawTransaction', [rawTx(a, 6n)]))
    await new Promise((r) => setTimeout(r, 3 * JOURNAL_INTERVAL_MS))
    await node.kill()
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    expect(await pooled(node.rpcUrl)).toEqual(new Set(sent))

    // Fill the gaps: everything is mined.
    sent.push(await rpc<string>(node.rpcUrl, 'eth_sendRawTransaction', [rawTx(a, 0n)]))
    sent.push(await rpc<string>(node.rpcUrl, 'eth_sendRawTransaction', [rawTx(b, 0n)]))
    const url = node.rpcUrl
    for (const hash of sent) {
      const receipt = await waitFor(`receipt of ${hash}`, () => rpc<{ status: string } | null>(url, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined))
      expect(receipt.status).toBe('0x1')
    }
    expect(await rpc(url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })

    // Mined transactions are not brought back by the next restart.
    expect(await node.stop()).toBe(0)
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    expect(await rpc(node.rpcUrl, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
    expect(await node.stop()).toBe(0)
    node = undefined
  }, 120_000)
})
