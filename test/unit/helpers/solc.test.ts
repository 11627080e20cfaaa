/** The solc-js helper: settings reach the compiler, errors surface, output is cached. */
import { describe, expect, it } from 'vitest'
import { compileSolidity, SolcCompileError, solcVersion, tokenArtifact } from '../../helpers/solc.js'

// Transient storage (TSTORE/TLOAD) exists from Cancun on: a probe that evmVersion is really passed.
const TRANSIENT = `
pragma solidity ^0.8.24;
contract Transient {
  function roundTrip(uint256 v) external returns (uint256 r) {
    assembly { tstore(0, v) r := tload(0) }
  }
}`

describe('compileSolidity', () => {
  it('compiles Token.sol into an ERC-20 ABI with creation and runtime bytecode', () => {
    const token = tokenArtifact()
    const names = token.abi.map((item) => ('name' in item ? `${item.type}:${item.name}` : item.type))
    for (const expected of [
      'function:name',
      'function:symbol',
      'function:decimals',
      'function:totalSupply',
      'function:balanceOf',
      'function:transfer',
      'function:transferFrom',
      'function:approve',
      'function:allowance',
      'event:Transfer',
      'event:Approval',
      'error:InsufficientBalance',
      'constructor',
    ]) {
      expect(names).toContain(expected)
    }
    expect(token.bytecode).toMatch(/^0x60[0-9a-f]+$/)
    expect(token.deployedBytecode).toMatch(/^0x60[0-9a-f]+$/)
    expect(token.bytecode.length).toBeGreaterThan(token.deployedBytecode.length)
    expect(solcVersion()).toMatch(/^0\.8\.30/)
  })

  it('compiles with evmVersion cancun by default and honours another evmVersion', () => {
    expect(compileSolidity({ 'Transient.sol': TRANSIENT }).Transient?.deployedBytecode).toMatch(/^0x[0-9a-f]+$/)
    expect(() => compileSolidity({ 'Transient.sol': TRANSIENT }, { evmVersion: 'shanghai' })).toThrow(/tstore/)
  })

  it("throws SolcCompileError carrying solc's messages", () => {
    let caught: unknown
    try {
      compileSolidity({ 'Broken.sol': 'pragma solidity ^0.8.20; contract Broken { function f( }' })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(SolcCompileError)
    expect((caught as SolcCompileError).code).toBe('SOLC_COMPILE_FAILED')
    expect((caught as SolcCompileError).errors.join('\n')).toMatch(/ParserError/)
    expect((caught as SolcCompileError).message).toContain('Broken.sol')
  })

  it('returns the cached output for identical input', () => {
    const a = compileSolidity({ 'Transient.sol': TRANSIENT })
    const b = compileSolidity({ 'Transient.sol': TRANSIENT })
    expect(b).toBe(a)
    expect(compileSolidity({ 'Transient.sol': TRANSIENT }, { runs: 1 })).not.toBe(a)
  })
})
