/**
 * Consortium governance enforced by a governed network of real node processes: four validators of
 * the voting parties pensionfund, employer, insurer (members) and regulator, plus an observer party
 * (auditor) with one registered account; contract code must be approved by vote (the regulator has
 * a veto on ApproveCode). It shows:
 * - unapproved code cannot be created, directly or by an approved factory (CREATE and CREATE2),
 *   until an ApproveCode proposal passes, and cannot be again after RevokeCode;
 * - a suspended party's accounts, unregistered accounts, and accounts without `deploy` are refused;
 * - the voting rules: veto, expiry, ChangePolicy, only admins vote, one vote per party;
 * - a byzantine validator that ignores permissions gets its blocks rejected by the others;
 * - every refusal names the rule that refused it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeEventLog, getContractAddress, padHex, parseAbi, toEventSelector, type Abi } from 'viem'
import { GOVERNANCE_ADDRESS } from '../../src/governance/address.js'
import { GovernanceActionError, GovernanceClient } from '../../src/governance/client.js'
import type { DecisionArgs } from '../../src/governance/decisions.js'
import type { Address, Hex } from '../../src/types.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { compileSolidity, readFixture, tokenArtifact, type CompiledContract } from '../helpers/solc.js'
import { tempDir } from '../helpers/tmp.js'
import {
  Board,
  callData,
  codeAt,
  deployData,
  governedConsortium,
  OBSERVER_PARTY,
  ROLES,
  rpcError,
  rpcOutcome,
  runtimeCodeHash,
  SHORT_VOTING_PERIOD_S,
  TxSender,
  waitReceipt,
  type Receipt,
} from '../helpers/governance.js'
import { startInProcessNode, type InProcessNode } from '../helpers/governance-node.js'

const CODE_RULE = 'contract code not approved (rule: contract approval)'
const PERMISSION_RULE = 'permission denied (rule: account permissions)'
const NOT_ADMIN = 'is not an admin of an active voting party (NotVotingAdmin)'
/** EIP-1474 "transaction rejected": what PERMISSION_DENIED maps to. */
const TRANSACTION_REJECTED = -32003
const GOVERNANCE_ABI = parseAbi(['function isCodeApproved(bytes32 codeHash) view returns (bool)'])

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
let board: Board
let url: string
let child: CompiledContract
let factory: CompiledContract
let byzantine: InProcessNode | undefined

beforeAll(async () => {
  tmp = await tempDir()
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium: governedConsortium })
  await net.start()
  url = net.url(0)
  board = await Board.connect(url)
  const compiled = compileSolidity({ 'Factory.sol': readFixture('Factory.sol') })
  child = compiled.Child!
  factory = compiled.Factory!
  // Four validators must finalise before anything is sent.
  await waitFor('the first blocks', async () => (await net.height(0)) >= 2)
})

afterAll(async () => {
  await byzantine?.stop()
  await net?.stopAll()
  await tmp?.cleanup()
})

const ok = (r: Receipt) => expect(r.status, 'transaction status').toBe('0x1')
const failed = (r: Receipt) => expect(r.status, 'transaction status').toBe('0x0')

/** Sends every request from `sender` at once (consecutive nonces) and waits for all receipts. */
async function sendAll(sender: TxSender, txs: Parameters<TxSender['send']>[1][]): Promise<Receipt[]> {
  const hashes: Hex[] = []
  for (const tx of txs) hashes.push(await sender.send(url, tx))
  return Promise.all(hashes.map((h) => waitReceipt(url, h)))
}

async function expectRefused(action: Promise<unknown>, reason: string): Promise<void> {
  const err = await action.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, `refused with "${reason}"`).toBeInstanceOf(GovernanceActionError)
  expect((err as GovernanceActionError).message).toContain(reason)
}

async function isApproved(hash: Hex): Promise<boolean> {
  const out = await rpc<Hex>(url, 'eth_call', [{ to: GOVERNANCE_ADDRESS, data: callData(GOVERNANCE_ABI, 'isCodeApproved', [hash]) }, 'latest'])
  return BigInt(out) === 1n
}

