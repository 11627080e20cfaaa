/**
 * PrivateDataAnchors.setConsent / consent in a scratch EVM: only an active node of the
 * collection's controlling party records a data subject's consent (or its withdrawal), only for a
 * member party and a purpose the collection grants it on the basis "consent"; the view returns the
 * latest state and its block time, per keyed subject, party and purpose.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { decodeErrorResult, encodeFunctionData, type Abi } from 'viem'
import { governanceArtifacts } from '../../../src/governance/artifacts.js'
import { encodeDecision } from '../../../src/governance/decisions.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from '../../../src/privacy/address.js'
import { collectionIds, toBytes32 } from '../../../src/privacy/record.js'
import type { Hex } from '../../../src/types.js'
import { Decision, GovernanceChain, keys, pid, policies, ZERO_KEY } from '../governance/governance-vm.js'

const k = keys()
const [FUND_ADMIN, ADVISER_ADMIN, OUTSIDER_ADMIN] = [k[0]!, k[1]!, k[2]!]
const [FUND_NODE, ADVISER_NODE, OUTSIDER_NODE] = [k[6]!, k[7]!, k[8]!]
const anchorsAbi: Abi = governanceArtifacts().PrivateDataAnchors.abi
const PENSIONS = toBytes32('pensions')
const ids = collectionIds('pensions', new Uint8Array(32).fill(7))
const ALICE = ids.subjectId('participant-alice')
const BOB = ids.subjectId('participant-bob')
const [FUND, ADVISER, OUTSIDER] = ['fund', 'adviser', 'outsider'].map(toBytes32) as [Hex, Hex, Hex]
const [ADVICE, ADMINISTRATION] = ['retirement-advice', 'administration'].map(toBytes32) as [Hex, Hex]

let chain: GovernanceChain

const anchorsTx = (from: (typeof k)[number], functionName: string, args: readonly unknown[]) =>
  chain.send(from, PRIVATE_DATA_ANCHORS_ADDRESS, encodeFunctionData({ abi: anchorsAbi, functionName, args }))
const consent = (subject: Hex, party: Hex, purpose: Hex) => chain.read<readonly [boolean, bigint]>('consent', [PENSIONS, subject, party, purpose], anchorsAbi, PRIVATE_DATA_ANCHORS_ADDRESS)
const customError = (o: { returnData: Hex }) => {
  const e = decodeErrorResult({ abi: anchorsAbi, data: o.returnData })
  return `${e.errorName}(${(e.args ?? []).map(String).join(', ')})`
}

beforeAll(async () => {
  chain = await GovernanceChain.create({
    minValidators: 1,
    parties: [
      { id: pid('fund'), name: 'Fund', kind: 0, admins: [FUND_ADMIN.address] },
      { id: pid('adviser'), name: 'Adviser', kind: 0, admins: [ADVISER_ADMIN.address] },
      { id: pid('outsider'), name: 'Outsider', kind: 0, admins: [OUTSIDER_ADMIN.address] },
    ],
    nodes: [
      { nodeAddress: FUND_NODE.address, partyId: pid('fund'), endpoint: '', validator: true, encryptionKey: `0x${'11'.repeat(32)}` },
      { nodeAddress: ADVISER_NODE.address, partyId: pid('adviser'), endpoint: '', validator: false, encryptionKey: `0x${'22'.repeat(32)}` },
      { nodeAddress: OUTSIDER_NODE.address, partyId: pid('outsider'), endpoint: '', validator: false, encryptionKey: ZERO_KEY },
    ],
    accounts: [],
    policies: policies({ [Decision.SetCollection]: { thresholdPercent: 1, inclusive: true } }),
  })
  await chain.vm.stateManager.putCode(createAddressFromString(PRIVATE_DATA_ANCHORS_ADDRESS), hexToBytes(governanceArtifacts().PrivateDataAnchors.deployedBytecode))
  await chain.decide(
    [FUND_ADMIN],
    Decision.SetCollection,
    encodeDecision({
      decision: 'SetCollection',
      id: 'pensions',
      controller: 'fund',
      retentionSeconds: 86_400,
      members: ['fund', 'adviser'],
      grants: [
        { party: 'fund', purpose: 'administration', basis: 'contract' },
        { party: 'adviser', purpose: 'retirement-advice', basis: 'consent' },
        { party: 'adviser', purpose: 'administration', basis: 'legitimate-interests' },
      ],
    }),
  )
})

describe('setConsent and consent', () => {
  it('a consent never recorded reads as not granted, changed at 0', async () => {
    expect(await consent(ALICE, ADVISER, ADVICE)).toEqual([false, 0n])
  })

  it('only an active node of the controlling party records consent', async () => {
    const args = [PENSIONS, ALICE, ADVISER, ADVICE, true]
    // The adviser's own node (a member, the party consented to) may not record it.
    expect(customError(await anchorsTx(ADVISER_NODE, 'setConsent', args))).toMatch(new RegExp(`^NotControllerNode\\(${ADVISER_NODE.address}\\)$`, 'i'))
    expect(customError(await anchorsTx(OUTSIDER_NODE, 'setConsent', args))).toMatch(/^NotControllerNode\(/)
    // An admin key of the controller is not a node.
    expect(customError(await anchorsTx(FUND_ADMIN, 'setConsent', args))).toMatch(new RegExp(`^NotControllerNode\\(${FUND_ADMIN.address}\\)$`, 'i'))
    expect((await anchorsTx(FUND_NODE, 'setConsent', [toBytes32('nope'), ALICE, ADVISER, ADVICE, true])).reason).toBe('anchors: unknown collection')
    expect(await consent(ALICE, ADVISER, ADVICE)).toEqual([false, 0n])
  })

  it('only for a member party and a purpose granted to it on the basis "consent"', async () => {
    expect(customError(await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ALICE, OUTSIDER, ADVICE, true]))).toBe(`ConsentPartyNotMember(${OUTSIDER})`)
    // The adviser's "administration" grant rests on legitimate interests, the fund's on a contract: no consent to record.
    expect(customError(await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ALICE, ADVISER, ADMINISTRATION, true]))).toBe(`NoConsentGrant(${ADVISER}, ${ADMINISTRATION})`)
    expect(customError(await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ALICE, FUND, ADMINISTRATION, true]))).toBe(`NoConsentGrant(${FUND}, ${ADMINISTRATION})`)
    expect(customError(await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ZERO_KEY, ADVISER, ADVICE, true]))).toBe('EmptyConsentField()')
  })

  it('the controller records, withdraws and grants again; each change is an event and the view follows it, per subject', async () => {
    const given = await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ALICE, ADVISER, ADVICE, true])
    expect(given.ok).toBe(true)
    expect(given.events.map((e) => e.eventName)).toEqual([`external:${PRIVATE_DATA_ANCHORS_ADDRESS}`])
    const [granted, at] = await consent(ALICE, ADVISER, ADVICE)
    expect(granted).toBe(true)
    expect(at).toBe(chain.time)
    // Another subject's consent is its own.
    expect(await consent(BOB, ADVISER, ADVICE)).toEqual([false, 0n])
    chain.advance(60n)
    expect((await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ALICE, ADVISER, ADVICE, false])).ok).toBe(true)
    expect(await consent(ALICE, ADVISER, ADVICE)).toEqual([false, at + 60n])
    expect((await anchorsTx(FUND_NODE, 'setConsent', [PENSIONS, ALICE, ADVISER, ADVICE, true])).ok).toBe(true)
    expect((await consent(ALICE, ADVISER, ADVICE))[0]).toBe(true)
  })
})
