/**
 * ConsortiumGovernance and GovernedProxy in a real EVM: the founding state from the constructor,
 * proposals of every decision type decided by votes and executed in the deciding transaction,
 * thresholds (> and >=), vetoes, expiry, who may vote, the validator floor, code approval for
 * upgrades, and the audit-trail events.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { hexToBytes } from '@ethereumjs/util'
import { decodeAbiParameters, encodeAbiParameters, encodeFunctionData, parseAbiParameters, type Abi } from 'viem'
import { keccakHex } from '../../../src/crypto/keys.js'
import { decodeRevertReason } from '../../../src/execution/revert.js'
import { governanceArtifacts } from '../../../src/governance/artifacts.js'
import type { Address, Hex } from '../../../src/types.js'
import { compileSolidity } from '../../helpers/solc.js'
import {
  CHAIN_PARAMETERS,
  Decision,
  NODE_KEYS,
  GOVERNANCE,
  GovernanceChain,
  State,
  ZERO_KEY,
  keys,
  names,
  node,
  payload,
  pid,
  policies,
  runConstructor,
  standardGenesis,
  type GenesisArgs,
  type Party,
} from './governance-vm.js'

const k = keys()
// Admins: pensionfund k0 and k5, employer k1, insurer k2, regulator k3, auditor (observer) k4.
const [PF, EMP, INS, REG, AUD, PF2, USER1, USER2, OUTSIDER, NEWCOMER] = k as [
  (typeof k)[0], (typeof k)[0], (typeof k)[0], (typeof k)[0], (typeof k)[0],
  (typeof k)[0], (typeof k)[0], (typeof k)[0], (typeof k)[0], (typeof k)[0],
]
const MEMBERS = [PF, EMP, INS]

const IMPLEMENTATION_SLOT: Hex = '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc'
const ADMIN_SLOT: Hex = '0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103'

// Implementations behind a GovernedProxy: same storage layout, different behaviour.
const BOXES = `
// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;
contract BoxV1 {
  uint256 public value;
  function initialize(uint256 v) external { value = v; }
  function set(uint256 v) external { value = v; }
  function version() external pure returns (uint256) { return 1; }
}
contract BoxV2 {
  uint256 public value;
  function set(uint256 v) external { value = v * 2; }
  function version() external pure returns (uint256) { return 2; }
}`

function failureReason(events: { eventName: string; args: Record<string, unknown> }[]): string | undefined {
  const failed = events.find((e) => e.eventName === 'ProposalFailed')
  return failed ? decodeRevertReason(failed.args.reason as Hex) : undefined
}

async function party(chain: GovernanceChain, id: string): Promise<Party> {
  return chain.read<Party>('getParty', [pid(id)])
}

describe('ConsortiumGovernance: genesis', () => {
  it('holds the founding parties, nodes, accounts and policies when copied to the fixed address', async () => {
    const chain = await GovernanceChain.create()
    const { deployedBytecode } = governanceArtifacts().ConsortiumGovernance
    // No immutables: the code at the fixed address is exactly the artifact's runtime code.
    expect(await chain.codeAt(GOVERNANCE)).toBe(deployedBytecode)

    const parties = await chain.read<readonly Party[]>('getParties')
    expect(parties.map((p) => [p.id, p.kind, p.status])).toEqual([
      [pid('pensionfund'), 0, 1],
      [pid('employer'), 0, 1],
      [pid('insurer'), 0, 1],
      [pid('regulator'), 1, 1],
      [pid('auditor'), 2, 1],
    ])
    expect(parties[0]!.name).toBe('Pension Fund')
    expect(parties[0]!.admins.map((a) => a.toLowerCase())).toEqual([PF.address, PF2.address])
    expect((await party(chain, 'nobody')).status).toBe(0)

    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1), node(0xc1)].map(checksum))
    const [nodes, nodeParties, validators, statuses, endpoints, encryptionKeys] = await chain.read<
      readonly [readonly Address[], readonly Hex[], readonly boolean[], readonly number[], readonly string[], readonly Hex[]]
    >('getNodes')
    expect(nodes.map((a) => a.toLowerCase())).toEqual([0xa1, 0xb1, 0xc1, 0xd1, 0xe1].map(node))
    expect(nodeParties[3]).toBe(pid('regulator'))
    expect(validators).toEqual([true, true, true, false, false])
    expect(statuses).toEqual([1, 1, 1, 1, 1])
    expect(endpoints[0]).toBe('wss://pf.example:30303')
    expect(encryptionKeys[0]).toBe(`0x${'11'.repeat(32)}`)
    expect(encryptionKeys[1]).toBe(ZERO_KEY)
    expect(await chain.read('isNodeAllowed', [node(0xe1)])).toBe(true)
    expect(await chain.read('isNodeAllowed', [node(0xf1)])).toBe(false)

    // Admins of active parties have every bit; registered accounts their own; anyone else none.
    expect(await chain.read('permissionsOf', [PF2.address])).toBe(7)
    expect(await chain.read('permissionsOf', [AUD.address])).toBe(7)
    expect(await chain.read('permissionsOf', [USER1.address])).toBe(5)
    expect(await chain.read('permissionsOf', [USER2.address])).toBe(2)
    expect(await chain.read('permissionsOf', [OUTSIDER.address])).toBe(0)
    expect(await chain.read('getAccount', [USER1.address])).toEqual([pid('pensionfund'), 5])
    const [listed, accountParties, bits] = (await chain.read('getAccounts', [])) as [string[], string[], number[]]
    const at = listed.map((x) => x.toLowerCase()).indexOf(USER1.address.toLowerCase())
    expect(at).toBeGreaterThanOrEqual(0)
    expect([accountParties[at], bits[at]]).toEqual([pid('pensionfund'), 5])
    expect(await chain.read('adminPartyOf', [PF2.address])).toBe(pid('pensionfund'))

    expect(await chain.read('minValidators')).toBe(2)
    expect(await chain.read('proposalCount')).toBe(0n)
    expect(await chain.read('getPolicy', [Decision.ApproveCode])).toEqual({ thresholdPercent: 50, inclusive: false, votingPeriod: 3600n, vetoParties: [pid('regulator')] })
    expect(await chain.read('isCodeApproved', [keccakHex(new Uint8Array([1]))])).toBe(false)
  })

  it('refuses a founding state that breaks a rule, naming the rule', async () => {
    const cases: [string, (g: GenesisArgs) => void, string][] = [
      ['missing policy', (g) => g.policies.pop(), 'governance: every decision type needs a policy (MissingPolicy)'],
      ['duplicate policy', (g) => (g.policies[1] = { ...g.policies[1]!, decisionType: 0 }), 'governance: two policies for decision type 0 (DuplicatePolicy)'],
      ['too few validators', (g) => (g.minValidators = 4), 'governance: the founding nodes have fewer than 4 validators (TooFewFoundingValidators)'],
      ['zero minValidators', (g) => (g.minValidators = 0), 'governance: minValidators must be at least 1 (MinValidatorsTooLow)'],
      ['only observers', (g) => (g.parties = g.parties.map((p) => ({ ...p, kind: 2 }))), 'governance: at least one founding party must be a member or regulator (NoFoundingVoter)'],
      ['admin of two parties', (g) => g.parties[1]!.admins.push(PF.address), `governance: account ${PF.address.toLowerCase()} is already an admin of a party (AdminOfAParty)`],
      ['node of an unknown party', (g) => (g.nodes[0]!.partyId = pid('ghost')), 'governance: party "ghost" is not active (PartyNotActive)'],
      ['unknown veto party', (g) => (g.policies[0]!.vetoParties = [pid('ghost')]), 'governance: veto party "ghost" is not a current party (VetoPartyNotCurrent)'],
      ['unreachable threshold', (g) => (g.policies[0]!.thresholdPercent = 100), 'governance: more than 100% can never be reached; use >= for unanimity (UnreachableThreshold)'],
      ['bad permission bits', (g) => (g.accounts[0]!.permissions = 8), 'governance: permissions are bits 1 (transact), 2 (deploy), 4 (call), not 8 (BadPermissions)'],
    ]
    for (const [, change, reason] of cases) {
      const g = standardGenesis()
      change(g)
      expect(await runConstructor(g)).toEqual({ reason })
    }
  })
})

describe('ConsortiumGovernance: proposals and votes', () => {
  it('executes every decision type in the deciding vote and emits its event', async () => {
    const chain = await GovernanceChain.create()
    const voters = [PF, EMP, INS] // 3 of 4 voting parties: > 50%
    const codeHash = keccakHex(new TextEncoder().encode('some runtime code'))
    const steps: [keyof typeof Decision, Hex, string[]][] = [
      ['AddParty', payload.addParty('bank', 'Bank', 0, [NEWCOMER.address]), ['PartyAdded']],
      ['SuspendParty', payload.party('bank'), ['PartySuspended']],
      ['ReinstateParty', payload.party('bank'), ['PartyReinstated']],
      ['AddNode', payload.addNode(node(0xf1), 'bank', 'wss://bank.example:443', false), ['NodeAdded']],
      ['AddValidator', payload.node(node(0xf1)), ['ValidatorCandidate']],
      ['RemoveValidator', payload.node(node(0xf1)), ['ValidatorCandidateWithdrawn']],
      ['RemoveNode', payload.node(node(0xf1)), ['NodeRemoved']],
      ['ApproveCode', payload.code(codeHash), ['CodeApproved']],
      ['RevokeCode', payload.code(codeHash), ['CodeRevoked']],
      ['ChangePolicy', payload.policy(Decision.RevokeCode, 75, true, 600n, ['regulator']), ['PolicyChanged']],
      ['SetAccountPermissions', payload.account(OUTSIDER.address, 'bank', 1), ['AccountPermissionsSet']],
      ['RemoveParty', payload.party('bank'), ['PartyRemoved']],
    ]
    for (const [decision, data, expected] of steps) {
      // After AddParty the bank is a fifth voting party: 3 of 5 is still > 50%.
      const { id, events } = await chain.decide(voters, Decision[decision], data)
      const p = await chain.proposal(id)
      expect({ decision, state: p.state, yes: p.yes }).toEqual({ decision, state: State.Approved, yes: 3 })
      expect(names(events)).toEqual(['VoteCast', 'VoteCast', 'VoteCast', ...expected, 'ProposalApproved'])
    }
    // UpgradeContract has its own test below; here its effects on state are checked.
    expect((await party(chain, 'bank')).status).toBe(3)
    expect(await chain.read('isNodeAllowed', [node(0xf1)])).toBe(false)
    expect(await chain.read('isCodeApproved', [codeHash])).toBe(false)
    expect(await chain.read('getPolicy', [Decision.RevokeCode])).toEqual({ thresholdPercent: 75, inclusive: true, votingPeriod: 600n, vetoParties: [pid('regulator')] })
    expect(await chain.read('getAccount', [OUTSIDER.address])).toEqual([pid('bank'), 1])
    expect(await chain.read('permissionsOf', [OUTSIDER.address])).toBe(0) // its party was removed
    expect(await chain.read('proposalCount')).toBe(BigInt(steps.length))
  })

  it('records the proposal: proposer, snapshot of voters and policy, deadline, payload and votes', async () => {
    const chain = await GovernanceChain.create()
    const data = payload.code(keccakHex(new Uint8Array([7])))
    const out = await chain.transact(EMP, 'propose', [Decision.ApproveCode, data, 'approve the pension app'])
    expect(out.ok).toBe(true)
    expect(out.events).toEqual([{ eventName: 'ProposalCreated', args: { id: 1n, kind: Decision.ApproveCode, party: pid('employer'), deadline: chain.time + 3600n } }])
    const vote = await chain.vote(PF2, 1n, false)
    expect(vote.events).toEqual([{ eventName: 'VoteCast', args: { id: 1n, party: pid('pensionfund'), voter: checksum(PF2.address), support: false } }])
    expect(await chain.proposal(1n)).toEqual({
      id: 1n,
      kind: Decision.ApproveCode,
      state: State.Open,
      proposerParty: pid('employer'),
      createdAt: chain.time,
      deadline: chain.time + 3600n,
      voters: 4,
      yes: 0,
      no: 1,
      thresholdPercent: 50,
      inclusive: false,
      vetoParties: [pid('regulator')],
      payload: data,
      description: 'approve the pension app',
    })
    expect(await chain.read('hasVoted', [1n, pid('pensionfund')])).toBe(true)
    expect(await chain.read('hasVoted', [1n, pid('employer')])).toBe(false)
    expect(await chain.read('voteOf', [1n, pid('pensionfund')])).toBe(2)
  })

  it('50% with > among 4 voting parties needs 3 yes; after ChangePolicy to >= the next proposal needs 2', async () => {
    const chain = await GovernanceChain.create()
    const before = await chain.propose(PF, Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([1]))))
    await chain.vote(PF, before, true)
    await chain.vote(EMP, before, true)
    expect((await chain.proposal(before)).state).toBe(State.Open) // 2*100 > 50*4 is false

    await chain.decide(MEMBERS, Decision.ChangePolicy, payload.policy(Decision.ApproveCode, 50, true, 3600n, ['regulator']))

    const after = await chain.propose(PF, Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([2]))))
    await chain.vote(PF, after, true)
    const second = await chain.vote(EMP, after, true)
    expect(names(second.events)).toEqual(['VoteCast', 'CodeApproved', 'ProposalApproved'])
    expect((await chain.proposal(after)).inclusive).toBe(true)

    // The proposal opened before the change keeps the policy it was opened under.
    expect((await chain.proposal(before)).state).toBe(State.Open)
    const third = await chain.vote(INS, before, true)
    expect(names(third.events)).toEqual(['VoteCast', 'CodeApproved', 'ProposalApproved'])
  })

  it('rejects as soon as yes can no longer reach the threshold', async () => {
    const chain = await GovernanceChain.create()
    const id = await chain.propose(PF, Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([1]))))
    expect(names((await chain.vote(EMP, id, false)).events)).toEqual(['VoteCast'])
    // Two no of four: at most 2 yes, and 2*100 > 50*4 is false.
    expect(names((await chain.vote(INS, id, false)).events)).toEqual(['VoteCast', 'ProposalRejected'])
    expect((await chain.proposal(id)).state).toBe(State.Rejected)
    expect((await chain.vote(PF, id, true)).reason).toBe(`governance: proposal ${id} is already decided (ProposalDecided)`)
  })

  it('a veto party voting no on ApproveCode rejects at once; a member voting no does not', async () => {
    const chain = await GovernanceChain.create()
    const hash = keccakHex(new Uint8Array([9]))
    const id = await chain.propose(PF, Decision.ApproveCode, payload.code(hash))
    await chain.vote(PF, id, true)
    await chain.vote(EMP, id, true)
    expect(names((await chain.vote(REG, id, false)).events)).toEqual(['VoteCast', 'ProposalRejected'])
    expect(await chain.proposal(id)).toMatchObject({ state: State.Rejected, yes: 2, no: 1 })
    expect(await chain.read('isCodeApproved', [hash])).toBe(false)

    const again = await chain.propose(PF, Decision.ApproveCode, payload.code(hash))
    expect(names((await chain.vote(EMP, again, false)).events)).toEqual(['VoteCast'])
    await chain.vote(REG, again, true)
    await chain.vote(PF, again, true)
    expect(names((await chain.vote(INS, again, true)).events)).toEqual(['VoteCast', 'CodeApproved', 'ProposalApproved'])
  })

  it('an expired proposal can be neither voted nor executed, and finalize marks it Expired', async () => {
    const chain = await GovernanceChain.create()
    const id = await chain.propose(PF, Decision.AddParty, payload.addParty('bank', 'Bank', 0, [NEWCOMER.address]))
    await chain.vote(PF, id, true)
    await chain.vote(EMP, id, true)
    const notOver = `governance: the voting period of proposal ${id} has not ended (it ends at ${new Date(Number(chain.time + 3600n) * 1000).toISOString()}) (VotingPeriodNotOver)`
    expect((await chain.transact(OUTSIDER, 'finalize', [id])).reason).toBe(notOver)

    chain.advance(3600n) // exactly the deadline: still open
    expect((await chain.transact(OUTSIDER, 'finalize', [id])).reason).toBe(notOver)
    chain.advance(1n)
    // The deciding vote would execute it: after the deadline it is refused.
    const expired = `governance: proposal ${id} expired (ProposalIsExpired)`
    expect((await chain.vote(INS, id, true)).reason).toBe(expired)
    const fin = await chain.transact(OUTSIDER, 'finalize', [id])
    expect(fin.events).toEqual([{ eventName: 'ProposalExpired', args: { id } }])
    expect((await chain.proposal(id)).state).toBe(State.Expired)
    expect((await chain.vote(INS, id, true)).reason).toBe(expired)
    expect((await chain.transact(OUTSIDER, 'finalize', [id])).reason).toBe(expired)
    expect((await party(chain, 'bank')).status).toBe(0)
    expect((await chain.transact(OUTSIDER, 'finalize', [99n])).reason).toBe('governance: unknown proposal 99 (UnknownProposal)')
  })

  it('only admins of active voting parties vote, once per party, and only on proposals they were counted for', async () => {
    const chain = await GovernanceChain.create()
    const id = await chain.propose(PF, Decision.AddParty, payload.addParty('bank', 'Bank', 0, [NEWCOMER.address]))
    const notAdmin = (a: { address: string }) => `governance: caller ${a.address.toLowerCase()} is not an admin of an active voting party (NotVotingAdmin)`
    const someCode = payload.code(keccakHex(new Uint8Array([3])))
    expect((await chain.vote(USER1, id, true)).reason).toBe(notAdmin(USER1)) // an account with permissions, not an admin
    expect((await chain.vote(OUTSIDER, id, true)).reason).toBe(notAdmin(OUTSIDER))
    expect((await chain.vote(AUD, id, true)).reason).toBe(notAdmin(AUD)) // observer
    expect((await chain.transact(AUD, 'propose', [Decision.ApproveCode, someCode, ''])).reason).toBe(notAdmin(AUD))
    expect((await chain.transact(OUTSIDER, 'propose', [Decision.ApproveCode, someCode, ''])).reason).toBe(notAdmin(OUTSIDER))

    expect((await chain.vote(PF, id, true)).ok).toBe(true)
    const already = 'governance: party "pensionfund" already voted (AlreadyVoted)'
    expect((await chain.vote(PF, id, false)).reason).toBe(already)
    expect((await chain.vote(PF2, id, true)).reason).toBe(already) // the party's other admin
    expect((await chain.proposal(id)).yes).toBe(1)

    // The bank joins through another proposal; it may vote on new proposals but not on the open one.
    const other = await chain.propose(EMP, Decision.ApproveCode, someCode)
    await chain.decide(MEMBERS, Decision.AddParty, payload.addParty('bank2', 'Bank 2', 0, [NEWCOMER.address]))
    const newcomer = NEWCOMER
    expect((await chain.vote(newcomer, other, true)).reason).toBe('governance: party "bank2" was not a voting party when the proposal was created (NotEligible)')
    const fresh = await chain.propose(newcomer, Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([4]))))
    expect((await chain.vote(newcomer, fresh, true)).ok).toBe(true)
    expect((await chain.proposal(fresh)).voters).toBe(5)
  })

  it('refuses a payload that does not match its decision type and an unknown decision type', async () => {
    const chain = await GovernanceChain.create()
    const short = payload.node(node(1)) // one word where AddParty needs a string and an array
    expect((await chain.transact(PF, 'propose', [Decision.AddParty, short, ''])).reason).toBe('governance: payload does not match decision type 0 (PayloadMismatch)')
    expect((await chain.transact(PF, 'propose', [19, short, ''])).reason).toBe('governance: unknown decision type 19 (UnknownDecisionType)')
    expect((await chain.transact(PF, 'propose', [Decision.AddValidator, '0x', ''])).reason).toBe('governance: payload does not match decision type 6 (PayloadMismatch)')
    expect(await chain.read('proposalCount')).toBe(0n)
  })

  it('executeDecision cannot be called from outside', async () => {
    const chain = await GovernanceChain.create()
    const out = await chain.transact(PF, 'executeDecision', [Decision.AddParty, payload.addParty('bank', 'Bank', 0, [NEWCOMER.address])])
    expect(out.reason).toBe('governance: decisions are applied only by an approved proposal (OnlyApprovedProposal)')
  })

  it('a deciding vote sent with too little gas for the action reverts whole and can be sent again', async () => {
    const chain = await GovernanceChain.create()
    const data = payload.addNode(node(0xf2), 'insurer', `wss://${'x'.repeat(200)}.example:443`, true)
    const id = await chain.propose(PF, Decision.AddNode, data)
    await chain.vote(PF, id, true)
    await chain.vote(EMP, id, true)
    // Measure the deciding vote on a copy of the state, then send it with less.
    await chain.vm.stateManager.checkpoint()
    const full = await chain.vote(INS, id, true)
    await chain.vm.stateManager.revert()
    expect(full.ok).toBe(true)
    const starved = await chain.vote(INS, id, true, full.gasUsed - 30_000n)
    expect(starved.ok).toBe(false)
    expect(starved.reason).toBe('governance: the decision ran out of gas; send the vote with a higher gas limit (DecisionOutOfGas)')
    expect(await chain.proposal(id)).toMatchObject({ state: State.Open, yes: 2 })
    expect(await chain.read('hasVoted', [id, pid('insurer')])).toBe(false)
    const retried = await chain.vote(INS, id, true)
    expect(names(retried.events)).toEqual(['VoteCast', 'NodeAdded', 'ValidatorCandidate', 'ProposalApproved'])
  })
})

describe('ConsortiumGovernance: parties, nodes and validators', () => {
  it('suspending a party zeroes its permissions, disallows its nodes and drops its validators; reinstating restores them', async () => {
    const chain = await GovernanceChain.create()
    const { events } = await chain.decide([EMP, INS, REG], Decision.SuspendParty, payload.party('pensionfund'))
    expect(events.find((e) => e.eventName === 'PartySuspended')?.args).toEqual({ id: pid('pensionfund') })
    expect((await party(chain, 'pensionfund')).status).toBe(2)
    expect(await chain.read('permissionsOf', [PF.address])).toBe(0)
    expect(await chain.read('permissionsOf', [PF2.address])).toBe(0)
    expect(await chain.read('permissionsOf', [USER1.address])).toBe(0)
    expect(await chain.read('permissionsOf', [USER2.address])).toBe(2) // another party's account
    expect(await chain.read('isNodeAllowed', [node(0xa1)])).toBe(false)
    expect(await chain.read('getValidators')).toEqual([node(0xb1), node(0xc1)].map(checksum))

    // A suspended party neither votes nor proposes, and is not counted.
    const id = await chain.propose(EMP, Decision.ReinstateParty, payload.party('pensionfund'))
    expect((await chain.vote(PF, id, true)).reason).toBe(`governance: caller ${PF.address.toLowerCase()} is not an admin of an active voting party (NotVotingAdmin)`)
    expect((await chain.proposal(id)).voters).toBe(3)
    await chain.vote(EMP, id, true)
    const decisive = await chain.vote(INS, id, true) // 2 of 3 > 50%
    expect(names(decisive.events)).toEqual(['VoteCast', 'PartyReinstated', 'ProposalApproved'])

    expect(await chain.read('permissionsOf', [PF.address])).toBe(7)
    expect(await chain.read('permissionsOf', [USER1.address])).toBe(5)
    expect(await chain.read('isNodeAllowed', [node(0xa1)])).toBe(true)
    // Back at its original place in the order.
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1), node(0xc1)].map(checksum))
  })

  it('removing a party removes its nodes and validators and frees its admin keys', async () => {
    const chain = await GovernanceChain.create()
    const { events } = await chain.decide([EMP, INS, REG], Decision.RemoveParty, payload.party('pensionfund'))
    expect(names(events)).toEqual(['VoteCast', 'VoteCast', 'VoteCast', 'ValidatorRemoved', 'NodeRemoved', 'PartyRemoved', 'ProposalApproved'])
    expect(events.find((e) => e.eventName === 'NodeRemoved')?.args).toEqual({ node: checksum(node(0xa1)), party: pid('pensionfund') })
    expect(await chain.read('getValidators')).toEqual([node(0xb1), node(0xc1)].map(checksum))
    const statuses = (await chain.read<readonly [unknown, unknown, readonly boolean[], readonly number[]]>('getNodes'))[3]
    expect(statuses).toEqual([3, 1, 1, 1, 1])
    expect(await chain.read('permissionsOf', [USER1.address])).toBe(0)
    expect(await chain.read('adminPartyOf', [PF.address])).toBe(ZERO_KEY)
    // The freed key can be the admin of a new party; the removed id cannot come back.
    await chain.decide([EMP, INS, REG], Decision.AddParty, payload.addParty('pensionfund2', 'Pension Fund 2', 0, [PF.address]))
    expect(await chain.read('permissionsOf', [PF.address])).toBe(7)
    expect(await chain.refusedProposal(EMP, Decision.AddParty, payload.addParty('pensionfund', 'Again', 0, [OUTSIDER.address]))).toBe('governance: party id "pensionfund" is already used (PartyIdUsed)')
  })

  it('adds nodes and validators in order and removes them, with their events', async () => {
    const chain = await GovernanceChain.create()
    const [A2, D2] = [NODE_KEYS[0]!, NODE_KEYS[1]!]
    const add = await chain.decide(MEMBERS, Decision.AddNode, payload.addNode(A2.address, 'pensionfund', 'wss://pf2.example:443', true, `0x${'22'.repeat(32)}`))
    // A validator by vote is a candidate until its own node activates it.
    expect(add.events.filter((e) => e.eventName !== 'VoteCast')).toEqual([
      { eventName: 'NodeAdded', args: { node: checksum(A2.address), party: pid('pensionfund') } },
      { eventName: 'ValidatorCandidate', args: { node: checksum(A2.address) } },
      { eventName: 'ProposalApproved', args: { id: add.id } },
    ])
    expect(await chain.read('validatorCandidates')).toEqual([checksum(A2.address)])
    expect(await chain.read('getValidators')).toEqual([0xa1, 0xb1, 0xc1].map(node).map(checksum))
    expect((await chain.transact(PF, 'activateValidator', [])).reason).toBe(`governance: node ${PF.address.toLowerCase()} is not a validator candidate (NotCandidate)`)
    const activated = await chain.transact(A2, 'activateValidator', [])
    expect(activated.events).toEqual([{ eventName: 'ValidatorAdded', args: { node: checksum(A2.address) } }])
    expect(await chain.read('validatorCandidates')).toEqual([])
    expect((await chain.transact(A2, 'activateValidator', [])).reason).toBe(`governance: node ${A2.address.toLowerCase()} is not a validator candidate (NotCandidate)`)

    await chain.decide(MEMBERS, Decision.AddNode, payload.addNode(D2.address, 'regulator', '', false))
    await chain.decide(MEMBERS, Decision.AddValidator, payload.node(D2.address))
    expect(await chain.refusedProposal(PF, Decision.AddValidator, payload.node(D2.address))).toBe(`governance: node ${D2.address.toLowerCase()} is already a validator candidate (AlreadyCandidate)`)
    await chain.transact(D2, 'activateValidator', [])
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1), node(0xc1), A2.address, D2.address].map(checksum))
    expect(await chain.read('isNodeAllowed', [A2.address])).toBe(true)

    await chain.decide(MEMBERS, Decision.RemoveValidator, payload.node(node(0xb1)))
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xc1), A2.address, D2.address].map(checksum))
    expect(await chain.read('isNodeAllowed', [node(0xb1)])).toBe(true) // still a node, no longer a validator
    const removed = await chain.decide(MEMBERS, Decision.RemoveNode, payload.node(node(0xa1)))
    expect(names(removed.events).slice(3)).toEqual(['ValidatorRemoved', 'NodeRemoved', 'ProposalApproved'])
    expect(await chain.read('getValidators')).toEqual([node(0xc1), A2.address, D2.address].map(checksum))
    expect(await chain.read('isNodeAllowed', [node(0xa1)])).toBe(false)

    // A removed node key can be added again (same list entry); doomed proposals are refused with the reason.
    await chain.decide(MEMBERS, Decision.AddNode, payload.addNode(node(0xa1), 'employer', '', false))
    const [nodes, parties] = await chain.read<readonly [readonly Address[], readonly Hex[]]>('getNodes')
    expect(nodes).toHaveLength(7)
    expect(parties[0]).toBe(pid('employer'))
    expect(await chain.refusedProposal(PF, Decision.AddNode, payload.addNode(node(0xa1), 'employer', '', false))).toBe(`governance: node ${node(0xa1)} is already active (NodeAlreadyActive)`)
    expect(await chain.refusedProposal(PF, Decision.RemoveValidator, payload.node(node(0xa1)))).toBe(`governance: node ${node(0xa1)} is not a validator (NotValidator)`)
    expect(await chain.refusedProposal(PF, Decision.AddValidator, payload.node(node(0xf9)))).toBe(`governance: node ${node(0xf9)} is not an active node (NodeNotActive)`)
    expect(await chain.refusedProposal(PF, Decision.AddNode, payload.addNode(node(0xf9), 'nobody', '', false))).toBe('governance: party "nobody" is not active (PartyNotActive)')
    expect(await chain.refusedProposal(PF, Decision.ChangePolicy, payload.policy(Decision.AddParty, 50, false, 3600n, ['nobody']))).toBe('governance: veto party "nobody" is not a current party (VetoPartyNotCurrent)')
    expect(await chain.refusedProposal(PF, Decision.ChangePolicy, payload.policy(Decision.AddParty, 50, false, 400n * 86_400n))).toBe(`governance: voting period must be 1 second to 365 days, not ${400 * 86_400} seconds (BadVotingPeriod)`)
  })

  it('a candidate whose node never activates never validates; a withdrawn or removed candidate cannot activate', async () => {
    const chain = await GovernanceChain.create()
    const [C1, C2] = [NODE_KEYS[0]!, NODE_KEYS[1]!]
    await chain.decide(MEMBERS, Decision.AddNode, payload.addNode(C1.address, 'insurer', '', true))
    await chain.decide(MEMBERS, Decision.AddNode, payload.addNode(C2.address, 'employer', '', true))
    expect(await chain.read('validatorCandidates')).toEqual([C1.address, C2.address].map(checksum))
    // Candidates do not count: removing down to minValidators is judged on active validators only.
    await chain.decide(MEMBERS, Decision.RemoveValidator, payload.node(node(0xc1)))
    expect(await chain.refusedProposal(PF, Decision.RemoveValidator, payload.node(node(0xb1)))).toBe('governance: would leave fewer than 2 validators (TooFewValidators)')
    const withdrawn = await chain.decide(MEMBERS, Decision.RemoveValidator, payload.node(C1.address))
    expect(names(withdrawn.events)).toContain('ValidatorCandidateWithdrawn')
    expect((await chain.transact(C1, 'activateValidator', [])).reason).toBe(`governance: node ${C1.address.toLowerCase()} is not a validator candidate (NotCandidate)`)
    await chain.decide(MEMBERS, Decision.RemoveNode, payload.node(C2.address))
    expect((await chain.transact(C2, 'activateValidator', [])).reason).toBe(`governance: node ${C2.address.toLowerCase()} is not a validator candidate (NotCandidate)`)
    expect(await chain.read('validatorCandidates')).toEqual([])
    // A candidate of a suspended party waits; it cannot activate until the party is reinstated.
    await chain.decide(MEMBERS, Decision.AddNode, payload.addNode(NODE_KEYS[2]!.address, 'regulator', '', true))
    await chain.decide(MEMBERS, Decision.SuspendParty, payload.party('regulator'))
    expect(await chain.read('validatorCandidates')).toEqual([])
    expect((await chain.transact(NODE_KEYS[2]!, 'activateValidator', [])).ok).toBe(false)
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1)].map(checksum))
  })

  it('SetChainParameters hands its parameters to the chain parameters contract, and is refused where there is none', async () => {
    const chain = await GovernanceChain.create()
    const params = '0x1234abcd' as Hex
    const data = encodeAbiParameters(parseAbiParameters('bytes'), [params])
    expect(await chain.refusedProposal(PF, Decision.SetChainParameters, data)).toBe('governance: this chain has no chain parameters contract at 0x0000000000000000000000000000000000001002 (NoChainParametersContract)')
    // A stand-in that records what it was handed, and accepts it only from the governance contract.
    const recorder = compileSolidity({
      'Recorder.sol': `// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;
contract Recorder {
  bytes public last;
  function schedule(bytes calldata payload) external { require(msg.sender == address(0x1000), "not governance"); last = payload; }
}`,
    }).Recorder!
    await chain.putCode(CHAIN_PARAMETERS, recorder.deployedBytecode)
    const { events } = await chain.decide(MEMBERS, Decision.SetChainParameters, data)
    expect(names(events)).toContain('ProposalApproved')
    expect(await chain.read('last', [], recorder.abi, CHAIN_PARAMETERS)).toBe(params)
  })

  it('preflight answers whether a decision would apply now, and changes nothing', async () => {
    const chain = await GovernanceChain.create()
    const ok = await chain.transact(OUTSIDER, 'preflight', [Decision.AddParty, payload.addParty('bank', 'Bank', 0, [NEWCOMER.address])])
    expect(ok.reason).toBe('governance: the decision would apply (preflight passed) (PreflightPassed)')
    expect((await party(chain, 'bank')).status).toBe(0)
    const doomed = await chain.transact(OUTSIDER, 'preflight', [Decision.SuspendParty, payload.party('nobody')])
    expect(doomed.reason).toBe('governance: party "nobody" is not active (PartyNotActive)')
  })

  it('a party suspended while a proposal is open no longer counts toward the votes needed', async () => {
    const chain = await GovernanceChain.create()
    // 4 voting parties, > 50%: 3 yes needed.
    const id = await chain.propose(PF, Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([5]))))
    await chain.vote(PF, id, true)
    await chain.decide([EMP, INS, REG], Decision.SuspendParty, payload.party('regulator'))
    // Now 3 voting parties of the snapshot: PF and EMP make 2 of 3 > 50%.
    const decisive = await chain.vote(EMP, id, true)
    expect(names(decisive.events)).toEqual(['VoteCast', 'CodeApproved', 'ProposalApproved'])
    expect(await chain.proposal(id)).toMatchObject({ voters: 3, yes: 2, no: 0 })
  })

  it('a RemoveValidator that would leave fewer than minValidators is refused, or ends Failed with the reason once the state changed', async () => {
    const chain = await GovernanceChain.create() // 3 validators, minValidators 2
    // Both can apply when proposed; the second cannot once the first has.
    const first = await chain.propose(PF, Decision.RemoveValidator, payload.node(node(0xc1)))
    const second = await chain.propose(PF, Decision.RemoveValidator, payload.node(node(0xb1)))
    for (const v of MEMBERS) await chain.vote(v, first, true)
    const events = []
    for (const v of MEMBERS) events.push(...(await chain.vote(v, second, true)).events)
    expect(names(events)).toEqual(['VoteCast', 'VoteCast', 'VoteCast', 'ProposalFailed'])
    expect(failureReason(events)).toBe('governance: would leave fewer than 2 validators (TooFewValidators)')
    expect(await chain.proposal(second)).toMatchObject({ state: State.Failed, yes: 3 })
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1)].map(checksum))
    // The same floor holds for removing a validator node, and suspending or removing its party.
    for (const [kind, data] of [
      [Decision.RemoveValidator, payload.node(node(0xb1))],
      [Decision.RemoveNode, payload.node(node(0xb1))],
      [Decision.SuspendParty, payload.party('employer')],
      [Decision.RemoveParty, payload.party('employer')],
    ] as const) {
      expect(await chain.refusedProposal(PF, kind, data)).toBe('governance: would leave fewer than 2 validators (TooFewValidators)')
    }
    // A party without validators may go.
    const ok = await chain.decide(MEMBERS, Decision.SuspendParty, payload.party('regulator'))
    expect(names(ok.events)).toContain('PartySuspended')
  })

  it('account permissions: set through a vote, refused for an admin, and zero while the party is suspended', async () => {
    const chain = await GovernanceChain.create()
    const set = await chain.decide(MEMBERS, Decision.SetAccountPermissions, payload.account(OUTSIDER.address, 'insurer', 6))
    expect(set.events.find((e) => e.eventName === 'AccountPermissionsSet')?.args).toEqual({ account: checksum(OUTSIDER.address), party: pid('insurer'), permissions: 6 })
    expect(await chain.read('permissionsOf', [OUTSIDER.address])).toBe(6)
    await chain.decide(MEMBERS, Decision.SuspendParty, payload.party('insurer'))
    expect(await chain.read('permissionsOf', [OUTSIDER.address])).toBe(0)
    expect(await chain.read('getAccount', [OUTSIDER.address])).toEqual([pid('insurer'), 6])
    await chain.decide([PF, EMP], Decision.ReinstateParty, payload.party('insurer'))
    expect(await chain.read('permissionsOf', [OUTSIDER.address])).toBe(6)
    await chain.decide(MEMBERS, Decision.SetAccountPermissions, payload.account(OUTSIDER.address, 'insurer', 0))
    expect(await chain.read('permissionsOf', [OUTSIDER.address])).toBe(0)
    expect(await chain.refusedProposal(PF, Decision.SetAccountPermissions, payload.account(EMP.address, 'insurer', 1))).toBe(
      `governance: account ${EMP.address.toLowerCase()} is a party admin, which has every permission (AdminHasAllPermissions)`,
    )
    expect(await chain.refusedProposal(PF, Decision.SetAccountPermissions, payload.account(OUTSIDER.address, 'insurer', 9))).toBe(
      'governance: permissions are bits 1 (transact), 2 (deploy), 4 (call), not 9 (BadPermissions)',
    )
  })

  it('ChangePolicy refuses an unreachable threshold and a last voting party cannot be suspended', async () => {
    const chain = await GovernanceChain.create()
    expect(await chain.refusedProposal(PF, Decision.ChangePolicy, payload.policy(Decision.AddParty, 100, false, 3600n))).toBe(
      'governance: more than 100% can never be reached; use >= for unanimity (UnreachableThreshold)',
    )
    expect(await chain.refusedProposal(PF, Decision.ChangePolicy, payload.policy(19, 50, false, 3600n))).toBe('governance: unknown decision type 19 (UnknownDecisionType)')

    // A one-party consortium (plus an observer): suspending the only voter would end governance.
    const g = standardGenesis()
    g.parties = [g.parties[0]!, g.parties[4]!]
    g.nodes = [g.nodes[0]!]
    g.accounts = [g.accounts[0]!]
    g.policies = policies()
    g.minValidators = 1
    const solo = await GovernanceChain.create(g)
    // PF's only validator is also the last one: the validator floor speaks first.
    expect(await solo.refusedProposal(PF, Decision.SuspendParty, payload.party('pensionfund'))).toBe('governance: would leave fewer than 1 validators (TooFewValidators)')
    await solo.decide([PF], Decision.AddNode, payload.addNode(NODE_KEYS[0]!.address, 'auditor', '', true))
    await solo.transact(NODE_KEYS[0]!, 'activateValidator', [])
    expect(await solo.refusedProposal(PF, Decision.SuspendParty, payload.party('pensionfund'))).toBe('governance: would leave no party able to vote (NoVoterLeft)')
  })
})

describe('GovernedProxy and UpgradeContract', () => {
  let boxes: { V1: { abi: Abi; bytecode: Hex; deployedBytecode: Hex }; V2: { abi: Abi; bytecode: Hex; deployedBytecode: Hex } }
  beforeAll(() => {
    const compiled = compileSolidity({ 'Boxes.sol': BOXES })
    boxes = { V1: compiled.BoxV1!, V2: compiled.BoxV2! }
  })

  it('upgrades only to approved code, through a vote, keeping the proxy state', async () => {
    const chain = await GovernanceChain.create()
    const { abi: proxyAbi, bytecode: proxyCode, runtimeCodeHash: proxyHash } = governanceArtifacts().GovernedProxy
    const v1 = (await chain.deploy(PF, boxes.V1.abi, boxes.V1.bytecode)).createdAddress!
    const v2 = (await chain.deploy(PF, boxes.V2.abi, boxes.V2.bytecode)).createdAddress!
    const init = encodeFunctionData({ abi: boxes.V1.abi, functionName: 'initialize', args: [41n] })

    // The proxy refuses to point at unapproved code, and refuses an admin that is not a contract.
    const refused = await chain.deploy(PF, proxyAbi, proxyCode, [v1, GOVERNANCE, init])
    expect(refused.reason).toBe('GovernedProxy: implementation code is not approved')
    expect((await chain.deploy(PF, proxyAbi, proxyCode, [v1, PF.address, init])).reason).toBe('GovernedProxy: admin must be the governance contract')

    const v1Hash = keccakHex(hexToBytes(boxes.V1.deployedBytecode))
    await chain.decide(MEMBERS, Decision.ApproveCode, payload.code(v1Hash))
    const deployed = await chain.deploy(PF, proxyAbi, proxyCode, [v1, GOVERNANCE, init])
    expect(deployed.ok).toBe(true)
    const proxy = deployed.createdAddress!
    // No immutables: every proxy has the same runtime code, so one approval covers them all.
    expect(keccakHex(hexToBytes(await chain.codeAt(proxy)))).toBe(proxyHash)
    expect(await chain.storageAt(proxy, ADMIN_SLOT)).toBe(word(GOVERNANCE))
    expect(await chain.read('value', [], boxes.V1.abi, proxy)).toBe(41n)
    await chain.send(USER1, proxy, encodeFunctionData({ abi: boxes.V1.abi, functionName: 'set', args: [5n] }))
    expect(await chain.read('value', [], boxes.V1.abi, proxy)).toBe(5n)

    // Unapproved V2: the upgrade fails and the proxy keeps V1.
    const v2Hash = keccakHex(hexToBytes(boxes.V2.deployedBytecode))
    expect(await chain.refusedProposal(PF, Decision.UpgradeContract, payload.upgrade(proxy, v2))).toBe(`governance: code ${v2Hash} is not approved (CodeNotApproved)`)
    expect(await chain.storageAt(proxy, IMPLEMENTATION_SLOT)).toBe(word(v1))

    // Nobody but the governance contract upgrades: anyone else's upgradeTo reaches the implementation.
    const direct = await chain.send(PF, proxy, encodeFunctionData({ abi: UPGRADE_ABI, functionName: 'upgradeTo', args: [v2] }))
    expect(direct.ok).toBe(false)
    expect(await chain.storageAt(proxy, IMPLEMENTATION_SLOT)).toBe(word(v1))

    await chain.decide(MEMBERS, Decision.ApproveCode, payload.code(v2Hash))
    const upgraded = await chain.decide(MEMBERS, Decision.UpgradeContract, payload.upgrade(proxy, v2))
    expect(upgraded.events.filter((e) => e.eventName !== 'VoteCast')).toEqual([
      { eventName: `external:${proxy}`, args: {} }, // the proxy's EIP-1967 Upgraded
      { eventName: 'ContractUpgraded', args: { proxy: checksum(proxy), implementation: checksum(v2) } },
      { eventName: 'ProposalApproved', args: { id: upgraded.id } },
    ])
    expect(await chain.storageAt(proxy, IMPLEMENTATION_SLOT)).toBe(word(v2))
    expect(await chain.read('version', [], boxes.V2.abi, proxy)).toBe(2n)
    expect(await chain.read('value', [], boxes.V2.abi, proxy)).toBe(5n) // state kept
    await chain.send(USER1, proxy, encodeFunctionData({ abi: boxes.V2.abi, functionName: 'set', args: [5n] }))
    expect(await chain.read('value', [], boxes.V2.abi, proxy)).toBe(10n)

    // An address without code is no proxy.
    expect(await chain.refusedProposal(PF, Decision.UpgradeContract, payload.upgrade(node(0x77), v2))).toBe(`governance: ${node(0x77)} is not a contract (NotAContract)`)
  })
})

const UPGRADE_ABI = [
  { type: 'function', name: 'upgradeTo', stateMutability: 'nonpayable', inputs: [{ name: 'newImplementation', type: 'address' }], outputs: [] },
] as const satisfies Abi

function word(address: Address): Hex {
  return `0x${address.slice(2).toLowerCase().padStart(64, '0')}` as Hex
}

/** viem returns checksummed addresses; compare with the same casing. */
function checksum(address: string): Address {
  const [decoded] = decodeAbiParameters(parseAbiParameters('address'), `0x${address.slice(2).toLowerCase().padStart(64, '0')}`)
  return decoded
}

