/**
 * A node process is stopped and started again: blocks, receipts, logs and balances are still there,
 * and the chain goes on. Then it is killed with SIGKILL while sealing under load, several times:
 * each restart opens at a consistent head (every block complete, every tx with its receipt, nonces
 * matching the chain) and the chain continues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContractFactory, JsonRpcProvider, Wallet, Contract, type InterfaceAbi, type TransactionReceipt } from 'ethers'
import { tokenArtifact } from '../helpers/solc.js'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, rpc, startNodeProcess, waitFor, type DevChain, type NodeProcess } from '../helpers/node-process.js'

interface RpcBlock {
  hash: string
  number: string
  transactions: string[]
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let chain: DevChain
let node: NodeProcess | undefined

beforeAll(async () => {
  tmp = await tempDir()
  chain = await initDevChain(tmp.dir, { blockPeriodMs: 200 })
})

afterAll(async () => {
  await node?.kill()
  await tmp.cleanup()
})

describe('node restart', () => {
  it('keeps balances, blocks, receipts and logs across a clean restart, and continues', async () => {
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    const provider = new JsonRpcProvider(node.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 })
    const [a, b] = chain.accounts
    const wallet = new Wallet(a!.privateKey, provider)
    const { bytecode } = tokenArtifact()
    const abi = tokenArtifact().abi as InterfaceAbi
    const token = (await (await new ContractFactory(abi, bytecode, wallet).deploy('Test', 'TST', 1_000_000n)).waitForDeployment()) as Contract
    const tx = await token.getFunction('transfer')(b!.address, 1234n)
    const receipt = (await tx.wait()) as TransactionReceipt
    const logsBefore = await provider.getLogs({ address: await token.getAddress(), fromBlock: 0 })
    const headBefore = await rpc<RpcBlock>(node.rpcUrl, 'eth_getBlockByNumber', ['latest', false])
    provider.destroy()

    expect(await node.stop()).toBe(0)
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    const provider2 = new JsonRpcProvider(node.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 })
    const token2 = new Contract(await token.getAddress(), abi, provider2)
    expect(await token2.getFunction('balanceOf')(b!.address)).toBe(1234n)
    const sameHead = await rpc<RpcBlock>(node.rpcUrl, 'eth_getBlockByNumber', [headBefore.number, false])
    expect(sameHead.hash).toBe(headBefore.hash)
    const receiptAfter = await provider2.getTransactionReceipt(receipt.hash)
    expect(receiptAfter?.status).toBe(1)
    expect(receiptAfter?.blockHash).toBe(receipt.blockHash)
    expect(await provider2.getLogs({ address: await token.getAddress(), fromBlock: 0 })).toEqual(logsBefore)

    const wallet2 = new Wallet(a!.privateKey, provider2)
    const next = await (token2.connect(wallet2) as Contract).getFunction('transfer')(b!.address, 1n)
    const r2 = (await next.wait()) as TransactionReceipt
    expect(r2.blockNumber).toBeGreaterThan(receipt.blockNumber)
    expect(await token2.getFunction('balanceOf')(b!.address)).toBe(1235n)
    provider2.destroy()
    expect(await node.stop()).toBe(0)
    node = undefined
  })

  it('opens at a consistent head after kill -9 during sealing under load, and continues', async () => {
    const senders = chain.accounts.slice(2, 8).map((acc) => new Wallet(acc.privateKey))
    const to = chain.accounts[9]!.address
    for (let round = 0; round < 3; round++) {
      node = await startNodeProcess(chain.dataDir, chain.rpcPort)
      const url = node.rpcUrl
      const start = Number(await rpc<string>(url, 'eth_blockNumber'))
      // Load: each sender keeps transactions flowing until the process dies.
      let alive = true
      const load = senders.map(async (w) => {
        let nonce = Number(await rpc<string>(url, 'eth_getTransactionCount', [w.address, 'pending']))
        while (alive) {
          const raw = await w.signTransaction({ to, value: 1n, nonce, gasLimit: 21000, gasPrice: 0, chainId: 1337 })
          try {
            await rpc(url, 'eth_sendRawTransaction', [raw])
            nonce++
          } catch (err) {
            // A JSON-RPC refusal (e.g. the per-sender pool limit): wait and retry; a dead socket: stop.
            if (!String(err).includes('eth_sendRawTransaction:')) alive = false
            else await new Promise((r) => setTimeout(r, 50))
          }
        }
      })
      await waitFor('blocks under load', async () => Number(await rpc<string>(url, 'eth_blockNumber')) >= start + 3)
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)))
      await node.kill()
      alive = false
      await Promise.all(load)

      node = await startNodeProcess(chain.dataDir, chain.rpcPort)
      const head = Number(await rpc<string>(node.rpcUrl, 'eth_blockNumber'))
      expect(head).toBeGreaterThanOrEqual(start + 3)
      // Every block up to the head is complete: header, transactions, receipts.
      const txCount = new Map<string, number>()
      for (let n = 1; n <= head; n++) {
        const block = await rpc<RpcBlock & { transactions: { hash: string; from: string }[] }>(node.rpcUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, true])
        expect(block, `block ${n}`).not.toBeNull()
        for (const tx of block.transactions) {
          txCount.set(tx.from, (txCount.get(tx.from) ?? 0) + 1)
        }
        const receipts = await rpc<unknown[]>(node.rpcUrl, 'eth_getBlockReceipts', [`0x${n.toString(16)}`])
        expect(receipts).toHaveLength(block.transactions.length)
      }
      // The head state agrees with the blocks: each sender's nonce is its number of mined txs.
      for (const w of senders) {
        const nonce = Number(await rpc<string>(node.rpcUrl, 'eth_getTransactionCount', [w.address, 'latest']))
        expect(nonce).toBe(txCount.get(w.address.toLowerCase()) ?? 0)
      }
      // And the chain continues.
      const w = senders[0]!
      const nonce = Number(await rpc<string>(node.rpcUrl, 'eth_getTransactionCount', [w.address, 'latest']))
      const hash = await rpc<string>(node.rpcUrl, 'eth_sendRawTransaction', [await w.signTransaction({ to, value: 1n, nonce, gasLimit: 21000, gasPrice: 0, chainId: 1337 })])
      await waitFor('the next transaction to be mined', () => rpc(node!.rpcUrl, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined))
      expect(await node.stop()).toBe(0)
      node = undefined
    }
  })
})
