/** Party ids are short ASCII strings stored as right-padded bytes32. */
import { hexToString, stringToHex, trim } from 'viem'
import type { Hex } from '../types.js'

export function partyIdToBytes32(id: string): Hex {
  return stringToHex(id, { size: 32 })
}

export function bytes32ToPartyId(b: Hex): string {
  return hexToString(trim(b, { dir: 'right' }))
}