describe('ConsortiumGovernance: admin key rotation, emergency freeze, minValidators', () => {
  it('RotateAdmins: only the party itself proposes it; afterwards the old key cannot vote and the new one can', async () => {
    const chain = await GovernanceChain.create()
    const rotate = payload.rotate('insurer', [NEWCOMER.address])
    expect(await chain.refusedProposal(PF, Decision.RotateAdmins, rotate)).toBe('governance: party "pensionfund" may rotate only its own admin keys (NotOwnParty)')
    const { events } = await chain.decide([INS, PF, EMP], Decision.RotateAdmins, rotate)
    expect(events.find((e) => e.eventName === 'AdminsRotated')?.args).toEqual({ id: pid('insurer') })
    expect((await party(chain, 'insurer')).admins).toEqual([checksum(NEWCOMER.address)])
    expect(await chain.read('adminPartyOf', [INS.address])).toBe(ZERO_KEY)
    expect(await chain.read('permissionsOf', [INS.address])).toBe(0)
    const id = await chain.propose(PF, Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([6]))))
    expect((await chain.vote(INS, id, true)).reason).toBe(`governance: caller ${INS.address.toLowerCase()} is not an admin of an active voting party (NotVotingAdmin)`)
    expect((await chain.vote(NEWCOMER, id, true)).ok).toBe(true)
    // A key of another party, or none at all, is refused when proposed.
    expect(await chain.refusedProposal(NEWCOMER, Decision.RotateAdmins, payload.rotate('insurer', [EMP.address]))).toBe(`governance: account ${EMP.address.toLowerCase()} is already an admin of a party (AdminOfAParty)`)
    expect(await chain.refusedProposal(NEWCOMER, Decision.RotateAdmins, payload.rotate('insurer', []))).toBe('governance: a party needs 1 to 16 admin accounts (BadAdminCount)')
  })

  it('FreezeParty: the frozen party is not asked, loses its vote, permissions, nodes and validators; UnfreezeParty restores them', async () => {
    const chain = await GovernanceChain.create()
    const freeze = await chain.propose(PF, Decision.FreezeParty, payload.party('employer'))
    // The party to be frozen is not a voter of its freeze: 3 voting parties, > 50% needs 2.
    expect(await chain.proposal(freeze)).toMatchObject({ voters: 3 })
    expect((await chain.vote(EMP, freeze, false)).reason).toBe('governance: party "employer" was not a voting party when the proposal was created (NotEligible)')
    await chain.vote(PF, freeze, true)
    const decisive = await chain.vote(INS, freeze, true)
    expect(names(decisive.events)).toEqual(['VoteCast', 'PartyFrozen', 'ProposalApproved'])
    expect((await party(chain, 'employer')).status).toBe(4)
    expect(await chain.read('permissionsOf', [EMP.address])).toBe(0)
    expect(await chain.read('permissionsOf', [USER2.address])).toBe(0) // the frozen party's account
    expect(await chain.read('isNodeAllowed', [node(0xb1)])).toBe(false)
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xc1)].map(checksum))
    expect((await chain.transact(EMP, 'propose', [Decision.ApproveCode, payload.code(keccakHex(new Uint8Array([8]))), ''])).reason).toBe(
      `governance: caller ${EMP.address.toLowerCase()} is not an admin of an active voting party (NotVotingAdmin)`,
    )
    // Not counted: 3 voting parties now, so 2 yes approve.
    const unfreeze = await chain.propose(INS, Decision.UnfreezeParty, payload.party('employer'))
    expect(await chain.proposal(unfreeze)).toMatchObject({ voters: 3 })
    await chain.vote(INS, unfreeze, true)
    expect(names((await chain.vote(REG, unfreeze, true)).events)).toEqual(['VoteCast', 'PartyUnfrozen', 'ProposalApproved'])
    expect((await party(chain, 'employer')).status).toBe(1)
    expect(await chain.read('permissionsOf', [USER2.address])).toBe(2)
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1), node(0xc1)].map(checksum))
    expect(await chain.refusedProposal(PF, Decision.UnfreezeParty, payload.party('employer'))).toBe('governance: party "employer" is not frozen (PartyNotFrozen)')
    // Freezing a party whose validator would take the set below minValidators is refused.
    await chain.decide(MEMBERS, Decision.FreezeParty, payload.party('insurer'))
    expect(await chain.refusedProposal(PF, Decision.FreezeParty, payload.party('employer'))).toBe('governance: would leave fewer than 2 validators (TooFewValidators)')
  })

  it('SetMinValidators: changed by vote, never below 1 nor above the current validator count', async () => {
    const chain = await GovernanceChain.create() // 3 validators, minValidators 2
    const { events } = await chain.decide(MEMBERS, Decision.SetMinValidators, payload.minValidators(3))
    expect(events.find((e) => e.eventName === 'MinValidatorsChanged')?.args).toEqual({ minValidators: 3 })
    expect(await chain.read('minValidators')).toBe(3)
    expect(await chain.refusedProposal(PF, Decision.RemoveValidator, payload.node(node(0xc1)))).toBe('governance: would leave fewer than 3 validators (TooFewValidators)')
    expect(await chain.refusedProposal(PF, Decision.SetMinValidators, payload.minValidators(4))).toBe('governance: minValidators must be 1 to the current 3 validators, not 4 (BadMinValidators)')
    expect(await chain.refusedProposal(PF, Decision.SetMinValidators, payload.minValidators(0))).toBe('governance: minValidators must be 1 to the current 3 validators, not 0 (BadMinValidators)')
    await chain.decide(MEMBERS, Decision.SetMinValidators, payload.minValidators(1))
    await chain.decide(MEMBERS, Decision.RemoveValidator, payload.node(node(0xc1)))
    expect(await chain.read('getValidators')).toEqual([node(0xa1), node(0xb1)].map(checksum))
  })
})
