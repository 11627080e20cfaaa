/**
 * A real in-process EVM (@ethereumjs/vm) holding the governance contract at its fixed address, the
 * way a genesis does it: the constructor runs in a scratch VM, and its code and the storage slots
 * it wrote are copied to 0x…1000 of a fresh VM. Transactions are signed with the dev keys; blocks
 * are made per transaction so tests control the clock.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import { createLegacyTx } from '@ethereumjs/tx'
import { Account, bigIntToHex, bytesToHex, createAddressFromString, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { createVM, runTx, type VM } from '@ethereumjs/vm'
import {
  decodeEventLog,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  parseAbiParameters,
  stringToHex,
  type Abi,
} from 'viem'
import { blockOptions, createChainCommon } from '../../../src/chain/common.js'
import { devAccounts, type DevAccount } from '../../../src/crypto/dev-accounts.js'
import { decodeRevertReason } from '../../../src/execution/revert.js'
import { governanceArtifacts } from '../../../src/governance/artifacts.js'
import type { Address, Hex } from '../../../src/types.js'
import type { PartyTuple as Party, ProposalTuple as Proposal } from '../../../src/governance/abi-types.js'

export const GOVERNANCE: Address = '0x0000000000000000000000000000000000001000'
export const GOVERNANCE_VIEWS: Address = '0x0000000000000000000000000000000000001003'
export const CHAIN_PARAMETERS: Address = '0x0000000000000000000000000000000000001002'
export const GAS = 3_000_000n
const BLOCK_GAS = 30_000_000n
export const common = createChainCommon(1337n, BLOCK_GAS)
export const governanceAbi: Abi = governanceArtifacts().ConsortiumGovernance.abi

export const Decision = {
  AddParty: 0,
  SuspendParty: 1,
  ReinstateParty: 2,
  RemoveParty: 3,
  AddNode: 4,
  RemoveNode: 5,
  AddValidator: 6,
  RemoveValidator: 7,
  ApproveCode: 8,
  RevokeCode: 9,
  UpgradeContract: 10,
  ChangePolicy: 11,
  SetAccountPermissions: 12,
  SetCollection: 13,
  SetChainParameters: 14,
  RotateAdmins: 15,
  FreezeParty: 16,
  UnfreezeParty: 17,
  SetMinValidators: 18,
} as const
export const State = { Open: 0, Approved: 1, Rejected: 2, Expired: 3, Failed: 4 } as const

export function pid(id: string): Hex {
  return stringToHex(id, { size: 32 })
}

/** abi.encode of a decision's arguments (the proposal payload). */
export const payload = {
  addParty: (id: string, name: string, kind: number, admins: Address[]) =>
    encodeAbiParameters(parseAbiParameters('bytes32, string, uint8, address[]'), [pid(id), name, kind, admins]),
  party: (id: string) => encodeAbiParameters(parseAbiParameters('bytes32'), [pid(id)]),
  addNode: (node: Address, party: string, endpoint: string, validator: boolean, encryptionKey: Hex = `0x${'00'.repeat(32)}`) =>
    encodeAbiParameters(parseAbiParameters('address, bytes32, string, bool, bytes32'), [node, pid(party), endpoint, validator, encryptionKey]),
  node: (node: Address) => encodeAbiParameters(parseAbiParameters('address'), [node]),
  code: (hash: Hex) => encodeAbiParameters(parseAbiParameters('bytes32'), [hash]),
  upgrade: (proxy: Address, implementation: Address) => encodeAbiParameters(parseAbiParameters('address, address'), [proxy, implementation]),
  policy: (decisionType: number, threshold: number, inclusive: boolean, votingPeriod: bigint, veto: string[] = []) =>
    encodeAbiParameters(parseAbiParameters('uint8, uint8, bool, uint64, bytes32[]'), [decisionType, threshold, inclusive, votingPeriod, veto.map(pid)]),
  account: (account: Address, party: string, permissions: number) =>
    encodeAbiParameters(parseAbiParameters('address, bytes32, uint8'), [account, pid(party), permissions]),
  rotate: (party: string, admins: Address[]) => encodeAbiParameters(parseAbiParameters('bytes32, address[]'), [pid(party), admins]),
  minValidators: (n: number) => encodeAbiParameters(parseAbiParameters('uint16'), [n]),
}

