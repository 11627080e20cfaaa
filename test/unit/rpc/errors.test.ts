import { AbiCoder } from 'ethers'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { QuorateError } from '../../../src/errors.js'
import type { Logger } from '../../../src/ops/logger.js'
import {
  RPC_ERROR_CODES,
  RpcError,
  decodeRevertReason,
  executionReverted,
  invalidParams,
  methodNotFound,
  notificationsNotSupported,
  toJsonRpcError,
} from '../../../src/rpc/errors.js'

function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString('utf8'))
      cb()
    },
  })
  const logger: Logger = pino({ level: 'debug' }, stream)
  return { logger, lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }
}

const abi = AbiCoder.defaultAbiCoder()

describe('rpc/errors', () => {
  it('maps each EIP-1474 code of the table', () => {
    const expected: Record<string, number> = {
      INVALID_INPUT: -32000,
      RESOURCE_NOT_FOUND: -32001,
      RESOURCE_UNAVAILABLE: -32002,
      TRANSACTION_REJECTED: -32003,
      METHOD_NOT_SUPPORTED: -32004,
      LIMIT_EXCEEDED: -32005,
      EXECUTION_REVERTED: 3,
    }
    for (const [code, number] of Object.entries(expected)) {
      expect(RPC_ERROR_CODES[code]).toBe(number)
      expect(toJsonRpcError(new QuorateError(code, `because ${code}`, { data: { code }, details: 'internal detail' }))).toEqual({
        code: number,
        message: `because ${code}`,
        data: { code },
      })
    }
  })

  it('puts the stable code of a -32003 refusal in data; other errors keep the data geth gives them', () => {
    expect(toJsonRpcError(new QuorateError('PRIVATE_NOT_MEMBER', 'not a member of this collection'))).toEqual({ code: -32003, message: 'not a member of this collection', data: { code: 'PRIVATE_NOT_MEMBER' } })
    expect(toJsonRpcError(new QuorateError('NONCE_TOO_LOW', 'nonce too low'))).toEqual({ code: -32003, message: 'nonce too low', data: { code: 'NONCE_TOO_LOW' } })
    expect(toJsonRpcError(new QuorateError('EXECUTION_FAILED', 'execution failed: out of gas'))).toEqual({ code: -32000, message: 'execution failed: out of gas' })
  })

  it('does not map inherited object keys', () => {
    expect(toJsonRpcError(new QuorateError('toString', 'x')).code).toBe(-32603)
  })

  it('RpcError keeps its explicit number; helpers use the standard ones', () => {
    expect(toJsonRpcError(new RpcError(-32099, 'mine', { data: 'd' }))).toEqual({ code: -32099, message: 'mine', data: 'd' })
    expect(toJsonRpcError(methodNotFound('x_y'))).toEqual({ code: -32601, message: 'the method x_y does not exist/is not available' })
    expect(toJsonRpcError(invalidParams('bad range', { max: 10 }))).toEqual({ code: -32602, message: 'bad range', data: { max: 10 } })
    expect(toJsonRpcError(notificationsNotSupported())).toMatchObject({ code: -32601, message: expect.stringContaining('notifications not supported') })
    expect(methodNotFound('m'.repeat(500)).shortMessage.length).toBeLessThan(200)
  })

  it('answers unexpected errors with -32603 "internal error" and logs them with their stack', () => {
    const { logger, lines } = captureLogger()
    const out = toJsonRpcError(new TypeError('cannot read x of undefined at /srv/secret.ts'), logger, 'eth_call')
    expect(out).toEqual({ code: -32603, message: 'internal error' })
    const [line] = lines()
    expect(line).toMatchObject({ level: 50, method: 'eth_call' })
    expect(JSON.stringify(line)).toContain('secret.ts')
  })

  it('keeps the message of an unmapped QuorateError but warns about the gap', () => {
    const { logger, lines } = captureLogger()
    expect(toJsonRpcError(new QuorateError('NEW_THING', 'new thing failed'), logger)).toEqual({ code: -32603, message: 'new thing failed' })
    expect(lines()[0]).toMatchObject({ level: 40, code: 'NEW_THING' })
  })

  it('decodes Error(string) and Panic(uint256) revert data as ethers encodes it', () => {
    const err = `0x08c379a0${abi.encode(['string'], ['insufficient balance: needs 5 ✓']).slice(2)}` as const
    expect(decodeRevertReason(err)).toBe('insufficient balance: needs 5 ✓')
    const panic = `0x4e487b71${abi.encode(['uint256'], [0x11]).slice(2)}` as const
    expect(decodeRevertReason(panic)).toBe('arithmetic underflow or overflow')
    expect(decodeRevertReason(`0x4e487b71${abi.encode(['uint256'], [0x99]).slice(2)}`)).toBe('unknown panic code: 0x99')
    expect(decodeRevertReason('0x')).toBeUndefined()
    expect(decodeRevertReason('0xdeadbeef')).toBeUndefined()
    // Custom error selector with a string-like body is not an Error(string).
    expect(decodeRevertReason(`0x12345678${abi.encode(['string'], ['x']).slice(2)}`)).toBeUndefined()
    // Lying length: must not throw or read out of bounds.
    const lying = `0x08c379a0${abi.encode(['uint256', 'uint256'], [32, 1000]).slice(2)}` as const
    expect(decodeRevertReason(lying)).toBeUndefined()
  })

  it('executionReverted gives code 3, geth wording and the revert hex as data', () => {
    const data = `0x08c379a0${abi.encode(['string'], ['Nope']).slice(2)}`
    expect(toJsonRpcError(executionReverted(data as `0x${string}`))).toEqual({ code: 3, message: 'execution reverted: Nope', data })
    expect(toJsonRpcError(executionReverted(new Uint8Array([0xca, 0xfe])))).toEqual({ code: 3, message: 'execution reverted', data: '0xcafe' })
  })
})
