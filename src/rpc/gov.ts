/**
 * gov_* methods: the consortium's governance state as the latest block holds it (parties, nodes,
 * accounts, policies, proposals with their votes, validators). Read-only: proposing and voting are
 * ordinary signed transactions (governance/client.ts builds them). Registered only on chains whose
 * genesis holds the governance contract.
 */
import type { Block } from '@ethereumjs/block'
import { z } from 'zod'
import { DECISIONS, PARTY_KINDS } from '../governance/consortium.js'
import { governanceArtifacts } from '../governance/artifacts.js'
import { bytes32ToPartyId, decodeDecision, permissionsFromBits } from '../governance/decisions.js'
import type { PartyTuple, PolicyTuple, ProposalTuple } from '../governance/abi-types.js'
import { partyIdToBytes32 } from '../governance/ids.js'
import type { GovernanceView } from '../governance/view.js'
import { CHAIN_PARAMETERS_ADDRESS } from '../governance/address.js'
import { GovernedChainParams, type StateCaller } from '../governance/chain-parameters.js'
import type { Genesis } from '../chain/genesis.js'
import type { ChainParams, ChainParamsSource, ProtocolUnsupportedError } from '../chain/params.js'
import type { Address, Hex } from '../types.js'
import { method, noParams, type RpcMethods } from './types.js'

export const PROPOSAL_STATES = ['open', 'approved', 'rejected', 'expired', 'failed'] as const
const PARTY_STATUSES = ['none', 'active', 'suspended', 'removed', 'frozen'] as const
const NODE_STATUSES: Record<number, string> = { 1: 'active', 3: 'removed' }

/** Reads of the full governance ABI at a block, shaped for JSON-RPC and the CLI. */
export class GovernanceQueries {
  private readonly abi = governanceArtifacts().ConsortiumGovernance.abi

  constructor(private readonly view: GovernanceView) {}

  private read<T>(block: Block, fn: string, args: readonly unknown[] = []): Promise<T> {
    return this.view.read<T>(block, fn, args, this.abi)
  }

  async parties(block: Block) {
    const parties = await this.read<readonly PartyTuple[]>(block, 'getParties')
    return parties.map((p) => ({
      id: bytes32ToPartyId(p.id),
      name: p.name,
      kind: PARTY_KINDS[p.kind] ?? 'member',
      status: PARTY_STATUSES[p.status] ?? 'none',
      admins: p.admins.map((a) => a.toLowerCase() as Address),
    }))
  }

  async nodes(block: Block) {
    const [[nodes, parties, validators, statuses, endpoints, keys], candidates] = await Promise.all([
      this.read<readonly [readonly Address[], readonly Hex[], readonly boolean[], readonly number[], readonly string[], readonly Hex[]]>(block, 'getNodes'),
      this.read<readonly Address[]>(block, 'validatorCandidates'),
    ])
    const candidate = new Set(candidates.map((a) => a.toLowerCase()))
    return nodes.map((address, i) => ({
      address: address.toLowerCase() as Address,
      party: bytes32ToPartyId(parties[i]!),
      endpoint: endpoints[i]!,
      validator: validators[i]!,
      /** Voted in as a validator; it joins the set once its own node is synced and connected. */
      candidate: candidate.has(address.toLowerCase()),
      status: NODE_STATUSES[statuses[i]!] ?? 'unknown',
      encryptionKey: keys[i]!,
    }))
  }

  async accounts(block: Block) {
    const [accounts, parties, bits] = await this.read<readonly [readonly Address[], readonly Hex[], readonly number[]]>(block, 'getAccounts')
    return Promise.all(
      accounts.map(async (a, i) => ({
        address: a.toLowerCase() as Address,
        party: bytes32ToPartyId(parties[i]!),
        permissions: permissionsFromBits(bits[i]!),
        effectivePermissions: permissionsFromBits(await this.view.permissionsOf(block, a.toLowerCase() as Address)),
      })),
    )
  }

  async account(block: Block, address: Address) {
    const [party, bits] = await this.read<readonly [Hex, number]>(block, 'getAccount', [address])
    const effective = await this.view.permissionsOf(block, address)
    return { address, party: bytes32ToPartyId(party), permissions: permissionsFromBits(bits), effectivePermissions: permissionsFromBits(effective) }
  }

  async policies(block: Block) {
    return Promise.all(
      DECISIONS.map(async (decision, i) => {
        const p = await this.read<PolicyTuple>(block, 'getPolicy', [i])
        return {
          decision,
          thresholdPercent: p.thresholdPercent,
          comparator: p.inclusive ? '>=' : '>',
          votingPeriodSeconds: Number(p.votingPeriod),
          vetoParties: p.vetoParties.map(bytes32ToPartyId),
        }
      }),
    )
  }

