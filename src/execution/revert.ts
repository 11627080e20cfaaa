/**
 * Decodes Solidity revert data: `Error(string)`, `Panic(uint256)` and the governance contracts'
 * custom errors; other custom errors and anything malformed give undefined (the raw bytes still
 * reach the caller as the error's data).
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { describeGovernanceError } from '../governance/revert-reasons.js'
import type { Hex } from '../types.js'

const ERROR_SELECTOR = '0x08c379a0' // Error(string)
const PANIC_SELECTOR = '0x4e487b71' // Panic(uint256)
const PANIC_REASONS: Readonly<Record<number, string>> = {
  0x00: 'generic panic',
  0x01: 'assert(false)',
  0x11: 'arithmetic underflow or overflow',
  0x12: 'division or modulo by zero',
  0x21: 'enum overflow',
  0x22: 'invalid encoded storage byte array accessed',
  0x31: 'out-of-bounds array access; popping on an empty array',
  0x32: 'out-of-bounds access of an array or bytesN',
  0x41: 'out of memory',
  0x51: 'uninitialized function',
}

export function decodeRevertReason(data: Hex | Uint8Array): string | undefined {
  let bytes: Uint8Array
  try {
    bytes = typeof data === 'string' ? hexToBytes(data) : data
  } catch {
    return undefined
  }
  if (bytes.length < 4) return undefined
  const selector = bytesToHex(bytes.subarray(0, 4))
  if (selector !== PANIC_SELECTOR && selector !== ERROR_SELECTOR) return describeGovernanceError(bytesToHex(bytes) as Hex)
  if (bytes.length < 4 + 32) return undefined
  const word = (i: number): bigint => BigInt(bytesToHex(bytes.subarray(4 + 32 * i, 4 + 32 * (i + 1))))
  if (selector === PANIC_SELECTOR) {
    const code = word(0)
    const known = code <= 0xffn ? PANIC_REASONS[Number(code)] : undefined
    return known ?? `unknown panic code: 0x${code.toString(16)}`
  }
  if (selector !== ERROR_SELECTOR || bytes.length < 4 + 64) return undefined
  const offset = word(0)
  if (offset + 32n > BigInt(bytes.length - 4)) return undefined
  const start = 4 + Number(offset)
  const length = BigInt(bytesToHex(bytes.subarray(start, start + 32)))
  if (BigInt(start + 32) + length > BigInt(bytes.length)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start + 32, start + 32 + Number(length)))
  } catch {
    return undefined
  }
}

