/**
 * The party commands' own logic: the offboarding order and its refusals (pure, from governance
 * state), one `party offboard` run against a loopback node answering like a governed one, and the
 * files that `party join-request`, `party join` and `init --consortium` write.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encodeFunctionResult, parseAbi } from 'viem'
import { createJoinRequest, initFromConsortium, joinNetwork, parsePeer, planOffboard, quorumOf, runOffboard, type OffboardState } from '../../../src/cli/party.js'
import type { NodeInfo, PartyInfo, ProposalInfo } from '../../../src/cli/gov.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { createNodeKeys } from '../../../src/node/init.js'
import { ConfigError } from '../../../src/errors.js'
import { GOVERNANCE_ADDRESS } from '../../../src/governance/address.js'
import type { Address } from '../../../src/types.js'
import { tempDir } from '../../helpers/tmp.js'
import { bytesToHex } from '@ethereumjs/util'
import { readEncryptionKeyFile } from '../../../src/privacy/keys.js'
import { formatNodeKeys, showNodeKeys } from '../../../src/cli/node-keys.js'
import { startFakeNode, type FakeNode } from './helpers.js'

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const FOUNDERS = ['pensionfund', 'employer', 'insurer', 'regulator']
const party = (id: string, over: Partial<PartyInfo> = {}): PartyInfo => ({ id, name: id, kind: id === 'regulator' ? 'regulator' : 'member', status: 'active', admins: [addr(0xa0 + id.length)], ...over })
const node = (n: number, partyId: string, over: Partial<NodeInfo> = {}): NodeInfo => ({ address: addr(n), party: partyId, endpoint: '', validator: true, status: 'active', ...over })

/** Four founders with one validator each, and newfund with validator 5 and a plain node 6. */
function state(over: Partial<OffboardState> = {}): OffboardState {
  const nodes = [...FOUNDERS.map((p, i) => node(i + 1, p)), node(5, 'newfund'), node(6, 'newfund', { validator: false })]
  return {
    partyId: 'newfund',
    parties: [...FOUNDERS.map((p) => party(p)), party('newfund')],
    nodes,
    validators: [1, 2, 3, 4, 5].map(addr),
    minValidators: 3,
    proposals: [],
    sealers: new Set([1, 2, 3, 4, 5].map(addr)),
    nowMs: 1_000_000,
    ...over,
  }
}

const proposal = (id: number, decision: string, args: Record<string, unknown>, over: Partial<ProposalInfo> = {}): ProposalInfo => ({
  id,
  decision,
  description: '',
  proposer: 'newfund',
  createdAt: 900,
  deadline: 2000,
  state: 'open',
  yes: 1,
  no: 0,
  votingParties: 5,
  thresholdPercent: 50,
  comparator: '>',
  vetoParties: [],
  votes: [{ party: 'newfund', support: true }],
  args: { decision, ...args },
  ...over,
})

