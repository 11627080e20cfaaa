/** A real Anvil node for tests; the implementation lives in bench/lib so the benchmark can use it from dist. */
export { startAnvilNode as startAnvil, anvilBinary, AnvilNodeError } from '../../bench/lib/anvil.js'
export type { AnvilNode, AnvilNodeOptions as AnvilOptions } from '../../bench/lib/anvil.js'
