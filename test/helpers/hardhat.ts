/** A real Hardhat 2 node for tests; the implementation lives in bench/lib so the benchmark can use it from dist. */
export { startHardhatNode, HardhatNodeError } from '../../bench/lib/hardhat.js'
export type { HardhatNode, HardhatNodeOptions } from '../../bench/lib/hardhat.js'