function createdChild(r: Receipt, abi: Abi): Address {
  const log = r.logs.find((l) => l.topics[0] === toEventSelector('Created(address,bool)'))
  if (!log) throw new Error('no Created event')
  const { args } = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { args: { child: Address } }
  return args.child.toLowerCase() as Address
}

describe('governance enforced by a network of processes', () => {
  it('creates contract code only while its hash is approved: directly, and from a factory with CREATE and CREATE2', async () => {
    const deployer = new TxSender(ROLES.deployer)
    const childHash = runtimeCodeHash(child)
    const factoryHash = runtimeCodeHash(factory)
    const from = ROLES.deployer.address

    // Nothing but the governance contract is approved at genesis: even the factory needs a vote.
    const factoryEstimate = await rpcError(url, 'eth_estimateGas', [{ from, data: deployData(factory) }])
    expect(factoryEstimate.message).toContain(CODE_RULE)
    expect(factoryEstimate.message).toContain(factoryHash)
    const approvedFactory = await board.decide({ decision: 'ApproveCode', codeHash: factoryHash }, 'Approve the Factory')
    expect(approvedFactory).toMatchObject({ decision: 'ApproveCode', state: 'approved', yes: 3, no: 0, votingParties: 4, vetoParties: ['regulator'] })
    expect(await isApproved(factoryHash)).toBe(true)
    expect(await isApproved(childHash)).toBe(false)

    const [factoryDeploy] = await sendAll(deployer, [{ data: deployData(factory), gas: 2_000_000n }])
    ok(factoryDeploy!)
    const factoryAddress = factoryDeploy!.contractAddress!
    expect((await codeAt(url, factoryAddress)).toLowerCase()).toBe(factory.deployedBytecode.toLowerCase())

    // Child is not approved: eth_call and eth_estimateGas name the rule, a deployment reverts on chain.
    for (const method of ['eth_call', 'eth_estimateGas']) {
      const err = await rpcError(url, method, [{ from, data: deployData(child, [1n]) }, ...(method === 'eth_call' ? ['latest'] : [])])
      expect(err.message, method).toContain(CODE_RULE)
      expect(err.message, method).toContain(childHash)
    }
    for (const fn of ['create', 'create2'] as const) {
      const args = fn === 'create' ? [1n] : [1n, padHex('0x01', { size: 32 })]
      const err = await rpcError(url, 'eth_call', [{ from, to: factoryAddress, data: callData(factory.abi, fn, args) }, 'latest'])
      expect(err.message, `factory.${fn} by eth_call`).toContain(CODE_RULE)
    }
    const saltA = padHex('0xa1', { size: 32 })
    const saltB = padHex('0xb2', { size: 32 })
    const nonceOf = async (a: Address) => BigInt(await rpc<Hex>(url, 'eth_getTransactionCount', [a, 'latest']))
    expect(await nonceOf(factoryAddress)).toBe(1n) // a contract's nonce starts at 1
    const refused = await sendAll(deployer, [
      { data: deployData(child, [1n]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'create', [1n]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'create2', [1n, saltA]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'tryCreate', [1n]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'tryCreate2', [1n, saltB]), gas: 1_000_000n },
    ])
    const [direct, create, create2, tryCreate, tryCreate2] = refused
    failed(direct!)
    expect(await codeAt(url, direct!.contractAddress!)).toBe('0x')
    failed(create!)
    failed(create2!)
    // The opcodes themselves return 0 inside a transaction that succeeds.
    ok(tryCreate!)
    ok(tryCreate2!)
    expect(createdChild(tryCreate!, factory.abi)).toBe('0x0000000000000000000000000000000000000000')
    expect(createdChild(tryCreate2!, factory.abi)).toBe('0x0000000000000000000000000000000000000000')
    // As with a reverting constructor, each refused creation used a nonce (tryCreate's and
    // tryCreate2's; the whole transactions of create and create2 reverted) and left no code.
    expect(await nonceOf(factoryAddress)).toBe(3n)
    const attempted = getContractAddress({ from: factoryAddress, nonce: 1n })
    for (const a of [attempted, await predict2AtValue(factoryAddress, 1n, saltA), await predict2AtValue(factoryAddress, 1n, saltB)]) {
      expect(await codeAt(url, a), `no code at ${a}`).toBe('0x')
    }

    // Approved by vote: the same three ways work.
    const approvedChild = await board.decide({ decision: 'ApproveCode', codeHash: childHash }, 'Approve Child')
    expect(approvedChild.state).toBe('approved')
    expect(await isApproved(childHash)).toBe(true)
    expect(await rpc<Hex>(url, 'eth_call', [{ from, to: factoryAddress, data: callData(factory.abi, 'create2', [2n, saltA]) }, 'latest'])).toBe(padHex(await predict2AtValue(factoryAddress, 2n, saltA), { size: 32 }))
    const created = await sendAll(deployer, [
      { data: deployData(child, [2n]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'create', [2n]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'create2', [2n, saltA]), gas: 1_000_000n },
    ])
    created.forEach(ok)
    const childCode = child.deployedBytecode.toLowerCase()
    expect((await codeAt(url, created[0]!.contractAddress!)).toLowerCase()).toBe(childCode)
    const createdByCreate = createdChild(created[1]!, factory.abi)
    expect(createdByCreate).toBe(getContractAddress({ from: factoryAddress, nonce: 3n }).toLowerCase())
    expect((await codeAt(url, createdByCreate)).toLowerCase()).toBe(childCode)
    const createdByCreate2 = createdChild(created[2]!, factory.abi)
    expect(createdByCreate2).toBe((await predict2AtValue(factoryAddress, 2n, saltA)).toLowerCase())
    expect((await codeAt(url, createdByCreate2)).toLowerCase()).toBe(childCode)

    // Revoked by vote: creation is refused again, by every route.
    const revoked = await board.decide({ decision: 'RevokeCode', codeHash: childHash }, 'Revoke Child')
    expect(revoked).toMatchObject({ decision: 'RevokeCode', state: 'approved' })
    expect(await isApproved(childHash)).toBe(false)
    expect((await rpcError(url, 'eth_estimateGas', [{ from, data: deployData(child, [3n]) }])).message).toContain(CODE_RULE)
    const saltC = padHex('0xc3', { size: 32 })
    const again = await sendAll(deployer, [
      { data: deployData(child, [3n]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'create2', [3n, saltC]), gas: 1_000_000n },
      { to: factoryAddress, data: callData(factory.abi, 'tryCreate', [3n]), gas: 1_000_000n },
    ])
    failed(again[0]!)
    expect(await codeAt(url, again[0]!.contractAddress!)).toBe('0x')
    failed(again[1]!)
    expect(await codeAt(url, await predict2AtValue(factoryAddress, 3n, saltC))).toBe('0x')
    ok(again[2]!)
    expect(createdChild(again[2]!, factory.abi)).toBe('0x0000000000000000000000000000000000000000')
    // Code created while it was approved stays.
    expect((await codeAt(url, createdByCreate2)).toLowerCase()).toBe(childCode)
  }, 120_000)

  it('refuses transactions of unregistered accounts, deployments without `deploy`, and a suspended party\'s accounts until it is reinstated', async () => {
    const observerAccount = new TxSender(ROLES.observerAccount)
    const noDeploy = new TxSender(ROLES.noDeploy)
    const unregistered = new TxSender(ROLES.unregistered)
    const to = ROLES.forbidden.address
    const transfer = { to, value: 1n, gas: 21_000n }

    // Registered accounts transact.
    ;(await sendAll(observerAccount, [transfer])).forEach(ok)
    ;(await sendAll(noDeploy, [transfer])).forEach(ok)

    // An unregistered account is refused by every node's pool, and the error names the rule.
    for (const i of [0, 2]) {
      const out = await unregistered.submit(net.url(i), transfer)
      expect(out.error?.code).toBe(TRANSACTION_REJECTED)
      expect(out.error?.message).toContain(PERMISSION_RULE)
      expect(out.error?.message).toContain(ROLES.unregistered.address)
      expect(out.error?.message).toContain('it is not a registered account of an active party')
    }
    // A registered account without `deploy` may not deploy (even approved code: the factory).
    const deploy = await noDeploy.submit(url, { data: deployData(factory), gas: 2_000_000n })
    expect(deploy.error?.code).toBe(TRANSACTION_REJECTED)
    expect(deploy.error?.message).toContain(PERMISSION_RULE)
    expect(deploy.error?.message).toContain('may not deploy contracts; its permissions do not include "deploy"')

    // Suspended by vote: its account has no permissions left, on every node.
    const suspended = await board.decide({ decision: 'SuspendParty', id: OBSERVER_PARTY }, 'Suspend the auditor')
    expect(suspended).toMatchObject({ decision: 'SuspendParty', state: 'approved' })
    const parties = await rpc<{ id: string; status: string }[]>(url, 'gov_getParties')
    expect(parties.find((p) => p.id === OBSERVER_PARTY)?.status).toBe('suspended')
    expect(await rpc(url, 'gov_getAccount', [ROLES.observerAccount.address])).toMatchObject({ party: OBSERVER_PARTY, permissions: ['transact', 'call'], effectivePermissions: [] })
    const decidedAt = await net.height(0)
    for (const i of [0, 1, 3]) {
      await waitFor(`node ${i + 1} at the suspension`, async () => (await net.height(i)) >= decidedAt)
      const out = await observerAccount.submit(net.url(i), transfer)
      expect(out.error?.code, `node ${i + 1}`).toBe(TRANSACTION_REJECTED)
      expect(out.error?.message).toContain(PERMISSION_RULE)
      expect(out.error?.message).toContain(`${ROLES.observerAccount.address} may not transact`)
    }

    // Reinstated by vote: it transacts again.
    const reinstated = await board.decide({ decision: 'ReinstateParty', id: OBSERVER_PARTY }, 'Reinstate the auditor')
    expect(reinstated.state).toBe('approved')
    expect(await rpc(url, 'gov_getAccount', [ROLES.observerAccount.address])).toMatchObject({ effectivePermissions: ['transact', 'call'] })
    ;(await sendAll(observerAccount, [transfer])).forEach(ok)
  })

  it('applies the voting rules: veto, one vote per party, admins only, ChangePolicy for the next proposal, expiry', async () => {
    // The regulator's NO rejects an ApproveCode proposal at once, with two yes votes in and one party yet to vote.
    const tokenHash = runtimeCodeHash(tokenArtifact())
    const veto = await board.propose('insurer', { decision: 'ApproveCode', codeHash: tokenHash }, 'Approve Token')
    await board.vote(veto, ['pensionfund', 'employer'])
    expect(await board.proposal(veto)).toMatchObject({ state: 'open', yes: 2, no: 0 })
    await board.vote(veto, ['regulator'], false)
    expect(await board.proposal(veto)).toMatchObject({ state: 'rejected', yes: 2, no: 1 })
    await expectRefused(board.clients.insurer.vote(veto, true), `vote refused: governance: proposal ${veto} is already decided (ProposalDecided)`)
    expect(await isApproved(tokenHash)).toBe(false)

    // Only admins of active voting parties vote (and propose); a party votes once.
    const grantDeploy: DecisionArgs = { decision: 'SetAccountPermissions', account: ROLES.noDeploy.address, party: 'employer', permissions: ['transact', 'deploy', 'call'] }
    const first = await board.propose('employer', grantDeploy, 'Let the employer account deploy')
    await board.vote(first, ['pensionfund', 'employer'])
    for (const outsider of [ROLES.deployer, ROLES.observerAdmin, ROLES.unregistered]) {
      const client = await GovernanceClient.connect(url, outsider.privateKey)
      await expectRefused(client.vote(first, true), `vote refused: governance: caller ${outsider.address.toLowerCase()} ${NOT_ADMIN}`)
      await expectRefused(client.propose(grantDeploy, 'not mine to propose'), `propose refused: governance: caller ${outsider.address.toLowerCase()} ${NOT_ADMIN}`)
    }
    await expectRefused(board.clients.pensionfund.vote(first, true), 'vote refused: governance: party "pensionfund" already voted (AlreadyVoted)')
    await expectRefused(board.clients.employer.vote(first, false), 'vote refused: governance: party "employer" already voted (AlreadyVoted)')
    // Two of four is not more than 50%: still open.
    expect(await board.proposal(first)).toMatchObject({ state: 'open', yes: 2, no: 0, thresholdPercent: 50, comparator: '>' })

    // ChangePolicy by vote: SetAccountPermissions now needs 25% with '>=', i.e. one yes of four.
    const change = await board.decide(
      { decision: 'ChangePolicy', target: 'SetAccountPermissions', thresholdPercent: 25, comparator: '>=', votingPeriodSeconds: 600, vetoParties: [] },
      'One party may set account permissions',
    )
    expect(change.state).toBe('approved')
    const policies = await rpc<{ decision: string; thresholdPercent: number; comparator: string }[]>(url, 'gov_getPolicies')
    expect(policies.find((p) => p.decision === 'SetAccountPermissions')).toMatchObject({ thresholdPercent: 25, comparator: '>=' })
    const second = await board.propose('insurer', grantDeploy, 'Let the employer account deploy (new policy)')
    expect(await board.proposal(second)).toMatchObject({ state: 'open', thresholdPercent: 25, comparator: '>=' })
    await board.vote(second, ['insurer'])
    expect(await board.proposal(second)).toMatchObject({ state: 'approved', yes: 1 })
    // The earlier proposal keeps the threshold it was created with.
    expect(await board.proposal(first)).toMatchObject({ state: 'open', yes: 2, thresholdPercent: 50, comparator: '>' })
    expect(await rpc(url, 'gov_getAccount', [ROLES.noDeploy.address])).toMatchObject({ effectivePermissions: ['transact', 'deploy', 'call'] })
    ;(await sendAll(new TxSender(ROLES.noDeploy), [{ data: deployData(factory), gas: 2_000_000n }])).forEach(ok)

    // Expiry: after the voting period nobody can vote, not even the vote that would have approved it.
    const expiring = await board.propose('pensionfund', { decision: 'AddParty', id: 'latecomer', name: 'Latecomer', kind: 'member', admins: ['0x00000000000000000000000000000000000000aa'] }, 'Admit a latecomer')
    await board.vote(expiring, ['pensionfund', 'employer'])
    const open = await board.proposal(expiring)
    expect(open).toMatchObject({ state: 'open', yes: 2 })
    await expectRefused(board.clients.regulator.finalize(expiring), `finalize refused: governance: the voting period of proposal ${expiring} has not ended`)
    await waitFor('a block past the deadline', async () => BigInt((await rpc<{ timestamp: Hex }>(url, 'eth_getBlockByNumber', ['latest', false])).timestamp) > BigInt(open.deadline), (SHORT_VOTING_PERIOD_S + 10) * 1000)
    await expectRefused(board.clients.insurer.vote(expiring, true), `vote refused: governance: proposal ${expiring} expired (ProposalIsExpired)`)
    expect((await board.proposal(expiring)).state).toBe('open') // expired in effect, not yet marked
    await board.clients.regulator.finalize(expiring)
    expect(await board.proposal(expiring)).toMatchObject({ state: 'expired', yes: 2 })
    await expectRefused(board.clients.insurer.vote(expiring, true), `vote refused: governance: proposal ${expiring} expired (ProposalIsExpired)`)
    await expectRefused(board.clients.insurer.finalize(expiring), `finalize refused: governance: proposal ${expiring} expired (ProposalIsExpired)`)
    expect((await rpc<{ id: string }[]>(url, 'gov_getParties')).map((p) => p.id)).not.toContain('latecomer')
  }, 120_000)

  it('has the other validators reject a block that a byzantine proposer built with a forbidden transaction', async () => {
    const BYZ = 3
    const honest = [0, 1, 2]
    type Info = { consensus: { roundChanges: number; invalidMessages: Record<string, number> } }
    const infoBefore = await Promise.all(honest.map((i) => rpc<Info>(net.url(i), 'admin_nodeInfo')))

    // The regulator's validator is restarted in this process, with permission checks off.
    await net.stop(BYZ)
    byzantine = await startInProcessNode(net.nodes[BYZ]!.dataDir, { unsafeSkipTxAdmission: true })
    const byz = byzantine
    await waitFor('the byzantine node to rejoin', async () => byz.node.peerCount() >= 3 && byz.node.head.header.number >= BigInt(await net.height(0)), 30_000)

    // The honest pools refuse the transaction (naming the rule); the byzantine pool takes it.
    const raw = await new TxSender(ROLES.forbidden).sign(url, { to: ROLES.unregistered.address, value: 1n, gas: 21_000n })
    for (const i of honest) {
      const err = await rpcError(net.url(i), 'eth_sendRawTransaction', [raw])
      expect(err.code).toBe(TRANSACTION_REJECTED)
      expect(err.message).toContain(PERMISSION_RULE)
    }
    const since = Date.now()
    const from = await net.height(0)
    const accepted = await rpcOutcome<Hex>(byz.rpcUrl, 'eth_sendRawTransaction', [raw])
    expect(accepted.error).toBeUndefined()
    const txHash = accepted.result!

    // It proposes the transaction when its turn comes; every honest validator rejects the block.
    await waitFor('a proposal carrying the transaction', async () => byz.logs.some((l) => l.msg === 'proposing' && Number(l.txs) > 0), 40_000)
    const rejections = async (i: number) =>
      (await readFile(join(net.nodes[i]!.dataDir, 'node.log'), 'utf8'))
        .split('\n')
        .filter((l) => l.includes('proposed block rejected'))
        .map((l) => JSON.parse(l) as { time: number; err: string })
        .filter((l) => l.time >= since)
    await waitFor('every honest validator to reject it', async () => (await Promise.all(honest.map(rejections))).every((r) => r.length > 0), 20_000)
    for (const i of honest) {
      const logged = await rejections(i)
      expect(logged[0]!.err, `node ${i + 1}`).toContain(PERMISSION_RULE)
      expect(logged[0]!.err, `node ${i + 1}`).toContain(ROLES.forbidden.address)
    }

    // The chain goes on without it: other proposers' blocks, after round changes. (Every block it
    // builds now carries the transaction; one it built just before may still have been final.)
    const rejectedAt = await net.height(0)
    await waitFor('more blocks', async () => (await net.height(0)) >= rejectedAt + 4, 40_000)
    const head = await net.height(0)
    for (let n = from + 1; n <= head; n++) {
      const block = await rpc<{ hash: Hex; miner: Address; transactions: Hex[] }>(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
      expect(block.transactions, `block ${n}`).not.toContain(txHash)
      if (n > rejectedAt) expect(block.miner, `proposer of block ${n}`).not.toBe(net.nodes[BYZ]!.address)
      await waitFor(`block ${n} on the byzantine node`, async () => byz.node.head.header.number >= BigInt(n))
      expect(await net.hashAt(1, n)).toBe(block.hash)
      expect(await rpc<{ hash: Hex } | null>(byz.rpcUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false]).then((b) => b?.hash)).toBe(block.hash)
    }
    for (const i of honest) expect(await rpc(net.url(i), 'eth_getTransactionByHash', [txHash]), `node ${i + 1}`).toBeNull()
    expect(await rpc(url, 'eth_getTransactionCount', [ROLES.forbidden.address, 'latest'])).toBe('0x0')
    expect(byz.node.pool.size).toBe(1) // still trying
    const infoAfter = await Promise.all(honest.map((i) => rpc<Info>(net.url(i), 'admin_nodeInfo')))
    honest.forEach((_, k) => {
      expect(infoAfter[k]!.consensus.roundChanges).toBeGreaterThan(infoBefore[k]!.consensus.roundChanges)
      expect(infoAfter[k]!.consensus.invalidMessages.BAD_BLOCK ?? 0).toBeGreaterThan(infoBefore[k]!.consensus.invalidMessages.BAD_BLOCK ?? 0)
    })
  }, 120_000)
})

/** The CREATE2 address of Child(value) made by the factory with `salt`. */
async function predict2AtValue(factoryAddress: Address, value: bigint, salt: Hex): Promise<Address> {
  const out = await rpc<Hex>(url, 'eth_call', [{ to: factoryAddress, data: callData(factory.abi, 'predict2', [value, salt]) }, 'latest'])
  return `0x${out.slice(26)}` as Address
}
