/**
 * From a consortium file to a genesis: the governance contract's constructor runs in a scratch EVM
 * with the founding parties, nodes, accounts and policies, and its code and storage are copied to
 * the fixed governance address. Storage keys are the raw slots the constructor wrote (recorded from
 * SSTORE steps), because ethereumjs's storage trie only keeps hashed keys. The private data anchors
 * contract (stateless at genesis) is placed at its own fixed address beside it.
 */
import { createBlock } from '@ethereumjs/block'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, bigIntToHex, bytesToHex, createAddressFromString, setLengthLeft, hexToBytes } from '@ethereumjs/util'
import { createVM } from '@ethereumjs/vm'
import { decodeFunctionResult, encodeDeployData, encodeFunctionData, type Abi } from 'viem'
import { blockOptions, createChainCommon } from '../chain/common.js'
import type { GenesisInput } from '../chain/genesis.js'
import { QuorateError } from '../errors.js'
import { decodeRevertReason } from '../execution/revert.js'
import type { Address, Hex } from '../types.js'
import { GOVERNANCE_ADDRESS, GOVERNANCE_VIEWS_ADDRESS } from './address.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from '../privacy/address.js'
import { permissionBits } from './decisions.js'
import { partyIdToBytes32 } from './ids.js'
import { governanceArtifacts } from './artifacts.js'
import { ENFORCEMENT_ABI } from './view.js'
import { DECISIONS, PARTY_KINDS, policyOf, type Consortium } from './consortium.js'

const DEPLOYER: Address = '0x00000000000000000000000000000000000000de'

/** The constructor arguments of ConsortiumGovernance for a consortium. */
export function constructorArgs(c: Consortium) {
  const parties = c.parties.map((p) => ({ id: partyIdToBytes32(p.id), name: p.name, kind: PARTY_KINDS.indexOf(p.kind), admins: p.admins }))
  const nodes = c.parties.flatMap((p) =>
    p.nodes.map((n) => ({
      nodeAddress: n.address,
      partyId: partyIdToBytes32(p.id),
      endpoint: n.endpoint,
      validator: n.validator,
      encryptionKey: (n.encryptionKey ?? `0x${'00'.repeat(32)}`) as Hex,
    })),
  )
  const accounts = c.parties.flatMap((p) => p.accounts.map((a) => ({ account: a.address, partyId: partyIdToBytes32(p.id), permissions: permissionBits(a.permissions) })))
  const policies = DECISIONS.map((d, i) => {
    const policy = policyOf(c, d)
    return { decisionType: i, thresholdPercent: policy.threshold, inclusive: policy.comparator === '>=', votingPeriod: BigInt(policy.votingPeriod), vetoParties: policy.veto.map(partyIdToBytes32) }
  })
  return { parties, nodes, accounts, policies, minValidators_: c.minValidators }
}

/** The constructor arguments in the order the compiled ABI declares them. */
function orderedArgs(abi: Abi, named: Record<string, unknown>): unknown[] {
  const ctor = abi.find((e) => e.type === 'constructor')
  return (ctor?.type === 'constructor' ? ctor.inputs : []).map((input) => {
    if (!input.name || !(input.name in named)) throw new QuorateError('GOVERNANCE_ARTIFACTS_INVALID', `constructor argument ${input.name} is unknown to the genesis builder`)
    return named[input.name]
  })
}

/** The genesis of a consortium chain, with the governance contract and its founding state in place. */
export async function consortiumGenesis(c: Consortium): Promise<GenesisInput> {
  const { abi, bytecode } = governanceArtifacts().ConsortiumGovernance
  const common = createChainCommon(BigInt(c.chainId), c.gasLimit)
  const vm = await createVM({ common, stateManager: new MerkleStateManager({ common }) })
  const deployer = createAddressFromString(DEPLOYER)
  await vm.stateManager.putAccount(deployer, new Account(0n, 0n))
  const slots = new Set<string>()
  vm.evm.events!.on('step', (step, resolve) => {
    if (step.opcode.name === 'SSTORE') slots.add(bigIntToHex(step.stack[step.stack.length - 1]!))
    resolve?.()
  })
  const data = encodeDeployData({ abi, bytecode, args: orderedArgs(abi, constructorArgs(c)) } as Parameters<typeof encodeDeployData>[0])
  const block = createBlock({ header: { gasLimit: 10n ** 9n, number: 0n } }, blockOptions(common))
  const result = await vm.evm.runCall({ caller: deployer, data: hexToBytes(data), gasLimit: 10n ** 9n, block })
  const err = result.execResult.exceptionError
  if (err || !result.createdAddress) {
    const reason = decodeRevertReason(result.execResult.returnValue)
    throw new QuorateError('CONSORTIUM_INVALID', `the consortium file cannot be turned into a genesis: ${reason || err?.error || 'deployment failed'}`)
  }
  const created = result.createdAddress
  const storage: Record<string, string> = {}
  for (const slot of [...slots].sort()) {
    const key = setLengthLeft(hexToBytes(slot as Hex), 32)
    const value = await vm.stateManager.getStorage(created, key)
    if (value.length > 0) storage[bytesToHex(key)] = bytesToHex(value)
  }
  // Block 0's extraData carries the validator set exactly as the contract reports it.
  const call = await vm.evm.runCall({ caller: deployer, to: created, data: hexToBytes(encodeFunctionData({ abi: ENFORCEMENT_ABI, functionName: 'getValidators' })), gasLimit: 10n ** 8n, block })
  const validators = decodeFunctionResult({ abi: ENFORCEMENT_ABI, functionName: 'getValidators', data: bytesToHex(call.execResult.returnValue) }).map((v) => v.toLowerCase())
  return {
    config: { chainId: c.chainId, blockPeriodMs: c.blockPeriodMs, emptyBlockPeriodMs: c.emptyBlockPeriodMs, governance: { requireCodeApproval: c.requireCodeApproval } },
    gasLimit: `0x${c.gasLimit.toString(16)}`,
    validators,
    alloc: {
      ...Object.fromEntries(Object.entries(c.alloc).map(([a, v]) => [a, { balance: `0x${v.balance.toString(16)}` }])),
      [GOVERNANCE_ADDRESS]: { balance: '0x0', code: bytesToHex(await vm.stateManager.getCode(created)), storage },
      // Stateless: it runs on the governance contract's storage (DELEGATECALL from its fallback).
      [GOVERNANCE_VIEWS_ADDRESS]: { balance: '0x0', code: governanceArtifacts().GovernanceViews.deployedBytecode },
      // No constructor state and no immutables: the runtime code is the whole contract.
      [PRIVATE_DATA_ANCHORS_ADDRESS]: { balance: '0x0', code: governanceArtifacts().PrivateDataAnchors.deployedBytecode },
    },
  }
}
