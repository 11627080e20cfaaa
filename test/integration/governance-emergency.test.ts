/**
 * Admin key rotation and an emergency freeze, decided by votes over real node processes and the
 * built CLI: four founding parties (one validator each, dev accounts 0..3 as admins, minValidators 3).
 * - RotateAdmins: the insurer replaces its admin key; the old key can no longer vote, the new one can.
 * - FreezeParty: the others freeze the employer; its admin can neither propose nor vote, its
 *   account's transactions are refused, and its validator leaves the set; UnfreezeParty restores all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import type { NetworkNode } from '../../src/node/init.js'
import { onePartyPerNode, TxSender } from '../helpers/governance.js'
import { proposalId, quorate, quorateOk, writeKeyFile } from '../helpers/gov-cli.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['pensionfund', 'employer', 'insurer', 'regulator'] as const

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
const keys: string[] = []

const consortiumOf = (nodes: NetworkNode[]) =>
  onePartyPerNode(nodes, {
    name: 'emergency test consortium',
    parties: PARTIES,
    minValidators: 3,
    // The employer's application account (dev account 6).
    accounts: (id) => (id === 'employer' ? [{ address: devAccounts(7)[6]!.address, permissions: ['transact', 'call'] }] : []),
  })

const validatorsAt = async (url: string) => (await rpc<string[]>(url, 'qbft_getValidatorsByBlockNumber', ['latest'])).map((v) => v.toLowerCase())

async function decide(decision: string[], proposer: number, voters: number[]): Promise<string> {
  const id = proposalId(await quorateOk(['gov', 'propose', ...decision, '--description', decision[0]!, '--key-file', keys[proposer]!, '--rpc', net.url(0)]))
  let last = ''
  for (const v of voters) last = await quorateOk(['gov', 'vote', id, 'yes', '--key-file', keys[v]!, '--rpc', net.url(0)])
  expect(last).toContain('is now approved')
  return id
}

beforeAll(async () => {
  tmp = await tempDir('quorate-emergency-')
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium: consortiumOf })
  for (const i of [0, 1, 2, 3, 5]) keys[i] = await writeKeyFile(tmp.dir, `admin-${i}`, net.accounts[i]!)
  await net.start()
})

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('admin key rotation and emergency freeze by vote', () => {
  it('RotateAdmins: the insurer replaces its key; the old key can no longer vote, the new key can', async () => {
    const newKey = net.accounts[5]!.address.toLowerCase()
    // Only the party itself proposes its rotation.
    const foreign = await quorate(['gov', 'propose', 'rotate-admins', '--party-id', 'insurer', '--admin', newKey, '--description', 'x', '--key-file', keys[0]!, '--rpc', net.url(0)])
    expect(foreign.code).toBe(1)
    expect(foreign.stderr).toContain('governance: party "pensionfund" may rotate only its own admin keys (NotOwnParty)')
    await decide(['rotate-admins', '--party-id', 'insurer', '--admin', newKey], 2, [2, 0, 1])
    const parties = JSON.parse(await quorateOk(['gov', 'list', 'parties', '--json', '--rpc', net.url(0)])) as { id: string; admins: string[] }[]
    expect(parties.find((p) => p.id === 'insurer')?.admins.map((a) => a.toLowerCase())).toEqual([newKey])

    const id = proposalId(await quorateOk(['gov', 'propose', 'set-min-validators', '--min-validators', '2', '--description', 'two', '--key-file', keys[0]!, '--rpc', net.url(0)]))
    const old = await quorate(['gov', 'vote', id, 'yes', '--key-file', keys[2]!, '--rpc', net.url(0)])
    expect(old.code).toBe(1)
    expect(old.stderr).toContain(`governance: caller ${net.accounts[2]!.address.toLowerCase()} is not an admin of an active voting party (NotVotingAdmin)`)
    expect(await quorateOk(['gov', 'vote', id, 'yes', '--key-file', keys[5]!, '--rpc', net.url(0)])).toContain('1 yes')
  }, 120_000)

  it('FreezeParty: the frozen party cannot propose or vote, its account is refused, its validator leaves; UnfreezeParty restores it', async () => {
    const employerNode = net.nodes[1]!.address.toLowerCase()
    const account = new TxSender(net.accounts[6]!)
    const transfer = { to: net.accounts[7]!.address, value: 1n, gas: 21_000n }
    expect((await account.submit(net.url(0), transfer)).error).toBeUndefined()

    // The employer is not a voter of its own freeze: 3 voters, 2 yes decide.
    await decide(['freeze-party', '--party-id', 'employer'], 0, [0, 5])
    await waitFor('the employer validator out of the set', async () => !(await validatorsAt(net.url(0))).includes(employerNode), 20_000)
    const refused = await account.submit(net.url(0), transfer)
    expect(refused.error?.message).toContain('permission denied (rule: account permissions)')
    const propose = await quorate(['gov', 'propose', 'approve-code', '--code-hash', `0x${'ab'.repeat(32)}`, '--description', 'x', '--key-file', keys[1]!, '--rpc', net.url(0)])
    expect(propose.code).toBe(1)
    expect(propose.stderr).toContain('is not an admin of an active voting party (NotVotingAdmin)')
    const open = proposalId(await quorateOk(['gov', 'propose', 'unfreeze-party', '--party-id', 'employer', '--description', 'restore', '--key-file', keys[0]!, '--rpc', net.url(0)]))
    const vote = await quorate(['gov', 'vote', open, 'yes', '--key-file', keys[1]!, '--rpc', net.url(0)])
    expect(vote.code).toBe(1)
    expect(vote.stderr).toContain('is not an admin of an active voting party (NotVotingAdmin)')
    // Blocks stay final with the three other validators.
    const h = Number(await rpc<string>(net.url(0), 'eth_blockNumber'))
    await waitFor('two more blocks', async () => Number(await rpc<string>(net.url(0), 'eth_blockNumber')) >= h + 2, 30_000)

    for (const v of [0, 3]) await quorateOk(['gov', 'vote', open, 'yes', '--key-file', keys[v]!, '--rpc', net.url(0)])
    await waitFor('the employer validator back in the set', async () => (await validatorsAt(net.url(0))).includes(employerNode), 20_000)
    expect((await account.submit(net.url(0), transfer)).error).toBeUndefined()
    const parties = JSON.parse(await quorateOk(['gov', 'list', 'parties', '--json', '--rpc', net.url(0)])) as { id: string; status: string }[]
    expect(parties.find((p) => p.id === 'employer')?.status).toBe('active')
  }, 180_000)
})