export interface PartyInit {
  id: Hex
  name: string
  kind: number
  admins: Address[]
}
export interface NodeInit {
  nodeAddress: Address
  partyId: Hex
  endpoint: string
  validator: boolean
  encryptionKey: Hex
}
export interface AccountInit {
  account: Address
  partyId: Hex
  permissions: number
}
export interface PolicyInit {
  decisionType: number
  thresholdPercent: number
  inclusive: boolean
  votingPeriod: bigint
  vetoParties: Hex[]
}
export interface GenesisArgs {
  minValidators: number
  parties: PartyInit[]
  nodes: NodeInit[]
  accounts: AccountInit[]
  policies: PolicyInit[]
}

export interface DecodedEvent {
  eventName: string
  args: Record<string, unknown>
}

export interface TxOutcome {
  ok: boolean
  /** Decoded Error(string) of a revert, if any. */
  reason: string | undefined
  /** The raw revert data (custom errors decode from it with viem's decodeErrorResult). */
  returnData: Hex
  events: DecodedEvent[]
  gasUsed: bigint
  createdAddress: Address | undefined
}

export const ZERO_KEY: Hex = `0x${'00'.repeat(32)}`

/** The dev accounts (keys 0..9) that the tests sign with. */
export function keys(): DevAccount[] {
  return devAccounts(10)
}

/** Keys for nodes added by vote (they sign activateValidator themselves). */
export const NODE_KEYS: readonly DevAccount[] = devAccounts(14).slice(10)

export function policies(overrides: Partial<Record<number, Partial<PolicyInit>>> = {}): PolicyInit[] {
  return Object.values(Decision).map((decisionType) => ({
    decisionType,
    thresholdPercent: 50,
    inclusive: false,
    votingPeriod: 3600n,
    vetoParties: [],
    ...overrides[decisionType],
  }))
}

export function node(n: number): Address {
  return `0x${n.toString(16).padStart(40, '0')}` as Address
}

/**
 * pensionfund (2 admins), employer, insurer (members), regulator (kind 1), auditor (observer).
 * Validators: nodes 0xa1 (pensionfund), 0xb1 (employer), 0xc1 (insurer); 0xd1 (regulator) and
 * 0xe1 (auditor) are plain nodes. minValidators 2. ApproveCode can be vetoed by the regulator.
 */
export function standardGenesis(): GenesisArgs {
  const k = keys()
  return {
    minValidators: 2,
    parties: [
      { id: pid('pensionfund'), name: 'Pension Fund', kind: 0, admins: [k[0]!.address, k[5]!.address] },
      { id: pid('employer'), name: 'Employer', kind: 0, admins: [k[1]!.address] },
      { id: pid('insurer'), name: 'Insurer', kind: 0, admins: [k[2]!.address] },
      { id: pid('regulator'), name: 'Regulator', kind: 1, admins: [k[3]!.address] },
      { id: pid('auditor'), name: 'Auditor', kind: 2, admins: [k[4]!.address] },
    ],
    nodes: [
      { nodeAddress: node(0xa1), partyId: pid('pensionfund'), endpoint: 'wss://pf.example:30303', validator: true, encryptionKey: `0x${'11'.repeat(32)}` },
      { nodeAddress: node(0xb1), partyId: pid('employer'), endpoint: 'wss://emp.example:30303', validator: true, encryptionKey: ZERO_KEY },
      { nodeAddress: node(0xc1), partyId: pid('insurer'), endpoint: '', validator: true, encryptionKey: ZERO_KEY },
      { nodeAddress: node(0xd1), partyId: pid('regulator'), endpoint: '', validator: false, encryptionKey: ZERO_KEY },
      { nodeAddress: node(0xe1), partyId: pid('auditor'), endpoint: '', validator: false, encryptionKey: ZERO_KEY },
    ],
    accounts: [
      { account: k[6]!.address, partyId: pid('pensionfund'), permissions: 5 },
      { account: k[7]!.address, partyId: pid('employer'), permissions: 2 },
    ],
    policies: policies({ [Decision.ApproveCode]: { vetoParties: [pid('regulator')] } }),
  }
}

function constructorArgs(g: GenesisArgs) {
  return [g.minValidators, g.parties, g.nodes, g.accounts, g.policies] as const
}

function newBlock(number: bigint, timestamp: bigint): Block {
  return createBlock({ header: { number, timestamp, gasLimit: BLOCK_GAS, baseFeePerGas: 0n } }, blockOptions(common))
}

