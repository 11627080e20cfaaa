/** Where the private data anchors contract lives in every governed Quorate chain (made by the genesis builder). */
import type { Address } from '../types.js'

export const PRIVATE_DATA_ANCHORS_ADDRESS: Address = '0x0000000000000000000000000000000000001001'
