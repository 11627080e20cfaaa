/**
 * A consortium file becomes a genesis whose governance contract already holds the founding state:
 * read back through the same GovernanceView a node enforces with.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createChainCommon } from '../../../src/chain/common.js'
import { createGenesisBlock, parseGenesis, writeGenesisState } from '../../../src/chain/genesis.js'
import { ChainStore } from '../../../src/chain/store.js'
import { CallExecutor } from '../../../src/execution/call.js'
import { createStateManager } from '../../../src/execution/executor.js'
import { parseConsortium } from '../../../src/governance/consortium.js'
import { consortiumGenesis } from '../../../src/governance/genesis.js'
import { GovernanceView } from '../../../src/governance/view.js'
import { GovernanceQueries } from '../../../src/rpc/gov.js'
import { decodeExtraData } from '../../../src/chain/extra-data.js'
import { tempDir } from '../../helpers/tmp.js'

const NODE = (i: number) => `0x${String(i).padStart(40, '0')}`
const consortiumYaml = `
chainId: 4242
minValidators: 2
parties:
  - id: fund
    name: Pension Fund
    kind: member
    admins: ["0x00000000000000000000000000000000000000a1"]
    accounts: [{ address: "0x00000000000000000000000000000000000000b1", permissions: [transact] }]
    nodes: [{ address: "${NODE(1)}", endpoint: "wss://127.0.0.1:1", validator: true }]
  - id: employer
    name: Employer
    kind: member
    admins: ["0x00000000000000000000000000000000000000a2"]
    nodes: [{ address: "${NODE(2)}", endpoint: "wss://127.0.0.1:2", validator: true }, { address: "${NODE(3)}" }]
  - id: watchdog
    name: Regulator
    kind: regulator
    admins: ["0x00000000000000000000000000000000000000a3"]
policies:
  ApproveCode: { threshold: 50, comparator: ">=", votingPeriod: 2d, veto: [watchdog] }
`

describe('consortium genesis', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('puts the founding parties, nodes, accounts and policies into the governance contract of block 0', async () => {
    const c = parseConsortium(consortiumYaml, 'test.yaml')
    const genesis = parseGenesis(await consortiumGenesis(c))
    const common = createChainCommon(4242n, genesis.gasLimit)
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const store = await ChainStore.open(tmp.dir, common)
    const root = await writeGenesisState(genesis, createStateManager(common, store))
    const block = createGenesisBlock(genesis, common, root)
    await store.commit({ block, finality: { round: 0, seals: [] }, receipts: [] })
    // The same genesis built again is bit-identical (every node must derive the same block 0).
    const again = createGenesisBlock(parseGenesis(await consortiumGenesis(c)), common, await writeGenesisState(genesis, new MerkleStateManager({ common })))
    expect(again.hash()).toEqual(block.hash())

    const view = new GovernanceView(await CallExecutor.create(common, store))
    expect(await view.validatorsAfter(block)).toEqual([NODE(1), NODE(2)])
    expect(decodeExtraData(block.header.extraData).validators).toEqual([NODE(1), NODE(2)])
    expect([...(await view.allowedNodes(block))].sort()).toEqual([NODE(1), NODE(2), NODE(3)])
    expect(await view.permissionsOf(block, '0x00000000000000000000000000000000000000a1')).toBe(7)
    expect(await view.permissionsOf(block, '0x00000000000000000000000000000000000000b1')).toBe(1)
    expect(await view.permissionsOf(block, '0x00000000000000000000000000000000000000c1')).toBe(0)

    const q = new GovernanceQueries(view)
    expect((await q.parties(block)).map((p) => [p.id, p.kind, p.status])).toEqual([
      ['fund', 'member', 'active'],
      ['employer', 'member', 'active'],
      ['watchdog', 'regulator', 'active'],
    ])
    const approve = (await q.policies(block)).find((p) => p.decision === 'ApproveCode')
    expect(approve).toEqual({ decision: 'ApproveCode', thresholdPercent: 50, comparator: '>=', votingPeriodSeconds: 2 * 86_400, vetoParties: ['watchdog'] })
    expect(await q.proposals(block)).toEqual([])
    await store.close()
  })

  it('names the field of a bad consortium file', () => {
    expect(() => parseConsortium(consortiumYaml.replace('kind: regulator', 'kind: boss'), 'c.yaml')).toThrow(/parties\.2\.kind/)
    expect(() => parseConsortium(consortiumYaml.replace('veto: [watchdog]', 'veto: [nobody]'), 'c.yaml')).toThrow(/policies\.ApproveCode\.veto\.0: unknown party "nobody"/)
    expect(() => parseConsortium(consortiumYaml.replace('minValidators: 2', 'minValidators: 3'), 'c.yaml')).toThrow(/minValidators/)
  })
})
