/**
 * ENABLE AFTER THE MERGE of PrivateDataAnchors.anchorAccessLogHead (issue 10, contract slice):
 * rename this file to `log-anchor-contract.test.ts`. It is not a `.test.ts` yet because the
 * genesis contract of this branch lacks the function (the test would fail, and skipped tests are
 * not allowed).
 *
 * The access log head anchored through the real contract in a scratch EVM, with the chain
 * implementation of LogHeadAnchor the node uses: the anchored (head, count, block) reads back per
 * node, and a log rewritten and re-signed with the same node key fails against it.
 */
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { encodeFunctionData, type Abi } from 'viem'
import { governanceArtifacts } from '../../../src/governance/artifacts.js'
import { AccessLog, type AccessEvent } from '../../../src/privacy/access-log.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from '../../../src/privacy/address.js'
import { chainLogHeadAnchor, LOG_HEAD_ABI, type LogHeadAnchor } from '../../../src/privacy/log-anchor.js'
import type { Hex } from '../../../src/types.js'
import { tempDir } from '../../helpers/tmp.js'
import { GovernanceChain, keys, pid, policies, ZERO_KEY } from '../governance/governance-vm.js'

const k = keys()
const [HOSPITAL_ADMIN, HOSPITAL_NODE, OTHER_NODE] = [k[0]!, k[6]!, k[7]!]
let chain: GovernanceChain

const ev = (subject: string, outcome: 'granted' | 'refused' = 'granted'): AccessEvent => ({ party: 'hospital', collection: 'patients', key: `k-${subject}`, subject, purpose: 'treatment', action: 'read', outcome, reason: '' })

function anchorFor(node: (typeof k)[number]): LogHeadAnchor {
  return chainLogHeadAnchor({
    send: async (fn, args) => {
      const r = await chain.send(node, PRIVATE_DATA_ANCHORS_ADDRESS, encodeFunctionData({ abi: LOG_HEAD_ABI, functionName: fn, args }))
      if (!r.ok) throw new Error(`${fn} reverted: ${r.reason}`)
    },
    read: (fn, args) => chain.read<readonly [Hex, bigint, bigint]>(fn, args, LOG_HEAD_ABI as unknown as Abi, PRIVATE_DATA_ANCHORS_ADDRESS),
  })
}

beforeAll(async () => {
  chain = await GovernanceChain.create({
    minValidators: 1,
    parties: [{ id: pid('hospital'), name: 'Hospital', kind: 0, admins: [HOSPITAL_ADMIN.address] }],
    nodes: [
      { nodeAddress: HOSPITAL_NODE.address, partyId: pid('hospital'), endpoint: '', validator: true, encryptionKey: `0x${'11'.repeat(32)}` },
      { nodeAddress: OTHER_NODE.address, partyId: pid('hospital'), endpoint: '', validator: false, encryptionKey: ZERO_KEY },
    ],
    accounts: [],
    policies: policies(),
  })
  await chain.vm.stateManager.putCode(createAddressFromString(PRIVATE_DATA_ANCHORS_ADDRESS), hexToBytes(governanceArtifacts().PrivateDataAnchors.deployedBytecode))
})

describe('access log head on chain (PrivateDataAnchors)', () => {
  it('the genesis contract has the functions the node calls', () => {
    const names = governanceArtifacts().PrivateDataAnchors.abi.map((f) => ('name' in f ? f.name : ''))
    expect(names).toEqual(expect.arrayContaining(['anchorAccessLogHead', 'accessLogHead', 'AccessLogHeadAnchored']))
  })

  it('anchors per node, and a log rewritten with the same node key fails against the anchored head', async () => {
    const tmp = await tempDir()
    try {
      const key = hexToBytes(HOSPITAL_NODE.privateKey)
      const anchor = anchorFor(HOSPITAL_NODE)
      expect(await anchor.latest(HOSPITAL_NODE.address)).toBeUndefined()
      const log = await AccessLog.open(join(tmp.dir, 'log'), key)
      for (const s of ['bob', 'alice', 'bob']) await log.append(ev(s, s === 'alice' ? 'refused' : 'granted'))
      const { head, count } = await log.head()
      await anchor.anchor(head, count)
      const latest = await anchor.latest(HOSPITAL_NODE.address)
      expect(latest).toMatchObject({ head, count: 3 })
      expect(latest!.blockNumber).toBeGreaterThan(0)
      expect(await anchor.latest(OTHER_NODE.address)).toBeUndefined()
      expect(await log.verify(latest)).toEqual({ valid: true, errors: [] })
      await log.close()

      const forged = await AccessLog.open(join(tmp.dir, 'forged'), key)
      for (const s of ['bob', 'bob', 'carol']) await forged.append(ev(s))
      expect((await forged.verify()).valid).toBe(true)
      expect((await forged.verify(latest)).errors.join('\n')).toMatch(new RegExp(`truncated or rewritten after block ${latest!.blockNumber}`))
      await forged.close()
    } finally {
      await tmp.cleanup()
    }
  })
})
