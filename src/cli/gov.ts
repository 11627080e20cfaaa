/**
 * `quorate gov`: the consortium's governance from the command line. `list` and `show` read the
 * gov_* JSON-RPC of any node; `propose`, `vote` and `execute` send signed transactions from a party
 * admin's key (governance/client.ts, which simulates first so that a refusal carries the contract's
 * rule). Every refusal prints that rule and exits 1; a bad flag names the flag and exits 2.
 *
 * It owns turning flags into typed decisions and governance state into tables; it holds no voting
 * rules of its own (the contract decides) and never prints a key.
 */
import { readFile } from 'node:fs/promises'
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { decodeFunctionResult, encodeFunctionData, parseAbi, parseEventLogs, type Log } from 'viem'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { keccak256 } from '../crypto/native.js'
import { decodeRevertReason } from '../execution/revert.js'
import { ConfigError, QuorateError, errorMessage } from '../errors.js'
import { GOVERNANCE_ADDRESS } from '../governance/address.js'
import { governanceArtifacts } from '../governance/artifacts.js'
import { GovernanceActionError, GovernanceClient, TxNotFinalError, revertReason } from '../governance/client.js'
import { DECISIONS, PARTY_KINDS, PERMISSIONS, type Decision, type Permission } from '../governance/consortium.js'
import { LEGAL_BASES, validateCollection, type DecisionArgs, type PartyKind } from '../governance/decisions.js'
import { livenessShortfall, shortfallText, validatorsAfter } from '../governance/liveness.js'
import { approvedCodes, codeInfoOf, declareCode, withCodeInfo, withoutCodeInfo, type ApprovedCode } from './gov-code.js'
import type { Address, Hex } from '../types.js'
import { parseWith } from '../validation.js'
import { readAdminKey, type AdminKey, type AdminKeySources } from './keys.js'
import { METHOD_NOT_FOUND, RpcCallError, rpcCall } from '../rpc/http-client.js'
import { renderTable, sanitizeCell, shouldColour, type Colour, type Column } from './table.js'
import { rpcOption } from './rpc-option.js'

// ---- errors ------------------------------------------------------------------------------------

/** The node answers, but its chain has no governance contract (a plain genesis). */
export class GovernanceNotEnabledError extends QuorateError {
  override name = 'GovernanceNotEnabledError'
  constructor(url: string) {
    super('GOVERNANCE_NOT_ENABLED', `governance is not enabled on the chain behind ${url}`, {
      details: 'the node answers gov_* with "method not found": its genesis holds no governance contract (make one with `quorate init --consortium <file>`)',
    })
  }
}

// ---- what the gov_* methods answer ---------------------------------------------------------------

const addressOut = z.string().transform((s) => s.toLowerCase() as Address)

export const partySchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(PARTY_KINDS),
  status: z.string(),
  admins: z.array(addressOut),
}).loose()
export type PartyInfo = z.output<typeof partySchema>

export const nodeSchema = z.object({
  address: addressOut,
  party: z.string(),
  endpoint: z.string(),
  validator: z.boolean(),
  /** Absent from nodes older than validator candidates. */
  candidate: z.boolean().optional(),
  status: z.string(),
}).loose()
export type NodeInfo = z.output<typeof nodeSchema>

export const accountSchema = z.object({
  address: addressOut,
  party: z.string(),
  permissions: z.array(z.string()),
  effectivePermissions: z.array(z.string()).optional(),
}).loose()
export type AccountInfo = z.output<typeof accountSchema>

export const policySchema = z.object({
  decision: z.string(),
  thresholdPercent: z.number(),
  comparator: z.enum(['>', '>=']),
  votingPeriodSeconds: z.number(),
  vetoParties: z.array(z.string()),
}).loose()
export type PolicyInfo = z.output<typeof policySchema>

export const proposalSchema = z.object({
  id: z.number(),
  decision: z.string(),
  description: z.string(),
  proposer: z.string(),
  createdAt: z.number(),
  deadline: z.number(),
  state: z.enum(['open', 'approved', 'rejected', 'expired', 'failed']),
  yes: z.number(),
  no: z.number(),
  votingParties: z.number(),
  thresholdPercent: z.number(),
  comparator: z.enum(['>', '>=']),
  vetoParties: z.array(z.string()).default([]),
  votes: z.array(z.object({ party: z.string(), support: z.boolean() })),
  args: z.record(z.string(), z.unknown()),
}).loose()
export type ProposalInfo = z.output<typeof proposalSchema>

const chainParamsSchema = z.object({ blockPeriodMs: z.number(), emptyBlockPeriodMs: z.number(), gasLimit: z.number(), protocol: z.string() })
export type ChainParamsInfo = z.output<typeof chainParamsSchema>
export const chainParametersSchema = z.object({
  head: z.number(),
  current: chainParamsSchema,
  scheduled: chainParamsSchema.extend({ activationBlock: z.number() }).nullable(),
  supportedProtocols: z.array(z.string()),
  stoppedAtUpgrade: z.object({ block: z.number(), protocol: z.string(), message: z.string() }).nullable(),
}).loose()
export type ChainParametersInfo = z.output<typeof chainParametersSchema>
export type ProposalState = ProposalInfo['state']

const MIN_VALIDATORS_ABI = parseAbi(['function minValidators() view returns (uint16)'])

/** Reads of a node's governance state over JSON-RPC (the gov_* methods and two eth_ reads). */
export class GovReader {
  constructor(
    readonly rpcUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async call(method: string, params: unknown[] = []): Promise<unknown> {
    try {
      return await rpcCall(this.rpcUrl, method, params, this.timeoutMs)
    } catch (err) {
      if (err instanceof RpcCallError && err.rpcCode === METHOD_NOT_FOUND && method.startsWith('gov_')) throw new GovernanceNotEnabledError(this.rpcUrl)
      throw err
    }
  }

  private async read<S extends z.ZodType>(method: string, schema: S, params: unknown[] = []): Promise<z.output<S>> {
    return parseWith(schema, await this.call(method, params), `the answer to ${method} from ${this.rpcUrl}`)
  }

  parties(): Promise<PartyInfo[]> {
    return this.read('gov_getParties', z.array(partySchema))
  }
  nodes(): Promise<NodeInfo[]> {
    return this.read('gov_getNodes', z.array(nodeSchema))
  }
  accounts(): Promise<AccountInfo[]> {
    return this.read('gov_getAccounts', z.array(accountSchema))
  }
  policies(): Promise<PolicyInfo[]> {
    return this.read('gov_getPolicies', z.array(policySchema))
  }
  validators(): Promise<Address[]> {
    return this.read('gov_getValidators', z.array(addressOut))
  }
  chainParameters(): Promise<ChainParametersInfo> {
    return this.read('gov_getChainParameters', chainParametersSchema)
  }
  proposals(state?: ProposalState): Promise<ProposalInfo[]> {
    return this.read('gov_getProposals', z.array(proposalSchema), state ? [{ state }] : [])
  }
  async proposal(id: number): Promise<ProposalInfo> {
    try {
      return await this.read('gov_getProposal', proposalSchema, [id])
    } catch (err) {
      if (err instanceof RpcCallError && /unknown proposal/.test(err.message)) throw new QuorateError('PROPOSAL_NOT_FOUND', `there is no proposal #${id} on this chain`)
      throw err
    }
  }

  /** The governance contract's `minValidators()` (the validator count no decision may go below). */
  async minValidators(): Promise<number> {
    const data = encodeFunctionData({ abi: MIN_VALIDATORS_ABI, functionName: 'minValidators' })
    const out = await this.call('eth_call', [{ to: GOVERNANCE_ADDRESS, data }, 'latest'])
    return Number(decodeFunctionResult({ abi: MIN_VALIDATORS_ABI, functionName: 'minValidators', data: z.string().parse(out) as Hex }))
  }

  async code(address: Address): Promise<Hex> {
    return z.string().parse(await this.call('eth_getCode', [address, 'latest'])) as Hex
  }

  /**
   * Validators that sealed or proposed at least one of the last `blocks` blocks (qbft_getSignerMetrics),
   * or undefined if the node does not say. Proposals count too: a block carries only the first quorum
   * of commit seals, so a slower live validator may be missing from the seals for a while.
   */
  async recentSealers(blocks: number): Promise<Set<Address> | undefined> {
    try {
      const head = Number(BigInt(z.string().parse(await this.call('eth_blockNumber'))))
      const from = Math.max(1, head - blocks + 1)
      const metrics = z
        .array(z.object({ address: addressOut, sealedBlockCount: z.string(), proposedBlockCount: z.string().default('0x0') }))
        .parse(await this.call('qbft_getSignerMetrics', [`0x${from.toString(16)}`, 'latest']))
      return new Set(metrics.filter((m) => BigInt(m.sealedBlockCount) > 0n || BigInt(m.proposedBlockCount) > 0n).map((m) => m.address))
    } catch {
      return undefined
    }
  }

  /** The node behind this RPC and its connected peers (admin_nodeInfo, admin_peers); empty if it does not say. */
  async connectedNodes(): Promise<Set<Address>> {
    try {
      const [info, peers] = await Promise.all([this.call('admin_nodeInfo'), this.call('admin_peers')])
      const self = z.object({ id: addressOut }).parse(info).id
      return new Set([self, ...z.array(z.object({ id: addressOut })).parse(peers).map((p) => p.id)])
    } catch {
      return new Set()
    }
  }

  /** The reason a proposal failed, from the ProposalFailed event of the transaction that decided it. */
  async failureReason(txHash: Hex): Promise<string | undefined> {
    const receipt = z.object({ logs: z.array(z.unknown()) }).nullable().parse(await this.call('eth_getTransactionReceipt', [txHash]))
    if (!receipt) return undefined
    const abi = governanceArtifacts().ConsortiumGovernance.abi
    const failed = parseEventLogs({ abi, logs: receipt.logs as Log[], eventName: 'ProposalFailed' })[0] as { args: { reason: Hex } } | undefined
    return failed ? decodeReason(failed.args.reason) : undefined
  }
}

/** The message of revert data (Error(string), a panic or a governance custom error), else the raw bytes. */
export function decodeReason(data: Hex): string {
  if (data === '0x') return 'reverted without a reason'
  return decodeRevertReason(data) ?? `reverted with ${data}`
}

// ---- numbers and times shown to people ------------------------------------------------------------

/** The smallest number of yes votes that approves a proposal with this threshold and voter count. */
export function yesNeeded(p: { thresholdPercent: number; comparator: '>' | '>='; votingParties: number }): number {
  const need = p.thresholdPercent * p.votingParties
  return p.comparator === '>=' ? Math.ceil(need / 100) : Math.floor(need / 100) + 1
}

/** `1m 52s`, `3h 2m`, `2d 4h`: the two largest units. */
export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.round(seconds))
  const parts: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  return parts.slice(0, 2).join(' ')
}

