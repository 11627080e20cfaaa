/**
 * A party joins and leaves a governed network of real node processes, driven only by the built
 * `quorate` CLI run as child processes, as the operators would: four founding parties (one validator
 * each, dev accounts 0..3 as admins, minValidators 4); a fifth party makes a join request, is
 * admitted by AddParty and AddNode votes, joins and syncs, becomes a validator that seals; then
 * `party offboard` takes it out step by step (RemoveValidator, RemoveNode, RemoveParty) with votes,
 * after which the others refuse its node at the handshake. Blocks stay final throughout. Offboarding
 * a founding party is refused: it would go below minValidators.
 */
import { execFile } from 'node:child_process'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NetworkNode } from '../../src/node/init.js'
import { onePartyPerNode } from '../helpers/governance.js'
import { TestNetwork } from '../helpers/network.js'
import { CLI, freePort, rpc, startNodeProcess, waitFor, type NodeProcess } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['pensionfund', 'employer', 'insurer', 'regulator'] as const
const NEW_PARTY = 'newfund'

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
/** Admin key files of the founding parties (dev accounts 0..3), mode 0600. */
const keyFile = (i: number) => join(tmp.dir, `admin-${i}.key`)

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI; never throws on a non-zero exit (the tests check the code). */
function quorate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      res({ code, stdout, stderr })
    })
  })
}

async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await quorate(args, env)
  if (r.code !== 0) throw new Error(`quorate ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

const consortiumOf = (nodes: NetworkNode[]) =>
  onePartyPerNode(nodes, {
    name: 'onboarding test consortium',
    parties: PARTIES,
    minValidators: 4,
    kindOf: (id) => (id === 'regulator' ? 'regulator' : 'member'),
    policies: { AddParty: { threshold: 66, comparator: '>=', votingPeriod: '10m' } },
  })

const proposalId = (out: string): number => {
  const m = /proposal #(\d+) opened/.exec(out)
  if (!m) throw new Error(`no proposal id in:\n${out}`)
  return Number(m[1])
}

async function heights(urls: string[]): Promise<number[]> {
  return Promise.all(urls.map(async (u) => Number(await rpc<string>(u, 'eth_blockNumber'))))
}

/** Every node in `urls` goes at least `by` blocks past `from` (per node). */
async function allAdvance(urls: string[], from: number[], by: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(`all nodes to finalise ${by} more blocks`, async () => (await heights(urls)).every((h, i) => h >= from[i]! + by), timeoutMs)
}

async function validatorsAt(url: string): Promise<string[]> {
  return rpc<string[]>(url, 'qbft_getValidatorsByBlockNumber', ['latest'])
}

// State shared by the ordered steps below.
const fifth = { dir: '', rpcPort: 0, p2pPort: 0, address: '', adminKey: '', request: '', url: '' }
let fifthProcess: NodeProcess | undefined

beforeAll(async () => {
  tmp = await tempDir('quorate-onboarding-')
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium: consortiumOf })
  for (let i = 0; i < 4; i++) {
    await writeFile(keyFile(i), `${net.accounts[i]!.privateKey}\n`)
    await chmod(keyFile(i), 0o600)
  }
  fifth.dir = join(tmp.dir, 'node-5')
  fifth.rpcPort = await freePort()
  fifth.p2pPort = await freePort()
  fifth.url = `http://127.0.0.1:${fifth.rpcPort}`
  await net.start()
})

afterAll(async () => {
  await fifthProcess?.stop()
  await net?.stopAll()
  await tmp?.cleanup()
})

const urls = () => net.nodes.map((n) => n.rpcUrl)

