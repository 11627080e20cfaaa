/**
 * Validates the ERC-20 flows (ethers and viem) and the Hardhat launcher against a real Hardhat 2
 * node, so that the same flows can later be pointed at a Quorate node with confidence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devAccounts } from '../../../src/crypto/dev-accounts.js'
import type { Hex } from '../../../src/types.js'
import { runErc20FlowEthers, runErc20FlowViem } from '../../helpers/erc20-flow.js'
import { expectCompleteFlow } from '../../helpers/erc20-expect.js'
import { startHardhatNode, type HardhatNode } from '../../helpers/hardhat.js'

// Not Hardhat's default 31337, so the flows must really take the chain id from the node.
const CHAIN_ID = 4_242

let node: HardhatNode
let privateKeys: Hex[]

beforeAll(async () => {
  node = await startHardhatNode({ chainId: CHAIN_ID })
  privateKeys = devAccounts(2).map((a) => a.privateKey)
})

afterAll(async () => {
  await node?.stop()
})


describe('ERC-20 flows against a real Hardhat 2 node', () => {
  it('serves JSON-RPC over HTTP with the configured chain id and funds the dev accounts', async () => {
    const res = await fetch(node.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_getBalance', params: [devAccounts(1)[0]!.address, 'latest'] },
      ]),
    })
    const [chainId, balance] = (await res.json()) as [{ result: string }, { result: string }]
    expect(Number(chainId.result)).toBe(CHAIN_ID)
    expect(BigInt(balance.result)).toBe(10_000n * 10n ** 18n)
  })

  it('ethers v6: deploy, transfer, logs by getLogs and WebSocket, status 0 on revert, revert reasons', async () => {
    const r = await runErc20FlowEthers({ rpcUrl: node.rpcUrl, wsUrl: node.wsUrl, privateKeys })
    expect(r.library).toBe('ethers')
    expect(r.revertedTransfer.reportedAs).toBe('CALL_EXCEPTION')
    expectCompleteFlow(r, CHAIN_ID)
  })

  it('viem 2: deploy, transfer, logs by getLogs and WebSocket, status 0 on revert, revert reasons', async () => {
    const r = await runErc20FlowViem({ rpcUrl: node.rpcUrl, wsUrl: node.wsUrl, privateKeys })
    expect(r.library).toBe('viem')
    expect(r.revertedTransfer.reportedAs).toBe('reverted')
    expectCompleteFlow(r, CHAIN_ID)
  })

  it('fails with a descriptive error when fewer than two keys are given', async () => {
    await expect(runErc20FlowViem({ rpcUrl: node.rpcUrl, wsUrl: node.wsUrl, privateKeys: privateKeys.slice(0, 1) })).rejects.toThrow(
      /needs at least two private keys/,
    )
  })
})