/** `in 1m 52s` or `3m 10s ago`, relative to `nowMs`. */
export function relativeTime(unixSeconds: number, nowMs: number): string {
  const diff = unixSeconds - nowMs / 1000
  return diff >= 0 ? `in ${formatDuration(diff)}` : `${formatDuration(-diff)} ago`
}

/** `2025-06-01 14:02:05 UTC+02:00`: the machine's local time, with its offset so nobody has to guess. */
export function localTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000)
  const p = (n: number) => String(n).padStart(2, '0')
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} UTC${sign}${p(Math.floor(Math.abs(offset) / 60))}:${p(Math.abs(offset) % 60)}`
}

/** `3d`, `12h`, `30m`, `45s` or plain seconds → seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim())
  if (!m) throw new ConfigError(flag, `expected a duration like 90, 30m, 12h or 3d, got "${text}"`)
  const seconds = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd']
  if (seconds < 1) throw new ConfigError(flag, 'the voting period must be at least 1 second')
  return seconds
}

// ---- decisions from flags -------------------------------------------------------------------------

/** A join request, as `quorate party join-request` writes it and `gov propose add-party/add-node --request` reads it. */
export const JoinRequestSchema = z.object({
  party: z.object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'expected a short lower-case id (letters, digits, dashes; at most 31 characters)'),
    name: z.string().min(1).max(100),
    kind: z.enum(PARTY_KINDS),
    admins: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address').transform((s) => s.toLowerCase() as Address)).min(1),
  }),
  node: z.object({
    address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address').transform((s) => s.toLowerCase() as Address),
    endpoint: z.string().regex(/^(wss:\/\/[^/\s]+)?$/, 'expected wss://host:port or ""').default(''),
    encryptionKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes of hex').optional(),
  }),
})
export type JoinRequest = z.output<typeof JoinRequestSchema>

export async function readJoinRequest(file: string): Promise<JoinRequest> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('--request', `cannot read the join request ${file}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError('--request', `${file} is not valid JSON`, { details: (err as Error).message })
  }
  try {
    return parseWith(JoinRequestSchema, json, file)
  } catch (err) {
    throw new ConfigError('--request', `${file}: ${errorMessage(err)}`)
  }
}

/** The decision flags of `gov propose` (commander's camelCase names). */
export interface DecisionFlags {
  request?: string
  partyId?: string
  name?: string
  kind?: string
  admin?: string[]
  node?: string
  endpoint?: string
  validator?: boolean
  encryptionKey?: string
  codeHash?: string
  codeFile?: string
  sourceFile?: string
  bytecodeFromRpc?: string
  proxy?: string
  implementation?: string
  decision?: string
  threshold?: number
  comparator?: string
  votingPeriod?: string
  veto?: string[]
  account?: string
  permissions?: string
  collectionFile?: string
  atBlock?: number
  blockPeriodMs?: number
  emptyBlockPeriodMs?: number
  gasLimit?: number
  protocol?: string
  minValidators?: number
}

type FlagName = keyof DecisionFlags

const CollectionFileSchema = z.object({
  id: z.string().min(1).max(31),
  controller: z.string().min(1).max(31),
  /** "7y", "90d", "12h" or seconds. */
  retention: z.union([z.number().int().positive(), z.string().regex(/^\d+[smhdy]$/, 'expected a duration like 90d or 7y')]),
  members: z.array(z.string().min(1).max(31)).min(1),
  grants: z
    .array(
      z.strictObject({
        party: z.string().min(1).max(31),
        purpose: z.string().min(1).max(31),
        basis: z.enum(LEGAL_BASES, { error: (iss) => `legal basis ${JSON.stringify(iss.input)} is not one of: ${LEGAL_BASES.join(', ')}` }),
      }),
    )
    .min(1),
})

/** A set-collection proposal's collection, from a YAML or JSON file (errors name the field). */
async function readCollectionFile(file: string): Promise<Omit<Extract<DecisionArgs, { decision: 'SetCollection' }>, 'decision'>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('--collection-file', `cannot read ${file}`)
  }
  const c = parseWith(CollectionFileSchema, parseYaml(text), file)
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, y: 365 * 86_400 } as const
  const retentionSeconds = typeof c.retention === 'number' ? c.retention : Number(c.retention.slice(0, -1)) * unit[c.retention.slice(-1) as keyof typeof unit]
  const collection = { id: c.id, controller: c.controller, retentionSeconds, members: c.members, grants: c.grants }
  validateCollection(collection)
  return collection
}

/** The flags of each decision this command builds (a decision type added later is refused until listed here). */
const FLAGS_OF: Partial<Record<Decision, FlagName[]>> = {
  AddParty: ['request', 'partyId', 'name', 'kind', 'admin'],
  SuspendParty: ['partyId'],
  ReinstateParty: ['partyId'],
  RemoveParty: ['partyId'],
  AddNode: ['request', 'node', 'partyId', 'endpoint', 'validator', 'encryptionKey'],
  RemoveNode: ['node'],
  AddValidator: ['node'],
  RemoveValidator: ['node'],
  ApproveCode: ['codeHash', 'codeFile', 'bytecodeFromRpc', 'sourceFile'],
  RevokeCode: ['codeHash', 'codeFile', 'bytecodeFromRpc'],
  UpgradeContract: ['proxy', 'implementation'],
  ChangePolicy: ['decision', 'threshold', 'comparator', 'votingPeriod', 'veto'],
  SetAccountPermissions: ['account', 'partyId', 'permissions'],
  SetCollection: ['collectionFile'],
  SetChainParameters: ['atBlock', 'blockPeriodMs', 'emptyBlockPeriodMs', 'gasLimit', 'protocol'],
  RotateAdmins: ['partyId', 'admin'],
  FreezeParty: ['partyId'],
  UnfreezeParty: ['partyId'],
  SetMinValidators: ['minValidators'],
}

/** `partyId` → `--party-id` */
export function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

const kebab = (d: string) => d.replace(/[A-Z]/g, (c, i: number) => `${i ? '-' : ''}${c.toLowerCase()}`)

/** `add-party`, `AddParty`, `addparty` → AddParty. */
export function parseDecisionName(text: string, flag = '<decision>'): Decision {
  const key = text.replace(/[-_\s]/g, '').toLowerCase()
  const found = DECISIONS.find((d) => d.toLowerCase() === key)
  if (!found) throw new ConfigError(flag, `unknown decision "${text}"; one of: ${DECISIONS.map(kebab).join(', ')}`)
  return found
}

export const DECISION_COMMANDS = DECISIONS.filter((d) => FLAGS_OF[d] !== undefined).map(kebab)