describe('planOffboard: the safe order', () => {
  it('removes validators first, then nodes, then the party', () => {
    const plan = planOffboard(state())
    expect(plan.next).toMatchObject({ kind: 'propose', args: { decision: 'RemoveValidator', node: addr(5) }, description: `offboarding newfund: RemoveValidator ${addr(5)}` })
    expect(plan.lines.slice(1)).toEqual([
      `  next   RemoveValidator ${addr(5)}`,
      `  then   RemoveNode ${addr(5)}`,
      `  then   RemoveNode ${addr(6)}`,
      '  then   RemoveParty newfund',
    ])
    const noValidator = state({ validators: [1, 2, 3, 4].map(addr), nodes: state().nodes.map((n) => (n.address === addr(5) ? { ...n, validator: false } : n)) })
    expect(planOffboard(noValidator).next).toMatchObject({ kind: 'propose', args: { decision: 'RemoveNode', node: addr(5) } })
    const noNodes = state({ validators: [1, 2, 3, 4].map(addr), nodes: state().nodes.map((n) => (n.party === 'newfund' ? { ...n, validator: false, status: 'removed' } : n)) })
    const last = planOffboard(noNodes)
    expect(last.next).toMatchObject({ kind: 'propose', args: { decision: 'RemoveParty', id: 'newfund' } })
    expect(last.lines).toContain(`  done   2 nodes removed: ${addr(5)}, ${addr(6)}`)
    expect(planOffboard({ ...noNodes, parties: noNodes.parties.map((p) => (p.id === 'newfund' ? { ...p, status: 'removed' } : p)) }).next).toEqual({ kind: 'done' })
  })

  it('refuses a RemoveValidator below minValidators, naming the rule', () => {
    const s = state({ partyId: 'pensionfund', validators: [1, 2, 3, 4].map(addr), minValidators: 4 })
    const next = planOffboard(s).next
    expect(next.kind).toBe('refused')
    const error = (next as { error: Error }).error
    expect(error.message).toMatch(new RegExp(`^refused \\(rule: minValidators\\): removing validator ${addr(1)} of pensionfund would leave 3 validators; the consortium requires at least 4`))
    expect(error.message).toMatch(/first add a validator of another party/)
    // At exactly minValidators afterwards it is allowed.
    expect(planOffboard({ ...s, minValidators: 3 }).next.kind).toBe('propose')
  })

  it('refuses a RemoveValidator that leaves the live validators short of a quorum', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumOf)).toEqual([1, 2, 2, 3, 4, 4, 5])
    // 5 validators, 2 of them silent: after removing 5, the 4 left need 3 live, and only 2 sealed.
    const s = state({ sealers: new Set([1, 2, 5].map(addr)) })
    expect((planOffboard(s).next as { error: Error }).error.message).toMatch(/^refused \(rule: quorum\): after removing .*, 4 validators need 3 online to finalise blocks, but only 2 of them sealed or proposed a block recently/)
    // Unknown liveness (the node has no qbft_ methods): only minValidators is checked.
    expect(planOffboard({ ...s, sealers: undefined }).next.kind).toBe('propose')
  })

  it('refuses to remove the last voting party', () => {
    const s = state({
      partyId: 'pensionfund',
      parties: [party('pensionfund'), party('auditor', { kind: 'observer' })],
      nodes: [node(1, 'pensionfund', { status: 'removed', validator: false })],
      validators: [],
      minValidators: 1,
    })
    expect((planOffboard(s).next as { error: Error }).error.message).toMatch(/^refused \(rule: last voting party\)/)
  })

  it('waits for an open step instead of proposing it twice, and notes an earlier failed attempt', () => {
    const open = proposal(7, 'RemoveValidator', { node: addr(5) })
    expect(planOffboard(state({ proposals: [open] })).next).toEqual({ kind: 'waiting', proposal: open, ended: false })
    expect(planOffboard(state({ proposals: [open], nowMs: 3_000_000 })).next).toMatchObject({ kind: 'waiting', ended: true })
    // Proposals about other parties do not block it.
    expect(planOffboard(state({ proposals: [proposal(8, 'RemoveValidator', { node: addr(1) })] })).next.kind).toBe('propose')
    const failed = proposal(6, 'RemoveValidator', { node: addr(5) }, { state: 'failed' })
    expect(planOffboard(state({ proposals: [failed] })).next).toMatchObject({ kind: 'propose', earlier: failed })
  })

  it('names an unknown party', () => {
    expect(() => planOffboard(state({ partyId: 'nobody' }))).toThrow(/there is no party "nobody"; the parties are pensionfund, employer/)
  })
})

let tmp: Awaited<ReturnType<typeof tempDir>>
const servers: FakeNode[] = []
beforeEach(async () => {
  tmp = await tempDir('quorate-party-')
})
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
  await tmp.cleanup()
})

const DEV0_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const DEV0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

/** A loopback node answering like a governed one with the state `s` (reads only: no transaction is sent). */
async function governedNode(s: OffboardState): Promise<string> {
  const abi = parseAbi(['function minValidators() view returns (uint16)'])
  const server = await startFakeNode({
    methods: {
      eth_chainId: () => '0x539',
      eth_blockNumber: () => '0x64',
      eth_call: (params) => {
        expect((params[0] as { to: string }).to).toBe(GOVERNANCE_ADDRESS)
        return encodeFunctionResult({ abi, functionName: 'minValidators', result: s.minValidators })
      },
      qbft_getSignerMetrics: () => [...(s.sealers ?? [])].map((a) => ({ address: a, sealedBlockCount: '0x5' })),
      gov_getParties: () => s.parties.map((p) => (p.id === 'pensionfund' ? { ...p, admins: [DEV0] } : p)),
      gov_getNodes: () => s.nodes,
      gov_getValidators: () => s.validators,
      gov_getProposals: () => s.proposals,
    },
  })
  servers.push(server)
  return server.url
}

