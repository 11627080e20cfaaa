/**
 * Helpers for governance integration tests on a governed network of real node processes: the
 * test consortium (four voting parties that each run a validator, and an observer party with one
 * registered account), raw JSON-RPC that keeps the error code, signed transactions with a local
 * nonce, and the board of party admins that proposes and votes through the GovernanceClient.
 */
import { encodeDeployData, encodeFunctionData, keccak256, type Abi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts, type DevAccount } from '../../src/crypto/dev-accounts.js'
import { ConsortiumSchema, type Consortium, type ConsortiumInput } from '../../src/governance/consortium.js'
import { GovernanceClient, type ActionResult } from '../../src/governance/client.js'
import type { DecisionArgs } from '../../src/governance/decisions.js'
import type { NetworkNode } from '../../src/node/init.js'
import type { Address, Hex } from '../../src/types.js'
import type { CompiledContract } from './solc.js'
import { waitFor } from './node-process.js'

export const CHAIN_ID = 1337
export const VOTING_PARTIES = ['pensionfund', 'employer', 'insurer', 'regulator'] as const
export type VotingParty = (typeof VOTING_PARTIES)[number]
/** The observer party: it never votes; its account is the one suspended and reinstated. */
export const OBSERVER_PARTY = 'auditor'
/** Voting period of AddParty, so that a proposal expires within a test. */
export const SHORT_VOTING_PERIOD_S = 5

const dev = devAccounts(11)

/** Who is who in the test consortium (dev accounts of the standard test mnemonic). */
export const ROLES = {
  /** Admins of the four voting parties, in VOTING_PARTIES order. */
  admins: Object.fromEntries(VOTING_PARTIES.map((p, i) => [p, dev[i]!])) as Record<VotingParty, DevAccount>,
  /** pensionfund account with every permission. */
  deployer: dev[4]!,
  /** employer account with transact and call, but not deploy. */
  noDeploy: dev[5]!,
  /** The observer party's registered account (transact, call). */
  observerAccount: dev[6]!,
  /** Not registered anywhere. */
  unregistered: dev[8]!,
  /** Not registered anywhere: the sender of the byzantine proposer's forbidden transaction. */
  forbidden: dev[9]!,
  /** Admin of the observer party (an admin, but of a party that does not vote). */
  observerAdmin: dev[10]!,
} as const

/**
 * The consortium of the governance tests: pensionfund, employer, insurer (members) and regulator
 * (regulator) each own one validator node; auditor (observer) owns no node. Contract code needs
 * approval; ApproveCode has the regulator's veto. Every decision needs more than 50% of the four
 * voting parties (three yes votes) unless changed by vote.
 */
export function governedConsortium(nodes: NetworkNode[]): Consortium {
  const node = (i: number) => ({ name: nodes[i]!.name, address: nodes[i]!.address, endpoint: nodes[i]!.p2pUrl ?? '', validator: true })
  const policy = { threshold: 50, comparator: '>' as const, votingPeriod: 600 }
  return ConsortiumSchema.parse({
    name: 'governance test consortium',
    chainId: CHAIN_ID,
    minValidators: 3,
    requireCodeApproval: true,
    parties: [
      { id: 'pensionfund', name: 'Pension Fund', kind: 'member', admins: [ROLES.admins.pensionfund.address], accounts: [{ address: ROLES.deployer.address, permissions: ['transact', 'deploy', 'call'] }], nodes: [node(0)] },
      { id: 'employer', name: 'Employer', kind: 'member', admins: [ROLES.admins.employer.address], accounts: [{ address: ROLES.noDeploy.address, permissions: ['transact', 'call'] }], nodes: [node(1)] },
      { id: 'insurer', name: 'Insurer', kind: 'member', admins: [ROLES.admins.insurer.address], nodes: [node(2)] },
      { id: 'regulator', name: 'Regulator', kind: 'regulator', admins: [ROLES.admins.regulator.address], nodes: [node(3)] },
      { id: OBSERVER_PARTY, name: 'Auditor', kind: 'observer', admins: [ROLES.observerAdmin.address], accounts: [{ address: ROLES.observerAccount.address, permissions: ['transact', 'call'] }] },
    ],
    defaultPolicy: policy,
    policies: {
      ApproveCode: { ...policy, veto: ['regulator'] },
      AddParty: { ...policy, votingPeriod: SHORT_VOTING_PERIOD_S },
    },
  })
}

