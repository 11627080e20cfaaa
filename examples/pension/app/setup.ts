/**
 * Setting up the ecosystem by the consortium's own rules: the second fund is admitted by vote
 * (AddParty, then AddNode for its node), each contract's code is approved by vote before it is
 * deployed (the consortium requires code approval), and the personal-data collection is voted in
 * (SetCollection) with a purpose and legal basis per party. On a fabric without governance or
 * private data those steps throw NotSupportedByFabric; the public ones (deployment) run anyway.
 * `setUpEcosystem` runs them all in order; the scenario and the portal's tests both start from it.
 */
import { createLedgerClient, getParties, isLedgerError, LedgerError, requireCapability, type DecisionArgs, type LedgerClient } from 'quorate/sdk'
import { keccak256, stringToHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { contributionsArtifact, participantRegistryArtifact, statementsArtifact, valueTransferArtifact } from './artifacts.js'
import { closePensionClients, createPensionClients, fabricFor, type PensionClients } from './clients.js'
import type { ContractAddresses, FabricKind, FundId, PartyConfig, PartyId, PensionDeployment } from './deployment.js'
import { decide, type Voter } from './governance.js'
import { COLLECTION, PURPOSES, PensionApp, deployPensionContracts } from './pension.js'

export const PENSION_ARTIFACTS = [participantRegistryArtifact, contributionsArtifact, statementsArtifact, valueTransferArtifact] as const

/** What `quorate party join-request` writes: the joining party and its node. */
export interface JoinRequest {
  party: { id: string; name: string; kind: 'member' | 'regulator' | 'observer'; admins: Address[] }
  node: { address: Address; endpoint: string; encryptionKey?: Hex }
}

export type Progress = (line: string) => void

function voters(clients: PensionClients, parties: readonly PartyId[]): Voter[] {
  return parties.flatMap((party) => {
    const client = clients[party].admin
    return client ? [{ party, client }] : []
  })
}

const FOUNDERS = ['pensionfund', 'employer', 'insurer', 'regulator'] as const satisfies readonly PartyId[]
const ALL = ['pensionfund', 'fundb', 'employer', 'insurer', 'regulator'] as const satisfies readonly PartyId[]

/** Whether a party is already active in governance (setup steps are skipped when done). */
async function partyActive(client: LedgerClient, id: string): Promise<boolean> {
  return (await getParties(client)).some((p) => p.id === id && p.status === 'active')
}

/**
 * Admits the joining fund: AddParty sponsored by fund A, voted by the founders; then AddNode for its
 * node (non-validator), voted by the parties including the new one. `fundbAdmin` is the client of
 * the new party's admin key (from its join request).
 */
export async function admitFund(clients: PensionClients, request: JoinRequest, progress: Progress = () => undefined): Promise<void> {
  const sponsor = voters(clients, ['pensionfund'])[0]
  if (!sponsor) throw new Error('the sponsor (pensionfund) has no admin key')
  await requireCapability(sponsor.client, 'governance')
  if (!(await partyActive(sponsor.client, request.party.id))) {
    const p = await decide(sponsor, voters(clients, FOUNDERS), { decision: 'AddParty', id: request.party.id, name: request.party.name, kind: request.party.kind, admins: request.party.admins }, `Admit ${request.party.name} as a pension fund`)
    progress(`AddParty ${request.party.id}: proposal #${p.id} approved with ${p.yes} yes`)
  }
  const nodes = await sponsor.client.request<{ address: string; status: string }[]>('gov_getNodes', [])
  if (!nodes.some((n) => n.address.toLowerCase() === request.node.address.toLowerCase())) {
    const decision = {
      decision: 'AddNode' as const,
      node: request.node.address,
      party: request.party.id,
      endpoint: request.node.endpoint,
      validator: false,
      ...(request.node.encryptionKey ? { encryptionKey: request.node.encryptionKey } : {}),
    }
    // The new party votes too, through the sponsor's node: its own node is not admitted yet.
    const newcomerKey = clients.fundb.config.adminKey
    const newcomer = newcomerKey ? createLedgerClient({ fabric: fabricFor('quorate', clients.pensionfund.config.rpcUrl), account: newcomerKey, pollingInterval: 100 }) : undefined
    const p = await decide(sponsor, [...(newcomer ? [{ party: 'fundb', client: newcomer }] : []), ...voters(clients, FOUNDERS)], decision, `Node of ${request.party.name} (not a validator)`).finally(() => newcomer?.close())
    progress(`AddNode ${request.node.address} (${request.party.id}): proposal #${p.id} approved with ${p.yes} yes`)
  }
}

/** ApproveCode for each contract's runtime code hash, proposed in parallel by different parties. */
export async function approvePensionCode(clients: PensionClients, progress: Progress = () => undefined): Promise<void> {
  const all = voters(clients, ALL)
  await Promise.all(
    PENSION_ARTIFACTS.map(async (artifact, i) => {
      const sponsor = all[i % all.length]!
      const order = [...all.slice(i % all.length), ...all.slice(0, i % all.length)]
      const description = `Approve the pension example's ${artifact.contractName} contract\nquorate-code: ${JSON.stringify({ name: artifact.contractName, size: (artifact.deployedBytecode.length - 2) / 2 })}`
      const p = await decide(sponsor, order, { decision: 'ApproveCode', codeHash: artifact.codeHash }, description).catch((err: unknown) => {
        // Approved by an earlier run: the proposal is refused before it is sent.
        if (isLedgerError(err, 'NOT_PERMITTED') && err.message.includes('already approved')) return undefined
        throw err
      })
      if (p) progress(`ApproveCode ${artifact.contractName} ${artifact.codeHash.slice(0, 10)}…: proposal #${p.id} approved with ${p.yes} yes`)
    }),
  )
}

/** The participants' personal-data collection: the funds, the employer and the insurer; never the regulator. */
export function pensionCollection(members: readonly string[] = ['pensionfund', 'fundb', 'employer', 'insurer']) {
  type Grant = Extract<DecisionArgs, { decision: 'SetCollection' }>['grants'][number]
  const grants: Grant[] = [
    { party: 'pensionfund', purpose: PURPOSES.administration, basis: 'contract' },
    { party: 'fundb', purpose: PURPOSES.administration, basis: 'contract' },
    { party: 'employer', purpose: PURPOSES.payroll, basis: 'contract' },
    { party: 'insurer', purpose: PURPOSES.advice, basis: 'consent' },
  ]
  return { decision: 'SetCollection' as const, id: COLLECTION, controller: 'pensionfund', retentionSeconds: 10 * 365 * 24 * 3600, members: [...members], grants: grants.filter((g) => members.includes(g.party)) }
}

export async function voteCollection(clients: PensionClients, progress: Progress = () => undefined, members?: readonly string[]): Promise<void> {
  const all = voters(clients, ALL)
  const sponsor = all[0]!
  await requireCapability(sponsor.client, 'governance')
  const p = await decide(sponsor, all, pensionCollection(members), 'Personal data of pension participants (name, date of birth, salary) and their statements')
  progress(`SetCollection ${COLLECTION}: proposal #${p.id} approved with ${p.yes} yes`)
}

/** Deploys the contracts from fund A's account; the funds and the employer get their roles. */
export async function deployEcosystem(clients: PensionClients, addressOf: (p: PartyId) => Address): Promise<ContractAddresses> {
  const funds: FundId[] = ['pensionfund', 'fundb']
  return deployPensionContracts(clients.pensionfund.app, { funds: funds.map(addressOf), employers: [addressOf('employer')] })
}

/** The fund that joins by vote: its join request, and its node, started once the node is admitted. */
export interface JoiningFund {
  joinRequest: JoinRequest
  /** The RPC URL of its node once started. */
  fundBRpcUrl: string
  /** Starts its node and waits until it is in sync. */
  startFundB(): Promise<void>
}

/** Runs a step the fabric may not offer: the scenario reports such a step and goes on (undefined). */
export type Step = <T>(label: string, fn: () => Promise<T>) => Promise<T | undefined>

export interface EcosystemOptions {
  fabric: FabricKind
  parties: Record<PartyId, PartyConfig>
  /** The second fund, admitted by vote; none on a ledger without governance (Anvil), where the governance steps are not supported. */
  joining?: JoiningFund
  /** Where the steps' lines go (the scenario prints them). */
  say?: Progress
  /** How a step the fabric may not offer is run; by default its NotSupportedByFabric is thrown. */
  step?: Step
}

/**
 * The ecosystem as the consortium sets it up: (1) the second fund admitted by vote and its node
 * started; (2) deploying before the code is approved refused, the four contracts' code approved by
 * vote, the contracts deployed; (3) the personal-data collection voted in. Returns the application
 * over the new deployment (no participants yet), with a client per party.
 */
export async function setUpEcosystem(o: EcosystemOptions): Promise<PensionApp> {
  const say = o.say ?? (() => undefined)
  const step: Step = o.step ?? ((_label, fn) => fn())
  const indented = (line: string) => say(`   ${line}`)
  const clients = createPensionClients(o)
  const notOffered = (decision: string) => () => Promise.reject(new LedgerError('NOT_SUPPORTED_BY_FABRIC', `governance (${decision}) is not offered by the ${o.fabric} fabric`))
  const addressOf = (p: PartyId) => privateKeyToAccount(o.parties[p].accountKey).address
  try {
    say('1. governance: admit the second pension fund')
    const joining = o.joining
    if (joining) {
      await admitFund(clients, joining.joinRequest, indented)
      await joining.startFundB()
      say(`   ${joining.joinRequest.party.name} (${joining.joinRequest.party.id}) node started from its join request, synced at ${joining.fundBRpcUrl}`)
    } else {
      await step('admit fund B (AddParty, AddNode)', notOffered('AddParty'))
    }

    say('2. governance: approve the four contracts by vote, then deploy them')
    if (joining) {
      const refused = await deployEcosystem(clients, addressOf).then(
        () => 'deployed?!',
        (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]! : String(err)),
      )
      say(`   deploying before the vote is refused: ${refused.includes('not approved') ? 'contract code not approved' : refused}`)
      if (!refused.includes('not approved')) throw new Error(`deployment before approval was not refused: ${refused}`)
    }
    await step('approve contract code by vote (ApproveCode)', joining ? () => approvePensionCode(clients, indented) : notOffered('ApproveCode'))
    const contracts = await deployEcosystem(clients, addressOf)
    say(`   deployed: registry ${contracts.registry}, contributions ${contracts.contributions}, statements ${contracts.statements}, transfers ${contracts.transfers}`)

    say('3. governance: vote in the personal-data collection (regulator not a member)')
    await step('private data collection (SetCollection)', joining ? () => voteCollection(clients, indented) : notOffered('SetCollection'))

    const deployment: PensionDeployment = {
      fabric: o.fabric,
      chainId: (await clients.pensionfund.app.capabilities()).chainId,
      parties: o.parties,
      contracts,
      collection: COLLECTION,
      idSecret: keccak256(stringToHex(`pension example id secret ${Date.now()}`)),
      participants: [],
    }
    return new PensionApp(deployment, clients)
  } catch (err) {
    await closePensionClients(clients)
    throw err
  }
}
