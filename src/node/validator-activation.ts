/**
 * The node's side of validator activation (governance/activator.ts): reads candidates and
 * validators from the governance contract, and sends `activateValidator()` signed with the node
 * key through the local pool (which gossips it), after simulating it so a refusal is logged with
 * the contract's reason instead of landing as a failed transaction.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { createAddressFromString, hexToBytes } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { encodeFunctionData, parseAbi } from 'viem'
import type { CallExecutor } from '../execution/call.js'
import type { TxPool } from '../execution/txpool.js'
import type { P2PHost } from '../network/host.js'
import type { BlockSync } from '../sync/block-sync.js'
import { GOVERNANCE_ADDRESS } from '../governance/address.js'
import { ValidatorActivator, type ActivationHost } from '../governance/activator.js'
import type { GovernanceView } from '../governance/view.js'
import type { Address, Hex } from '../types.js'

const ACTIVATION_ABI = parseAbi(['function activateValidator()', 'function validatorCandidates() view returns (address[])'])
/** Far above what activateValidator uses (gas is free on these chains). */
const ACTIVATION_GAS = 500_000n

export interface ActivationParts {
  address: Address
  nodeKey: Uint8Array
  common: Common
  governance: GovernanceView
  calls: Pick<CallExecutor, 'call' | 'getAccount'>
  pool: Pick<TxPool, 'add' | 'has' | 'nextNonce'>
  minGasPrice: bigint
  network: () => { host: Pick<P2PHost, 'peers'> | undefined; sync: Pick<BlockSync, 'highestKnown' | 'syncing'> | undefined }
  /** The empty-block period in force (chain parameters). */
  emptyBlockPeriodMs: () => number
  logger: Logger
}

export function validatorActivator(p: ActivationParts): ValidatorActivator {
  const data = encodeFunctionData({ abi: ACTIVATION_ABI, functionName: 'activateValidator' })
  const host: ActivationHost = {
    address: p.address,
    candidates: (block) => p.governance.read<readonly Address[]>(block, 'validatorCandidates', [], ACTIVATION_ABI),
    validators: (block) => p.governance.validatorsAfter(block),
    peers: () => p.network().host?.peers().map((peer) => peer.address) ?? [],
    highestKnown: () => p.network().sync?.highestKnown() ?? 0n,
    syncing: () => p.network().sync?.syncing ?? false,
    pooled: (hash) => p.pool.has(hash),
    sendActivation: async (head: Block): Promise<Hex> => {
      // Throws ExecutionRevertedError with the contract's reason (e.g. the party was suspended).
      await p.calls.call(head, { from: p.address, to: GOVERNANCE_ADDRESS, data: hexToBytes(data), gas: ACTIVATION_GAS })
      const { nonce } = await p.calls.getAccount(head, p.address)
      const tx = createLegacyTx(
        { nonce: p.pool.nextNonce(p.address, nonce), gasPrice: p.minGasPrice, gasLimit: ACTIVATION_GAS, to: createAddressFromString(GOVERNANCE_ADDRESS), data: hexToBytes(data) },
        { common: p.common },
      ).sign(p.nodeKey)
      return (await p.pool.add(tx)) as Hex
    },
  }
  // Three empty-block periods without a block: the chain is not producing, or this node is behind.
  return new ValidatorActivator(host, { maxHeadAgeMs: () => 3 * p.emptyBlockPeriodMs() + 5_000 }, p.logger)
}