function requireFlag<T>(value: T | undefined, flag: string, decision: Decision): T {
  if (value === undefined || value === '') throw new ConfigError(flag, `${kebab(decision)} needs ${flag}`)
  return value
}

function addressFlag(value: string, flag: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new ConfigError(flag, `expected a 20-byte 0x-prefixed address, got "${value}"`)
  return value.toLowerCase() as Address
}

function partyIdFlag(value: string, flag = '--party-id'): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(value)) throw new ConfigError(flag, `"${value}" is not a party id (lower-case letters, digits and dashes, at most 31 characters)`)
  return value
}

function listFlag(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
}

/** Reads runtime bytecode from a hex file, or from a Hardhat / solc JSON artifact (deployedBytecode). */
export async function runtimeCodeFromFile(file: string): Promise<Hex> {
  let text: string
  try {
    text = (await readFile(file, 'utf8')).trim()
  } catch {
    throw new ConfigError('--code-file', `cannot read ${file}`)
  }
  let code = text
  if (text.startsWith('{')) {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new ConfigError('--code-file', `${file} is not valid JSON`, { details: (err as Error).message })
    }
    const artifact = json as { deployedBytecode?: unknown; evm?: { deployedBytecode?: { object?: unknown } } }
    const found =
      typeof artifact.deployedBytecode === 'string'
        ? artifact.deployedBytecode
        : typeof (artifact.deployedBytecode as { object?: unknown } | undefined)?.object === 'string'
          ? (artifact.deployedBytecode as { object: string }).object
          : artifact.evm?.deployedBytecode?.object
    if (typeof found !== 'string') throw new ConfigError('--code-file', `${file} has no deployedBytecode (the RUNTIME code is hashed, not the creation code)`)
    code = found
  }
  code = code.startsWith('0x') ? code : `0x${code}`
  if (code.includes('__')) throw new ConfigError('--code-file', `${file} holds unlinked library placeholders; link the libraries first`)
  if (!/^0x([0-9a-fA-F]{2})+$/.test(code)) throw new ConfigError('--code-file', `${file} must hold runtime bytecode as hex, or a JSON artifact with deployedBytecode`)
  return code.toLowerCase() as Hex
}

export function codeHashOf(code: Hex): Hex {
  return `0x${Buffer.from(keccak256(Buffer.from(code.slice(2), 'hex'))).toString('hex')}` as Hex
}

export interface DecisionContext {
  /** Current policies, so `change-policy` may give only what changes. */
  policies: () => Promise<PolicyInfo[]>
  /** eth_getCode at the latest block. */
  code: (address: Address) => Promise<Hex>
}

/** Turns `gov propose <decision>` flags into typed decision arguments; a bad or foreign flag is named (exit 2). */
export async function buildDecision(decisionText: string, flags: DecisionFlags, ctx: DecisionContext): Promise<DecisionArgs> {
  const decision = parseDecisionName(decisionText)
  const own = FLAGS_OF[decision]
  if (!own) throw new ConfigError('<decision>', `\`gov propose\` does not build ${kebab(decision)} proposals; use the tooling of that feature`)
  const allowed = new Set<string>(own)
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) continue
    if (!allowed.has(name)) {
      throw new ConfigError(flagOf(name), `does not apply to ${kebab(decision)}; it takes ${own.map(flagOf).join(', ')}`)
    }
  }
  const request = flags.request !== undefined ? await readJoinRequest(flags.request) : undefined
  switch (decision) {
    case 'AddParty': {
      const id = partyIdFlag(requireFlag(flags.partyId ?? request?.party.id, '--party-id', decision))
      const name = requireFlag(flags.name ?? request?.party.name, '--name', decision)
      if (name.length > 100) throw new ConfigError('--name', 'at most 100 characters')
      const kind = requireFlag(flags.kind ?? request?.party.kind, '--kind', decision)
      if (!(PARTY_KINDS as readonly string[]).includes(kind)) throw new ConfigError('--kind', `expected member, regulator or observer, got "${kind}"`)
      const admins = flags.admin?.length ? listFlag(flags.admin).map((a) => addressFlag(a, '--admin')) : (request?.party.admins ?? [])
      if (admins.length === 0) throw new ConfigError('--admin', 'add-party needs at least one --admin <address> (or --request)')
      return { decision, id, name, kind: kind as PartyKind, admins }
    }
    case 'SuspendParty':
    case 'ReinstateParty':
    case 'RemoveParty':
    case 'FreezeParty':
    case 'UnfreezeParty':
      return { decision, id: partyIdFlag(requireFlag(flags.partyId, '--party-id', decision)) }
    case 'RotateAdmins': {
      const admins = listFlag(flags.admin).map((a) => addressFlag(a, '--admin'))
      if (admins.length === 0) throw new ConfigError('--admin', 'rotate-admins needs the new admin keys: --admin <address> (repeatable; list a key again to keep it)')
      return { decision, id: partyIdFlag(requireFlag(flags.partyId, '--party-id', decision)), admins }
    }
    case 'SetMinValidators':
      return { decision, minValidators: requireFlag(flags.minValidators, '--min-validators', decision) }
    case 'AddNode': {
      const node = addressFlag(requireFlag(flags.node ?? request?.node.address, '--node', decision), '--node')
      const party = partyIdFlag(requireFlag(flags.partyId ?? request?.party.id, '--party-id', decision))
      const endpoint = flags.endpoint ?? request?.node.endpoint ?? ''
      if (!/^(wss:\/\/[^/\s]+)?$/.test(endpoint)) throw new ConfigError('--endpoint', `expected wss://host:port (or nothing for an outbound-only node), got "${endpoint}"`)
      const encryptionKey = flags.encryptionKey ?? request?.node.encryptionKey
      if (encryptionKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(encryptionKey)) throw new ConfigError('--encryption-key', 'expected a 32-byte X25519 public key as 0x hex')
      return { decision, node, party, endpoint, validator: flags.validator === true, ...(encryptionKey ? { encryptionKey: encryptionKey.toLowerCase() as Hex } : {}) }
    }
    case 'RemoveNode':
    case 'AddValidator':
    case 'RemoveValidator':
      return { decision, node: addressFlag(requireFlag(flags.node, '--node', decision), '--node') }
    case 'ApproveCode':
    case 'RevokeCode': {
      const given = (['codeHash', 'codeFile', 'bytecodeFromRpc'] as const).filter((f) => flags[f] !== undefined)
      if (given.length !== 1) throw new ConfigError('--code-hash', `${kebab(decision)} needs exactly one of --code-hash, --code-file or --bytecode-from-rpc`)
      if (flags.codeHash !== undefined) {
        if (!/^0x[0-9a-fA-F]{64}$/.test(flags.codeHash)) throw new ConfigError('--code-hash', 'expected the 32-byte keccak256 hash of the runtime bytecode as 0x hex')
        return { decision, codeHash: flags.codeHash.toLowerCase() as Hex }
      }
      if (flags.codeFile !== undefined) return { decision, codeHash: codeHashOf(await runtimeCodeFromFile(flags.codeFile)) }
      const at = addressFlag(flags.bytecodeFromRpc!, '--bytecode-from-rpc')
      const code = await ctx.code(at)
      if (code === '0x') throw new ConfigError('--bytecode-from-rpc', `there is no contract code at ${at} on this chain`)
      return { decision, codeHash: codeHashOf(code) }
    }
    case 'SetCollection':
      return { decision, ...(await readCollectionFile(requireFlag(flags.collectionFile, '--collection-file', decision))) }
    case 'UpgradeContract':
      return {
        decision,
        proxy: addressFlag(requireFlag(flags.proxy, '--proxy', decision), '--proxy'),
        implementation: addressFlag(requireFlag(flags.implementation, '--implementation', decision), '--implementation'),
      }
    case 'ChangePolicy': {
      const target = parseDecisionName(requireFlag(flags.decision, '--decision', decision), '--decision')
      const current = (await ctx.policies()).find((p) => p.decision === target)
      if (flags.threshold === undefined && flags.comparator === undefined && flags.votingPeriod === undefined && flags.veto === undefined) {
        throw new ConfigError('--threshold', 'change-policy needs at least one of --threshold, --comparator, --voting-period, --veto')
      }
      const thresholdPercent = flags.threshold ?? current?.thresholdPercent
      if (thresholdPercent === undefined) throw new ConfigError('--threshold', `the current policy of ${target} is unknown; give --threshold`)
      if (!Number.isInteger(thresholdPercent) || thresholdPercent < 1 || thresholdPercent > 100) throw new ConfigError('--threshold', 'expected a percentage from 1 to 100')
      const comparator = flags.comparator ?? current?.comparator ?? '>'
      if (comparator !== '>' && comparator !== '>=') throw new ConfigError('--comparator', `expected ">" or ">=", got "${comparator}"`)
      const votingPeriodSeconds = flags.votingPeriod !== undefined ? parseDuration(flags.votingPeriod, '--voting-period') : current?.votingPeriodSeconds
      if (votingPeriodSeconds === undefined) throw new ConfigError('--voting-period', `the current policy of ${target} is unknown; give --voting-period`)
      const veto = flags.veto === undefined ? (current?.vetoParties ?? []) : listFlag(flags.veto).filter((v) => v !== 'none').map((v) => partyIdFlag(v, '--veto'))
      return { decision, target, thresholdPercent, comparator, votingPeriodSeconds, vetoParties: veto }
    }
    case 'SetAccountPermissions': {
      const account = addressFlag(requireFlag(flags.account, '--account', decision), '--account')
      const party = partyIdFlag(requireFlag(flags.partyId, '--party-id', decision))
      const perms = listFlag([requireFlag(flags.permissions, '--permissions', decision)]).filter((p) => p !== 'none')
      for (const p of perms) if (!(PERMISSIONS as readonly string[]).includes(p)) throw new ConfigError('--permissions', `unknown permission "${p}"; use transact, deploy, call (comma-separated) or none`)
      return { decision, account, party, permissions: perms as Permission[] }
    }
    case 'SetChainParameters': {
      const activationBlock = requireFlag(flags.atBlock, '--at-block', decision)
      const { blockPeriodMs, emptyBlockPeriodMs, gasLimit, protocol } = flags
      if (blockPeriodMs === undefined && emptyBlockPeriodMs === undefined && gasLimit === undefined && protocol === undefined) {
        throw new ConfigError('--block-period-ms', 'set-chain-parameters needs at least one of --block-period-ms, --empty-block-period-ms, --gas-limit, --protocol')
      }
      if (protocol !== undefined && !/^[a-z0-9./-]{1,32}$/.test(protocol)) throw new ConfigError('--protocol', `expected a protocol name like quorate/2 (1 to 32 of a-z 0-9 . / -), got "${protocol}"`)
      return {
        decision,
        activationBlock,
        ...(blockPeriodMs !== undefined ? { blockPeriodMs } : {}),
        ...(emptyBlockPeriodMs !== undefined ? { emptyBlockPeriodMs } : {}),
        ...(gasLimit !== undefined ? { gasLimit } : {}),
        ...(protocol !== undefined ? { protocol } : {}),
      }
    }
    default:
      throw new ConfigError('<decision>', `\`gov propose\` does not build ${kebab(decision)} proposals`)
  }
}

