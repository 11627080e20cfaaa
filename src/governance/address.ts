/** Where the governance contract lives in every Quorate chain that has governance. */
import type { Address } from '../types.js'

export const GOVERNANCE_ADDRESS: Address = '0x0000000000000000000000000000000000001000'

/** Permission bits of an account (GoQuorum-style access levels). */
export const PERMISSION_BITS = { transact: 1, deploy: 2, call: 4 } as const
