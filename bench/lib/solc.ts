/**
 * Solidity compilation for tests and benchmarks. The implementation lives in src/governance/solc.ts
 * (the governance artifact build uses it too); this module keeps the path bench and tests import.
 */
export { compileSolidity, solcVersion, SolcCompileError } from '../../src/governance/solc.js'
export type { CompileOptions, CompiledContract, CompiledContracts } from '../../src/governance/solc.js'
