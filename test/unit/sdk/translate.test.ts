/** Ledger answers → LedgerError codes, for answers the four conformance ledgers cannot be made to give. */
import { encodeErrorResult, HttpRequestError, RpcRequestError } from 'viem'
import { describe, expect, it } from 'vitest'
import { counterArtifact } from '../../../examples/sdk/counter.js'
import { NotSupportedByFabric } from '../../../src/sdk/errors.js'
import { RevertedError, toLedgerError } from '../../../src/sdk/translate.js'

const rpcError = (code: number, message: string, data?: unknown) =>
  new RpcRequestError({ body: { method: 'priv_getRecord' }, error: { code, message, ...(data !== undefined ? { data } : {}) }, url: 'http://node' })
const codeOf = (err: unknown) => toLedgerError(err, { fabric: 'quorate' }).code

describe('toLedgerError', () => {
  it("tells Quorate's -32003 refusals apart by what they say", () => {
    expect(codeOf(rpcError(-32003, 'not a member of this collection: party "acme" is not a member of collection "hr"'))).toBe('NOT_A_MEMBER')
    expect(codeOf(rpcError(-32003, 'purpose "marketing" is not allowed for party "acme" in collection "hr" (allowed: payroll)'))).toBe('NOT_A_MEMBER')
    expect(codeOf(rpcError(-32003, 'permission denied (rule: account permissions): 0xab may not deploy contracts; not listed'))).toBe('NOT_PERMITTED')
    expect(codeOf(rpcError(-32003, 'nonce too low: nonce 3 is below the account nonce 4 of 0xab; use nonce 4'))).toBe('NONCE')
    expect(codeOf(rpcError(-32003, 'insufficient funds for gas * price + value'))).toBe('INVALID_INPUT')
  })

  it('maps the JSON-RPC numbers every ledger uses', () => {
    expect(codeOf(rpcError(-32602, 'invalid params'))).toBe('INVALID_INPUT')
    expect(codeOf(rpcError(-32001, 'block not found'))).toBe('NOT_FOUND')
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
})
