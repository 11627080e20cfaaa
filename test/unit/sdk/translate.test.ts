/** Ledger answers → LedgerError codes, for answers the four conformance ledgers cannot be made to give. */
import { encodeErrorResult, HttpRequestError, RpcRequestError } from 'viem'
import { describe, expect, it } from 'vitest'
import { counterArtifact } from '../../../examples/sdk/counter.js'
import { consortiumGovernanceAbi } from '../../../src/governance/abi.js'
import { RPC_ERROR_CODES, RpcErrorCode } from '../../../src/rpc/errors.js'
import { consortiumError } from '../../../src/sdk/consortium/client.js'
import { LedgerError, NotSupportedByFabric, type LedgerErrorCode } from '../../../src/sdk/errors.js'
import { QUORATE_ERROR_CODES, RevertedError, rpcErrorCode, toLedgerError } from '../../../src/sdk/translate.js'

const rpcError = (code: number, message: string, data?: unknown) =>
  new RpcRequestError({ body: { method: 'priv_getRecord' }, error: { code, message, ...(data !== undefined ? { data } : {}) }, url: 'http://node' })
const codeOf = (err: unknown) => toLedgerError(err, { fabric: 'quorate' }).code

/** What an application gets for each of Quorate's -32003 codes, by class. */
const EXPECTED: readonly (readonly [LedgerErrorCode, readonly string[]])[] = [
  ['NOT_PERMITTED', ['PERMISSION_DENIED', 'GOVERNANCE_REFUSED', 'PRIVATE_NOT_CONTROLLER', 'PRIVATE_NO_CONSENT_GRANT', 'PRIVATE_ANCHOR_REFUSED']],
  ['NOT_A_MEMBER', ['PRIVATE_NOT_MEMBER', 'PRIVATE_PURPOSE_NOT_ALLOWED', 'PRIVATE_CONSENT_MISSING']],
  ['NONCE', ['NONCE_TOO_LOW', 'NONCE_TOO_HIGH', 'ALREADY_KNOWN', 'UNDERPRICED_REPLACEMENT']],
  ['INVALID_INPUT', ['WRONG_CHAIN_ID', 'UNPROTECTED_TX', 'INVALID_SIGNATURE', 'FEE_CAP_BELOW_TIP', 'UNDERPRICED', 'INTRINSIC_GAS_TOO_LOW', 'GAS_LIMIT_EXCEEDED', 'INSUFFICIENT_FUNDS', 'TRANSACTION_REJECTED']],
]