/**
 * A consortium of one party per node, each running a validator, the admin of party i being dev
 * account i: the shape of the validator-change tests (candidates, emergency, onboarding, recovery).
 * Proposals need more than 50% of the parties and stay open 10 minutes, so that the deciding vote,
 * never the clock, ends them.
 */
export function onePartyPerNode(
  nodes: NetworkNode[],
  opts: { name: string; parties: readonly string[]; minValidators: number; kindOf?: (id: string) => 'member' | 'regulator'; accounts?: (id: string) => { address: string; permissions: string[] }[]; policies?: ConsortiumInput['policies'] },
): Consortium {
  return ConsortiumSchema.parse({
    name: opts.name,
    chainId: CHAIN_ID,
    minValidators: opts.minValidators,
    requireCodeApproval: false,
    parties: opts.parties.map((id, i) => ({
      id,
      name: `Party ${id}`,
      kind: opts.kindOf?.(id) ?? 'member',
      admins: [dev[i]!.address],
      accounts: opts.accounts?.(id) ?? [],
      nodes: [{ name: nodes[i]!.name, address: nodes[i]!.address, endpoint: nodes[i]!.p2pUrl ?? '', validator: true }],
    })),
    defaultPolicy: { threshold: 50, comparator: '>', votingPeriod: '10m' },
    ...(opts.policies ? { policies: opts.policies } : {}),
  })
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC that keeps the error object
// ---------------------------------------------------------------------------------------------

export interface RpcErrorObject {
  code: number
  message: string
  data?: unknown
}

export type RpcOutcome<T> = { result: T; error?: undefined } | { result?: undefined; error: RpcErrorObject }

export async function rpcOutcome<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<RpcOutcome<T>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: T; error?: RpcErrorObject }
  return body.error ? { error: body.error } : { result: body.result as T }
}

/** The JSON-RPC error of a call that must fail; throws if it succeeds. */
export async function rpcError(url: string, method: string, params: unknown[] = []): Promise<RpcErrorObject> {
  const out = await rpcOutcome(url, method, params)
  if (!out.error) throw new Error(`${method} was expected to fail but returned ${JSON.stringify(out.result)}`)
  return out.error
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

export interface TxRequest {
  to?: Address
  data?: Hex
  value?: bigint
  /** Explicit, so that no gas estimation stops a transaction that is meant to fail on chain. */
  gas?: bigint
}

export interface Receipt {
  status: Hex
  blockNumber: Hex
  contractAddress: Address | null
  logs: { address: Address; topics: Hex[]; data: Hex }[]
}

/** Signs transactions for one key with a locally tracked nonce (gas price 0, legacy, EIP-155). */
export class TxSender {
  readonly address: Address
  private nonce: bigint | undefined

  constructor(private readonly account: DevAccount) {
    this.address = account.address
  }

  async sign(url: string, tx: TxRequest): Promise<Hex> {
    this.nonce ??= BigInt(await rpcResult<Hex>(url, 'eth_getTransactionCount', [this.address, 'pending']))
    const signed = await privateKeyToAccount(this.account.privateKey).signTransaction({
      type: 'legacy',
      chainId: CHAIN_ID,
      nonce: Number(this.nonce),
      gasPrice: 0n,
      gas: tx.gas ?? 3_000_000n,
      ...(tx.to ? { to: tx.to } : {}),
      ...(tx.data ? { data: tx.data } : {}),
      value: tx.value ?? 0n,
    })
    return signed as Hex
  }

  /** Signs the next transaction and advances the local nonce (for pre-signed bursts). */
  async signNext(url: string, tx: TxRequest): Promise<Hex> {
    const raw = await this.sign(url, tx)
    this.nonce! += 1n
    return raw
  }

  /** Submits; the nonce advances only if the node accepted the transaction. */
  async submit(url: string, tx: TxRequest): Promise<RpcOutcome<Hex>> {
    const raw = await this.sign(url, tx)
    const out = await rpcOutcome<Hex>(url, 'eth_sendRawTransaction', [raw])
    if (!out.error) this.nonce! += 1n
    return out
  }

  /** Submits a transaction that must be accepted; returns its hash. */
  async send(url: string, tx: TxRequest): Promise<Hex> {
    const out = await this.submit(url, tx)
    if (out.error) throw new Error(`transaction from ${this.address} refused: ${out.error.message}`)
    return out.result
  }

  /** Forgets the local nonce (read again from the node on the next transaction). */
  resync(): void {
    this.nonce = undefined
  }
}

async function rpcResult<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const out = await rpcOutcome<T>(url, method, params)
  if (out.error) throw new Error(`${method}: ${out.error.message}`)
  return out.result
}

