/**
 * `npm run example:pension`: a year of the pension ecosystem on its own devnet. It starts the
 * example's devnet, admits the second fund by vote and starts its node, approves the contracts'
 * code by vote and deploys them, votes in the personal-data collection, then plays the year:
 * participants enrolled, monthly contributions (one disputed and corrected), yearly statements
 * published and verified, one value transfer between the funds, the adviser's access granted and
 * revoked by the participant, one erasure; and prints what each party saw. With `--fabric anvil` the
 * public steps run unchanged on an Anvil node and the private and governance steps say "not
 * supported by this fabric".
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, InvalidArgumentError } from 'commander'
import { isLedgerError, LedgerError } from 'quorate/sdk'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { PURPOSES, saveDeployment, setUpEcosystem, type FabricKind, type PensionApp, type PartyId, type PensionDeployment, type Person, type StatementDocument } from './app/index.js'
import { startPensionAnvil, startPensionDevnet, type PensionAnvil, type PensionDevnet } from './network.js'

export interface ScenarioOptions {
  fabric: FabricKind
  dataDir: string
  rpcPort: number
  p2pPort: number
  /** At least 3: one with entitlements at both funds and consent, one who transfers, one erased. */
  participants: number
  months: number
  year: number
  out: (line: string) => void
}

export interface ScenarioParticipant {
  label: string
  participant: Hex
  key: Hex
  person: Person
}

export interface ScenarioResult {
  deployment: PensionDeployment
  deploymentFile: string
  people: ScenarioParticipant[]
  /** The participant whose personal data was erased. */
  erased: ScenarioParticipant
  devnet: PensionDevnet | undefined
  app: PensionApp
  /** What each party saw, line by line. */
  seen: Record<PartyId | 'participant', string[]>
  /** Steps the fabric did not support. */
  unsupported: string[]
  stop(): Promise<void>
}

/** Made-up people. Their strings are what a privacy scan looks for. */
export const PEOPLE: Omit<Person, 'employer'>[] = [
  { name: 'Anneke Visser-Bruinsma', birthDate: '1968-03-14', salary: 61234 },
  { name: 'Mohamed El Amrani', birthDate: '1979-11-02', salary: 48719 },
  { name: 'Sanne de Groot-Hoekstra', birthDate: '1985-06-27', salary: 53983 },
  { name: 'Jeroen Bakker-Smit', birthDate: '1972-01-19', salary: 72457 },
  { name: 'Fatma Yilmaz-Kaya', birthDate: '1990-09-08', salary: 44128 },
  { name: 'Pieter Jansen-Mulder', birthDate: '1964-12-30', salary: 66071 },
]