// ---- showing decisions and proposals ----------------------------------------------------------------

const str = (v: unknown) => (Array.isArray(v) ? v.map(String).join(', ') : String(v ?? ''))

/**
 * One line naming what a decision does: `newfund "New Fund" (member), admins 0x…`. Names and
 * descriptions come from the chain (any admin writes them): control characters are shown as `?`.
 */
export function summariseArgs(decision: string, args: Record<string, unknown>): string {
  return sanitizeCell(summary(decision, args))
}

function summary(decision: string, args: Record<string, unknown>): string {
  switch (decision) {
    case 'AddParty':
      return `${str(args.id)} "${str(args.name)}" (${str(args.kind)}), admins ${str(args.admins)}`
    case 'SuspendParty':
    case 'ReinstateParty':
    case 'RemoveParty':
    case 'FreezeParty':
    case 'UnfreezeParty':
      return str(args.id)
    case 'RotateAdmins':
      return `${str(args.id)}: admins ${str(args.admins)}`
    case 'SetMinValidators':
      return `minValidators ${str(args.minValidators)}`
    case 'AddNode':
      return `${str(args.node)} of ${str(args.party)}${args.endpoint ? ` at ${str(args.endpoint)}` : ', outbound-only'}${args.validator ? ', as validator' : ''}`
    case 'RemoveNode':
    case 'AddValidator':
    case 'RemoveValidator':
      return str(args.node)
    case 'ApproveCode':
    case 'RevokeCode':
      return `code hash ${str(args.codeHash)}`
    case 'UpgradeContract':
      return `proxy ${str(args.proxy)} -> ${str(args.implementation)}`
    case 'ChangePolicy':
      return `${str(args.target)}: ${str(args.comparator)} ${str(args.thresholdPercent)}%, ${formatDuration(Number(args.votingPeriodSeconds))}, veto ${str(args.vetoParties) || 'none'}`
    case 'SetAccountPermissions':
      return `${str(args.account)} of ${str(args.party)}: ${str(args.permissions) || 'none'}`
    case 'SetChainParameters': {
      const changes = CHAIN_PARAM_ROWS.filter(([key]) => args[key] !== undefined).map(([key, label, unit]) => `${label} ${str(args[key])}${unit}`)
      return `from block ${str(args.activationBlock)}: ${changes.join(', ')}`
    }
    case 'SetCollection':
      return `collection ${str(args.id)} of ${str(args.controller)}, members ${str(args.members)}, retention ${formatDuration(Number(args.retentionSeconds))}, ${Array.isArray(args.grants) ? args.grants.length : 0} grant(s)`
    default:
      return JSON.stringify(args)
  }
}

/** The chain parameters as `gov show` and `gov params` name them: key, label, unit. */
const CHAIN_PARAM_ROWS = [
  ['blockPeriodMs', 'block period', ' ms'],
  ['emptyBlockPeriodMs', 'empty-block period', ' ms'],
  ['gasLimit', 'gas limit', ''],
  ['protocol', 'protocol', ''],
] as const

/**
 * `gov show` of a SetChainParameters proposal: each parameter as it is now and as proposed, from
 * the activation block on (`1000 ms → 2000 ms`, or `(unchanged)`).
 */
export function formatChainParameterDiff(args: Record<string, unknown>, now: ChainParamsInfo): string {
  const lines = [`  chain parameters from block ${str(args.activationBlock)} (now → proposed)`]
  for (const [key, label, unit] of CHAIN_PARAM_ROWS) {
    const from = `${now[key]}${unit}`
    lines.push(`    ${label.padEnd(22)}${args[key] === undefined ? `${from} (unchanged)` : `${from} → ${str(args[key])}${unit}`}`)
  }
  return lines.map(sanitizeCell).join('\n')
}

/** `gov params`: the parameters of the next block, a change not yet in force, and whether this node stopped before one. */
export function formatChainParameters(p: ChainParametersInfo): string {
  const lines = [`chain parameters of block ${p.head + 1} (head ${p.head})`]
  for (const [key, label, unit] of CHAIN_PARAM_ROWS) {
    const changed = p.scheduled && p.scheduled[key] !== p.current[key]
    lines.push(`  ${label.padEnd(22)}${p.current[key]}${unit}${changed ? `  → ${p.scheduled![key]}${unit} from block ${p.scheduled!.activationBlock}` : ''}`)
  }
  lines.push(p.scheduled ? `scheduled: a change from block ${p.scheduled.activationBlock} (${p.scheduled.activationBlock - p.head - 1} blocks from now)` : 'scheduled: nothing')
  lines.push(`this node supports protocols: ${p.supportedProtocols.join(', ')}`)
  if (p.scheduled && !p.supportedProtocols.includes(p.scheduled.protocol)) {
    lines.push(`WARNING: protocol ${p.scheduled.protocol} is scheduled from block ${p.scheduled.activationBlock}; this node will stop before it: upgrade its software first`)
  }
  if (p.stoppedAtUpgrade) lines.push(`STOPPED: ${p.stoppedAtUpgrade.message}`)
  return `${lines.map(sanitizeCell).join('\n')}\n`
}

/** The argument rows of a decision, for `gov show`; a collection's grants get one row each. */
function argRows(args: Record<string, unknown>): [string, string][] {
  return Object.entries(args)
    .filter(([k, v]) => k !== 'decision' && !(k === 'encryptionKey' && /^0x0+$/.test(String(v))))
    .flatMap(([k, v]): [string, string][] => {
      if (k === 'grants') return grantLines(v).map((line, i): [string, string] => [i === 0 ? k : '', line])
      return [[k, k === 'votingPeriodSeconds' || k === 'retentionSeconds' ? `${str(v)} s (${formatDuration(Number(v))})` : str(v) || '(none)']]
    })
}

/** A collection's grants as `party: purpose (legal basis)`, e.g. `insurer: billing (contract)`. */
function grantLines(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) return ['(none)']
  return v.map((g: { party?: unknown; purpose?: unknown; basis?: unknown }) => `${str(g.party)}: ${str(g.purpose)} (${str(g.basis)})`)
}

/** The state as a person should read it: an open proposal past its deadline can only be closed. */
export function stateText(p: ProposalInfo, nowMs: number): string {
  if (p.state === 'open' && p.deadline < nowMs / 1000) return 'open, voting ended'
  return p.state
}

const STATE_COLOUR: Record<string, Colour | undefined> = { approved: 'green', rejected: 'red', failed: 'red', expired: 'dim', open: 'yellow' }