describe('the SDK error mapper', () => {
  it("knows every code the node answers -32003 with, and only the node's codes", () => {
    const rejected = Object.entries(RPC_ERROR_CODES).filter(([, n]) => n === RpcErrorCode.TRANSACTION_REJECTED).map(([code]) => code)
    expect(Object.keys(QUORATE_ERROR_CODES).sort()).toEqual(rejected.sort())
  })

  it("tells Quorate's -32003 refusals apart by the stable code in data, whatever the message says", () => {
    expect(EXPECTED.flatMap(([, codes]) => codes).sort()).toEqual(Object.keys(QUORATE_ERROR_CODES).sort())
    for (const [expected, code] of EXPECTED.flatMap(([to, codes]) => codes.map((c) => [to, c] as const))) {
      expect(rpcErrorCode({ code: -32003, message: 'refused', data: { code } }), code).toBe(expected)
      // The same through toLedgerError and the consortium actions' mapper, with a message that would say otherwise.
      const err = rpcError(-32003, 'nonce too low: not a member of this collection', { code })
      expect(codeOf(err), code).toBe(expected)
      expect(consortiumError(err, 'quorate', 'priv_getRecord').code, code).toBe(expected)
    }
  })

  it('falls back to the words of foreign ledgers (no data code): nonce refusals, else INVALID_INPUT', () => {
    expect(codeOf(rpcError(-32003, 'nonce too low: nonce 3 is below the account nonce 4'))).toBe('NONCE')
    expect(codeOf(rpcError(-32000, 'replacement transaction underpriced'))).toBe('NONCE')
    expect(codeOf(rpcError(-32003, 'insufficient funds for gas * price + value'))).toBe('INVALID_INPUT')
    // Quorate's words without its code decide nothing.
    expect(codeOf(rpcError(-32003, 'not a member of this collection: party "acme" is not a member of collection "hr"'))).toBe('INVALID_INPUT')
    expect(codeOf(rpcError(-32003, 'refused', { code: 'SOMETHING_NEW' }))).toBe('INVALID_INPUT')
  })

  it('maps the JSON-RPC numbers every ledger uses', () => {
    expect(codeOf(rpcError(-32602, 'invalid params'))).toBe('INVALID_INPUT')
    expect(codeOf(rpcError(-32001, 'block not found'))).toBe('NOT_FOUND')
    expect(codeOf(rpcError(-32001, 'no record', { code: 'RESOURCE_NOT_FOUND' }))).toBe('NOT_FOUND')
    expect(codeOf(rpcError(-32002, 'not active', { code: 'PRIVATE_NOT_ACTIVE' }))).toBe('UNREACHABLE')
    expect(codeOf(rpcError(-32005, 'too many calls waiting'))).toBe('UNREACHABLE')
    expect(codeOf(rpcError(-40100, 'missing credentials'))).toBe('NOT_PERMITTED')
    const missing = toLedgerError(rpcError(-32601, 'the method priv_getRecord does not exist/is not available'), { fabric: 'evm' })
    expect(missing).toBeInstanceOf(NotSupportedByFabric)
    expect(missing).toMatchObject({ fabric: 'evm', feature: 'priv_getRecord' })
  })

  it('a connection failure is UNREACHABLE, a 401 NOT_PERMITTED', () => {
    expect(codeOf(new HttpRequestError({ url: 'http://node', cause: Object.assign(new Error('fetch failed'), { code: 'ECONNREFUSED' }) }))).toBe('UNREACHABLE')
    expect(codeOf(new HttpRequestError({ url: 'http://node', status: 401 }))).toBe('NOT_PERMITTED')
  })

  it('decodes a custom error from revert data (code 3) with the ABI given', () => {
    const data = encodeErrorResult({ abi: counterArtifact.abi, errorName: 'TooLarge', args: [7n, 5n] })
    const err = toLedgerError(rpcError(3, 'execution reverted', data), { fabric: 'quorate', abi: counterArtifact.abi })
    expect(err).toBeInstanceOf(RevertedError)
    expect((err as RevertedError).revert).toMatchObject({ errorName: 'TooLarge', args: [7n, 5n], data })
    expect(err.shortMessage).toBe('execution reverted: TooLarge(7, 5)')
  })

  it('for the consortium actions: names the method, and an unknown proposal (by its custom error, not its words) is NOT_FOUND', () => {
    const refused = consortiumError(rpcError(-32003, 'only the controlling party "a" may request erasure', { code: 'PRIVATE_NOT_CONTROLLER' }), 'quorate', 'priv_requestErasure')
    expect([refused.code, refused.shortMessage]).toEqual(['NOT_PERMITTED', 'priv_requestErasure: only the controlling party "a" may request erasure'])
    const unknown = encodeErrorResult({ abi: consortiumGovernanceAbi, errorName: 'UnknownProposal', args: [99n] })
    expect(consortiumError(rpcError(3, 'execution reverted', unknown), 'quorate', 'gov_getProposal').code).toBe('NOT_FOUND')
    const other = encodeErrorResult({ abi: consortiumGovernanceAbi, errorName: 'UnreachableThreshold' })
    expect(consortiumError(rpcError(3, 'execution reverted (UnknownProposal)', other), 'quorate', 'gov_getProposal')).toBeInstanceOf(RevertedError)
    // Already mapped by a client's request(): mapped again from the ledger's answer, so the message names the method.
    const viaClient = toLedgerError(rpcError(-32003, 'consent never given', { code: 'PRIVATE_CONSENT_MISSING' }), { fabric: 'quorate' })
    const again = consortiumError(viaClient, 'quorate', 'priv_getRecord')
    expect([again.code, again.shortMessage]).toEqual(['NOT_A_MEMBER', 'priv_getRecord: consent never given'])
    const missing = consortiumError(rpcError(-32601, 'the method gov_getParties does not exist/is not available'), 'evm', 'gov_getParties')
    expect(missing).toMatchObject({ code: 'NOT_SUPPORTED_BY_FABRIC', feature: 'gov_getParties' })
    const own = new LedgerError('INVALID_INPUT', 'no account')
    expect(consortiumError(own, 'quorate', 'vote')).toBe(own)
  })
})