/** 18 % of the salary goes to the pension, paid monthly. */
const monthlyCents = (p: Person) => BigInt(Math.round((p.salary * 100 * 0.18) / 12))
const euro = (cents: bigint) => `EUR ${(Number(cents) / 100).toFixed(2)}`
const short = (h: string) => `${h.slice(0, 10)}…`

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  if (opts.participants < 3 || opts.participants > PEOPLE.length) throw new LedgerError('INVALID_INPUT', `participants: 3 to ${PEOPLE.length}`)
  const out = opts.out
  const started = Date.now()
  const t = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`
  const say = (line: string) => out(`[${t()}] ${line}`)
  const seen: ScenarioResult['seen'] = { pensionfund: [], fundb: [], employer: [], insurer: [], regulator: [], participant: [] }
  const unsupported: string[] = []
  /** Runs a step; one the fabric does not offer is reported and skipped. */
  async function step<T>(label: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn()
    } catch (err) {
      if (!isLedgerError(err, 'NOT_SUPPORTED_BY_FABRIC')) throw err
      if (!unsupported.includes(label)) {
        unsupported.push(label)
        say(`${label}: not supported by this fabric (${err.shortMessage})`)
      }
      return undefined
    }
  }

  await mkdir(opts.dataDir, { recursive: true })
  let devnet: PensionDevnet | undefined
  let anvil: PensionAnvil | undefined
  if (opts.fabric === 'quorate') {
    say(`starting the example's devnet in ${opts.dataDir} (4 validator nodes, RPC from port ${opts.rpcPort})`)
    devnet = await startPensionDevnet({ dataDir: join(opts.dataDir, 'devnet'), rpcPort: opts.rpcPort, p2pPort: opts.p2pPort })
    say(`devnet up: ${devnet.devnet.nodes.map((n) => `${n.name} ${n.rpcUrl}`).join(', ')}`)
  } else {
    anvil = await startPensionAnvil()
    say(`Anvil up at ${anvil.anvil.rpcUrl} (${anvil.anvil.mining}); fabric evm`)
  }
  const parties = devnet?.parties ?? anvil!.parties
  const stopLedger = async () => {
    await devnet?.stop()
    await anvil?.anvil.stop()
  }
  try {
    const addressOf = (p: PartyId) => privateKeyToAccount(parties[p].accountKey).address

    // ---- the consortium sets itself up --------------------------------------------------------------
    const app = await setUpEcosystem({ fabric: opts.fabric, parties, ...(devnet ? { joining: devnet } : {}), say, step })
    const deployment = app.deployment

    // ---- participants ------------------------------------------------------------------------------------
    say(`4. enrol ${opts.participants} participants at fund A (pseudonymous ids on chain, personal data private)`)
    const people: ScenarioParticipant[] = await Promise.all(
      PEOPLE.slice(0, opts.participants).map(async (base, i) => {
        const person: Person = { ...base, employer: parties.employer.name }
        const { participant, key } = await app.registerParticipant({ fund: 'pensionfund', externalRef: `employee-${1000 + i}` })
        await step('personal data (priv_putRecord)', () => app.storePerson('pensionfund', participant, person))
        return { label: `participant ${i + 1}`, participant, key, person }
      }),
    )
    for (const p of people) {
      deployment.participants.push({ id: p.participant, label: p.label, key: p.key })
      say(`   ${p.label}: id ${short(p.participant)}, key ${privateKeyToAccount(p.key).address}`)
    }
    const [multi, mover, leaver] = [people[0]!, people[1]!, people[2]!]
    // Participant 1 has rights at fund B from an earlier job.
    await app.addHolder('fundb', multi.participant)
    say(`   ${multi.label} also holds entitlements at fund B (earlier job)`)

    // ---- a year of contributions -------------------------------------------------------------------------------
    say(`5. ${opts.months} months of contributions: the employer reports, fund A acknowledges`)
    const disputed = people[people.length - 1]!
    const disputeMonth = Math.min(2, opts.months)
    for (let m = 1; m <= opts.months; m++) {
      const period = opts.year * 100 + m
      const ids = await Promise.all(
        people.map(async (p) => {
          const amount = p === disputed && m === disputeMonth ? monthlyCents(p.person) * 10n : monthlyCents(p.person)
          return { p, id: await app.reportContribution({ participant: p.participant, period, fund: 'pensionfund', amountCents: amount }) }
        }),
      )
      await Promise.all(
        ids.map(async ({ p, id }) => {
          if (p === disputed && m === disputeMonth) {
            await app.disputeContribution('pensionfund', id, 'amount-exceeds-salary')
            seen.pensionfund.push(`disputed contribution #${id} of ${p.label} for ${period}: amount exceeds the salary on file`)
            await app.correctContribution(id, monthlyCents(p.person))
            seen.employer.push(`saw the dispute of #${id} (${period}) and corrected it to ${euro(monthlyCents(p.person))}`)
          }
          await app.acknowledgeContribution('pensionfund', id)
        }),
      )
      say(`   ${period}: ${ids.length} contributions reported and acknowledged${m === disputeMonth ? ` (one disputed, corrected, then acknowledged)` : ''}`)
    }

    // ---- statements ---------------------------------------------------------------------------------------------
    say(`6. yearly statements ${opts.year}: hash on chain, document in private data; participants verify`)
    const docs = new Map<string, StatementDocument>()
    const publish = async (fund: 'pensionfund' | 'fundb', p: ScenarioParticipant, accruedBeforeCents?: bigint) => {
      const doc = await app.buildStatement(fund, p.participant, opts.year, p.person, accruedBeforeCents === undefined ? {} : { accruedBeforeCents })
      const hash = await app.publishStatementHash(fund, doc)
      await step('statement documents (priv_putRecord)', () => app.storeStatementDocument(fund, doc))
      docs.set(`${fund}:${p.participant}`, doc)
      return hash
    }
    await Promise.all(people.map((p) => publish('pensionfund', p)))
    await publish('fundb', multi, 412_350n)
    for (const p of people) {
      const check = await app.verifyStatement({ fund: 'pensionfund', participant: p.participant, year: opts.year, document: opts.fabric === 'quorate' ? undefined : docs.get(`pensionfund:${p.participant}`) })
      seen.participant.push(`${p.label}: statement ${opts.year} of fund A ${check.valid ? 'verified' : 'NOT verified'} (hash ${short(check.publishedHash ?? '0x')}, accrued ${euro(BigInt(check.document?.accruedPensionCents ?? '0'))})`)
      if (!check.valid) throw new Error(`${p.label}: the statement does not verify`)
    }
    const tampered = { ...docs.get(`pensionfund:${multi.participant}`)!, accruedPensionCents: '99999999' }
    const tamperedCheck = await app.verifyStatement({ fund: 'pensionfund', participant: multi.participant, year: opts.year, document: tampered })
    seen.participant.push(`${multi.label}: a statement with a changed amount does ${tamperedCheck.valid ? 'VERIFY (wrong!)' : 'not verify'}`)
    say(`   ${people.length + 1} statements published; each verified by its participant (a changed copy does not verify)`)

    // ---- value transfer -----------------------------------------------------------------------------------------------
    say(`7. value transfer: ${mover.label} moves their rights from fund A to fund B`)
    const tid = await app.requestTransfer({ participant: mover.participant, participantKey: mover.key, from: 'pensionfund', to: 'fundb' })
    const status = async () => (await app.transfer(tid, 'regulator')).status
    say(`   #${tid} requested (signed by the participant, sent by fund B); regulator sees: ${await status()}`)
    const accrued = BigInt(docs.get(`pensionfund:${mover.participant}`)!.accruedPensionCents) * 20n
    await app.quoteTransfer(tid, accrued)
    say(`   fund A quoted ${euro(accrued)}; regulator sees: ${await status()}`)
    await app.acceptTransfer(tid)
    say(`   fund B accepted; regulator sees: ${await status()}`)
    await app.settleTransfer(tid)
    say(`   fund A settled; regulator sees: ${await status()}; holders now: ${(await app.holders(mover.participant)).join(', ')}`)
    seen.pensionfund.push(`transfer #${tid}: quoted ${euro(accrued)} for ${mover.label}, settled`)
    seen.fundb.push(`transfer #${tid}: accepted ${euro(accrued)} for ${mover.label}; now holds their entitlements`)

    // ---- consent -------------------------------------------------------------------------------------------------------------
    say(`8. consent: ${multi.label} lets the adviser (insurer) read for retirement advice, then withdraws it`)
    const adviserRead = async (when: string, expectGranted: boolean) => {
      const r = await step('purpose-bound reads (priv_getRecord)', async () => {
        // With consent the insurer's node is sent the record first: a moment after consent it may not hold it yet.
        for (let tries = 0; ; tries++) {
          try {
            return `granted: read ${(await app.readPerson('insurer', multi.participant, PURPOSES.advice)).name}'s data`
          } catch (err) {
            if (expectGranted && tries < 60 && isLedgerError(err, 'NOT_FOUND')) {
              await new Promise((res) => setTimeout(res, 250))
              continue
            }
            if (isLedgerError(err, 'NOT_A_MEMBER') || isLedgerError(err, 'NOT_FOUND')) return `refused (${err.shortMessage})`
            throw err
          }
        }
      })
      if (r !== undefined) {
        seen.insurer.push(`${when}: retirement-advice read of ${multi.label}: ${r}`)
        say(`   adviser read ${when}: ${r.startsWith('granted') ? 'granted' : 'refused'}`)
      }
    }
    await adviserRead('before consent', false)
    await step('consent (priv_setConsent)', () => app.setAdviceConsent(multi.participant, true))
    await adviserRead('with consent', true)
    await step('consent (priv_setConsent)', () => app.setAdviceConsent(multi.participant, false))
    await adviserRead('after withdrawal', false)

    // ---- who read my data ------------------------------------------------------------------------------------------------------
    const log = await step('access log export (priv_getAccessLog)', () => app.accessLog(multi.participant))
    if (log) {
      seen.participant.push(`${multi.label}: access log across member nodes, ${log.lines.length} entries (exports verified: ${Object.entries(log.verified).map(([p, ok]) => `${p} ${ok ? 'ok' : 'FAILED'}`).join(', ')}):`)
      for (const l of log.lines) {
        const when = new Date(l.time * 1000).toISOString()
        // A consent entry records the change itself (given or withdrawn), not a read of a record.
        const what = l.action === 'consent' ? `consent for ${l.purpose || '-'}: ${l.reason}` : `${l.action} ${l.key.split(':')[0]} for ${l.purpose || '-'}: ${l.outcome}${l.outcome === 'refused' ? ` (${l.reason})` : ''}`
        seen.participant.push(`    ${when} ${l.party} ${what}`)
      }
    }

    // ---- the regulator and the employer ---------------------------------------------------------------------------------------------
    say('9. what the regulator and the employer can read')
    const regulatorRead = await step('purpose-bound reads (priv_getRecord)', () =>
      app.readPerson('regulator', multi.participant, PURPOSES.administration).then(
        () => 'granted (wrong!)',
        (err: unknown) => (isLedgerError(err, 'NOT_A_MEMBER') ? `refused: ${err.shortMessage}` : Promise.reject(err)),
      ),
    )
    if (regulatorRead) seen.regulator.push(`personal data of ${multi.label}: ${regulatorRead}`)
    const transfers = await app.transfers({ reader: 'regulator' })
    for (const tr of transfers) seen.regulator.push(`transfer #${tr.id}: ${tr.from} -> ${tr.to}, ${tr.status}, ${euro(tr.amountCents)} (participant ${short(tr.participant)}, no personal data)`)
    const all = await app.contributions({ reader: 'regulator' })
    seen.regulator.push(`${all.length} contributions on chain: ${all.filter((c) => c.status === 'acknowledged').length} acknowledged, ${all.filter((c) => c.status === 'disputed').length} in dispute; ${await app.participantCount()} pseudonymous participants`)
    const payroll = await step('purpose-bound reads (priv_getRecord)', () => app.readPerson('employer', mover.participant, PURPOSES.payroll))
    if (payroll) seen.employer.push(`payroll read of ${mover.label}: ${payroll.name}, salary ${payroll.salary}`)
    seen.employer.push(`reported ${all.filter((c) => c.employer.toLowerCase() === addressOf('employer').toLowerCase()).length} contributions`)
    const admin = await step('purpose-bound reads (priv_getRecord)', () => app.readPerson('fundb', mover.participant, PURPOSES.administration))
    if (admin) seen.fundb.push(`pension-administration read of ${mover.label}: ${admin.name}, born ${admin.birthDate}`)

    // ---- erasure ---------------------------------------------------------------------------------------------------------------------------
    say(`10. erasure: ${leaver.label} asks fund A (the controller) to erase their personal data`)
    const erasure = await step('erasure (priv_requestErasure)', () => app.eraseParticipant(leaver.participant))
    if (erasure) {
      say(`   erasure request #${erasure.requestId}: confirmed on chain by ${erasure.confirmed.join(', ') || 'none yet'}${erasure.pending.length ? `; not confirmed: ${erasure.pending.join(', ')} (the insurer holds a record only with consent)` : ''}`)
      for (const party of ['pensionfund', 'fundb', 'employer'] as const) {
        const purpose = party === 'employer' ? PURPOSES.payroll : PURPOSES.administration
        const r = await app.readPerson(party, leaver.participant, purpose).then(
          () => 'still readable (wrong!)',
          (err: unknown) => (isLedgerError(err) ? `gone (${err.code})` : Promise.reject(err)),
        )
        seen[party].push(`after erasure, ${leaver.label}'s personal data: ${r}`)
      }
    }

    // ---- one view of a participant -------------------------------------------------------------------------------------------------------
    const view = await app.entitlements(multi.participant, { years: [opts.year] })
    seen.participant.push(`${multi.label}: entitlements at ${view.holders.join(' and ')}`)
    for (const f of view.perFund) {
      seen.participant.push(`    ${f.fund}: ${f.acknowledged} contributions acknowledged (${euro(f.contributionsCents)}), statements ${f.statements.map((s) => `${s.year} ${s.valid ? 'verified' : s.document ? 'NOT verified' : 'hash on chain'}`).join(', ') || 'none'}`)
    }

    const deploymentFile = resolve(opts.dataDir, 'pension.json')
    await saveDeployment(deploymentFile, deployment)
    say(`done; the deployment (contracts, parties, participants' keys) is in ${deploymentFile}`)
    out('')
    out('What each party saw:')
    const names: Record<PartyId | 'participant', string> = { pensionfund: 'Fund A (pensionfund)', fundb: 'Fund B (fundb)', employer: 'Employer', insurer: 'Insurer / adviser', regulator: 'Regulator', participant: 'Participants' }
    for (const [party, lines] of Object.entries(seen)) {
      out(`  ${names[party as PartyId | 'participant']}:`)
      for (const l of lines.length ? lines : ['(nothing)']) out(`    ${l}`)
    }
    if (unsupported.length) out(`\nNot supported by the ${opts.fabric} fabric: ${unsupported.join('; ')}`)
    out(`\nScenario finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
    let stopped: Promise<void> | undefined
    const stop = () => (stopped ??= app.close().then(stopLedger))
    return { deployment, deploymentFile, people, erased: leaver, devnet, app, seen, unsupported, stop }
  } catch (err) {
    await stopLedger()
    throw err
  }
}

/** The portal, when the example has one: `portal/server.js` exporting `startPortal`. */
interface PortalModule {
  startPortal(opts: { deploymentFile: string; port: number; out: (line: string) => void }): Promise<{ url: string; close(): Promise<void> }>
}

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`)
    return Number(v)
  }
}