function votesText(p: ProposalInfo): string {
  return `${p.yes} yes / ${p.no} no, needs ${yesNeeded(p)} of ${p.votingParties}`
}

export function formatProposals(proposals: readonly ProposalInfo[], nowMs: number, colour = false): string {
  const columns: Column<ProposalInfo>[] = [
    { header: 'ID', cell: (p) => `#${p.id}`, align: 'right' },
    { header: 'DECISION', cell: (p) => p.decision },
    { header: 'WHAT', cell: (p) => summariseArgs(p.decision, p.args) },
    { header: 'PROPOSER', cell: (p) => p.proposer },
    { header: 'STATE', cell: (p) => stateText(p, nowMs), colour: (p) => STATE_COLOUR[p.state] },
    { header: 'VOTES', cell: votesText },
    { header: 'DEADLINE', cell: (p) => (p.state === 'open' ? relativeTime(p.deadline, nowMs) : '-') },
    { header: 'DESCRIPTION', cell: (p) => { const d = withoutCodeInfo(p.description); return d.length > 48 ? `${d.slice(0, 47)}…` : d } },
  ]
  return proposals.length ? renderTable(columns, proposals, { colour }) : 'no proposals\n'
}

export function formatParties(parties: readonly PartyInfo[], nodes: readonly NodeInfo[], colour = false): string {
  return renderTable<PartyInfo>(
    [
      { header: 'ID', cell: (p) => p.id },
      { header: 'NAME', cell: (p) => p.name },
      { header: 'KIND', cell: (p) => p.kind },
      { header: 'STATUS', cell: (p) => p.status, colour: (p) => (p.status === 'active' ? 'green' : p.status === 'removed' ? 'dim' : 'yellow') },
      { header: 'VOTES', cell: (p) => (p.status === 'active' && p.kind !== 'observer' ? 'yes' : 'no') },
      { header: 'NODES', cell: (p) => String(nodes.filter((n) => n.party === p.id && n.status === 'active').length), align: 'right' },
      { header: 'ADMINS', cell: (p) => p.admins.join(', ') },
    ],
    parties,
    { colour },
  )
}

/** "validator" only when it counts (its party active too); a flagged node of a suspended party does not. */
function nodeRole(n: NodeInfo, validators: readonly Address[]): string {
  if (validators.includes(n.address)) return 'validator'
  if (n.candidate) return 'validator candidate (joins when live)'
  return n.validator && n.status === 'active' ? 'validator (party not active)' : '-'
}

export function formatNodes(nodes: readonly NodeInfo[], validators: readonly Address[], colour = false): string {
  return renderTable<NodeInfo>(
    [
      { header: 'ADDRESS', cell: (n) => n.address },
      { header: 'PARTY', cell: (n) => n.party },
      { header: 'STATUS', cell: (n) => n.status, colour: (n) => (n.status === 'active' ? 'green' : 'dim') },
      { header: 'ROLE', cell: (n) => nodeRole(n, validators) },
      { header: 'ENDPOINT', cell: (n) => n.endpoint || '(outbound only)' },
    ],
    nodes,
    { colour },
  )
}

export function formatAccounts(accounts: readonly AccountInfo[], colour = false): string {
  if (accounts.length === 0) return 'no registered accounts (admins of active parties have every permission)\n'
  return renderTable<AccountInfo>(
    [
      { header: 'ACCOUNT', cell: (a) => a.address },
      { header: 'PARTY', cell: (a) => a.party },
      { header: 'PERMISSIONS', cell: (a) => a.permissions.join(',') || 'none' },
      { header: 'EFFECTIVE', cell: (a) => (a.effectivePermissions ?? a.permissions).join(',') || 'none (party not active)' },
    ],
    accounts,
    { colour },
  )
}

export function formatCodes(rows: readonly (ApprovedCode & { proposal: number | null; declared?: ReturnType<typeof codeInfoOf> | null })[], colour = false): string {
  if (rows.length === 0) return 'no approved code\n'
  return renderTable(
    [
      { header: 'CODE HASH', cell: (c) => c.codeHash },
      { header: 'CONTRACT', cell: (c) => c.declared?.name ?? '-' },
      { header: 'SIZE', cell: (c) => (c.declared ? `${c.declared.size} B` : '-'), align: 'right' },
      { header: 'PROPOSAL', cell: (c) => (c.proposal === null ? '-' : `#${c.proposal}`), align: 'right' },
      { header: 'APPROVED AT', cell: (c) => `block ${c.block}` },
    ],
    rows,
    { colour },
  )
}

export function formatPolicies(policies: readonly PolicyInfo[], colour = false): string {
  return renderTable<PolicyInfo>(
    [
      { header: 'DECISION', cell: (p) => p.decision },
      { header: 'APPROVED WHEN YES', cell: (p) => `${p.comparator} ${p.thresholdPercent}%` },
      { header: 'VOTING PERIOD', cell: (p) => formatDuration(p.votingPeriodSeconds) },
      { header: 'VETO', cell: (p) => p.vetoParties.join(', ') || '-' },
    ],
    policies,
    { colour },
  )
}

/** EIP-170: the largest runtime code a contract may have. */
const MAX_CODE_SIZE = 24_576

/** What an ApproveCode / RevokeCode proposal declares about its code (gov-code.ts), as rows. */
function codeRows(p: ProposalInfo): [string, string][] {
  const info = codeInfoOf(p.description)
  if (!info) return [['code size', 'not declared (the proposal gives only the hash; ask the proposer for the artifact)']]
  return [
    ['code size', `${info.size} bytes (EIP-170 limit ${MAX_CODE_SIZE})`],
    ['contract', info.name ?? '(not declared)'],
    ['source keccak256', info.sourceKeccak256 ?? '(not declared)'],
    ['', 'declared by the proposer: hash your own build to check (quorate gov propose approve-code --code-file <artifact> prints the hash)'],
  ]
}

/** A ChangePolicy proposal against the policy in force: `threshold  > 50% → >= 66%`, one row per field that changes. */
export function policyDiffRows(p: ProposalInfo, policies: readonly PolicyInfo[]): [string, string][] {
  const current = policies.find((x) => x.decision === p.args.target)
  if (!current) return [['current policy', `unknown for ${str(p.args.target)}`]]
  const proposed = { threshold: `${str(p.args.comparator)} ${str(p.args.thresholdPercent)}%`, period: formatDuration(Number(p.args.votingPeriodSeconds)), veto: str(p.args.vetoParties) || 'none' }
  const now = { threshold: `${current.comparator} ${current.thresholdPercent}%`, period: formatDuration(current.votingPeriodSeconds), veto: current.vetoParties.join(', ') || 'none' }
  const rows: [string, string][] = []
  for (const [k, label] of [['threshold', 'threshold'], ['period', 'voting period'], ['veto', 'veto']] as const) {
    rows.push([label, now[k] === proposed[k] ? `${now[k]} (unchanged)` : `${now[k]} → ${proposed[k]}`])
  }
  return rows
}

/** `gov show`: the proposal with its arguments, votes per party, threshold and deadline. */
export function formatProposal(p: ProposalInfo, parties: readonly PartyInfo[], nowMs: number, colour = false, policies?: readonly PolicyInfo[]): string {
  const lines: string[] = []
  const kv = (k: string, v: string) => lines.push(`  ${k.padEnd(12)}${sanitizeCell(v)}`)
  lines.push(sanitizeCell(`Proposal #${p.id}: ${p.decision} — ${stateText(p, nowMs)}`))
  kv('description', withoutCodeInfo(p.description) || '(none)')
  kv('proposer', p.proposer)
  lines.push('  arguments')
  for (const [k, v] of argRows(p.args)) lines.push(sanitizeCell(`    ${k.padEnd(22)}${v}`))
  if (p.decision === 'ApproveCode' || p.decision === 'RevokeCode') for (const [k, v] of codeRows(p)) lines.push(sanitizeCell(`    ${k.padEnd(22)}${v}`))
  if (p.decision === 'ChangePolicy' && policies) {
    lines.push(`  change${p.state === 'open' ? '' : ' (against the policy in force now)'}`)
    for (const [k, v] of policyDiffRows(p, policies)) lines.push(sanitizeCell(`    ${k.padEnd(22)}${v}`))
  }
  kv('created', `${localTime(p.createdAt)} (${relativeTime(p.createdAt, nowMs)})`)
  kv(p.state === 'open' ? 'deadline' : 'was due', `${localTime(p.deadline)} (${relativeTime(p.deadline, nowMs)})`)
  kv('votes', `${p.yes} yes, ${p.no} no of ${p.votingParties} voting parties; approved at ${yesNeeded(p)} yes (${p.comparator} ${p.thresholdPercent}%)`)
  kv('veto', p.vetoParties.length ? `a no from ${p.vetoParties.join(' or ')} rejects at once` : 'none')
  const voted = new Map(p.votes.map((v) => [v.party, v.support]))
  // Voting parties now, plus any that voted and have since left; the voter set of the proposal is frozen at creation.
  const rows = [...new Set([...parties.filter((x) => x.status === 'active' && x.kind !== 'observer').map((x) => x.id), ...voted.keys()])]
  lines.push('')
  const table = renderTable<string>(
    [
      { header: 'PARTY', cell: (id) => `${id}${p.vetoParties.includes(id) ? ' (veto)' : ''}` },
      { header: 'VOTE', cell: (id) => (voted.has(id) ? (voted.get(id) ? 'yes' : 'no') : '-'), colour: (id) => (voted.has(id) ? (voted.get(id) ? 'green' : 'red') : 'dim') },
    ],
    rows,
    { colour },
  )
  return `${lines.join('\n')}\n${table}`
}

