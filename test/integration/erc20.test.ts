/**
 * The ERC-20 flow of ethers v6 and viem against a real Quorate node process: solc-compiled token,
 * deploy, transfer, balances, Transfer logs by eth_getLogs and by a WebSocket `logs`
 * subscription, receipt status 1 and 0, and the revert reason of a failing eth_call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runErc20FlowEthers, runErc20FlowViem } from '../helpers/erc20-flow.js'
import { expectCompleteFlow } from '../helpers/erc20-expect.js'
import { tempDir } from '../helpers/tmp.js'
import { initDevChain, startNodeProcess, type DevChain, type NodeProcess } from '../helpers/node-process.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let chain: DevChain
let node: NodeProcess

beforeAll(async () => {
  tmp = await tempDir()
  chain = await initDevChain(tmp.dir, { blockPeriodMs: 200 })
  node = await startNodeProcess(chain.dataDir, chain.rpcPort)
})

afterAll(async () => {
  await node?.stop()
  await tmp?.cleanup()
})

describe('ERC-20 flows against a Quorate node process', () => {
  it('ethers v6', async () => {
    const r = await runErc20FlowEthers({ rpcUrl: node.rpcUrl, wsUrl: node.wsUrl, privateKeys: chain.accounts.slice(0, 2).map((a) => a.privateKey) })
    expect(r.revertedTransfer.reportedAs).toBe('CALL_EXCEPTION')
    expectCompleteFlow(r, 1337, chain.accounts.slice(0, 2))
  })

  it('viem', async () => {
    const r = await runErc20FlowViem({ rpcUrl: node.rpcUrl, wsUrl: node.wsUrl, privateKeys: chain.accounts.slice(2, 4).map((a) => a.privateKey) })
    expect(r.revertedTransfer.reportedAs).toBe('reverted')
    expectCompleteFlow(r, 1337, chain.accounts.slice(2, 4))
  })
})