function revertReason(returnValue: Uint8Array): string | undefined {
  return decodeRevertReason(returnValue)
}

/** Deploys the governance constructor in a scratch VM: its runtime code and written storage, or the revert reason. */
export async function runConstructor(g: GenesisArgs): Promise<{ code: Uint8Array; storage: Map<Hex, Uint8Array> } | { reason: string | undefined }> {
  const { abi, bytecode } = governanceArtifacts().ConsortiumGovernance
  const vm = await createVM({ common })
  const deployer = createAddressFromString(node(0xde))
  await vm.stateManager.putAccount(deployer, new Account(0n, 0n))
  const slots = new Set<Hex>()
  vm.evm.events!.on('step', (step, resolve) => {
    if (step.opcode.name === 'SSTORE') slots.add(bigIntToHex(step.stack[step.stack.length - 1]!) as Hex)
    resolve?.()
  })
  const data = encodeDeployData({ abi, bytecode, args: constructorArgs(g) as unknown as readonly unknown[] })
  const result = await vm.evm.runCall({ caller: deployer, data: hexToBytes(data), gasLimit: 100_000_000n, block: newBlock(0n, 0n) })
  if (result.execResult.exceptionError || !result.createdAddress) return { reason: revertReason(result.execResult.returnValue) }
  const storage = new Map<Hex, Uint8Array>()
  for (const slot of slots) {
    const key = setLengthLeft(hexToBytes(slot), 32)
    const value = await vm.stateManager.getStorage(result.createdAddress, key)
    if (value.length > 0) storage.set(bytesToHex(key) as Hex, value)
  }
  return { code: await vm.stateManager.getCode(result.createdAddress), storage }
}

export class GovernanceChain {
  private number = 1n
  time = 1_700_000_000n

  private constructor(readonly vm: VM) {}

  /** A chain whose genesis holds the governance contract built from `g` at the fixed address. */
  static async create(g: GenesisArgs = standardGenesis()): Promise<GovernanceChain> {
    const built = await runConstructor(g)
    if ('reason' in built) throw new Error(`governance constructor reverted: ${built.reason ?? '(no reason)'}`)
    const vm = await createVM({ common })
    const at = createAddressFromString(GOVERNANCE)
    await vm.stateManager.putAccount(at, new Account(1n, 0n))
    await vm.stateManager.putCode(at, built.code)
    const views = createAddressFromString(GOVERNANCE_VIEWS)
    await vm.stateManager.putAccount(views, new Account(1n, 0n))
    await vm.stateManager.putCode(views, hexToBytes(governanceArtifacts().GovernanceViews.deployedBytecode))
    for (const [slot, value] of built.storage) await vm.stateManager.putStorage(at, hexToBytes(slot), value)
    return new GovernanceChain(vm)
  }

  advance(seconds: bigint): void {
    this.time += seconds
  }

  /** Sends a signed legacy transaction (gas price 0) in a block of its own at the current time. */
  async send(from: DevAccount, to: Address | undefined, data: Hex, gasLimit = GAS): Promise<TxOutcome> {
    const sender = createAddressFromString(from.address)
    const nonce = (await this.vm.stateManager.getAccount(sender))?.nonce ?? 0n
    const tx = createLegacyTx({ nonce, gasPrice: 0n, gasLimit, to, data }, { common }).sign(hexToBytes(from.privateKey))
    const block = newBlock(this.number++, this.time)
    const result = await runTx(this.vm, { tx, block, skipHardForkValidation: true })
    const failed = result.execResult.exceptionError !== undefined
    return {
      ok: !failed,
      reason: failed ? revertReason(result.execResult.returnValue) : undefined,
      returnData: bytesToHex(result.execResult.returnValue) as Hex,
      events: failed ? [] : this.decodeLogs(result.receipt.logs),
      gasUsed: result.totalGasSpent,
      createdAddress: result.createdAddress ? (result.createdAddress.toString() as Address) : undefined,
    }
  }

  /** Calls a governance function in a transaction from `from`. */
  async transact(from: DevAccount, functionName: string, args: readonly unknown[], gasLimit = GAS): Promise<TxOutcome> {
    return this.send(from, GOVERNANCE, encodeFunctionData({ abi: governanceAbi, functionName, args }), gasLimit)
  }