// ---- commands ----------------------------------------------------------------------------------------

export interface GovIo {
  out: (text: string) => void
  err: (text: string) => void
  colour?: boolean
  now?: () => number
  env?: Record<string, string | undefined>
}

export const LIST_WHAT = ['proposals', 'parties', 'nodes', 'accounts', 'policies', 'code'] as const
export type ListWhat = (typeof LIST_WHAT)[number]

export async function runGovList(what: ListWhat, opts: { rpc: string; state?: ProposalState; json: boolean }, io: GovIo): Promise<number> {
  if (opts.state !== undefined && what !== 'proposals') throw new ConfigError('--state', `applies to \`gov list proposals\` only, not to ${what}`)
  const gov = new GovReader(opts.rpc)
  const now = (io.now ?? Date.now)()
  const colour = io.colour ?? false
  const json = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`)
  switch (what) {
    case 'proposals': {
      const proposals = await gov.proposals(opts.state)
      if (opts.json) json(proposals)
      else io.out(formatProposals(proposals, now, colour))
      break
    }
    case 'parties': {
      const [parties, nodes] = await Promise.all([gov.parties(), gov.nodes()])
      if (opts.json) json(parties)
      else io.out(formatParties(parties, nodes, colour))
      break
    }
    case 'nodes': {
      const [nodes, validators] = await Promise.all([gov.nodes(), gov.validators()])
      if (opts.json) json(nodes.map((n) => ({ ...n, countsAsValidator: validators.includes(n.address) })))
      else io.out(formatNodes(nodes, validators, colour))
      break
    }
    case 'accounts': {
      const accounts = await gov.accounts()
      if (opts.json) json(accounts)
      else io.out(formatAccounts(accounts, colour))
      break
    }
    case 'policies': {
      const policies = await gov.policies()
      if (opts.json) json(policies)
      else io.out(formatPolicies(policies, colour))
      break
    }
    case 'code': {
      const [codes, proposals] = await Promise.all([approvedCodes((m, p) => gov.call(m, p)), gov.proposals('approved')])
      const rows = codes.map((c) => {
        const proposal = [...proposals].reverse().find((p) => p.decision === 'ApproveCode' && p.args.codeHash === c.codeHash)
        return { ...c, proposal: proposal?.id ?? null, ...(proposal ? { declared: codeInfoOf(proposal.description) ?? null } : {}) }
      })
      if (opts.json) json(rows)
      else io.out(formatCodes(rows, colour))
      break
    }
  }
  return 0
}

export async function runGovShow(id: number, opts: { rpc: string; json: boolean }, io: GovIo): Promise<number> {
  const gov = new GovReader(opts.rpc)
  const [proposal, parties] = await Promise.all([gov.proposal(id), gov.parties()])
  const policies = proposal.decision === 'ChangePolicy' ? await gov.policies() : undefined
  const now = (io.now ?? Date.now)()
  if (opts.json) {
    const code = proposal.decision === 'ApproveCode' || proposal.decision === 'RevokeCode' ? { code: codeInfoOf(proposal.description) ?? null } : {}
    const change = policies ? { currentPolicy: policies.find((x) => x.decision === proposal.args.target) ?? null } : {}
    io.out(`${JSON.stringify({ ...proposal, yesNeeded: yesNeeded(proposal), ...code, ...change }, null, 2)}\n`)
    return 0
  }
  io.out(formatProposal(proposal, parties, now, io.colour ?? false, policies))
  if (proposal.decision === 'SetChainParameters') io.out(`\n${formatChainParameterDiff(proposal.args, (await gov.chainParameters()).current)}\n`)
  io.out(`\n${nextStepText(proposal, opts.rpc, now)}\n`)
  return 0
}

export async function runGovParams(opts: { rpc: string; json: boolean }, io: GovIo): Promise<number> {
  const params = await new GovReader(opts.rpc).chainParameters()
  io.out(opts.json ? `${JSON.stringify(params, null, 2)}\n` : formatChainParameters(params))
  return 0
}

/** What to run next for a proposal in its current state. */
export function nextStepText(p: ProposalInfo, rpc: string, nowMs: number): string {
  if (p.state === 'open' && p.deadline < nowMs / 1000) return `voting has ended undecided; close it with: quorate gov execute ${p.id} --key-file <admin key> --rpc ${rpc}`
  switch (p.state) {
    case 'open':
      return `next: each voting party that has not voted runs: quorate gov vote ${p.id} yes|no --key-file <its admin key> --rpc ${rpc}`
    case 'approved':
      return 'approved: the decision was executed in the transaction of the deciding vote'
    case 'rejected':
      return 'rejected: nothing was changed'
    case 'expired':
      return 'expired: nothing was changed; propose it again if it is still wanted'
    case 'failed':
      return 'failed: approved, but the action was refused when it ran (the reason is in the ProposalFailed event; `gov vote` prints it); nothing was changed'
  }
}

/** An admin's governance client, with every failure turned into a refusal that names its rule. */
export class AdminSession {
  private constructor(
    readonly gov: GovReader,
    readonly client: GovernanceClient,
    readonly key: AdminKey,
  ) {}

  static async open(rpc: string, sources: AdminKeySources, warn: (m: string) => void, waitSeconds?: number): Promise<AdminSession> {
    const key = await readAdminKey(sources, warn)
    const gov = new GovReader(rpc)
    await gov.call('eth_chainId') // fails fast (NODE_UNREACHABLE) instead of viem's retries
    const client = await GovernanceClient.connect(rpc, key.privateKey, waitSeconds === undefined ? undefined : waitSeconds * 1000)
    return new AdminSession(gov, client, key)
  }

  /** The party whose admin this key is (undefined if none). */
  async party(): Promise<PartyInfo | undefined> {
    return (await this.gov.parties()).find((p) => p.admins.includes(this.key.address))
  }

  async act<T>(action: string, fn: (c: GovernanceClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client)
    } catch (err) {
      if (err instanceof TxNotFinalError) throw err
      const reason = err instanceof GovernanceActionError ? err.shortMessage.replace(/^\w+ refused: /, '') : err instanceof QuorateError ? err.shortMessage : revertReason(err)
      throw new GovernanceActionError(action, `${reason} (sent as ${this.key.address}, the key from ${this.key.source})`)
    }
  }

  /** Votes, then reads the proposal's new state (and the failure reason if the vote executed it and it failed). */
  async vote(id: number, support: boolean): Promise<{ proposal: ProposalInfo; failure?: string | undefined; txHash: Hex }> {
    // The client sends votes with a fixed, generous gas limit, so a vote that turns out to decide the
    // proposal (others voted meanwhile) has the gas to execute it.
    const result = await this.act('vote', (c) => c.vote(id, support))
    const proposal = await this.gov.proposal(id)
    const failure = proposal.state === 'failed' ? await this.gov.failureReason(result.txHash) : undefined
    return { proposal, failure, txHash: result.txHash }
  }
}

/** `#3 is now approved (3 yes, 0 no of 4; approved at 3)` and, if it failed, why. */
export function voteOutcomeText(p: ProposalInfo, failure: string | undefined): string {
  const counts = `${p.yes} yes, ${p.no} no of ${p.votingParties} voting parties; approved at ${yesNeeded(p)} yes`
  const base = `proposal #${p.id} (${p.decision} ${summariseArgs(p.decision, p.args)}) is now ${p.state} (${counts})`
  if (p.state === 'failed') return `${base}\nthe decision was refused when it ran: ${failure ?? 'reason unknown'}`
  if (p.state === 'approved' && p.decision === 'SetChainParameters') return `${base}\nthe change is scheduled: every node switches at block ${str(p.args.activationBlock)} (see: quorate gov params)`
  if (p.state === 'approved') return `${base}\nthe decision is executed: it is in force from the next block`
  if (p.state === 'rejected') {
    const veto = p.votes.find((v) => !v.support && p.vetoParties.includes(v.party))
    return `${base}\n${veto ? `${veto.party} has a veto on ${p.decision} and voted no` : `yes can no longer reach ${yesNeeded(p)}`}: nothing was changed`
  }
  return base
}

/** A proposal refused before anything was sent, by a check of this command (not the contract). */
export class ProposalRefusedError extends QuorateError {
  override name = 'ProposalRefusedError'
  constructor(rule: string, message: string, fix: string, action: 'propose' | 'vote' = 'propose') {
    super('PROPOSAL_REFUSED', `${action} refused before sending (rule: ${rule}): ${message}`, { details: fix })
  }
}

/** How many recent blocks a validator must have sealed or proposed in to count as live. */
export const LIVENESS_BLOCKS = 50

/**
 * Refuses a validator change that would leave fewer live validators than a quorum (see
 * governance/liveness.ts). Live: connected to the node behind --rpc, or that node itself (admin_peers,
 * admin_nodeInfo; with peering from governance every node dials every admitted one). When the node
 * does not answer admin_*, validators that sealed or proposed one of the last LIVENESS_BLOCKS blocks
 * count instead (stale on a halted chain). Says so and lets it pass when neither is available.
 */
export async function checkLiveness(gov: GovReader, args: DecisionArgs, warn: (m: string) => void, action: 'propose' | 'vote' = 'propose'): Promise<void> {
  const [validators, nodes] = await Promise.all([gov.validators(), gov.nodes()])
  if (!validatorsAfter(args, validators, nodes)) return
  const connected = await gov.connectedNodes()
  const live = connected.size > 0 ? connected : await gov.recentSealers(LIVENESS_BLOCKS)
  if (!live) {
    warn(`warning: ${gov.rpcUrl} reports neither its peers (admin_peers) nor seals (qbft_getSignerMetrics); the liveness of the validators after this change is not checked`)
    return
  }
  const short = livenessShortfall(args, validators, nodes, live)
  if (short) {
    throw new ProposalRefusedError(
      'quorum of live validators',
      shortfallText(short),
      'bring those validators online (quorate status shows them) or change the set in smaller steps; --force sends it anyway (docs/runbooks/recovery.md if the chain halts)',
      action,
    )
  }
}

/**
 * Refuses a SetChainParameters proposal naming a protocol version the node behind --rpc does not
 * support: once in force, every node without it stops before the activation block, and a chain
 * whose validators all stopped can pass no vote to undo it. Software first, vote second
 * (docs/runbooks/change.md).
 */
export async function checkProtocolSupported(gov: GovReader, args: DecisionArgs): Promise<void> {
  if (args.decision !== 'SetChainParameters' || args.protocol === undefined) return
  const { supportedProtocols } = await gov.chainParameters()
  if (supportedProtocols.includes(args.protocol)) return
  throw new ProposalRefusedError(
    'supported protocol',
    `the node behind ${gov.rpcUrl} supports only ${supportedProtocols.join(', ')}; with ${args.protocol} in force from block ${args.activationBlock}, every node that does not support it stops at block ${args.activationBlock - 1}, and a chain whose validators stopped passes no vote to undo it`,
    `roll out a release that supports ${args.protocol} to every node first (quorate gov params on each lists what it supports), then propose it; --force sends it anyway`,
  )
}

/**
 * Decisions that can apply once per subject: a second open proposal for the same subject is doomed
 * (whichever is approved second fails), so it is refused and the open one named instead.
 */
const ONCE_PER_SUBJECT: Partial<Record<string, string>> = {
  AddParty: 'id',
  SuspendParty: 'id',
  ReinstateParty: 'id',
  RemoveParty: 'id',
  FreezeParty: 'id',
  UnfreezeParty: 'id',
  AddNode: 'node',
  RemoveNode: 'node',
  AddValidator: 'node',
  RemoveValidator: 'node',
  ApproveCode: 'codeHash',
  RevokeCode: 'codeHash',
}

/** The open proposal (voting not ended) that already makes the change `args` makes to the same subject. */
export function sameChangeOpen(args: DecisionArgs, open: readonly ProposalInfo[], nowSeconds: number): ProposalInfo | undefined {
  const key = ONCE_PER_SUBJECT[args.decision]
  if (key === undefined) return undefined
  const fields: Record<string, unknown> = { ...args }
  const subject = String(fields[key]).toLowerCase()
  return open.find((p) => p.state === 'open' && p.deadline >= nowSeconds && p.decision === args.decision && String(p.args[key]).toLowerCase() === subject)
}

export async function checkNotPending(gov: GovReader, args: DecisionArgs, nowMs: number): Promise<void> {
  if (ONCE_PER_SUBJECT[args.decision] === undefined) return
  const same = sameChangeOpen(args, await gov.proposals('open'), nowMs / 1000)
  if (!same) return
  throw new ProposalRefusedError(
    'one open proposal per change',
    `proposal #${same.id} (${same.decision} ${summariseArgs(same.decision, same.args)}) is open and makes this change; whichever of the two were approved second would fail`,
    `vote on it: quorate gov vote ${same.id} yes|no --key-file <admin key> --rpc ${gov.rpcUrl}`,
  )
}

/** An ApproveCode description with the declared code facts appended (gov-code.ts), when the code is at hand. */
async function describedCode(description: string, flags: DecisionFlags, gov: GovReader): Promise<string> {
  if (flags.sourceFile !== undefined && flags.codeFile === undefined && flags.bytecodeFromRpc === undefined) {
    throw new ConfigError('--source-file', 'goes with --code-file or --bytecode-from-rpc (the size and name come from the code)')
  }
  const code = flags.codeFile !== undefined ? await runtimeCodeFromFile(flags.codeFile) : flags.bytecodeFromRpc !== undefined ? await gov.code(flags.bytecodeFromRpc.toLowerCase() as Address) : undefined
  return code ? withCodeInfo(description, await declareCode(code, flags.codeFile, flags.sourceFile)) : description
}

export interface ProposeOptions extends DecisionFlags {
  rpc: string
  description: string
  keyFile?: string
  key?: string
  json?: boolean
  /** Seconds to wait for the receipt before reporting "sent, not yet final". */
  wait?: number
  /** Send even if the change would leave fewer live validators than a quorum. */
  force?: boolean
}

export async function runGovPropose(decisionText: string, opts: ProposeOptions, io: GovIo): Promise<number> {
  const { rpc, description, keyFile, key, json, wait, force, ...flags } = opts
  if (description.trim() === '') throw new ConfigError('--description', 'say why, for the other parties (it stays in the audit trail)')
  const gov = new GovReader(rpc)
  const args = await buildDecision(decisionText, flags, { policies: () => gov.policies(), code: (a) => gov.code(a) })
  const text = args.decision === 'ApproveCode' ? await describedCode(description, flags, gov) : description
  await checkNotPending(gov, args, (io.now ?? Date.now)())
  if (force) io.err('warning: --force: the liveness of the validator set and the protocol support after this change are not checked')
  else {
    await checkLiveness(gov, args, io.err)
    await checkProtocolSupported(gov, args)
  }
  const session = await AdminSession.open(rpc, { keyFile, key, env: io.env }, io.err, wait)
  const { id, txHash } = await session.act('propose', (c) => c.propose(args, text))
  const proposal = await gov.proposal(id)
  if (json) {
    io.out(`${JSON.stringify({ id, txHash, proposal }, null, 2)}\n`)
    return 0
  }
  const now = (io.now ?? Date.now)()
  io.out(
    [
      `proposal #${id} opened: ${proposal.decision} ${summariseArgs(proposal.decision, proposal.args)}`,
      `  voting closes ${localTime(proposal.deadline)} (${relativeTime(proposal.deadline, now)}); approved at ${yesNeeded(proposal)} yes of ${proposal.votingParties} voting parties`,
      '  proposing is not voting: your party votes too',
      `next: each voting party runs: quorate gov vote ${id} yes|no --key-file <its admin key> --rpc ${rpc}`,
      `      follow it with:           quorate gov show ${id} --rpc ${rpc}`,
      '',
    ].join('\n'),
  )
  return 0
}

/**
 * A yes vote may be the deciding one, which executes the change: the validators may have gone
 * silent since it was proposed, so the liveness check runs again (`--force` skips it).
 */
async function checkVoteLiveness(gov: GovReader, id: number, warn: (m: string) => void): Promise<void> {
  const p = await gov.proposal(id)
  if (p.state !== 'open') return
  // gov_getProposal shows the payload as decodeDecision decoded it.
  await checkLiveness(gov, { decision: p.decision, ...p.args } as DecisionArgs, warn, 'vote')
}

export async function runGovVote(
  id: number,
  choice: 'yes' | 'no',
  opts: { rpc: string; keyFile?: string; key?: string; json?: boolean; wait?: number; force?: boolean },
  io: GovIo,
): Promise<number> {
  if (choice === 'yes') {
    if (opts.force) io.err('warning: --force: the liveness of the validator set after this change is not checked')
    else await checkVoteLiveness(new GovReader(opts.rpc), id, io.err)
  }
  const session = await AdminSession.open(opts.rpc, { keyFile: opts.keyFile, key: opts.key, env: io.env }, io.err, opts.wait)
  const { proposal, failure, txHash } = await session.vote(id, choice === 'yes')
  if (opts.json) io.out(`${JSON.stringify({ id, txHash, state: proposal.state, yes: proposal.yes, no: proposal.no, failure }, null, 2)}\n`)
  else io.out(`${voteOutcomeText(proposal, failure)}\n`)
  // The vote counted, but a failed decision is a refusal by a rule: the caller must see it.
  return proposal.state === 'failed' ? 1 : 0
}

export async function runGovExecute(id: number, opts: { rpc: string; keyFile?: string; key?: string; wait?: number }, io: GovIo): Promise<number> {
  const session = await AdminSession.open(opts.rpc, { keyFile: opts.keyFile, key: opts.key, env: io.env }, io.err, opts.wait)
  await session.act('execute', (c) => c.finalize(id))
  const proposal = await session.gov.proposal(id)
  io.out(`proposal #${id} is now ${proposal.state}: voting ended undecided (${proposal.yes} yes, ${proposal.no} no of ${proposal.votingParties}); nothing was changed\n`)
  return 0
}

// ---- commander wiring (thin: every action calls one function above) --------------------------------

/** Usage errors (unknown flag, missing argument, bad value) exit 2; help and version exit 0. */
export function usageExitCodes(cmd: Command): Command {
  return cmd.showHelpAfterError().exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 2))
}

