/**
 * Recovering a halted chain, following docs/runbooks/recovery.md with the built CLI against real
 * node processes: four parties with one validator each (minValidators 2). With one validator down,
 * `gov propose add-validator` of a node that is not live is refused before sending, with the reason.
 * With two down the chain halts (3 of 4 needed); a proposal sent then is reported "sent, not yet
 * final" (exit 6), never refused. The two survivors get a validator override from the halted head
 * + 1 and are restarted: blocks are final again; the pending proposal lands; votes remove the two
 * dead validators; the override is closed at the block of the deciding vote and the survivors are
 * restarted one at a time: blocks go on and both agree on the head.
 */
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatePrivateKey, privateKeyToAddress } from '../../src/crypto/keys.js'
import type { NetworkNode } from '../../src/node/init.js'
import { onePartyPerNode } from '../helpers/governance.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { proposalId as proposalIdText, quorate, quorateOk } from '../helpers/gov-cli.js'
import { tempDir } from '../helpers/tmp.js'
import { EXIT_CLASSES } from '../../src/node/start-failure.js'

const PARTIES = ['alpha', 'beta', 'gamma', 'delta'] as const

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
const keyFile = (i: number) => join(tmp.dir, `admin-${i}.key`)
const proposalId = (out: string): number => Number(proposalIdText(out))

const consortiumOf = (nodes: NetworkNode[]) => onePartyPerNode(nodes, { name: 'recovery test consortium', parties: PARTIES, minValidators: 2 })

const height = (i: number) => net.height(i)
const validatorsAt = (i: number) => rpc<string[]>(net.url(i), 'qbft_getValidatorsByBlockNumber', ['latest'])
const govValidators = (i: number) => rpc<string[]>(net.url(i), 'gov_getValidators', [])

async function advances(indexes: number[], by: number, timeoutMs = 30_000): Promise<void> {
  const from = await Promise.all(indexes.map(height))
  await waitFor(`nodes ${indexes.join(',')} to finalise ${by} more blocks`, async () => (await Promise.all(indexes.map(height))).every((h, k) => h >= from[k]! + by), timeoutMs)
}

async function voteYes(id: number, admins: number[], via: number): Promise<{ txHash: string; state: string }[]> {
  const out: { txHash: string; state: string }[] = []
  for (const a of admins) out.push(JSON.parse(await quorateOk(['gov', 'vote', String(id), 'yes', '--json', '--key-file', keyFile(a), '--rpc', net.url(via)])) as { txHash: string; state: string })
  return out
}

