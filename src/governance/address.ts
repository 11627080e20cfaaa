/** Where the governance contract lives in every Quorate chain that has governance. */
import type { Address } from '../types.js'

export const GOVERNANCE_ADDRESS: Address = '0x0000000000000000000000000000000000001000'
/** GovernanceViews: the listings, run by DELEGATECALL from the governance contract's fallback. */
export const GOVERNANCE_VIEWS_ADDRESS: Address = '0x0000000000000000000000000000000000001003'

/** Permission bits of an account (GoQuorum-style access levels). */
export const PERMISSION_BITS = { transact: 1, deploy: 2, call: 4 } as const
