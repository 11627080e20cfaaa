/**
 * The on-chain rules of private data, in a scratch EVM: SetCollection (decision 13) with its
 * checks, node keys' `call` permission, and PrivateDataAnchors: only member nodes anchor, only the
 * controlling party requests erasure, retention is bounded by the collection, purposes are only a
 * keyed commitment, deletions are confirmed per node, an erased key is never anchored again; and
 * anchorAccessLogHead keeps each node's latest access-log head, which only moves forward.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { decodeErrorResult, encodeFunctionData, type Abi } from 'viem'
import { governanceArtifacts } from '../../../src/governance/artifacts.js'
import { decodeDecision, encodeDecision } from '../../../src/governance/decisions.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from '../../../src/privacy/address.js'
import { collectionIds, toBytes32 } from '../../../src/privacy/record.js'
import type { Hex } from '../../../src/types.js'
import { Decision, GovernanceChain, keys, pid, policies, ZERO_KEY } from '../governance/governance-vm.js'

const k = keys()
const [HOSPITAL_ADMIN, INSURER_ADMIN, OUTSIDER_ADMIN] = [k[0]!, k[1]!, k[2]!]
const [HOSPITAL_NODE, INSURER_NODE, OUTSIDER_NODE] = [k[6]!, k[7]!, k[8]!]
const anchorsAbi: Abi = governanceArtifacts().PrivateDataAnchors.abi
const H = `0x${'ab'.repeat(32)}` as Hex

let chain: GovernanceChain
const ids = collectionIds('patients', new Uint8Array(32).fill(9))
const keyId = ids.keyId
const customError = (o: { returnData: Hex }) => {
  const e = decodeErrorResult({ abi: anchorsAbi, data: o.returnData })
  return `${e.errorName}(${(e.args ?? []).map(String).join(', ')})`
}

const anchorsTx = (from: (typeof k)[number], functionName: string, args: readonly unknown[]) =>
  chain.send(from, PRIVATE_DATA_ANCHORS_ADDRESS, encodeFunctionData({ abi: anchorsAbi, functionName, args }))
const anchorArgs = (key: string, purposes = ['treatment'], retention = 3600n) => [toBytes32('patients'), keyId(key), H, ids.subjectId('alice'), ids.purposesHash(key, purposes), chain.time + retention]

const setCollection = (over: Partial<Parameters<typeof encodeDecision>[0] & { decision: 'SetCollection' }> = {}) =>
  encodeDecision({
    decision: 'SetCollection',
    id: 'patients',
    controller: 'hospital',
    retentionSeconds: 86_400,
    members: ['hospital', 'insurer'],
    grants: [
      { party: 'hospital', purpose: 'treatment', basis: 'vital-interests' },
      { party: 'insurer', purpose: 'billing', basis: 'contract' },
    ],
    ...over,
  })

beforeAll(async () => {
  chain = await GovernanceChain.create({
    minValidators: 1,
    parties: [
      { id: pid('hospital'), name: 'Hospital', kind: 0, admins: [HOSPITAL_ADMIN.address] },
      { id: pid('insurer'), name: 'Insurer', kind: 0, admins: [INSURER_ADMIN.address] },
      { id: pid('outsider'), name: 'Outsider', kind: 0, admins: [OUTSIDER_ADMIN.address] },
    ],
    nodes: [
      { nodeAddress: HOSPITAL_NODE.address, partyId: pid('hospital'), endpoint: '', validator: true, encryptionKey: `0x${'11'.repeat(32)}` },
      { nodeAddress: INSURER_NODE.address, partyId: pid('insurer'), endpoint: '', validator: false, encryptionKey: `0x${'22'.repeat(32)}` },
      { nodeAddress: OUTSIDER_NODE.address, partyId: pid('outsider'), endpoint: '', validator: false, encryptionKey: ZERO_KEY },
    ],
    accounts: [],
    policies: policies({ [Decision.SetCollection]: { thresholdPercent: 1, inclusive: true } }),
  })
  await chain.vm.stateManager.putCode(createAddressFromString(PRIVATE_DATA_ANCHORS_ADDRESS), hexToBytes(governanceArtifacts().PrivateDataAnchors.deployedBytecode))
})

describe('SetCollection and PrivateDataAnchors', () => {
  it('the SetCollection payload decodes back to its arguments', () => {
    expect(decodeDecision(Decision.SetCollection, setCollection())).toEqual({
      decision: 'SetCollection',
      id: 'patients',
      controller: 'hospital',
      retentionSeconds: 86_400,
      members: ['hospital', 'insurer'],
      grants: [
        { party: 'hospital', purpose: 'treatment', basis: 'vital-interests' },
        { party: 'insurer', purpose: 'billing', basis: 'contract' },
      ],
    })
  })

  it('a SetCollection vote creates a collection; one that breaks the rules is refused with the reason', async () => {
    expect(await chain.refusedProposal(HOSPITAL_ADMIN, Decision.SetCollection, setCollection({ controller: 'outsider' }))).toBe(
      'governance: the controller "outsider" must be a member of the collection (ControllerNotMember)',
    )
    expect(await chain.refusedProposal(HOSPITAL_ADMIN, Decision.SetCollection, setCollection({ grants: [{ party: 'outsider', purpose: 'x', basis: 'consent' }] }))).toBe(
      'governance: a purpose is granted to "outsider", which is not a member (GrantToNonMember)',
    )
    const good = await chain.decide([HOSPITAL_ADMIN], Decision.SetCollection, setCollection())
    expect(good.events.map((e) => e.eventName)).toContain('CollectionSet')
    const c = await chain.read<{ id: Hex; controller: Hex; retentionSeconds: bigint; members: Hex[]; grantPurposes: Hex[] }>('getCollection', [pid('patients')])
    expect(c).toMatchObject({ id: pid('patients'), controller: pid('hospital'), retentionSeconds: 86_400n, members: [pid('hospital'), pid('insurer')] })
    expect(await chain.read<unknown[]>('getCollections')).toHaveLength(1)
    expect((await chain.read<{ id: Hex }>('getCollection', [pid('nope')])).id).toBe(ZERO_KEY)
  })

  it('an active node key may call contracts and nothing else; other keys get nothing', async () => {
    expect(await chain.read<number>('permissionsOf', [HOSPITAL_NODE.address])).toBe(4)
    expect(await chain.read<Hex>('nodePartyOf', [INSURER_NODE.address])).toBe(pid('insurer'))
    expect(await chain.read<number>('permissionsOf', [k[9]!.address])).toBe(0)
  })

  it('only an active node of a member party anchors, within the collection\'s retention, with every field set', async () => {
    expect((await anchorsTx(OUTSIDER_NODE, 'anchor', anchorArgs('p-1'))).reason).toBe('anchors: not a member of this collection')
    expect((await anchorsTx(HOSPITAL_ADMIN, 'anchor', anchorArgs('p-1'))).reason).toBe('anchors: sender is not an active node')
    const empty = anchorArgs('p-1')
    empty[4] = ZERO_KEY
    expect(customError(await anchorsTx(HOSPITAL_NODE, 'anchor', empty))).toBe('EmptyAnchorField()')
    expect((await anchorsTx(HOSPITAL_NODE, 'anchor', anchorArgs('p-1', ['treatment'], 86_401n))).reason).toBe('anchors: retention is longer than the collection allows')
    const ok = await anchorsTx(HOSPITAL_NODE, 'anchor', anchorArgs('p-1'))
    expect(ok.ok).toBe(true)
    const a = await chain.read<Record<string, unknown> & { writer: string }>('getAnchor', [toBytes32('patients'), keyId('p-1')], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
    expect(a).toMatchObject({ recordHash: H, erasedAt: 0n, subjectId: ids.subjectId('alice'), purposesHash: ids.purposesHash('p-1', ['treatment']) })
    expect(a.writer.toLowerCase()).toBe(HOSPITAL_NODE.address.toLowerCase())
    // What anyone reading the chain sees: no purpose in clear, in no field.
    expect(Object.keys(a)).not.toContain('purposes')
    expect(JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(toBytes32('treatment').slice(2, 20))
  })

  it('anchorAccessLogHead keeps each node\'s latest head, never lets the count go back, and refuses non-nodes', async () => {
    const head = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
    const none = await chain.read<readonly [Hex, bigint, bigint]>('accessLogHead', [INSURER_NODE.address], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
    expect(none).toEqual([ZERO_KEY, 0n, 0n])
    const first = await anchorsTx(INSURER_NODE, 'anchorAccessLogHead', [head(1), 3n])
    expect(first.ok).toBe(true)
    // One log from the anchors contract (the helper decodes only governance events by name).
    expect(first.events.map((e) => e.eventName)).toEqual([`external:${PRIVATE_DATA_ANCHORS_ADDRESS}`])
    const [h1, c1, b1] = await chain.read<readonly [Hex, bigint, bigint]>('accessLogHead', [INSURER_NODE.address], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
    expect([h1, c1]).toEqual([head(1), 3n])
    expect(b1).toBeGreaterThan(0n)
    expect((await anchorsTx(INSURER_NODE, 'anchorAccessLogHead', [head(2), 5n])).ok).toBe(true)
    const [h2, c2, b2] = await chain.read<readonly [Hex, bigint, bigint]>('accessLogHead', [INSURER_NODE.address], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
    expect([h2, c2]).toEqual([head(2), 5n])
    expect(b2).toBeGreaterThan(b1)
    // A shortened log cannot be re-anchored; an empty head is refused; only active nodes anchor.
    expect(customError(await anchorsTx(INSURER_NODE, 'anchorAccessLogHead', [head(3), 4n]))).toBe('AccessLogHeadRegressed(5, 4)')
    expect(customError(await anchorsTx(INSURER_NODE, 'anchorAccessLogHead', [ZERO_KEY, 6n]))).toBe('EmptyAccessLogHead()')
    expect(customError(await anchorsTx(INSURER_NODE, 'anchorAccessLogHead', [head(3), 0n]))).toBe('EmptyAccessLogHead()')
    expect(customError(await anchorsTx(INSURER_ADMIN, 'anchorAccessLogHead', [head(3), 9n]))).toMatch(new RegExp(`^NotActiveNode\\(${INSURER_ADMIN.address}\\)$`, 'i'))
    // Heads are per node: the hospital's is untouched.
    expect((await chain.read<readonly [Hex, bigint, bigint]>('accessLogHead', [HOSPITAL_NODE.address], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS))[1]).toBe(0n)
    expect((await chain.read<readonly [Hex, bigint, bigint]>('accessLogHead', [INSURER_NODE.address], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS))[1]).toBe(5n)
  })

  it('erasure: only the controlling party asks; members confirm; the anchor stays and the key is never reused', async () => {
    const args = [toBytes32('patients'), keyId('p-1'), ZERO_KEY]
    expect((await anchorsTx(INSURER_NODE, 'requestErasure', args)).reason).toBe('anchors: only the controlling party of the collection may request erasure')
    expect((await anchorsTx(HOSPITAL_ADMIN, 'requestErasure', [toBytes32('patients'), keyId('p-1'), ids.subjectId('alice')])).reason).toBe('anchors: name either a key or a subject')
    expect((await anchorsTx(HOSPITAL_ADMIN, 'requestErasure', args)).ok).toBe(true)
    expect((await anchorsTx(OUTSIDER_NODE, 'confirmDeletion', [toBytes32('patients'), [keyId('p-1')], 1n])).reason).toBe('anchors: not a member of this collection')
    expect((await anchorsTx(INSURER_NODE, 'confirmDeletion', [toBytes32('patients'), [keyId('p-2')], 1n])).reason).toBe('anchors: no such record')
    expect((await anchorsTx(INSURER_NODE, 'confirmDeletion', [toBytes32('patients'), [keyId('p-1')], 1n])).ok).toBe(true)
    expect((await anchorsTx(HOSPITAL_NODE, 'confirmDeletion', [toBytes32('patients'), [keyId('p-1')], 1n])).ok).toBe(true)
    const confirmed = await chain.read<string[]>('deletionConfirmations', [toBytes32('patients'), keyId('p-1')], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
    expect(confirmed.map((a) => a.toLowerCase())).toEqual([INSURER_NODE.address, HOSPITAL_NODE.address].map((a) => a.toLowerCase()))
    const a = await chain.read<{ recordHash: Hex; erasedAt: bigint; erasureRequest: bigint }>('getAnchor', [toBytes32('patients'), keyId('p-1')], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
    expect(a.recordHash).toBe(H)
    expect(a.erasedAt).toBeGreaterThan(0n)
    expect(a.erasureRequest).toBe(1n)
    expect((await anchorsTx(HOSPITAL_NODE, 'anchor', anchorArgs('p-1'))).reason).toBe('anchors: the key was erased and cannot be written again')
  })

  it('a retention purge is confirmed only once the record is past its retention', async () => {
    expect((await anchorsTx(HOSPITAL_NODE, 'anchor', anchorArgs('p-3', ['billing'], 60n))).ok).toBe(true)
    expect((await anchorsTx(INSURER_NODE, 'confirmDeletion', [toBytes32('patients'), [keyId('p-3')], 0n])).reason).toBe('anchors: the record is not past its retention')
    chain.advance(61n)
    expect((await anchorsTx(INSURER_NODE, 'confirmDeletion', [toBytes32('patients'), [keyId('p-3')], 0n])).ok).toBe(true)
  })
})