describe('a party joins and leaves a governed network through the CLI', () => {
  it('admits a fifth party by vote: join request, AddParty, AddNode; its node joins and syncs', async () => {
    const start = await heights(urls())
    const req = await quorate([
      'party', 'join-request', '--data-dir', fifth.dir, '--party-id', NEW_PARTY, '--name', 'New Fund B.V.', '--kind', 'member',
      '--endpoint', `wss://127.0.0.1:${fifth.p2pPort}`,
    ])
    expect(req.code, req.stderr).toBe(0)
    fifth.request = join(fifth.dir, 'join-request.json')
    fifth.adminKey = join(fifth.dir, 'admin.key')
    const request = JSON.parse(await readFile(fifth.request, 'utf8')) as { party: { id: string; admins: string[] }; node: { address: string; endpoint: string } }
    fifth.address = request.node.address
    expect(request.party.id).toBe(NEW_PARTY)
    expect(req.stdout).toContain(`node          ${fifth.address}`)
    expect((await stat(fifth.adminKey)).mode & 0o777).toBe(0o600)

    // Party "employer" (dev account 1) sponsors; AddParty needs >= 66% of 4 voting parties: 3 yes.
    const proposed = await ok(['gov', 'propose', 'add-party', '--request', fifth.request, '--description', 'Admit New Fund', '--key-file', keyFile(1), '--rpc', net.url(1)])
    const addParty = proposalId(proposed)
    expect(proposed).toContain(`quorate gov vote ${addParty} yes|no`)
    // A second sponsor proposing the same admission is pointed at the open one: only one could pass.
    const dup = await quorate(['gov', 'propose', 'add-party', '--request', fifth.request, '--description', 'Admit New Fund too', '--key-file', keyFile(2), '--rpc', net.url(2)])
    expect(dup.code).toBe(1)
    expect(dup.stderr).toContain(`propose refused before sending (rule: one open proposal per change): proposal #${addParty} (AddParty ${NEW_PARTY} `)
    expect(dup.stderr).toContain(`vote on it: quorate gov vote ${addParty} yes|no`)
    const shown = await ok(['gov', 'show', String(addParty), '--rpc', net.url(0)])
    expect(shown).toMatch(new RegExp(`Proposal #${addParty}: AddParty — open`))
    expect(shown).toMatch(/approved at 3 yes \(>= 66%\)/)
    expect(shown).toMatch(/deadline\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d \(in \d+m/)
    const [v1, v0] = await Promise.all([
      ok(['gov', 'vote', String(addParty), 'yes', '--key-file', keyFile(1), '--rpc', net.url(1)]),
      // The key may also come from the environment.
      ok(['gov', 'vote', String(addParty), 'yes', '--rpc', net.url(0)], { QUORATE_ADMIN_KEY: net.accounts[0]!.privateKey }),
    ])
    expect(`${v1}${v0}`).toContain('is now open')
    const v2 = await ok(['gov', 'vote', String(addParty), 'yes', '--key-file', keyFile(2), '--rpc', net.url(2)])
    expect(v2).toMatch(new RegExp(`proposal #${addParty} \\(AddParty ${NEW_PARTY} .*\\) is now approved \\(3 yes, 0 no of 4 voting parties`))
    // A vote on a decided proposal is refused with the contract's rule, exit 1.
    const late = await quorate(['gov', 'vote', String(addParty), 'yes', '--key-file', keyFile(3), '--rpc', net.url(3)])
    expect(late.code).toBe(1)
    expect(late.stderr).toContain(`vote refused: governance: proposal ${addParty} is already decided (ProposalDecided)`)
    const parties = JSON.parse(await ok(['gov', 'list', 'parties', '--json', '--rpc', net.url(3)])) as { id: string; status: string }[]
    expect(parties.find((p) => p.id === NEW_PARTY)?.status).toBe('active')

    // AddNode, sponsored by pensionfund; now 5 voting parties, > 50% needs 3 yes. The new party votes too.
    const addNode = proposalId(await ok(['gov', 'propose', 'add-node', '--request', fifth.request, '--description', 'New Fund node', '--key-file', keyFile(0), '--rpc', net.url(0)]))
    await ok(['gov', 'vote', String(addNode), 'yes', '--key-file', keyFile(0), '--rpc', net.url(0)])
    const twice = await quorate(['gov', 'vote', String(addNode), 'no', '--key-file', keyFile(0), '--rpc', net.url(1)])
    expect(twice.code).toBe(1)
    expect(twice.stderr).toContain('governance: party "pensionfund" already voted (AlreadyVoted)')
    await ok(['gov', 'vote', String(addNode), 'yes', '--key-file', fifth.adminKey, '--rpc', net.url(1)])
    expect(await ok(['gov', 'vote', String(addNode), 'yes', '--key-file', keyFile(3), '--rpc', net.url(3)])).toContain('is now approved')
    // AddNode registered the node's own encryption key (from the join request), not zeros.
    const keys = JSON.parse(await ok(['keys', 'show', '--data-dir', fifth.dir, '--json'])) as { address: string; encryptionKey: string }
    expect(keys.address).toBe(fifth.address)
    expect(keys.encryptionKey).toMatch(/^0x(?!0{64})[0-9a-f]{64}$/)
    const registered = await rpc<{ address: string; encryptionKey: string }[]>(net.url(2), 'gov_getNodes', [])
    expect(registered.find((n) => n.address.toLowerCase() === fifth.address)?.encryptionKey).toBe(keys.encryptionKey)
    const nodes = await ok(['gov', 'list', 'nodes', '--rpc', net.url(2)])
    expect(nodes).toMatch(new RegExp(`${fifth.address}\\s+${NEW_PARTY}\\s+active\\s+-\\s+wss://127.0.0.1:${fifth.p2pPort}`))

    // The new party's node: genesis from an existing node, ONE peer (runbook step 4.1). The join
    // warns that one peer is below the fault budget; governance peering meshes it once synced.
    const joined = await ok([
      'party', 'join', '--data-dir', fifth.dir, '--genesis', join(net.nodes[0]!.dataDir, 'genesis.json'), '--peer', `${net.nodes[0]!.p2pUrl}@${net.nodes[0]!.address}`,
      '--rpc-port', String(fifth.rpcPort), '--p2p-port', String(fifth.p2pPort), '--p2p-host', '127.0.0.1',
    ])
    expect(joined).toContain('warning: 1 of the 1 peer given answer now; with 4 validators up to 1 may be down at once, so give at least 2 reachable peers')
    expect(joined).toContain(`node address  ${fifth.address}`)
    fifthProcess = await startNodeProcess(fifth.dir, fifth.rpcPort)
    const target = Math.max(...(await heights(urls())))
    await waitFor('the fifth node to sync', async () => Number(await rpc<string>(fifth.url, 'eth_blockNumber')) >= target, 30_000)
    expect(Number(await rpc<string>(fifth.url, 'net_peerCount'))).toBeGreaterThanOrEqual(1)
    // Blocks went on being final on every founding node the whole time.
    expect((await heights(urls())).every((h, i) => h > start[i]!)).toBe(true)
  }, 300_000)

  it('makes the fifth node a validator by vote; its seals appear in blocks and blocks stay final', async () => {
    const addValidator = proposalId(await ok(['gov', 'propose', 'add-validator', '--node', fifth.address, '--description', 'New Fund validates', '--key-file', keyFile(2), '--rpc', net.url(2)]))
    await Promise.all([
      ok(['gov', 'vote', String(addValidator), 'yes', '--key-file', keyFile(2), '--rpc', net.url(2)]),
      ok(['gov', 'vote', String(addValidator), 'yes', '--key-file', fifth.adminKey, '--rpc', net.url(0)]),
    ])
    expect(await ok(['gov', 'vote', String(addValidator), 'yes', '--key-file', keyFile(3), '--rpc', net.url(3)])).toContain('is now approved')
    await waitFor('the fifth node in the validator set', async () => (await validatorsAt(net.url(0))).includes(fifth.address) && (await validatorsAt(fifth.url)).includes(fifth.address))
    const before = await heights([...urls(), fifth.url])
    await waitFor('seals of the fifth validator', async () => {
      const metrics = await rpc<{ address: string; sealedBlockCount: string }[]>(net.url(0), 'qbft_getSignerMetrics', [])
      return Number(metrics.find((m) => m.address === fifth.address)?.sealedBlockCount ?? 0) > 0
    }, 30_000)
    await allAdvance([...urls(), fifth.url], before, 3)

    // Joined with one --peer, it dialled the endpoints governance registered: connected to all four.
    const founders = net.nodes.map((n) => n.address.toLowerCase())
    await waitFor('the fifth node connected to every founding node', async () => {
      const peers = (await rpc<{ id: string }[]>(fifth.url, 'admin_peers')).map((p) => p.id.toLowerCase())
      return founders.every((a) => peers.includes(a))
    }, 30_000)
    expect(await readFile(join(fifth.dir, 'node.log'), 'utf8')).toContain('dialling the endpoint governance registered for this node')
    // Its one --peer stops: 4 of 5 validators are left, within the fault budget; blocks go on, the fifth seals on.
    await net.stop(0)
    const rest = [net.url(1), net.url(2), net.url(3), fifth.url]
    await allAdvance(rest, await heights(rest), 4, 40_000)
    await net.start(0)
    await waitFor('the first node back in sync', async () => (await heights([net.url(0)]))[0]! >= Math.max(...(await heights(rest))) - 1, 30_000)
  }, 300_000)

  it('offboards the fifth party one step per run: RemoveValidator, RemoveNode, RemoveParty; then refuses its node', async () => {
    const offboard = ['party', 'offboard', '--party-id', NEW_PARTY, '--key-file', fifth.adminKey, '--rpc', net.url(0), '--yes']
    const voteYes = (id: number) =>
      Promise.all([ok(['gov', 'vote', String(id), 'yes', '--key-file', keyFile(0), '--rpc', net.url(0)]), ok(['gov', 'vote', String(id), 'yes', '--key-file', keyFile(1), '--rpc', net.url(1)])])

    // Step 1: the validator role. The offboarded party proposes and votes yes itself; two more make 3 of 5.
    const step1 = await ok(offboard)
    expect(step1).toMatch(new RegExp(`next\\s+RemoveValidator ${fifth.address}`))
    expect(step1).toMatch(/your party voted yes\. proposal #\d+ \(RemoveValidator .*\) is now open \(1 yes/)
    const removeValidator = proposalId(step1)
    // Running again before the vote ends proposes nothing new: it says what it waits for.
    const again = await ok(offboard)
    expect(again).toContain(`waiting for proposal #${removeValidator}`)
    expect(again).not.toContain('opened')
    await voteYes(removeValidator)
    await waitFor('the fifth node out of the validator set', async () => !(await validatorsAt(net.url(0))).includes(fifth.address))
    const afterValidator = await heights(urls())
    await allAdvance(urls(), afterValidator, 2)

    // Step 2: the node.
    const step2 = await ok(offboard)
    expect(step2).toMatch(new RegExp(`next\\s+RemoveNode ${fifth.address}`))
    await voteYes(proposalId(step2))
    const nodes = JSON.parse(await ok(['gov', 'list', 'nodes', '--json', '--rpc', net.url(2)])) as { address: string; status: string }[]
    expect(nodes.find((n) => n.address === fifth.address)?.status).toBe('removed')

    // Step 3: the party.
    const step3 = await ok(offboard)
    expect(step3).toMatch(new RegExp(`next\\s+RemoveParty ${NEW_PARTY}`))
    await voteYes(proposalId(step3))
    const parties = JSON.parse(await ok(['gov', 'list', 'parties', '--json', '--rpc', net.url(3)])) as { id: string; status: string }[]
    expect(parties.find((p) => p.id === NEW_PARTY)?.status).toBe('removed')

    // Nothing left; its admin key no longer belongs to a party, but the state says so.
    const done = await ok(offboard)
    expect(done).toContain(`${NEW_PARTY} is offboarded`)

    // The removed node is refused at its next handshake.
    await fifthProcess?.stop()
    fifthProcess = undefined
    const log = join(fifth.dir, 'node.log')
    const logStart = (await readFile(log, 'utf8')).length
    fifthProcess = await startNodeProcess(fifth.dir, fifth.rpcPort)
    // The others refuse it: its log shows their refusals (reason UNKNOWN_NODE) and it has no peer.
    await waitFor("the peers' UNKNOWN_NODE refusals in the removed node's log", async () => /"reason":"UNKNOWN_NODE".*"err":"Peer refused the connection/.test((await readFile(log, 'utf8')).slice(logStart)), 20_000)
    expect(Number(await rpc<string>(fifth.url, 'net_peerCount'))).toBe(0)
    const h = await heights(urls())
    await allAdvance(urls(), h, 2)
    expect(Number(await rpc<string>(fifth.url, 'net_peerCount'))).toBe(0)
  }, 300_000)

  it('refuses to offboard a founding party when its validator would leave fewer than minValidators', async () => {
    const count = (await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length
    const r = await quorate(['party', 'offboard', '--party-id', 'pensionfund', '--key-file', keyFile(0), '--rpc', net.url(0), '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('refused (rule: minValidators)')
    expect(r.stderr).toMatch(/would leave 3 validators; the consortium requires at least 4/)
    expect((await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length).toBe(count)
    // Bad flags name the flag and exit 2, before anything is sent.
    const [foreign, unknown] = await Promise.all([
      quorate(['gov', 'propose', 'remove-validator', '--node', net.nodes[0]!.address, '--threshold', '50', '--description', 'x', '--key-file', keyFile(0), '--rpc', net.url(0)]),
      quorate(['gov', 'vote', '1', 'maybe', '--key-file', keyFile(0), '--rpc', net.url(0)]),
    ])
    expect(foreign).toMatchObject({ code: 2, stderr: expect.stringContaining('error: --threshold: does not apply to remove-validator') })
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining("value 'maybe' is invalid for argument 'choice'") })
    expect((await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length).toBe(count)
  }, 30_000)
})