export async function waitReceipt(url: string, hash: Hex, timeoutMs = 40_000): Promise<Receipt> {
  return waitFor(`receipt of ${hash}`, () => rpcResult<Receipt | null>(url, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined), timeoutMs)
}

export async function codeAt(url: string, address: Address): Promise<Hex> {
  return rpcResult<Hex>(url, 'eth_getCode', [address, 'latest'])
}

export function deployData(contract: CompiledContract, args: readonly unknown[] = []): Hex {
  return encodeDeployData({ abi: contract.abi, bytecode: contract.bytecode, args } as Parameters<typeof encodeDeployData>[0])
}

export function callData(abi: Abi, functionName: string, args: readonly unknown[] = []): Hex {
  return encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])
}

/** What governance approves: keccak256 of the runtime (deployed) code. */
export function runtimeCodeHash(contract: CompiledContract): Hex {
  return keccak256(contract.deployedBytecode)
}

// ---------------------------------------------------------------------------------------------
// The board: one GovernanceClient per voting party admin
// ---------------------------------------------------------------------------------------------

export interface ProposalView {
  id: number
  decision: string
  state: 'open' | 'approved' | 'rejected' | 'expired' | 'failed'
  yes: number
  no: number
  votingParties: number
  deadline: number
  thresholdPercent: number
  comparator: '>' | '>='
  vetoParties: string[]
  votes: { party: string; support: boolean }[]
}

export class Board {
  private constructor(
    readonly url: string,
    readonly clients: Record<VotingParty, GovernanceClient>,
  ) {}

  static async connect(url: string): Promise<Board> {
    const entries = await Promise.all(VOTING_PARTIES.map(async (p) => [p, await GovernanceClient.connect(url, ROLES.admins[p].privateKey)] as const))
    return new Board(url, Object.fromEntries(entries) as Record<VotingParty, GovernanceClient>)
  }

  async propose(by: VotingParty, args: DecisionArgs, description: string): Promise<number> {
    return (await this.clients[by].propose(args, description)).id
  }

  /**
   * Votes of several parties: all but the last at once, then the last alone. The client sizes a
   * vote's gas limit by simulating it on the latest block; a vote simulated before the others
   * landed is sized as a plain vote, and if it turns out to be the deciding one (which also runs the
   * decision) it runs out of gas and reverts. So the vote that may decide is sent last, alone.
   */
  async vote(id: number, parties: readonly VotingParty[], support = true): Promise<ActionResult[]> {
    const first = await Promise.all(parties.slice(0, -1).map((p) => this.clients[p].vote(id, support)))
    const last = parties.at(-1)
    return last ? [...first, await this.clients[last].vote(id, support)] : first
  }

  /** Proposes and has pensionfund, employer and insurer vote yes: approved under the 50% '>' policy. */
  async decide(args: DecisionArgs, description: string, yes: readonly VotingParty[] = ['pensionfund', 'employer', 'insurer']): Promise<ProposalView> {
    const id = await this.propose(yes[0] ?? 'pensionfund', args, description)
    await this.vote(id, yes)
    return this.proposal(id)
  }

  async proposal(id: number): Promise<ProposalView> {
    return rpcResult<ProposalView>(this.url, 'gov_getProposal', [id])
  }
}
