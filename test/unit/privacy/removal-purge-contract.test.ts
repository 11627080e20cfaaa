/**
 * PrivateDataAnchors.confirmRemovalPurge in a scratch EVM: after a SetCollection vote drops a
 * party from a collection, that party's nodes confirm purging its records; a node of a party still
 * a member cannot, the confirmation is kept per node (once), and the record stays live for the
 * remaining members (its anchor is not marked erased).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { encodeFunctionData, type Abi } from 'viem'
import { governanceArtifacts } from '../../../src/governance/artifacts.js'
import { encodeDecision, type CollectionGrant } from '../../../src/governance/decisions.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from '../../../src/privacy/address.js'
import { toBytes32 } from '../../../src/privacy/record.js'
import { keccakHex } from '../../../src/crypto/keys.js'
import type { Hex } from '../../../src/types.js'
import { Decision, GovernanceChain, keys, pid, policies } from '../governance/governance-vm.js'

const k = keys()
const [HOSPITAL_ADMIN, INSURER_ADMIN] = [k[0]!, k[1]!]
const [HOSPITAL_NODE, INSURER_NODE] = [k[6]!, k[7]!]
const anchorsAbi: Abi = governanceArtifacts().PrivateDataAnchors.abi
const [KEY_1, KEY_2, SUBJECT, HASH] = ['01', '02', '5a', 'ab'].map((b) => `0x${b.repeat(32)}` as Hex)
const PATIENTS = toBytes32('patients')

let chain: GovernanceChain

const anchorsTx = (from: (typeof k)[number], functionName: string, args: readonly unknown[]) =>
  chain.send(from, PRIVATE_DATA_ANCHORS_ADDRESS, encodeFunctionData({ abi: anchorsAbi, functionName, args }))
const readAnchors = <T>(functionName: string, args: readonly unknown[]) => chain.read<T>(functionName, args, anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
const setCollection = (members: string[], grants: CollectionGrant[]) => encodeDecision({ decision: 'SetCollection', id: 'patients', controller: 'hospital', retentionSeconds: 86_400, members, grants })

beforeAll(async () => {
  chain = await GovernanceChain.create({
    minValidators: 1,
    parties: [
      { id: pid('hospital'), name: 'Hospital', kind: 0, admins: [HOSPITAL_ADMIN.address] },
      { id: pid('insurer'), name: 'Insurer', kind: 0, admins: [INSURER_ADMIN.address] },
    ],
    nodes: [
      { nodeAddress: HOSPITAL_NODE.address, partyId: pid('hospital'), endpoint: '', validator: true, encryptionKey: `0x${'11'.repeat(32)}` },
      { nodeAddress: INSURER_NODE.address, partyId: pid('insurer'), endpoint: '', validator: false, encryptionKey: `0x${'22'.repeat(32)}` },
    ],
    accounts: [],
    policies: policies({ [Decision.SetCollection]: { thresholdPercent: 1, inclusive: true } }),
  })
  await chain.vm.stateManager.putCode(createAddressFromString(PRIVATE_DATA_ANCHORS_ADDRESS), hexToBytes(governanceArtifacts().PrivateDataAnchors.deployedBytecode))
  await chain.decide([HOSPITAL_ADMIN], Decision.SetCollection, setCollection(['hospital', 'insurer'], [{ party: 'hospital', purpose: 'billing', basis: 'contract' }, { party: 'insurer', purpose: 'billing', basis: 'contract' }]))
  const anchored = await anchorsTx(HOSPITAL_NODE, 'anchor', [PATIENTS, KEY_1, HASH, SUBJECT, keccakHex(new TextEncoder().encode('purposes commitment')), chain.time + 3600n])
  expect(anchored.ok).toBe(true)
})

describe('confirmRemovalPurge', () => {
  it('is refused to a node whose party is still a member', async () => {
    expect((await anchorsTx(INSURER_NODE, 'confirmRemovalPurge', [PATIENTS, [KEY_1]])).reason).toBe('anchors: the party is still a member of this collection')
    expect((await anchorsTx(HOSPITAL_ADMIN, 'confirmRemovalPurge', [PATIENTS, [KEY_1]])).reason).toBe('anchors: sender is not an active node')
  })

  it('after a vote drops the party, its node confirms once per record, and the record stays live', async () => {
    await chain.decide([HOSPITAL_ADMIN], Decision.SetCollection, setCollection(['hospital'], [{ party: 'hospital', purpose: 'billing', basis: 'contract' }]))
    expect((await anchorsTx(INSURER_NODE, 'confirmRemovalPurge', [PATIENTS, [KEY_2]])).reason).toBe('anchors: no such record')
    const confirmed = await anchorsTx(INSURER_NODE, 'confirmRemovalPurge', [PATIENTS, [KEY_1]])
    expect(confirmed.ok).toBe(true)
    expect((await anchorsTx(INSURER_NODE, 'confirmRemovalPurge', [PATIENTS, [KEY_1]])).ok).toBe(true)
    const purgers = await readAnchors<string[]>('removalPurgeConfirmations', [PATIENTS, KEY_1])
    expect(purgers.map((a) => a.toLowerCase())).toEqual([INSURER_NODE.address.toLowerCase()])
    const anchor = await readAnchors<{ erasedAt: bigint; recordHash: Hex }>('getAnchor', [PATIENTS, KEY_1])
    expect(anchor).toMatchObject({ erasedAt: 0n, recordHash: HASH })
    expect(await readAnchors<string[]>('deletionConfirmations', [PATIENTS, KEY_1])).toEqual([])
  })
})