  async proposal(block: Block, id: bigint, parties?: { id: string }[]) {
    const p = await this.read<ProposalTuple>(block, 'getProposal', [id])
    const partyList = parties ?? (await this.parties(block))
    const votes = (
      await Promise.all(
        partyList.map(async (party) => {
          const v = Number(await this.read<number>(block, 'voteOf', [id, partyIdToBytes32(party.id)]))
          return v === 0 ? undefined : { party: party.id, support: v === 1 }
        }),
      )
    ).filter((v) => v !== undefined)
    return {
      id: Number(p.id),
      decision: DECISIONS[p.kind] ?? `decision ${p.kind}`,
      description: p.description,
      proposer: bytes32ToPartyId(p.proposerParty),
      createdAt: Number(p.createdAt),
      deadline: Number(p.deadline),
      state: PROPOSAL_STATES[p.state] ?? 'open',
      yes: p.yes,
      no: p.no,
      votingParties: p.voters,
      thresholdPercent: p.thresholdPercent,
      comparator: p.inclusive ? '>=' : '>',
      vetoParties: p.vetoParties.map(bytes32ToPartyId),
      votes,
      args: decodeDecision(p.kind, p.payload),
    }
  }

  async proposals(block: Block, state?: (typeof PROPOSAL_STATES)[number]) {
    const count = Number(await this.read<bigint>(block, 'proposalCount'))
    const parties = await this.parties(block)
    const all = await Promise.all(Array.from({ length: count }, (_, i) => this.proposal(block, BigInt(i + 1), parties)))
    return state ? all.filter((p) => p.state === state) : all
  }
}

/** Chain parameters as JSON (the gas limit as a number: it is at most 2e9). */
export interface ChainParamsJson {
  blockPeriodMs: number
  emptyBlockPeriodMs: number
  gasLimit: number
  protocol: string
}

/** gov_getChainParameters: what the next block is made under, a change not yet in force, and whether this node stopped at one. */
export interface ChainParametersReport {
  head: number
  current: ChainParamsJson
  scheduled: (ChainParamsJson & { activationBlock: number }) | null
  supportedProtocols: string[]
  stoppedAtUpgrade: { block: number; protocol: string; message: string } | null
}

function paramsJson(p: ChainParams): ChainParamsJson {
  return { blockPeriodMs: p.blockPeriodMs, emptyBlockPeriodMs: p.emptyBlockPeriodMs, gasLimit: Number(p.gasLimit), protocol: p.protocol }
}

/** What gov_getChainParameters reads from the node. */
export interface ParamsNode {
  readonly head: Block
  readonly params: ChainParamsSource
  readonly supportedProtocols: readonly string[]
  readonly upgradeStop: ProtocolUnsupportedError | undefined
}

/** What the gov_ methods read from the node besides the governance view: the genesis tells whether the chain has the ChainParameters contract. */
export interface GovNode extends ParamsNode {
  readonly genesis: Pick<Genesis, 'alloc'>
  readonly calls: StateCaller
}

export async function chainParametersReport(node: ParamsNode, reader: GovernedChainParams | undefined): Promise<ChainParametersReport> {
  const head = node.head
  const [current, change] = await Promise.all([node.params.paramsFor(head), reader?.scheduled(head)])
  const stop = node.upgradeStop
  return {
    head: Number(head.header.number),
    current: paramsJson(current),
    scheduled: change && change.activationBlock > head.header.number + 1n ? { activationBlock: Number(change.activationBlock), ...paramsJson(change.params) } : null,
    supportedProtocols: [...node.supportedProtocols],
    stoppedAtUpgrade: stop ? { block: Number(stop.blockNumber), protocol: stop.protocol, message: stop.shortMessage } : null,
  }
}

const MAX_UINT256 = (1n << 256n) - 1n
const PROPOSAL_ID_MSG = 'expected a proposal id: a positive integer (number, decimal string or 0x hex) of at most 2^256 - 1'

/** A proposal id as the contract holds it (uint256): anything larger is the client's error, not an ABI failure. */
const proposalIdSchema = z
  .union([z.number().int().positive(), z.string().regex(/^(0x[0-9a-fA-F]{1,64}|\d{1,78})$/)], { error: PROPOSAL_ID_MSG })
  .transform((v) => BigInt(v))
  .refine((n) => n > 0n && n <= MAX_UINT256, { error: PROPOSAL_ID_MSG })

export function govMethods(node: GovNode, view: GovernanceView): RpcMethods {
  const q = new GovernanceQueries(view)
  const head = () => node.head
  const params = node.genesis.alloc[CHAIN_PARAMETERS_ADDRESS]?.code ? new GovernedChainParams(node.calls) : undefined
  return {
    gov_getChainParameters: noParams(() => chainParametersReport(node, params)),
    gov_getParties: noParams(() => q.parties(head())),
    gov_getNodes: noParams(() => q.nodes(head())),
    gov_getAccounts: noParams(() => q.accounts(head())),
    gov_getAccount: method(z.tuple([z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address')]), ([a]) => q.account(head(), a.toLowerCase() as Address)),
    gov_getPolicies: noParams(() => q.policies(head())),
    gov_getValidators: noParams(() => view.validatorsAfter(head())),
    gov_getProposals: method(z.tuple([z.object({ state: z.enum(PROPOSAL_STATES).optional() }).optional()]), ([filter]) => q.proposals(head(), filter?.state)),
    gov_getProposal: method(z.tuple([proposalIdSchema]), ([id]) => q.proposal(head(), id)),
  }
}
