/**
 * The pension ecosystem's application API: what each party does, through the SDK, on its own node.
 * Public steps (registry, contributions, statement hashes, value transfers) run on any fabric;
 * private steps (personal data, statement documents, consent, access logs, erasure) need a Quorate
 * consortium and throw the SDK's NotSupportedByFabric elsewhere.
 */
import {
  deployContract,
  erasePrivateData,
  exportAccessLog,
  getConsents,
  getErasureStatus,
  getPrivateData,
  isLedgerError,
  putPrivateData,
  readBatch,
  readContract,
  requireCapability,
  setConsent,
  verifyAccessLog,
  waitForFinal,
  writeContract,
  type Consent,
  type LedgerClient,
} from 'quorate/sdk'
import { concat, keccak256, stringToHex, toHex, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { contributionsArtifact, participantRegistryArtifact, statementsArtifact, valueTransferArtifact } from './artifacts.js'
import { createPensionClients, closePensionClients, type PensionClients } from './clients.js'
import { FUND_IDS, MEMBER_IDS, PARTY_IDS, type ContractAddresses, type FundId, type MemberId, type PartyId, type PensionDeployment } from './deployment.js'

export const PURPOSES = {
  administration: 'pension-administration',
  payroll: 'payroll',
  advice: 'retirement-advice',
} as const
export type Purpose = (typeof PURPOSES)[keyof typeof PURPOSES]

/** What the parties who need it know about a participant: personal data, never on chain. */
export interface Person {
  name: string
  /** yyyy-mm-dd */
  birthDate: string
  /** Gross yearly salary in euro. */
  salary: number
  employer: string
}

export const CONTRIBUTION_STATUS = ['none', 'reported', 'acknowledged', 'disputed'] as const
export type ContributionStatus = (typeof CONTRIBUTION_STATUS)[number]
export const TRANSFER_STATUS = ['none', 'requested', 'quoted', 'accepted', 'settled', 'expired'] as const
export type TransferStatus = (typeof TRANSFER_STATUS)[number]

export interface Contribution {
  id: bigint
  participant: Hex
  period: number
  employer: Address
  fund: FundId | Address
  amountCents: bigint
  status: ContributionStatus
  disputeReason: Hex
}

export interface Transfer {
  id: bigint
  participant: Hex
  from: FundId | Address
  to: FundId | Address
  status: TransferStatus
  amountCents: bigint
  requestedAt: number
  /** Unix seconds by which the current step must be taken (0 once settled). */
  deadline: number
}

export interface StatementDocument {
  participant: Hex
  fund: FundId
  year: number
  name: string
  birthDate: string
  contributionsCents: string
  accruedPensionCents: string
  issued: string
}

export interface StatementCheck {
  fund: FundId
  year: number
  publishedHash: Hex | undefined
  /** Undefined when the document cannot be read here (erased, or not a Quorate fabric). */
  document: StatementDocument | undefined
  documentHash: Hex | undefined
  valid: boolean
}

export interface AccessLogLine {
  party: string
  node: Address
  /** Unix seconds. */
  time: number
  action: string
  outcome: 'granted' | 'refused'
  purpose: string
  key: string
  reason: string
  caller?: string
}

export interface Entitlements {
  participant: Hex
  holders: FundId[]
  perFund: {
    fund: FundId
    contributionsCents: bigint
    acknowledged: number
    disputed: number
    statements: StatementCheck[]
  }[]
  transfers: Transfer[]
}

export const COLLECTION = 'pension-participants'

const personKey = (participant: Hex) => `person:${participant}`
const statementKey = (fund: FundId, participant: Hex, year: number) => `statement:${fund}:${year}:${participant}`

/** Hash of a statement document as the fund publishes it: keccak256 of its canonical JSON. */
export function statementHash(doc: StatementDocument): Hex {
  return keccak256(stringToHex(canonicalStatement(doc)))
}

function canonicalStatement(doc: StatementDocument): string {
  const ordered: StatementDocument = {
    participant: doc.participant,
    fund: doc.fund,
    year: doc.year,
    name: doc.name,
    birthDate: doc.birthDate,
    contributionsCents: doc.contributionsCents,
    accruedPensionCents: doc.accruedPensionCents,
    issued: doc.issued,
  }
  return JSON.stringify(ordered)
}

/** The pseudonymous participant id: a hash keyed by the funds' secret, so a reader of the chain cannot test guesses. */
export function participantId(idSecret: Hex, externalRef: string): Hex {
  return keccak256(concat([idSecret, stringToHex(externalRef)]))
}

export class PensionApp {
  readonly clients: PensionClients
  constructor(
    readonly deployment: PensionDeployment,
    clients?: PensionClients,
  ) {
    this.clients = clients ?? createPensionClients(deployment)
  }

  close(): Promise<void> {
    return closePensionClients(this.clients)
  }

  client(party: PartyId): LedgerClient {
    return this.clients[party].app
  }

  address(party: PartyId): Address {
    return privateKeyToAccount(this.deployment.parties[party].accountKey).address
  }

  /** The fund behind an account address, if it is one of the two funds. */
  fundOf(address: Address): FundId | Address {
    return FUND_IDS.find((f) => this.address(f).toLowerCase() === address.toLowerCase()) ?? address
  }

  get contracts(): ContractAddresses {
    return this.deployment.contracts
  }

  /** True when the fabric offers private data (a Quorate consortium). */
  async hasPrivateData(): Promise<boolean> {
    return (await this.client('pensionfund').capabilities()).privateData
  }

  private async send(party: PartyId, call: Parameters<typeof writeContract>[1]): Promise<void> {
    const client = this.client(party)
    const hash = await writeContract(client, call)
    await waitForFinal(client, { hash, abi: call.abi })
  }

  // ---- participants -----------------------------------------------------------------------------

  /**
   * A fund enrols a participant: a pseudonymous id and the participant's own signing key on chain
   * (public step), and the personal data in the collection (private step, `person` omitted or not
   * supported: skipped by the caller). Returns the id and the participant's new key.
   */
  async registerParticipant(params: { fund: FundId; externalRef: string; key?: Hex }): Promise<{ participant: Hex; key: Hex }> {
    const key = params.key ?? generatePrivateKey()
    const participant = participantId(this.deployment.idSecret, params.externalRef)
    await this.send(params.fund, {
      address: this.contracts.registry,
      abi: participantRegistryArtifact.abi,
      functionName: 'register',
      args: [participant, privateKeyToAccount(key).address],
    })
    return { participant, key }
  }

  /** Private step of enrolment: the fund stores the personal data for the parties that need it. */
  async storePerson(fund: FundId, participant: Hex, person: Person): Promise<void> {
    await putPrivateData(this.client(fund), {
      collection: this.deployment.collection,
      key: personKey(participant),
      subject: participant,
      purposes: [PURPOSES.administration, PURPOSES.payroll, PURPOSES.advice],
      data: JSON.stringify(person),
    })
  }

  /** A member party reads a participant's personal data for a purpose (logged in the access log; refused without a grant or consent). */
  async readPerson(party: MemberId | 'regulator', participant: Hex, purpose: Purpose): Promise<Person> {
    const record = await getPrivateData(this.client(party), { collection: this.deployment.collection, key: personKey(participant), purpose, subject: participant })
    return JSON.parse(record.data) as Person
  }

  /** A fund declares it holds entitlements for an enrolled participant (e.g. from an earlier job). */
  async addHolder(fund: FundId, participant: Hex): Promise<void> {
    await this.send(fund, { address: this.contracts.registry, abi: participantRegistryArtifact.abi, functionName: 'addHolder', args: [participant] })
  }

  async holders(participant: Hex): Promise<FundId[]> {
    const list = await readContract(this.client('regulator'), { address: this.contracts.registry, abi: participantRegistryArtifact.abi, functionName: 'holdersOf', args: [participant] })
    return list.map((a) => this.fundOf(a)).filter((f): f is FundId => (FUND_IDS as readonly string[]).includes(f))
  }

  async participantCount(): Promise<bigint> {
    return readContract(this.client('regulator'), { address: this.contracts.registry, abi: participantRegistryArtifact.abi, functionName: 'count' })
  }

  // ---- contributions ----------------------------------------------------------------------------

  /** The employer reports a contribution per participant and period (yyyymm) to a fund. */
  async reportContribution(params: { participant: Hex; period: number; fund: FundId; amountCents: bigint }): Promise<bigint> {
    const client = this.client('employer')
    const args = [params.participant, params.period, this.address(params.fund), params.amountCents] as const
    const hash = await writeContract(client, { address: this.contracts.contributions, abi: contributionsArtifact.abi, functionName: 'report', args })
    const receipt = await waitForFinal(client, { hash, abi: contributionsArtifact.abi })
    const log = receipt.logs.find((l) => l.address.toLowerCase() === this.contracts.contributions.toLowerCase())
    if (!log?.topics[1]) throw new Error(`no ContributionReported event in ${hash}`)
    return BigInt(log.topics[1])
  }

  async acknowledgeContribution(fund: FundId, id: bigint): Promise<void> {
    await this.send(fund, { address: this.contracts.contributions, abi: contributionsArtifact.abi, functionName: 'acknowledge', args: [id] })
  }

  /** The fund or the employer disputes a contribution; `reason` is a short code (up to 31 bytes, stored as bytes32). */
  async disputeContribution(by: FundId | 'employer', id: bigint, reason: string): Promise<void> {
    await this.send(by, { address: this.contracts.contributions, abi: contributionsArtifact.abi, functionName: 'dispute', args: [id, toHex(reason, { size: 32 })] })
  }

  /** The employer corrects a disputed contribution (reported again, for the fund to acknowledge). */
  async correctContribution(id: bigint, amountCents: bigint): Promise<void> {
    await this.send('employer', { address: this.contracts.contributions, abi: contributionsArtifact.abi, functionName: 'correct', args: [id, amountCents] })
  }

  /** Every contribution on chain (optionally of one participant), read by any party. */
  async contributions(filter: { participant?: Hex; reader?: PartyId } = {}): Promise<Contribution[]> {
    const client = this.client(filter.reader ?? 'regulator')
    const n = await readContract(client, { address: this.contracts.contributions, abi: contributionsArtifact.abi, functionName: 'count' })
    const results = await readBatch(client, {
      contracts: Array.from({ length: Number(n) }, (_, i) => ({ address: this.contracts.contributions, abi: contributionsArtifact.abi, functionName: 'get', args: [BigInt(i)] }) as const),
    })
    const out: Contribution[] = []
    results.forEach((r, i) => {
      if (r.status !== 'success') throw r.error
      const c = r.result
      if (filter.participant && c.participant.toLowerCase() !== filter.participant.toLowerCase()) return
      out.push({
        id: BigInt(i),
        participant: c.participant,
        period: c.period,
        employer: c.employer,
        fund: this.fundOf(c.fund),
        amountCents: c.amountCents,
        status: CONTRIBUTION_STATUS[c.status] ?? 'none',
        disputeReason: c.disputeReason,
      })
    })
    return out
  }

  // ---- statements -------------------------------------------------------------------------------

  /** Builds a fund's yearly statement of a participant from the chain's contributions and the fund's personal data. */
  async buildStatement(fund: FundId, participant: Hex, year: number, person: Pick<Person, 'name' | 'birthDate'>, opts: { accruedBeforeCents?: bigint } = {}): Promise<StatementDocument> {
    const own = (await this.contributions({ participant, reader: fund })).filter((c) => c.fund === fund && c.status === 'acknowledged' && Math.floor(c.period / 100) === year)
    const total = own.reduce((s, c) => s + c.amountCents, 0n)
    return {
      participant,
      fund,
      year,
      name: person.name,
      birthDate: person.birthDate,
      contributionsCents: total.toString(),
      // A toy accrual rule for the example: 1.75 % of the contributions a year as pension.
      accruedPensionCents: ((opts.accruedBeforeCents ?? 0n) + (total * 175n) / 10_000n).toString(),
      issued: `${year + 1}-01-31`,
    }
  }

  /** Public step: the fund publishes the statement's hash on chain. */
  async publishStatementHash(fund: FundId, doc: StatementDocument): Promise<Hex> {
    const hash = statementHash(doc)
    await this.send(fund, { address: this.contracts.statements, abi: statementsArtifact.abi, functionName: 'publish', args: [doc.participant, doc.year, hash] })
    return hash
  }

  /** Private step: the statement document itself, for the participant (through the fund) and the adviser (with consent). */
  async storeStatementDocument(fund: FundId, doc: StatementDocument): Promise<void> {
    await putPrivateData(this.client(fund), {
      collection: this.deployment.collection,
      key: statementKey(fund, doc.participant, doc.year),
      subject: doc.participant,
      purposes: [PURPOSES.administration, PURPOSES.advice],
      data: canonicalStatement(doc),
    })
  }

  async publishedStatementHash(fund: FundId, participant: Hex, year: number): Promise<Hex | undefined> {
    const s = await readContract(this.client('regulator'), { address: this.contracts.statements, abi: statementsArtifact.abi, functionName: 'statementOf', args: [participant, this.address(fund), year] })
    return s.publishedAt === 0n ? undefined : s.documentHash
  }

  /**
   * The participant verifies a statement: reads the document through a fund's node (`via`, for
   * pension administration), recomputes its hash and compares it with the hash the fund published.
   * With `document` given (e.g. a copy the participant kept), that one is checked instead.
   */
  async verifyStatement(params: { fund: FundId; participant: Hex; year: number; via?: FundId; document?: StatementDocument }): Promise<StatementCheck> {
    const publishedHash = await this.publishedStatementHash(params.fund, params.participant, params.year)
    let document = params.document
    if (!document && (await this.hasPrivateData())) {
      try {
        const record = await getPrivateData(this.client(params.via ?? params.fund), {
          collection: this.deployment.collection,
          key: statementKey(params.fund, params.participant, params.year),
          purpose: PURPOSES.administration,
          subject: params.participant,
        })
        document = JSON.parse(record.data) as StatementDocument
      } catch (err) {
        if (!isLedgerError(err, 'NOT_FOUND')) throw err
      }
    }
    const documentHash = document ? statementHash(document) : undefined
    const onChain =
      documentHash === undefined
        ? false
        : await readContract(this.client('regulator'), {
            address: this.contracts.statements,
            abi: statementsArtifact.abi,
            functionName: 'verify',
            args: [params.participant, this.address(params.fund), params.year, documentHash],
          })
    return { fund: params.fund, year: params.year, publishedHash, document, documentHash, valid: onChain && documentHash === publishedHash }
  }

  // ---- value transfer ---------------------------------------------------------------------------

  /** The participant signs a transfer request with their own key; the new fund submits it. */
  async requestTransfer(params: { participant: Hex; participantKey: Hex; from: FundId; to: FundId }): Promise<bigint> {
    const reader = this.client(params.to)
    const nonce = await readContract(reader, { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'nonces', args: [params.participant] })
    const digest = await readContract(reader, {
      address: this.contracts.transfers,
      abi: valueTransferArtifact.abi,
      functionName: 'requestDigest',
      args: [params.participant, this.address(params.from), this.address(params.to), nonce],
    })
    const signature = await privateKeyToAccount(params.participantKey).signMessage({ message: { raw: digest } })
    const hash = await writeContract(reader, {
      address: this.contracts.transfers,
      abi: valueTransferArtifact.abi,
      functionName: 'request',
      args: [params.participant, this.address(params.from), this.address(params.to), signature],
    })
    const receipt = await waitForFinal(reader, { hash, abi: valueTransferArtifact.abi })
    const log = receipt.logs.find((l) => l.address.toLowerCase() === this.contracts.transfers.toLowerCase())
    if (!log?.topics[1]) throw new Error(`no TransferRequested event in ${hash}`)
    return BigInt(log.topics[1])
  }

  /** The old fund quotes the value it will transfer. */
  async quoteTransfer(id: bigint, amountCents: bigint): Promise<void> {
    const t = await this.transfer(id)
    await this.send(this.fundParty(t.from), { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'quote', args: [id, amountCents] })
  }

  /** The new fund accepts the quote. */
  async acceptTransfer(id: bigint): Promise<void> {
    const t = await this.transfer(id)
    await this.send(this.fundParty(t.to), { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'accept', args: [id] })
  }

  /**
   * The old fund confirms the payment: the transfer is settled, the new fund becomes a holder of
   * the participant's entitlements and the old fund stops being one.
   */
  async settleTransfer(id: bigint): Promise<void> {
    const t = await this.transfer(id)
    const from = this.fundParty(t.from)
    const to = this.fundParty(t.to)
    await this.send(from, { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'settle', args: [id] })
    const holders = await this.holders(t.participant)
    if (!holders.includes(to)) await this.send(to, { address: this.contracts.registry, abi: participantRegistryArtifact.abi, functionName: 'addHolder', args: [t.participant] })
    await this.send(from, { address: this.contracts.registry, abi: participantRegistryArtifact.abi, functionName: 'removeHolder', args: [t.participant] })
  }

  /**
   * Closes a transfer whose current step missed its deadline (30 days to quote, 30 to accept, 14 to
   * settle): anyone may, by default the regulator. Refused (`NotExpired`) before the deadline.
   */
  async expireTransfer(id: bigint, by: PartyId = 'regulator'): Promise<void> {
    await this.send(by, { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'expire', args: [id] })
  }

  async transfer(id: bigint, reader: PartyId = 'regulator'): Promise<Transfer> {
    const t = await readContract(this.client(reader), { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'get', args: [id] })
    return {
      id,
      participant: t.participant,
      from: this.fundOf(t.fromFund),
      to: this.fundOf(t.toFund),
      status: TRANSFER_STATUS[t.status] ?? 'none',
      amountCents: t.amountCents,
      requestedAt: Number(t.requestedAt),
      deadline: Number(t.deadline),
    }
  }

  /** Every transfer (optionally of one participant): status and amounts are visible to every party, the regulator included. */
  async transfers(filter: { participant?: Hex; reader?: PartyId } = {}): Promise<Transfer[]> {
    const reader = filter.reader ?? 'regulator'
    const n = await readContract(this.client(reader), { address: this.contracts.transfers, abi: valueTransferArtifact.abi, functionName: 'count' })
    const all = await Promise.all(Array.from({ length: Number(n) }, (_, i) => this.transfer(BigInt(i), reader)))
    return filter.participant ? all.filter((t) => t.participant.toLowerCase() === filter.participant!.toLowerCase()) : all
  }

  private fundParty(f: FundId | Address): FundId {
    if ((FUND_IDS as readonly string[]).includes(f)) return f as FundId
    throw new Error(`${f} is not a fund of this ecosystem`)
  }

  // ---- consent, access log, erasure --------------------------------------------------------------

  /**
   * The participant grants or revokes the adviser's (insurer's) purpose-bound access, recorded by
   * the controller's node: the insurer's node then receives (or drops) the participant's records
   * and lets reads for retirement advice through (or refuses them).
   */
  async setAdviceConsent(participant: Hex, granted: boolean): Promise<void> {
    await setConsent(this.client('pensionfund'), { collection: this.deployment.collection, subject: participant, party: 'insurer', purpose: PURPOSES.advice, granted })
  }

  async consents(participant: Hex): Promise<Consent[]> {
    return getConsents(this.client('pensionfund'), { collection: this.deployment.collection, subject: participant })
  }

  /**
   * Who read the participant's data and why: the access log of the participant, exported from every
   * member node and verified there (hashes, signatures, the head anchored on chain).
   */
  async accessLog(participant: Hex): Promise<{ lines: AccessLogLine[]; verified: Record<MemberId, boolean> }> {
    await requireCapability(this.client('pensionfund'), 'accessLog')
    const lines: AccessLogLine[] = []
    const verified = {} as Record<MemberId, boolean>
    await Promise.all(
      MEMBER_IDS.map(async (party) => {
        const client = this.client(party)
        const exported = await exportAccessLog(client, { subject: participant })
        verified[party] = (await verifyAccessLog(client, exported)).valid
        for (const e of exported.entries) {
          lines.push({ party: e.party, node: e.node, time: e.time, action: e.action, outcome: e.outcome, purpose: e.purpose, key: e.key, reason: e.reason, ...(e.caller ? { caller: e.caller } : {}) })
        }
      }),
    )
    lines.sort((a, b) => a.time - b.time)
    return { lines, verified }
  }

  /**
   * The participant's right to erasure: the controlling fund asks every member node to erase all
   * of the participant's records; resolves once the member nodes that hold the person record on a
   * contract basis (both funds and the employer) confirmed on chain, or after `timeoutMs`. The
   * insurer's node holds it only while the participant consents, so it may have nothing to confirm.
   * On-chain entries (pseudonymous) stay.
   */
  async eraseParticipant(participant: Hex, opts: { timeoutMs?: number } = {}): Promise<{ requestId: number; confirmed: string[]; pending: string[] }> {
    const controller = this.client('pensionfund')
    const { requestId } = await erasePrivateData(controller, { collection: this.deployment.collection, subject: participant })
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
    const mustConfirm: readonly string[] = ['pensionfund', 'fundb', 'employer']
    for (;;) {
      const status = await getErasureStatus(controller, { collection: this.deployment.collection, key: personKey(participant) })
      const members = (status.members ?? []) as { party: string; status: string }[]
      const confirmed = members.filter((m) => m.status === 'confirmed').map((m) => m.party)
      const pending = members.filter((m) => m.status !== 'confirmed').map((m) => m.party)
      if (mustConfirm.every((p) => confirmed.includes(p)) || Date.now() > deadline) return { requestId, confirmed, pending }
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  // ---- one view -----------------------------------------------------------------------------------

  /** A participant's entitlements across both funds: holders, contributions, verified statements, transfers. */
  async entitlements(participant: Hex, opts: { years?: number[] } = {}): Promise<Entitlements> {
    const [holders, contributions, transfers] = await Promise.all([this.holders(participant), this.contributions({ participant }), this.transfers({ participant })])
    const years = opts.years ?? [...new Set(contributions.map((c) => Math.floor(c.period / 100)))]
    const perFund = await Promise.all(
      FUND_IDS.map(async (fund) => {
        const own = contributions.filter((c) => c.fund === fund)
        const statements = (
          await Promise.all(
            years.map(async (year) => ((await this.publishedStatementHash(fund, participant, year)) ? this.verifyStatement({ fund, participant, year }) : undefined)),
          )
        ).filter((s): s is StatementCheck => s !== undefined)
        return {
          fund,
          contributionsCents: own.filter((c) => c.status === 'acknowledged').reduce((s, c) => s + c.amountCents, 0n),
          acknowledged: own.filter((c) => c.status === 'acknowledged').length,
          disputed: own.filter((c) => c.status === 'disputed').length,
          statements,
        }
      }),
    )
    return { participant, holders, perFund: perFund.filter((f) => holders.includes(f.fund) || f.acknowledged > 0 || f.statements.length > 0), transfers }
  }
}

export { PARTY_IDS }

/** Deploys the four contracts from the pensionfund's account (on Quorate: after their code was approved by vote). */
export async function deployPensionContracts(client: LedgerClient, roles: { funds: Address[]; employers: Address[] }): Promise<ContractAddresses> {
  const args = [roles.funds, roles.employers] as const
  const [registry, contributions, statements] = await Promise.all([
    deployContract(client, { artifact: participantRegistryArtifact, args }),
    deployContract(client, { artifact: contributionsArtifact, args }),
    deployContract(client, { artifact: statementsArtifact, args }),
  ])
  const transfers = await deployContract(client, { artifact: valueTransferArtifact, args: [roles.funds, roles.employers, registry.address] })
  return { registry: registry.address, contributions: contributions.address, statements: statements.address, transfers: transfers.address }
}
