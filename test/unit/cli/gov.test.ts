/**
 * `quorate gov`: flags become typed decisions (a bad or foreign flag is named), votes needed and
 * times are shown as people read them, and list/show render the gov_* answers of a node (here a
 * loopback JSON-RPC server answering like one; test/integration/governance-onboarding.test.ts runs
 * the commands against real nodes).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encodeErrorResult, keccak256 } from 'viem'
import {
  buildDecision,
  codeHashOf,
  formatChainParameterDiff,
  formatChainParameters,
  decodeReason,
  formatDuration,
  formatProposal,
  localTime,
  parseDecisionName,
  parseDuration,
  relativeTime,
  runGovList,
  runGovShow,
  sameChangeOpen,
  yesNeeded,
  type DecisionContext,
  type PolicyInfo,
  type ProposalInfo,
} from '../../../src/cli/gov.js'
import { decodeDecision, decisionIndex, encodeDecision, type DecisionArgs } from '../../../src/governance/decisions.js'
import { ConfigError } from '../../../src/errors.js'
import { governanceErrorAbi } from '../../../src/governance/revert-reasons.js'
import { tempDir } from '../../helpers/tmp.js'
import { startFakeNode, type FakeNode } from './helpers.js'

const ERROR_ABI = [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }] as const
const A = '0x00000000000000000000000000000000000000a1'
const NODE = '0x00000000000000000000000000000000000000b1'

let tmp: Awaited<ReturnType<typeof tempDir>>
const servers: FakeNode[] = []
beforeEach(async () => {
  tmp = await tempDir('quorate-gov-')
})
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
  await tmp.cleanup()
})

const policies: PolicyInfo[] = [{ decision: 'AddNode', thresholdPercent: 50, comparator: '>', votingPeriodSeconds: 259_200, vetoParties: ['regulator'] }]
const ctx: DecisionContext = {
  policies: async () => policies,
  code: async (a) => (a === NODE ? '0x6001600101' : '0x'),
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const e = await p.then(() => undefined, (err: unknown) => err)
  expect(e).toBeInstanceOf(ConfigError)
  return e as ConfigError
}

async function collectionFile(basis = 'contract'): Promise<string> {
  const file = join(tmp.dir, 'collection.yaml')
  await writeFile(
    file,
    ['id: participants', 'controller: pensionfund', 'retention: 7y', 'members: [pensionfund, insurer]', 'grants:', `  - { party: insurer, purpose: disability-claim, basis: "${basis}" }`].join('\n'),
  )
  return file
}

describe('gov propose: decisions from flags', () => {
  it('builds every supported decision, and its payload round-trips through the contract encoding', async () => {
    const request = join(tmp.dir, 'request.json')
    await writeFile(request, JSON.stringify({ party: { id: 'newfund', name: 'New Fund', kind: 'member', admins: [A.toUpperCase().replace('0X', '0x')] }, node: { address: NODE, endpoint: 'wss://nf.example:443' } }))
    const cases = [
      await buildDecision('add-party', { partyId: 'newfund', name: 'New Fund', kind: 'member', admin: [A] }, ctx),
      await buildDecision('AddParty', { request }, ctx),
      await buildDecision('add-node', { request, validator: true }, ctx),
      await buildDecision('remove-party', { partyId: 'newfund' }, ctx),
      await buildDecision('add_validator', { node: NODE }, ctx),
      await buildDecision('approve-code', { codeHash: `0x${'ab'.repeat(32)}` }, ctx),
      await buildDecision('revoke-code', { bytecodeFromRpc: NODE }, ctx),
      await buildDecision('upgrade-contract', { proxy: A, implementation: NODE }, ctx),
      await buildDecision('change-policy', { decision: 'add-node', threshold: 75 }, ctx),
      await buildDecision('set-account-permissions', { account: A, partyId: 'newfund', permissions: 'transact,call' }, ctx),
      await buildDecision('set-collection', { collectionFile: await collectionFile() }, ctx),
      await buildDecision('rotate-admins', { partyId: 'newfund', admin: [A, NODE] }, ctx),
      await buildDecision('freeze-party', { partyId: 'newfund' }, ctx),
      await buildDecision('unfreeze-party', { partyId: 'newfund' }, ctx),
      await buildDecision('set-min-validators', { minValidators: 3 }, ctx),
    ]
    expect(cases.slice(11)).toEqual([
      { decision: 'RotateAdmins', id: 'newfund', admins: [A, NODE] },
      { decision: 'FreezeParty', id: 'newfund' },
      { decision: 'UnfreezeParty', id: 'newfund' },
      { decision: 'SetMinValidators', minValidators: 3 },
    ])
    expect(cases[10]).toEqual({
      decision: 'SetCollection',
      id: 'participants',
      controller: 'pensionfund',
      retentionSeconds: 7 * 365 * 86_400,
      members: ['pensionfund', 'insurer'],
      grants: [{ party: 'insurer', purpose: 'disability-claim', basis: 'contract' }],
    })
    expect(cases[0]).toEqual({ decision: 'AddParty', id: 'newfund', name: 'New Fund', kind: 'member', admins: [A] })
    expect(cases[1]).toEqual(cases[0])
    expect(cases[2]).toEqual({ decision: 'AddNode', node: NODE, party: 'newfund', endpoint: 'wss://nf.example:443', validator: true })
    expect(cases[6]).toEqual({ decision: 'RevokeCode', codeHash: keccak256('0x6001600101') })
    // change-policy keeps what is not given from the current policy.
    expect(cases[8]).toEqual({ decision: 'ChangePolicy', target: 'AddNode', thresholdPercent: 75, comparator: '>', votingPeriodSeconds: 259_200, vetoParties: ['regulator'] })
    for (const args of cases) {
      const decoded = decodeDecision(decisionIndex(args.decision), encodeDecision(args))
      expect(decoded).toMatchObject(args)
    }
  })

  it('set-chain-parameters takes --at-block and the values that change; refuses nothing to change, a bad protocol name and foreign flags', async () => {
    const args = await buildDecision('set-chain-parameters', { atBlock: 500, blockPeriodMs: 2000, gasLimit: 40_000_000 }, ctx)
    expect(args).toEqual({ decision: 'SetChainParameters', activationBlock: 500, blockPeriodMs: 2000, gasLimit: 40_000_000 })
    expect(decodeDecision(decisionIndex('SetChainParameters'), encodeDecision(args))).toEqual(args)
    expect((await configError(buildDecision('set-chain-parameters', { blockPeriodMs: 2000 }, ctx))).message).toBe('--at-block: set-chain-parameters needs --at-block')
    expect((await configError(buildDecision('set-chain-parameters', { atBlock: 500 }, ctx))).message).toMatch(/^--block-period-ms: set-chain-parameters needs at least one of/)
    expect((await configError(buildDecision('set-chain-parameters', { atBlock: 500, protocol: 'Quorate 2' }, ctx))).message).toMatch(/^--protocol: expected a protocol name like quorate\/2/)
    expect((await configError(buildDecision('set-chain-parameters', { atBlock: 500, gasLimit: 40_000_000, node: A }, ctx))).message).toMatch(/^--node: does not apply to set-chain-parameters/)
    expect((await configError(buildDecision('add-validator', { node: A, atBlock: 500 }, ctx))).message).toMatch(/^--at-block: does not apply to add-validator/)
  })

  it('gov params and gov show print each chain parameter on its line: now, scheduled or proposed, and a warning for an unsupported protocol', () => {
    const now = { blockPeriodMs: 1000, emptyBlockPeriodMs: 10_000, gasLimit: 50_000_000, protocol: 'quorate/1' }
    expect(formatChainParameters({ head: 41, current: now, scheduled: { ...now, activationBlock: 200, gasLimit: 40_000_000, protocol: 'quorate/2' }, supportedProtocols: ['quorate/1'], stoppedAtUpgrade: null })).toBe(
      [
        'chain parameters of block 42 (head 41)',
        '  block period          1000 ms',
        '  empty-block period    10000 ms',
        '  gas limit             50000000  → 40000000 from block 200',
        '  protocol              quorate/1  → quorate/2 from block 200',
        'scheduled: a change from block 200 (158 blocks from now)',
        'this node supports protocols: quorate/1',
        'WARNING: protocol quorate/2 is scheduled from block 200; this node will stop before it: upgrade its software first',
        '',
      ].join('\n'),
    )
    expect(formatChainParameterDiff({ activationBlock: 200, blockPeriodMs: 2000 }, now).split('\n')).toEqual([
      '  chain parameters from block 200 (now → proposed)',
      '    block period          1000 ms → 2000 ms',
      '    empty-block period    10000 ms (unchanged)',
      '    gas limit             50000000 (unchanged)',
      '    protocol              quorate/1 (unchanged)',
    ])
  })

  it('set-collection refuses a legal basis outside the documented list before anything is sent', async () => {
    const err = await configError(buildDecision('set-collection', { collectionFile: await collectionFile('GDPR 6(1)(b) contract') }, ctx))
    expect(err.message).toMatch(/grants\.0\.basis: legal basis "GDPR 6\(1\)\(b\) contract" is not one of: consent, contract, legal-obligation, vital-interests, public-task, legitimate-interests/)
    // The encoder every client goes through (CLI, GovernanceClient, SDK) refuses it too.
    expect(() =>
      encodeDecision({ decision: 'SetCollection', id: 'c', controller: 'a', retentionSeconds: 60, members: ['a'], grants: [{ party: 'a', purpose: 'p', basis: 'because' }] }),
    ).toThrow(/legal basis "because", which is not one of: consent, contract/)
  })

  it('hashes runtime code from a hex file or a JSON artifact, refusing creation-only artifacts and unlinked code', async () => {
    const hex = join(tmp.dir, 'code.hex')
    await writeFile(hex, '6001600101\n')
    const hardhat = join(tmp.dir, 'Token.json')
    await writeFile(hardhat, JSON.stringify({ bytecode: '0x60806040', deployedBytecode: '0x6001600101' }))
    const solc = join(tmp.dir, 'solc.json')
    await writeFile(solc, JSON.stringify({ evm: { deployedBytecode: { object: '6001600101' } } }))
    const want = keccak256('0x6001600101')
    for (const codeFile of [hex, hardhat, solc]) expect(await buildDecision('approve-code', { codeFile }, ctx)).toEqual({ decision: 'ApproveCode', codeHash: want })
    expect(codeHashOf('0x6001600101')).toBe(want)
    const creationOnly = join(tmp.dir, 'creation.json')
    await writeFile(creationOnly, JSON.stringify({ bytecode: '0x6080' }))
    expect((await configError(buildDecision('approve-code', { codeFile: creationOnly }, ctx))).message).toMatch(/^--code-file: .* has no deployedBytecode \(the RUNTIME code is hashed/)
    const unlinked = join(tmp.dir, 'unlinked.hex')
    await writeFile(unlinked, '0x6001__$abc$__01')
    expect((await configError(buildDecision('approve-code', { codeFile: unlinked }, ctx))).message).toMatch(/unlinked library placeholders/)
    expect((await configError(buildDecision('approve-code', { bytecodeFromRpc: A }, ctx))).message).toMatch(/^--bytecode-from-rpc: there is no contract code at/)
    expect((await configError(buildDecision('approve-code', {}, ctx))).message).toMatch(/exactly one of --code-hash, --code-file or --bytecode-from-rpc/)
  })

  it('names the bad flag: missing, malformed, or not one of the decision\'s flags', async () => {
    const cases: [string, Parameters<typeof buildDecision>[1], RegExp][] = [
      ['add-party', { partyId: 'newfund', name: 'N', kind: 'member' }, /^--admin: add-party needs at least one --admin/],
      ['add-party', { partyId: 'New Fund', name: 'N', kind: 'member', admin: [A] }, /^--party-id: "New Fund" is not a party id/],
      ['add-party', { partyId: 'nf', name: 'N', kind: 'boss', admin: [A] }, /^--kind: expected member, regulator or observer/],
      ['add-party', { partyId: 'nf', name: 'N', kind: 'member', admin: ['0x12'] }, /^--admin: expected a 20-byte 0x-prefixed address/],
      ['add-party', { partyId: 'nf', name: 'N', kind: 'member', admin: [A], threshold: 50 }, /^--threshold: does not apply to add-party; it takes --request, --party-id, --name, --kind, --admin/],
      ['add-validator', {}, /^--node: add-validator needs --node/],
      ['rotate-admins', { partyId: 'nf' }, /^--admin: rotate-admins needs the new admin keys/],
      ['set-min-validators', {}, /^--min-validators: set-min-validators needs --min-validators/],
      ['freeze-party', { partyId: 'nf', node: NODE }, /^--node: does not apply to freeze-party; it takes --party-id/],
      ['remove-validator', { node: NODE, partyId: 'x' }, /^--party-id: does not apply to remove-validator/],
      ['add-node', { node: NODE, partyId: 'nf', endpoint: 'http://x:1' }, /^--endpoint: expected wss:\/\/host:port/],
      ['change-policy', { decision: 'add-node' }, /^--threshold: change-policy needs at least one of/],
      ['change-policy', { decision: 'add-node', threshold: 101 }, /^--threshold: expected a percentage from 1 to 100/],
      ['change-policy', { decision: 'add-node', comparator: '=>' }, /^--comparator: expected ">" or ">="/],
      ['change-policy', { decision: 'add-node', votingPeriod: '3 days' }, /^--voting-period: expected a duration like 90, 30m, 12h or 3d/],
      ['change-policy', { decision: 'make-coffee', threshold: 5 }, /^--decision: unknown decision "make-coffee"/],
      ['set-account-permissions', { account: A, partyId: 'nf', permissions: 'transact,fly' }, /^--permissions: unknown permission "fly"/],
      ['add-everything', {}, /^<decision>: unknown decision "add-everything"; one of: add-party, /],
    ]
    for (const [decision, flags, message] of cases) expect((await configError(buildDecision(decision, flags, ctx))).message, decision).toMatch(message)
  })

  it('reads a join request and names its bad field', async () => {
    const bad = join(tmp.dir, 'bad.json')
    await writeFile(bad, JSON.stringify({ party: { id: 'nf', name: 'N', kind: 'member', admins: ['nope'] }, node: { address: NODE } }))
    expect((await configError(buildDecision('add-party', { request: bad }, ctx))).message).toMatch(/^--request: .*party\.admins\.0: expected an address/)
    expect((await configError(buildDecision('add-party', { request: join(tmp.dir, 'none.json') }, ctx))).message).toMatch(/^--request: cannot read the join request/)
  })
})

describe('what people read', () => {
  it('counts the yes votes that approve, for both comparators', () => {
    expect(yesNeeded({ thresholdPercent: 50, comparator: '>', votingParties: 4 })).toBe(3)
    expect(yesNeeded({ thresholdPercent: 50, comparator: '>=', votingParties: 4 })).toBe(2)
    expect(yesNeeded({ thresholdPercent: 66, comparator: '>=', votingParties: 4 })).toBe(3)
    expect(yesNeeded({ thresholdPercent: 50, comparator: '>', votingParties: 5 })).toBe(3)
    expect(yesNeeded({ thresholdPercent: 100, comparator: '>=', votingParties: 3 })).toBe(3)
  })

  it('writes durations, relative times and local times', () => {
    expect(formatDuration(112)).toBe('1m 52s')
    expect(formatDuration(3 * 86_400 + 7200 + 5)).toBe('3d 2h')
    expect(formatDuration(0)).toBe('0s')
    expect(relativeTime(1_000_112, 1_000_000_000)).toBe('in 1m 52s')
    expect(relativeTime(999_000, 1_000_000_000)).toBe('16m 40s ago')
    expect(localTime(1_700_000_000)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d$/)
    expect(parseDuration('3d', '--voting-period')).toBe(259_200)
    expect(parseDuration('90', '--voting-period')).toBe(90)
    expect(parseDecisionName('SET-ACCOUNT-PERMISSIONS')).toBe('SetAccountPermissions')
  })

  it('decodes a failed decision\'s reason: Error(string) or a governance custom error', () => {
    const data = encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: ['insufficient balance'] })
    expect(decodeReason(data)).toBe('insufficient balance')
    const custom = encodeErrorResult({ abi: governanceErrorAbi(), errorName: 'TooFewValidators', args: [4n] })
    expect(decodeReason(custom)).toBe('governance: would leave fewer than 4 validators (TooFewValidators)')
    expect(decodeReason('0x12345678')).toBe('reverted with 0x12345678')
    expect(decodeReason('0x')).toBe('reverted without a reason')
  })
})

const NOW = 1_700_000_000_000
const proposal = (over: Partial<ProposalInfo> = {}): ProposalInfo => ({
  id: 3,
  decision: 'AddParty',
  description: 'Admit New Fund',
  proposer: 'employer',
  createdAt: NOW / 1000 - 60,
  deadline: NOW / 1000 + 540,
  state: 'open',
  yes: 1,
  no: 1,
  votingParties: 4,
  thresholdPercent: 66,
  comparator: '>=',
  vetoParties: ['regulator'],
  votes: [
    { party: 'employer', support: true },
    { party: 'regulator', support: false },
  ],
  args: { decision: 'AddParty', id: 'newfund', name: 'New Fund', kind: 'member', admins: [A] },
  ...over,
})
const parties = ['pensionfund', 'employer', 'insurer', 'regulator'].map((id) => ({ id, name: id, kind: 'member' as const, status: 'active', admins: [] }))

async function govNode(methods: Record<string, (params: unknown[]) => unknown>): Promise<string> {
  const s = await startFakeNode({ methods })
  servers.push(s)
  return s.url
}

describe('gov list and gov show against a node', () => {
  it('shows a proposal: arguments, votes per party, threshold, deadline, and the next command', async () => {
    const url = await govNode({ gov_getProposal: () => proposal(), gov_getParties: () => parties })
    let out = ''
    expect(await runGovShow(3, { rpc: url, json: false }, { out: (t) => (out += t), err: () => undefined, now: () => NOW })).toBe(0)
    const text = formatProposal(proposal(), parties, NOW)
    expect(out.startsWith(text)).toBe(true)
    expect(out).toContain('Proposal #3: AddParty — open')
    expect(out).toMatch(/admins\s+0x00000000000000000000000000000000000000a1/)
    expect(out).toMatch(/deadline\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d \(in 9m\)/)
    expect(out).toContain('1 yes, 1 no of 4 voting parties; approved at 3 yes (>= 66%)')
    expect(out).toContain('a no from regulator rejects at once')
    expect(out).toMatch(/employer\s+yes\n/)
    expect(out).toMatch(/regulator \(veto\)\s+no\n/)
    expect(out).toMatch(/insurer\s+-\n/)
    expect(out).toContain(`quorate gov vote 3 yes|no --key-file <its admin key> --rpc ${url}`)
  })

  it("shows a collection's grants as party, purpose and legal basis, one per line", () => {
    const args = { decision: 'SetCollection', id: 'patients', controller: 'hospital', retentionSeconds: 3600, members: ['hospital', 'insurer'], grants: [{ party: 'hospital', purpose: 'treatment', basis: 'vital-interests' }, { party: 'insurer', purpose: 'billing', basis: 'contract' }] }
    const out = formatProposal(proposal({ decision: 'SetCollection', args }), parties, NOW)
    expect(out).not.toContain('[object Object]')
    expect(out).toMatch(/grants\s+hospital: treatment \(vital-interests\)\n\s+insurer: billing \(contract\)\n/)
    expect(out).toMatch(/retentionSeconds\s+3600 s \(1h\)/)
  })

  it('shows text written by any admin (descriptions, names) without its control characters', () => {
    const out = formatProposal(proposal({ description: 'ok\u001b[2J\nforged line', args: { decision: 'AddParty', id: 'x', name: 'Evil\u001b[31m', kind: 'member', admins: [] } }), parties, NOW)
    expect(out.includes('\u001b')).toBe(false)
    expect(out).toContain('description ok?[2J?forged line')
    expect(out).toMatch(/name\s+Evil\?\[31m/)
  })

  it('says an open proposal past its deadline can only be closed with gov execute', async () => {
    const url = await govNode({ gov_getProposal: () => proposal({ deadline: NOW / 1000 - 5 }), gov_getParties: () => parties })
    let out = ''
    await runGovShow(3, { rpc: url, json: false }, { out: (t) => (out += t), err: () => undefined, now: () => NOW })
    expect(out).toContain('Proposal #3: AddParty — open, voting ended')
    expect(out).toContain(`close it with: quorate gov execute 3 --key-file <admin key> --rpc ${url}`)
  })

  it('lists proposals with a state filter, and passes the filter to the node', async () => {
    const seen: unknown[] = []
    const url = await govNode({
      gov_getProposals: (params) => {
        seen.push(params)
        return [proposal(), proposal({ id: 4, decision: 'RemoveValidator', state: 'failed', args: { decision: 'RemoveValidator', node: A } })]
      },
    })
    let out = ''
    await runGovList('proposals', { rpc: url, state: 'open', json: false }, { out: (t) => (out += t), err: () => undefined, now: () => NOW })
    expect(seen).toEqual([[{ state: 'open' }]])
    const lines = out.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+DECISION\s+WHAT\s+PROPOSER\s+STATE\s+VOTES\s+DEADLINE\s+DESCRIPTION$/)
    expect(lines[1]).toMatch(/^#3\s+AddParty\s+newfund "New Fund" \(member\), admins 0x0+a1\s+employer\s+open\s+1 yes \/ 1 no, needs 3 of 4\s+in 9m\s+Admit New Fund$/)
    expect(lines[2]).toMatch(/^#4\s+RemoveValidator\s+0x0+a1\s+employer\s+failed\s+.*\s+-\s+Admit New Fund$/)
    await expect(runGovList('nodes', { rpc: url, state: 'open', json: false }, { out: () => undefined, err: () => undefined })).rejects.toThrow(/^--state: applies to `gov list proposals` only/)
  })

  it('lists nodes with the validators that count, and parties with their node counts', async () => {
    const url = await govNode({
      gov_getNodes: () => [
        { address: NODE, party: 'pensionfund', endpoint: 'wss://pf.example:443', validator: true, status: 'active', encryptionKey: `0x${'00'.repeat(32)}` },
        { address: A, party: 'employer', endpoint: '', validator: false, status: 'removed', encryptionKey: `0x${'00'.repeat(32)}` },
      ],
      gov_getValidators: () => [NODE],
      gov_getParties: () => parties,
    })
    let out = ''
    await runGovList('nodes', { rpc: url, json: false }, { out: (t) => (out += t), err: () => undefined })
    expect(out).toMatch(new RegExp(`${NODE}\\s+pensionfund\\s+active\\s+validator\\s+wss://pf.example:443`))
    expect(out).toMatch(new RegExp(`${A}\\s+employer\\s+removed\\s+-\\s+\\(outbound only\\)`))
    out = ''
    await runGovList('parties', { rpc: url, json: false }, { out: (t) => (out += t), err: () => undefined })
    expect(out).toMatch(/pensionfund\s+pensionfund\s+member\s+active\s+yes\s+1/)
    expect(out).toMatch(/employer\s+employer\s+member\s+active\s+yes\s+0/)
  })

  it('says "governance is not enabled" when the node has no gov_ methods', async () => {
    const url = await govNode({ eth_chainId: () => '0x539' })
    const err = await runGovList('parties', { rpc: url, json: false }, { out: () => undefined, err: () => undefined }).then(() => undefined, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'GOVERNANCE_NOT_ENABLED' })
    expect((err as Error).message).toMatch(/governance is not enabled on the chain behind/)
  })
})

describe('one open proposal per change', () => {
  it('finds an open proposal of the same decision on the same subject, ignoring other subjects, decisions, ended votes and alternatives', () => {
    const addParty: DecisionArgs = { decision: 'AddParty', id: 'newfund', name: 'Other name', kind: 'member', admins: [A] }
    const open = [proposal({ id: 3 }), proposal({ id: 4, decision: 'AddNode', args: { decision: 'AddNode', node: NODE, party: 'newfund' } })]
    expect(sameChangeOpen(addParty, open, NOW / 1000)?.id).toBe(3)
    expect(sameChangeOpen({ decision: 'AddParty', id: 'otherfund', name: 'Other', kind: 'member', admins: [A] }, open, NOW / 1000)).toBeUndefined()
    expect(sameChangeOpen({ decision: 'RemoveParty', id: 'newfund' }, open, NOW / 1000)).toBeUndefined()
    // Addresses compare without case; a proposal whose voting period ended can no longer pass.
    expect(sameChangeOpen({ decision: 'AddNode', node: `0x${NODE.slice(2).toUpperCase()}`, party: 'newfund', endpoint: '', validator: false }, open, NOW / 1000)?.id).toBe(4)
    expect(sameChangeOpen(addParty, [proposal({ deadline: NOW / 1000 - 1 })], NOW / 1000)).toBeUndefined()
    expect(sameChangeOpen(addParty, [proposal({ state: 'approved' })], NOW / 1000)).toBeUndefined()
    // Competing policies or chain parameters are alternatives, not duplicates.
    const policy: DecisionArgs = { decision: 'ChangePolicy', target: 'AddParty', thresholdPercent: 66, comparator: '>=', votingPeriodSeconds: 600, vetoParties: [] }
    expect(sameChangeOpen(policy, [proposal({ decision: 'ChangePolicy', args: { ...policy } })], NOW / 1000)).toBeUndefined()
  })
})
