/**
 * Every custom error of the governance contracts has a sentence, and revert data of each kind
 * (governance error, Error(string), panic, unknown) decodes as the CLI and JSON-RPC show it.
 */
import { describe, expect, it } from 'vitest'
import { encodeErrorResult } from 'viem'
import { decodeRevertReason } from '../../../src/execution/revert.js'
import { partyIdToBytes32 } from '../../../src/governance/ids.js'
import { GOVERNANCE_ERROR_TEXT, describeGovernanceError, governanceErrorAbi } from '../../../src/governance/revert-reasons.js'

describe('governance revert reasons', () => {
  it('has a sentence for exactly the errors the contracts declare', () => {
    const declared = governanceErrorAbi().map((e) => (e.type === 'error' ? e.name : ''))
    expect(declared.length).toBeGreaterThan(50)
    expect(Object.keys(GOVERNANCE_ERROR_TEXT).sort()).toEqual([...declared].sort())
  })

  it('shows a custom error as its sentence with its name, and leaves other data to the generic decoder', () => {
    const voted = encodeErrorResult({ abi: governanceErrorAbi(), errorName: 'AlreadyVoted', args: [partyIdToBytes32('insurer')] })
    expect(describeGovernanceError(voted)).toBe('governance: party "insurer" already voted (AlreadyVoted)')
    expect(decodeRevertReason(voted)).toBe('governance: party "insurer" already voted (AlreadyVoted)')
    const bare = encodeErrorResult({ abi: governanceErrorAbi(), errorName: 'NoVoterLeft' })
    expect(decodeRevertReason(bare)).toBe('governance: would leave no party able to vote (NoVoterLeft)')
    expect(describeGovernanceError('0x12345678')).toBeUndefined()
    expect(decodeRevertReason('0x12345678')).toBeUndefined()
    expect(describeGovernanceError('0x')).toBeUndefined()
  })
})