export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`${name} must be a positive integer`)
    return Number(value)
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** The admin key flags shared by every command that signs. */
export function keyOptions(cmd: Command): Command {
  return cmd
    .option('--key-file <path>', 'file holding the party admin\'s private key (0x hex); or set QUORATE_ADMIN_KEY')
    .addOption(new Option('--key <hex>', 'the admin private key on the command line: development chains only (prints a warning)').hideHelp())
    .option('--wait <seconds>', 'how long to wait for the transaction to be final; after that it is reported "sent, not yet final" (exit 6)', positiveInt('--wait'))
}

function io(): GovIo {
  return { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(`${t}\n`), colour: shouldColour(process.stdout) }
}

const setExit = (code: number) => {
  process.exitCode = code
}

export function govCommand(): Command {
  const gov = usageExitCodes(new Command('gov')).description('consortium governance: list, show, propose, vote on and close proposals')
  gov
    .command('list')
    .description('list proposals (default), parties, nodes, accounts, policies or approved code')
    .addArgument(new Argument('[what]', 'what to list').choices(LIST_WHAT).default('proposals'))
    .addOption(new Option('--state <state>', 'only proposals in this state').choices(['open', 'approved', 'rejected', 'expired', 'failed']))
    .addOption(rpcOption())
    .option('--json', 'print JSON instead of a table', false)
    .action(async (what: ListWhat, o: { rpc: string; state?: ProposalState; json: boolean }) => setExit(await runGovList(what, o, io())))
  gov
    .command('show')
    .description('a proposal: decision, arguments, votes per party, threshold and deadline')
    .argument('<id>', 'proposal id', positiveInt('<id>'))
    .addOption(rpcOption())
    .option('--json', 'print JSON', false)
    .action(async (id: number, o: { rpc: string; json: boolean }) => setExit(await runGovShow(id, o, io())))
  gov
    .command('params')
    .description('chain parameters: those of the next block, a change scheduled by vote, and the protocols this node supports')
    .addOption(rpcOption())
    .option('--json', 'print JSON', false)
    .action(async (o: { rpc: string; json: boolean }) => setExit(await runGovParams(o, io())))
  keyOptions(
    gov
      .command('propose')
      .description(`open a proposal; <decision> is one of: ${DECISION_COMMANDS.join(', ')}`)
      .argument('<decision>', 'the decision type, e.g. add-party')
      .requiredOption('--description <text>', 'why: shown to every party and kept in the audit trail')
      .addOption(rpcOption()),
  )
    .option('--request <file>', 'add-party / add-node: read the party or node from a join request (quorate party join-request)')
    .option('--party-id <id>', 'the party (add-party, suspend-/reinstate-/remove-party, freeze-/unfreeze-party, rotate-admins, add-node, set-account-permissions)')
    .option('--name <name>', 'add-party: the party\'s name')
    .option('--kind <kind>', 'add-party: member, regulator or observer')
    .option('--admin <address>', 'add-party, rotate-admins: an admin account; repeatable', collect)
    .option('--node <address>', 'add-node, remove-node, add-validator, remove-validator: the node address')
    .option('--endpoint <wss://host:port>', 'add-node: the node\'s P2P endpoint (omit for an outbound-only node)')
    .option('--validator', 'add-node: make it a validator candidate (its node activates itself once synced and connected)')
    .option('--encryption-key <hex>', 'add-node: the node\'s X25519 public key for private data')
    .option('--code-hash <hash>', 'approve-code / revoke-code: keccak256 of the RUNTIME bytecode')
    .option('--code-file <file>', 'approve-code / revoke-code: runtime bytecode (hex) or a JSON artifact with deployedBytecode, hashed here')
    .option('--bytecode-from-rpc <address>', 'approve-code / revoke-code: hash the code deployed at this address on --rpc')
    .option('--source-file <file>', 'approve-code: the contract\'s source; its keccak256 is declared in the description with the code size and name')
    .option('--proxy <address>', 'upgrade-contract: the governed proxy')
    .option('--implementation <address>', 'upgrade-contract: the new implementation (its code must be approved)')
    .option('--decision <decision>', 'change-policy: which decision type\'s policy')
    .option('--threshold <percent>', 'change-policy: 1..100', positiveInt('--threshold'))
    .option('--comparator <op>', 'change-policy: ">" or ">="')
    .option('--voting-period <duration>', 'change-policy: e.g. 3d, 12h, 30m or seconds')
    .option('--veto <party>', 'change-policy: a veto party; repeatable; "none" for none', collect)
    .option('--account <address>', 'set-account-permissions: the account')
    .option('--permissions <list>', 'set-account-permissions: comma-separated transact,deploy,call or none')
    .option('--min-validators <n>', 'set-min-validators: the new minimum (1 to the current validator count)', positiveInt('--min-validators'))
    .option('--collection-file <file>', 'set-collection: YAML or JSON {id, controller, retention, members, grants: [{party, purpose, basis}]}')
    .option('--at-block <n>', 'set-chain-parameters: the first block made under the new parameters (more than 10 blocks after the deciding vote)', positiveInt('--at-block'))
    .option('--block-period-ms <ms>', 'set-chain-parameters: minimum time between blocks (50..3600000)', positiveInt('--block-period-ms'))
    .option('--empty-block-period-ms <ms>', 'set-chain-parameters: time between empty blocks (50..86400000)', positiveInt('--empty-block-period-ms'))
    .option('--gas-limit <gas>', 'set-chain-parameters: block gas limit (5000000..2000000000)', positiveInt('--gas-limit'))
    .option('--protocol <name>', 'set-chain-parameters: protocol version, e.g. quorate/2 (every node must run a release that supports it)')
    .option('--force', 'send a validator change that would leave fewer live validators than a quorum, or a protocol the node behind --rpc does not support (recovery only)', false)
    .option('--json', 'print JSON', false)
    .action(async (decision: string, o: ProposeOptions) => setExit(await runGovPropose(decision, o, io())))
  keyOptions(
    gov
      .command('vote')
      .description("cast your party's vote; prints the proposal's new state (exit 1 if the vote executed it and the action was refused)")
      .argument('<id>', 'proposal id', positiveInt('<id>'))
      .addArgument(new Argument('<choice>', 'yes or no').choices(['yes', 'no']))
      .addOption(rpcOption()),
  )
    .option('--json', 'print JSON', false)
    .option('--force', 'vote yes on a validator change that would leave fewer live validators than a quorum (recovery only)', false)
    .action(async (id: number, choice: 'yes' | 'no', o: { rpc: string; keyFile?: string; key?: string; json: boolean; wait?: number; force: boolean }) => setExit(await runGovVote(id, choice, o, io())))
  keyOptions(
    gov
      .command('execute')
      .description('close a proposal whose voting period ended undecided (marks it expired); approval executes by itself at the deciding vote')
      .argument('<id>', 'proposal id', positiveInt('<id>'))
      .addOption(rpcOption()),
  ).action(async (id: number, o: { rpc: string; keyFile?: string; key?: string }) => setExit(await runGovExecute(id, o, io())))
  return gov
}