async function main(): Promise<void> {
  const program = new Command('example:pension')
    .description('a year of the pension ecosystem on Quorate (or its public parts on Anvil)')
    .option('--fabric <fabric>', 'quorate (a devnet of its own) or anvil (public parts only)', 'quorate')
    .option('--data-dir <dir>', 'where the devnet and pension.json live (deleted and made again each run)', '.devnet-pension')
    .option('--rpc-port <port>', 'RPC port of the first node (node i: port + i - 1; fund B: port + 4)', int('--rpc-port'), 8545)
    .option('--p2p-port <port>', 'P2P port of the first node', int('--p2p-port'), 30303)
    .option('--participants <n>', 'participants (3 to 6)', int('--participants'), 4)
    .option('--months <n>', 'months of contributions (1 to 12)', int('--months'), 12)
    .option('--year <yyyy>', 'the year played', int('--year'), 2026)
    .option('--portal-port <port>', 'port of the portal', int('--portal-port'), 8080)
    .option('--exit', 'stop after the scenario instead of keeping the devnet (and portal) running')
    .parse()
  const o = program.opts<{ fabric: string; dataDir: string; rpcPort: number; p2pPort: number; participants: number; months: number; year: number; portalPort: number; exit?: boolean }>()
  if (o.fabric !== 'quorate' && o.fabric !== 'anvil') program.error(`--fabric must be quorate or anvil, got "${o.fabric}"`)
  if (o.months < 1 || o.months > 12) program.error('--months must be 1 to 12')
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const result = await runScenario({
    fabric: o.fabric === 'quorate' ? 'quorate' : 'evm',
    dataDir: resolve(o.dataDir),
    rpcPort: o.rpcPort,
    p2pPort: o.p2pPort,
    participants: o.participants,
    months: o.months,
    year: o.year,
    out,
  })
  if (o.exit) {
    await result.stop()
    return
  }
  let portal: Awaited<ReturnType<PortalModule['startPortal']>> | undefined
  const portalModule = './portal/server.js'
  const loaded = (await import(portalModule).catch(() => undefined)) as PortalModule | undefined
  if (loaded) {
    portal = await loaded.startPortal({ deploymentFile: result.deploymentFile, port: o.portalPort, out })
    out(`\nThe portal: ${portal.url} (participant, employer and fund pages). Ctrl-C stops the portal and the devnet.`)
  } else {
    out(`\nThe ledger keeps running (${result.devnet ? result.devnet.devnet.nodes[0]!.rpcUrl : 'Anvil'}). Ctrl-C stops it.`)
  }
  await new Promise<void>((res) => {
    process.once('SIGINT', res)
    process.once('SIGTERM', res)
  })
  out('stopping…')
  await portal?.close()
  await result.stop()
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  })
}