beforeAll(async () => {
  tmp = await tempDir('quorate-recovery-')
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium: consortiumOf })
  for (let i = 0; i < 4; i++) {
    await writeFile(keyFile(i), `${net.accounts[i]!.privateKey}\n`)
    await chmod(keyFile(i), 0o600)
  }
  await net.start()
  await waitFor('height 2 everywhere', async () => (await Promise.all([0, 1, 2, 3].map(height))).every((h) => h >= 2))
})

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('a chain halted by lost validators is recovered with a validator override and a vote', () => {
  const dead = generatePrivateKey()
  const deadNode = privateKeyToAddress(dead).toLowerCase()

  it('refuses, before sending, to add a validator that is not live when that would leave the live ones short of a quorum', async () => {
    // Pre-flight: a doomed proposal is refused before sending, with the decoded reason; nothing is proposed.
    const none = await quorate(['gov', 'propose', 'change-policy', '--decision', 'add-party', '--veto', 'nobody', '--description', 'veto by a party that does not exist', '--key-file', keyFile(0), '--rpc', net.url(0)])
    expect(none.code, none.stderr).toBe(1)
    expect(none.stderr).toContain('propose refused: governance: veto party "nobody" is not a current party')
    expect(await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).toEqual([])
    // A registered node that never runs.
    const add = proposalId(await quorateOk(['gov', 'propose', 'add-node', '--node', deadNode, '--party-id', 'alpha', '--description', 'spare node', '--key-file', keyFile(0), '--rpc', net.url(0)]))
    expect((await voteYes(add, [0, 1, 2], 0)).at(-1)?.state).toBe('approved')

    // ApproveCode declares the code's size, contract name and source hash; gov show and gov list code read them.
    const artifact = join(tmp.dir, 'Token.json')
    const source = join(tmp.dir, 'Token.sol')
    await writeFile(artifact, JSON.stringify({ contractName: 'Token', deployedBytecode: `0x${'60806040'.repeat(8)}` }))
    await writeFile(source, 'contract Token {}\n')
    const approve = proposalId(await quorateOk(['gov', 'propose', 'approve-code', '--code-file', artifact, '--source-file', source, '--description', 'token v1', '--key-file', keyFile(1), '--rpc', net.url(1)]))
    const shown = await quorateOk(['gov', 'show', String(approve), '--rpc', net.url(0)])
    expect(shown).toMatch(/code size\s+32 bytes \(EIP-170 limit 24576\)/)
    expect(shown).toMatch(/contract\s+Token/)
    expect(shown).toMatch(/source keccak256\s+0x[0-9a-f]{64}/)
    await voteYes(approve, [0, 1, 2], 1)
    const codes = JSON.parse(await quorateOk(['gov', 'list', 'code', '--json', '--rpc', net.url(2)])) as { codeHash: string; proposal: number; declared: { name: string; size: number } }[]
    expect(codes).toHaveLength(1)
    expect(codes[0]).toMatchObject({ proposal: approve, declared: { name: 'Token', size: 32 } })
    expect(await quorateOk(['gov', 'list', 'code', '--rpc', net.url(2)])).toMatch(new RegExp(`${codes[0]!.codeHash}\\s+Token\\s+32 B\\s+#${approve}`))
    // ChangePolicy: gov show diffs the policy in force against the proposed one.
    const policy = proposalId(await quorateOk(['gov', 'propose', 'change-policy', '--decision', 'add-party', '--threshold', '66', '--comparator', '>=', '--description', 'stricter admission', '--key-file', keyFile(0), '--rpc', net.url(0)]))
    const diff = await quorateOk(['gov', 'show', String(policy), '--rpc', net.url(0)])
    expect(diff).toMatch(/threshold\s+> 50% → >= 66%/)
    expect(diff).toMatch(/voting period\s+10m \(unchanged\)/)
    expect(diff).toMatch(/veto\s+none \(unchanged\)/)

    await net.kill(3)
    await waitFor('node 4 gone from node 1', async () => Number(await rpc<string>(net.url(0), 'net_peerCount')) === 2)
    const before = (await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length
    const r = await quorate(['gov', 'propose', 'add-validator', '--node', deadNode, '--description', 'more validators', '--key-file', keyFile(0), '--rpc', net.url(0)])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain('propose refused before sending (rule: quorum of live validators)')
    expect(r.stderr).toContain('after this change 5 validators need 4 online to finalise blocks, but only 3 of them')
    expect(r.stderr).toContain(deadNode)
    expect((await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length).toBe(before)
    // --force sends it anyway, with a warning (it only opens the proposal; nobody votes for it here).
    const forced = await quorate(['gov', 'propose', 'add-validator', '--node', deadNode, '--force', '--description', 'forced', '--key-file', keyFile(0), '--rpc', net.url(0)])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stderr).toContain('warning: --force: the liveness of the validator set and the protocol support after this change are not checked')
    expect(forced.stdout).toMatch(/proposal #\d+ opened: AddValidator/)
    expect((await rpc<unknown[]>(net.url(0), 'gov_getProposals', [])).length).toBe(before + 1)
    // A yes vote (it may be the deciding one) is checked again before sending; a no vote is not.
    const forcedId = String(proposalId(forced.stdout))
    const yes = await quorate(['gov', 'vote', forcedId, 'yes', '--key-file', keyFile(1), '--rpc', net.url(1)])
    expect(yes.code, yes.stderr).toBe(1)
    expect(yes.stderr).toContain('vote refused before sending (rule: quorum of live validators): after this change 5 validators need 4 online')
    expect(await quorateOk(['gov', 'vote', forcedId, 'no', '--key-file', keyFile(2), '--rpc', net.url(2)])).toMatch(/is now open \(0 yes, 1 no/)
    // One down is within the fault budget: blocks go on.
    await advances([0, 1, 2], 2)
  }, 240_000)

  let pendingTx = ''
  let haltedHead = 0

  it('halts with two of four validators gone; a proposal sent then is "sent, not yet final", not refused', async () => {
    await net.kill(2)
    // Halted: the survivors' head stops moving.
    let last = -1
    await waitFor('the chain to halt', async () => {
      const [a, b] = await Promise.all([height(0), height(1)])
      const stable = a === b && a === last
      last = a
      if (!stable) await new Promise((r) => setTimeout(r, 3000))
      return stable
    }, 60_000)
    haltedHead = last
    expect(await net.hashAt(0, haltedHead)).toBe(await net.hashAt(1, haltedHead))
    const v = await govValidators(0)
    const r = await quorate(['gov', 'propose', 'remove-validator', '--node', v[3]!, '--description', 'node 4 is lost', '--wait', '3', '--key-file', keyFile(0), '--rpc', net.url(0)])
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(EXIT_CLASSES.pending.exit)
    expect(r.stderr).not.toMatch(/refused/)
    const m = /propose sent, not yet final: (0x[0-9a-f]{64})/.exec(r.stderr)
    expect(m, r.stderr).not.toBeNull()
    pendingTx = m![1]!
    expect(await height(0)).toBe(haltedHead)
  }, 120_000)

  it('recovers: override on the survivors, votes remove the dead validators, the override is closed', async () => {
    const v = await govValidators(0)
    const [v0, v1, v2, v3] = v as [string, string, string, string]
    // Runbook step: stop the survivors, give both the same override from the halted head + 1, start them.
    await Promise.all([net.stop(0), net.stop(1)])
    for (const i of [0, 1]) {
      const out = await quorateOk(['recovery', 'override', '--data-dir', net.nodes[i]!.dataDir, '--from-block', String(haltedHead + 1), '--validators', `${v0},${v1}`])
      expect(out).toContain(`blocks ${haltedHead + 1}..(open): ${v0}, ${v1}`)
    }
    await net.start(0, 1)
    await advances([0, 1], 2)
    expect(await validatorsAt(0)).toEqual([v0, v1])

    // The proposal sent while halted was not lost: it landed once blocks were final again.
    await waitFor('the pending proposal to land', async () => (await rpc<{ status: string } | null>(net.url(0), 'eth_getTransactionReceipt', [pendingTx]))?.status === '0x1')
    const proposals = await rpc<{ id: number; decision: string; state: string; args: { node?: string } }[]>(net.url(0), 'gov_getProposals', [])
    const removeV3 = proposals.find((p) => p.decision === 'RemoveValidator' && p.args.node === v3 && p.state === 'open')
    expect(removeV3).toBeDefined()
    // Parties whose nodes are down still vote, through a surviving node.
    expect((await voteYes(removeV3!.id, [0, 1, 3], 0)).at(-1)?.state).toBe('approved')
    const removeV2 = proposalId(await quorateOk(['gov', 'propose', 'remove-validator', '--node', v2, '--description', 'node 3 is lost', '--key-file', keyFile(1), '--rpc', net.url(1)]))
    const votes = await voteYes(removeV2, [1, 2, 0], 1)
    expect(votes.at(-1)?.state).toBe('approved')
    const receipt = await rpc<{ blockNumber: string }>(net.url(1), 'eth_getTransactionReceipt', [votes.at(-1)!.txHash])
    const decided = Number(receipt.blockNumber)
    expect(await govValidators(0)).toEqual([v0, v1])

    // Close the override at the block whose state now agrees; restart one survivor at a time.
    for (const i of [0, 1]) {
      await net.stop(i)
      const out = await quorateOk(['recovery', 'close', '--data-dir', net.nodes[i]!.dataDir, '--to-block', String(decided)])
      expect(out).toContain(`blocks ${haltedHead + 1}..${decided}: ${v0}, ${v1}`)
      await net.start(i)
      await advances([0, 1], 2)
    }
    expect(await validatorsAt(1)).toEqual([v0, v1])
    // Both survivors agree on the head.
    await waitFor('the survivors to agree on a recent block', async () => {
      const h = Math.min(await height(0), await height(1))
      return h > decided + 2 && (await net.hashAt(0, h)) === (await net.hashAt(1, h))
    })
    // `quorate status` takes the validators from governance: the removed ones' old seals do not make them validators.
    const status = await quorate(['status', '--json', '--rpc', net.url(0), '--rpc', net.url(1)])
    expect(status.code, status.stdout).toBe(0)
    expect((JSON.parse(status.stdout) as { validators: { source: string; addresses: string[] } }).validators).toEqual({ source: 'governance', addresses: [v0, v1] })
  }, 300_000)

  it('doctor says whether governance admits a node: a running validator, a stopped node no longer validating, an unregistered folder', async () => {
    type Report = { ok: boolean; checks: { id: string; status: string; message: string }[] }
    const admission = (out: string) => (JSON.parse(out) as Report).checks.find((c) => c.id === 'governance')
    const running = await quorate(['doctor', '--data-dir', net.nodes[0]!.dataDir, '--json'])
    expect(admission(running.stdout)).toMatchObject({ status: 'ok', message: expect.stringMatching(new RegExp(`^admitted: node ${net.nodes[0]!.address.toLowerCase()} of party alpha is active, a validator`)) })
    const removed = await quorate(['doctor', '--data-dir', net.nodes[2]!.dataDir, '--peer-rpc', net.url(0), '--json'])
    expect(admission(removed.stdout)).toMatchObject({ status: 'ok', message: expect.stringContaining('of party gamma is active, not a validator') })
    // A joining folder whose AddNode was never voted: refused by every peer, and doctor says so.
    const fresh = join(tmp.dir, 'fresh')
    await quorateOk(['party', 'join-request', '--data-dir', fresh, '--party-id', 'fresh', '--name', 'Fresh', '--kind', 'member'])
    await quorateOk(['party', 'join', '--data-dir', fresh, '--genesis', join(net.nodes[0]!.dataDir, 'genesis.json'), '--peer', `${net.nodes[0]!.p2pUrl}@${net.nodes[0]!.address}`, '--rpc-port', '1'])
    const keys = JSON.parse(await quorateOk(['keys', 'show', '--data-dir', fresh, '--json'])) as { address: string; encryptionKey: string }
    const report = await quorate(['doctor', '--data-dir', fresh, '--peer-rpc', net.url(0), '--json'])
    expect(report.code).toBe(1)
    expect(admission(report.stdout)).toMatchObject({ status: 'fail', message: `${keys.address} is not registered in governance (per ${net.url(0)}): every peer refuses its handshake` })
  }, 120_000)
})
