/** Party ids are short ASCII strings stored as right-padded bytes32. */
import { stringToHex } from 'viem'
import type { Hex } from '../types.js'

export function partyIdToBytes32(id: string): Hex {
  return stringToHex(id, { size: 32 })
}
