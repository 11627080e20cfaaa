/** Decodes Solidity revert data: Error(string) and Panic(uint256); custom errors stay undecoded. */
import { bytesToBigInt } from '@ethereumjs/util'

const ERROR_SELECTOR = '08c379a0'
const PANIC_SELECTOR = '4e487b71'

export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined
  const selector = Buffer.from(data.subarray(0, 4)).toString('hex')
  if (selector === ERROR_SELECTOR && data.length >= 68) {
    const length = Number(bytesToBigInt(data.subarray(36, 68)))
    if (68 + length > data.length) return undefined
    return new TextDecoder().decode(data.subarray(68, 68 + length))
  }
  if (selector === PANIC_SELECTOR && data.length >= 36) return `panic code 0x${bytesToBigInt(data.subarray(4, 36)).toString(16)}`
  return undefined
}
