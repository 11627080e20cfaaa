/** Solidity compilation for tests; the implementation lives in bench/lib so the benchmark can use it from dist. */
export { compileSolidity, solcVersion, SolcCompileError } from '../../bench/lib/solc.js'
export type { CompileOptions, CompiledContract, CompiledContracts } from '../../bench/lib/solc.js'
export { readFixture, tokenArtifact } from '../../bench/lib/token.js'
