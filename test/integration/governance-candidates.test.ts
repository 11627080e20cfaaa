/**
 * A validator voted in is only a candidate until its own node activates itself, so a vote for a
 * node that never runs cannot halt the network. Real node processes driven by the built CLI: four
 * founding validators (minValidators 4); two AddNode --validator votes for addresses no node runs.
 * Before candidates, that made 6 validators with 4 online, and one more node down (3 of 6, below
 * the quorum of 4) halted the chain. Now the set stays the 4, and with one of them stopped the other
 * three (the quorum of 4) keep finalising blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeFunctionResult, encodeFunctionData, parseAbi } from 'viem'
import { GOVERNANCE_ADDRESS } from '../../src/governance/address.js'
import type { NetworkNode } from '../../src/node/init.js'
import type { Hex } from '../../src/types.js'
import { proposalId, quorateOk, writeKeyFile } from '../helpers/gov-cli.js'
import { onePartyPerNode } from '../helpers/governance.js'
import { TestNetwork } from '../helpers/network.js'
import { rpc, waitFor } from '../helpers/node-process.js'
import { tempDir } from '../helpers/tmp.js'

const PARTIES = ['pensionfund', 'employer', 'insurer', 'regulator'] as const
/** Node addresses nobody runs. */
const PHANTOMS = ['0x00000000000000000000000000000000000ca001', '0x00000000000000000000000000000000000ca002']
const VIEWS = parseAbi(['function validatorCandidates() view returns (address[])'])

let tmp: Awaited<ReturnType<typeof tempDir>>
let net: TestNetwork
const keys: string[] = []
const keyFile = (i: number) => keys[i]!
const quorate = quorateOk

const consortiumOf = (nodes: NetworkNode[]) => onePartyPerNode(nodes, { name: 'candidates test consortium', parties: PARTIES, minValidators: 4 })

async function candidatesAt(url: string): Promise<string[]> {
  const data = await rpc<Hex>(url, 'eth_call', [{ to: GOVERNANCE_ADDRESS, data: encodeFunctionData({ abi: VIEWS, functionName: 'validatorCandidates' }) }, 'latest'])
  return decodeFunctionResult({ abi: VIEWS, functionName: 'validatorCandidates', data }).map((a) => a.toLowerCase())
}

const validatorsAt = (url: string) => rpc<string[]>(url, 'qbft_getValidatorsByBlockNumber', ['latest'])
const height = async (url: string) => Number(await rpc<string>(url, 'eth_blockNumber'))

beforeAll(async () => {
  tmp = await tempDir('quorate-candidates-')
  net = await TestNetwork.create(tmp.dir, { validators: 4, consortium: consortiumOf })
  for (let i = 0; i < 4; i++) keys[i] = await writeKeyFile(tmp.dir, `admin-${i}`, net.accounts[i]!)
  await net.start()
})

afterAll(async () => {
  await net?.stopAll()
  await tmp?.cleanup()
})

describe('validator candidates', () => {
  it('a validator voted in whose node never runs stays a candidate, and the chain keeps its quorum', async () => {
    const founders = net.nodes.map((n) => n.address.toLowerCase())
    for (const [p, phantom] of PHANTOMS.entries()) {
      const opened = await quorate(['gov', 'propose', 'add-node', '--node', phantom, '--party-id', PARTIES[p]!, '--validator', '--description', 'a validator that never runs', '--key-file', keyFile(0), '--rpc', net.url(0)])
      const id = proposalId(opened)
      for (const i of [0, 1]) await quorate(['gov', 'vote', id, 'yes', '--key-file', keyFile(i), '--rpc', net.url(i)])
      expect(await quorate(['gov', 'vote', id, 'yes', '--key-file', keyFile(2), '--rpc', net.url(2)])).toContain('is now approved')
    }
    expect(await candidatesAt(net.url(0))).toEqual(PHANTOMS)
    expect((await validatorsAt(net.url(0))).map((v) => v.toLowerCase())).toEqual(founders)
    // What an operator sees: the RPC and `gov list nodes` name them candidates, not validators.
    const listed = await rpc<{ address: string; candidate: boolean }[]>(net.url(0), 'gov_getNodes')
    expect(listed.filter((n) => n.candidate).map((n) => n.address)).toEqual(PHANTOMS)
    const table = await quorate(['gov', 'list', 'nodes', '--rpc', net.url(0)])
    for (const phantom of PHANTOMS) expect(table).toMatch(new RegExp(`${phantom}.*validator candidate \\(joins when live\\)`, 'i'))

    // One founding validator down: 3 of 4 is the quorum, so blocks stay final (3 of 6 would not be).
    await net.stop(3)
    const urls = [0, 1, 2].map((i) => net.url(i))
    const from = await Promise.all(urls.map(height))
    await waitFor('three more final blocks on the remaining validators', async () => (await Promise.all(urls.map(height))).every((h, i) => h >= from[i]! + 3), 60_000)
    for (const url of urls) {
      expect((await validatorsAt(url)).map((v) => v.toLowerCase())).toEqual(founders)
      expect(await candidatesAt(url)).toEqual(PHANTOMS)
    }
  }, 180_000)
})
