/** What a complete ERC-20 flow (test/helpers/erc20-flow.ts) must have observed, on any node. */
import { expect } from 'vitest'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { ERC20_FLOW, type Erc20FlowResult } from './erc20-flow.js'

export function expectCompleteFlow(r: Erc20FlowResult, chainId: number, accounts = devAccounts(2)): void {
  const [deployer, recipient] = accounts
  expect(r.chainId).toBe(BigInt(chainId))
  expect(r.deployer).toBe(deployer!.address)
  expect(r.recipient).toBe(recipient!.address)

  expect(r.token.deployStatus).toBe(1)
  expect(r.token.codeSize).toBeGreaterThan(100)
  expect(r.token).toMatchObject({
    name: ERC20_FLOW.name,
    symbol: ERC20_FLOW.symbol,
    decimals: ERC20_FLOW.decimals,
    totalSupply: ERC20_FLOW.initialSupply,
  })

  expect(r.transfer.status).toBe(1)
  expect(r.balancesAfterTransfer).toEqual({
    deployer: ERC20_FLOW.initialSupply - ERC20_FLOW.transferAmount,
    recipient: ERC20_FLOW.transferAmount,
  })

  const expectedLog = {
    from: r.deployer,
    to: r.recipient,
    value: ERC20_FLOW.transferAmount,
    txHash: r.transfer.txHash,
    blockNumber: r.transfer.blockNumber,
  }
  expect(r.logs.getLogs).toEqual([expectedLog])
  expect(r.logs.contractEvents).toEqual([expectedLog])
  expect(r.logs.subscription).toEqual(expectedLog)

  expect(r.callRevert.reason).toBe(ERC20_FLOW.revertReason)
  expect(r.customErrorRevert.errorName).toBe('InsufficientBalance')
  const [account, balance, needed] = r.customErrorRevert.args
  expect(String(account).toLowerCase()).toBe(r.recipient)
  expect(balance).toBe(ERC20_FLOW.transferAmount)
  expect(needed).toBe(ERC20_FLOW.transferAmount + 1n)

  expect(r.revertedTransfer.status).toBe(0)
  expect(r.revertedTransfer.txHash).not.toBe(r.transfer.txHash)
  expect(r.revertedTransfer.gasLimit).toBe(ERC20_FLOW.revertGasLimit)
  expect(r.revertedTransfer.gasUsed).toBeGreaterThan(21_000n)
  expect(r.revertedTransfer.gasUsed).toBeLessThan(ERC20_FLOW.revertGasLimit)
  // A reverted transfer moves nothing.
  expect(r.balancesAfterRevert).toEqual(r.balancesAfterTransfer)
}