describe('party offboard against a node', () => {
  const run = async (url: string, over: { yes?: boolean; partyId?: string } = {}) => {
    let out = ''
    const result = await runOffboard(
      { partyId: over.partyId ?? 'newfund', rpc: url, key: DEV0_KEY, yes: over.yes ?? false },
      { out: (t) => (out += t), err: () => undefined, now: () => 1_000_000 },
    ).then((code) => ({ code }), (error: unknown) => ({ error }))
    return { ...result, out }
  }

  it('refuses below minValidators with exit 1 (OFFBOARD_REFUSED), after reading minValidators from the contract', async () => {
    const url = await governedNode(state({ partyId: 'pensionfund', validators: [1, 2, 3, 4].map(addr), minValidators: 4 }))
    const r = await run(url, { partyId: 'pensionfund', yes: true })
    expect(r).toMatchObject({ error: { code: 'OFFBOARD_REFUSED' } })
    expect(r.out).toContain('validators 4 (minValidators 4)')
  })

  it('does not propose without --yes when there is no terminal to ask on', async () => {
    const url = await governedNode(state())
    const r = await run(url)
    expect((r as { error: ConfigError }).error).toBeInstanceOf(ConfigError)
    expect((r as { error: Error }).error.message).toMatch(/^--yes: nothing proposed: confirm "offboarding newfund: RemoveValidator/)
  })

  it('says what an open step waits for, and who has not voted', async () => {
    const url = await governedNode(state({ proposals: [proposal(7, 'RemoveValidator', { node: addr(5) })] }))
    const r = await run(url, { yes: true })
    expect(r).toEqual({ code: 0, out: expect.any(String) })
    expect(r.out).toContain(`waiting for proposal #7 (RemoveValidator ${addr(5)}): 1 yes, 0 no of 5; approved at 3 yes`)
    expect(r.out).toContain(`your party (pensionfund) has not voted: quorate gov vote 7 yes --key-file <admin key> --rpc ${url}`)
  })
})

describe('join-request, join and init --consortium write the party\'s files', () => {
  it('join-request makes the node key, a 0600 admin key and the request; a second run reuses the keys', async () => {
    const dir = join(tmp.dir, 'newfund')
    const r = await createJoinRequest({ dataDir: dir, partyId: 'newfund', name: 'New Fund', kind: 'member', endpoint: 'wss://nf.example:443' })
    expect(r).toMatchObject({ nodeKey: 'created', adminKey: 'created', file: join(dir, 'join-request.json') })
    expect((await stat(join(dir, 'admin.key'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'node.key'))).mode & 0o777).toBe(0o600)
    const written = JSON.parse(await readFile(r.file, 'utf8')) as unknown
    // The node's encryption public key travels in the request (AddNode registers it): the folder's key, never zero.
    const encryptionKey = bytesToHex((await readEncryptionKeyFile(join(dir, 'encryption.key'))).publicKey)
    expect(encryptionKey).not.toMatch(/^0x0+$/)
    expect(written).toEqual({ party: { id: 'newfund', name: 'New Fund', kind: 'member', admins: r.request.party.admins }, node: { address: r.request.node.address, endpoint: 'wss://nf.example:443', encryptionKey } })
    expect(await showNodeKeys(dir)).toEqual({ address: r.request.node.address, encryptionKey })
    expect(formatNodeKeys(await showNodeKeys(dir))).toBe(`node address    ${r.request.node.address}\nencryption key  ${encryptionKey}\n`)
    const again = await createJoinRequest({ dataDir: dir, partyId: 'newfund', name: 'New Fund', kind: 'member', out: join(tmp.dir, 'r2.json') })
    expect(again).toMatchObject({ nodeKey: 'reused', adminKey: 'reused' })
    expect(again.request.node.address).toBe(r.request.node.address)
    expect(again.request.node.encryptionKey).toBe(encryptionKey)
    expect(again.request.party.admins).toEqual(r.request.party.admins)
    // With existing admin accounts, no admin key is made.
    const withAdmin = await createJoinRequest({ dataDir: join(tmp.dir, 'other'), partyId: 'other', name: 'Other', kind: 'observer', admin: [DEV0] })
    expect(withAdmin).toMatchObject({ adminKey: 'none', adminKeyFile: undefined, request: { party: { admins: [DEV0] }, node: { endpoint: '' } } })
    await expect(createJoinRequest({ dataDir: join(tmp.dir, 'x'), partyId: 'X Y', name: 'n', kind: 'member' })).rejects.toThrow(/^--party-id: "X Y" is not a party id/)
    await expect(createJoinRequest({ dataDir: join(tmp.dir, 'x'), partyId: 'x', name: 'n', kind: 'member', endpoint: 'tcp://x:1' })).rejects.toThrow(/^--endpoint: expected wss:\/\/host:port/)
  })

  it('join writes the genesis and a config that dials the peers; it needs the node key and a peer', async () => {
    const dir = join(tmp.dir, 'newfund')
    await createJoinRequest({ dataDir: dir, partyId: 'newfund', name: 'New Fund', kind: 'member' })
    const genesisFile = join(tmp.dir, 'genesis.json')
    await writeFile(genesisFile, JSON.stringify({ config: { chainId: 1337, governance: {} }, validators: [addr(1)] }))
    const peer = `wss://127.0.0.1:30303@${addr(1)}`
    const r = await joinNetwork({ dataDir: dir, genesis: genesisFile, peer: [peer], rpcPort: 8600, p2pPort: 30400, p2pHost: '127.0.0.1' })
    expect(r.governed).toBe(true)
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as unknown
    expect(config).toEqual({ name: 'newfund', rpc: { port: 8600 }, p2p: { listen: { host: '127.0.0.1', port: 30400 }, peers: [{ url: 'wss://127.0.0.1:30303', address: addr(1) }] } })
    expect(parseGenesis(JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8'))).config.chainId).toBe(1337)
    expect(parsePeer('wss://h:1')).toEqual({ url: 'wss://h:1' })
    expect(() => parsePeer('https://h:1@0x12')).toThrow(/^--peer: expected wss:\/\/host:port@0xnodeaddress/)
    await expect(joinNetwork({ dataDir: join(tmp.dir, 'empty'), genesis: genesisFile, peer: [peer], rpcPort: 1, p2pHost: 'x' })).rejects.toThrow(/^--data-dir: no node key in/)
    await expect(joinNetwork({ dataDir: dir, genesis: genesisFile, peer: [], rpcPort: 1, p2pHost: 'x' })).rejects.toThrow(/^--peer: give at least one existing node/)
    await writeFile(genesisFile, JSON.stringify({ config: { chainId: 0 }, validators: [] }))
    await expect(joinNetwork({ dataDir: dir, genesis: genesisFile, peer: [peer], rpcPort: 1, p2pHost: 'x' })).rejects.toThrow(/^--genesis: /)
  })

  it('init --consortium uses the key already in the folder, checks it against --node, or creates one', async () => {
    const a = join(tmp.dir, 'a')
    const { address } = await createNodeKeys(a)
    const file = join(tmp.dir, 'consortium.yaml')
    await writeFile(
      file,
      `chainId: 4242
parties:
  - id: fund
    name: Fund
    kind: member
    admins: ["${DEV0}"]
    nodes:
      - { name: fund-1, address: "${address}", endpoint: "wss://fund.example:443", validator: true }
      - { name: fund-2, address: "${addr(0xb2)}", endpoint: "wss://fund2.example:443" }
`,
    )
    const r = await initFromConsortium({ dataDir: a, consortium: file, node: 'fund-1', rpcPort: 8545, p2pPort: 30303 })
    expect(r).toMatchObject({ address, created: false, listed: { party: 'fund', name: 'fund-1', validator: true }, peers: 1 })
    const genesis = parseGenesis(JSON.parse(await readFile(join(a, 'genesis.json'), 'utf8')))
    expect(genesis.validators).toEqual([address])
    expect(genesis.config.governance).toBeDefined()
    expect(JSON.parse(await readFile(join(a, 'config.json'), 'utf8'))).toMatchObject({ name: 'fund-1', p2p: { peers: [{ url: 'wss://fund2.example:443', address: addr(0xb2) }] } })
    // A second folder gets the same genesis hash from the same file, with a new key that is not listed.
    const b = await initFromConsortium({ dataDir: join(tmp.dir, 'b'), consortium: file, rpcPort: 8545, p2pPort: 30303 })
    expect(b).toMatchObject({ created: true, listed: undefined, genesisHash: r.genesisHash, peers: 2 })
    await expect(initFromConsortium({ dataDir: join(tmp.dir, 'c'), consortium: file, node: 'fund-2', rpcPort: 1, p2pPort: 2 })).rejects.toThrow(/^--node: .* lists node "fund-2" as 0x0+b2, but .* holds no node key/)
    await expect(initFromConsortium({ dataDir: join(tmp.dir, 'b'), consortium: file, node: 'fund-1', rpcPort: 1, p2pPort: 2 })).rejects.toThrow(/^--node: .* lists node "fund-1" as .*, but the key in .* is /)
    await expect(initFromConsortium({ dataDir: a, consortium: file, node: 'fund-9', rpcPort: 1, p2pPort: 2 })).rejects.toThrow(/^--node: no node named "fund-9" .*; its nodes are fund-1, fund-2/)
    await mkdir(join(a, 'chain'))
    await expect(initFromConsortium({ dataDir: a, consortium: file, rpcPort: 1, p2pPort: 2 })).rejects.toThrow(/^--data-dir: .* already holds a chain/)
  })
})