  /** Calls a view at the current state. */
  async read<T>(functionName: string, args: readonly unknown[] = [], abi: Abi = governanceAbi, to: Address = GOVERNANCE): Promise<T> {
    const result = await this.vm.evm.runCall({
      to: createAddressFromString(to),
      caller: createAddressFromString(node(0xca11)),
      data: hexToBytes(encodeFunctionData({ abi, functionName, args })),
      gasLimit: 50_000_000n,
      block: newBlock(this.number, this.time),
    })
    if (result.execResult.exceptionError) throw new Error(`${functionName} reverted: ${revertReason(result.execResult.returnValue) ?? '(no reason)'}`)
    return decodeFunctionResult({ abi, functionName, data: bytesToHex(result.execResult.returnValue) }) as T
  }

  async deploy(from: DevAccount, abi: Abi, bytecode: Hex, args: readonly unknown[] = []): Promise<TxOutcome> {
    return this.send(from, undefined, encodeDeployData({ abi, bytecode, args }), 5_000_000n)
  }

  async putCode(address: Address, code: Hex): Promise<void> {
    const at = createAddressFromString(address)
    await this.vm.stateManager.putAccount(at, new Account(1n, 0n))
    await this.vm.stateManager.putCode(at, hexToBytes(code))
  }

  async storageAt(address: Address, slot: Hex): Promise<Hex> {
    const value = await this.vm.stateManager.getStorage(createAddressFromString(address), hexToBytes(slot))
    return bytesToHex(setLengthLeft(value, 32)) as Hex
  }

  async codeAt(address: Address): Promise<Hex> {
    return bytesToHex(await this.vm.stateManager.getCode(createAddressFromString(address))) as Hex
  }

  /** Opens a proposal and returns its id (it must succeed). */
  async propose(from: DevAccount, kind: number, data: Hex, description = ''): Promise<bigint> {
    const out = await this.transact(from, 'propose', [kind, data, description])
    if (!out.ok) throw new Error(`propose reverted: ${out.reason ?? '(no reason)'}`)
    const created = out.events.find((e) => e.eventName === 'ProposalCreated')
    if (!created) throw new Error('propose emitted no ProposalCreated')
    return created.args.id as bigint
  }

  /** Sends a proposal that the contract must refuse; returns the reason. */
  async refusedProposal(from: DevAccount, kind: number, data: Hex): Promise<string | undefined> {
    const out = await this.transact(from, 'propose', [kind, data, ''])
    if (out.ok) throw new Error('propose was accepted')
    return out.reason
  }

  async vote(from: DevAccount, id: bigint, support: boolean, gasLimit = GAS): Promise<TxOutcome> {
    return this.transact(from, 'vote', [id, support], gasLimit)
  }

  /**
   * Proposes as `voters[0]` and votes yes from each voter in turn until the proposal is decided;
   * returns the id and the events of the votes.
   */
  async decide(voters: DevAccount[], kind: number, data: Hex): Promise<{ id: bigint; events: DecodedEvent[] }> {
    const id = await this.propose(voters[0]!, kind, data)
    const events: DecodedEvent[] = []
    for (const v of voters) {
      const out = await this.vote(v, id, true)
      if (!out.ok) throw new Error(`vote reverted: ${out.reason ?? '(no reason)'}`)
      events.push(...out.events)
      if ((await this.proposal(id)).state !== State.Open) break
    }
    return { id, events }
  }

  async proposal(id: bigint): Promise<Proposal> {
    return this.read<Proposal>('getProposal', [id])
  }

  private decodeLogs(logs: [Uint8Array, Uint8Array[], Uint8Array][]): DecodedEvent[] {
    const out: DecodedEvent[] = []
    for (const [address, topics, data] of logs) {
      if (bytesToHex(address) !== GOVERNANCE) {
        out.push({ eventName: `external:${bytesToHex(address)}`, args: {} })
        continue
      }
      const decoded = decodeEventLog({ abi: governanceAbi, topics: topics.map((t) => bytesToHex(t)) as [Hex, ...Hex[]], data: bytesToHex(data) })
      out.push({ eventName: decoded.eventName ?? '', args: (decoded.args ?? {}) as Record<string, unknown> })
    }
    return out
  }
}

export function names(events: DecodedEvent[]): string[] {
  return events.map((e) => e.eventName)
}

export type { Party, Proposal }
