/**
 * One definition of the decision ids: the TypeScript list (DECISIONS, whose index is the on-chain
 * `kind`) and the Solidity constants of the governance contract must name the same decisions in
 * the same order; and every deployable contract stays under the EIP-170 size limit.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { governanceArtifacts, parseArtifacts } from '../../../src/governance/artifacts.js'
import { MAX_RUNTIME_BYTES, governanceArtifactsPath, governanceSourcesDir, runtimeSizes } from '../../../src/governance/compile.js'
import { DECISIONS } from '../../../src/governance/consortium.js'
import { Decision } from './governance-vm.js'

const snake = (name: string) => name.replace(/[A-Z]/g, (c, i: number) => `${i ? '_' : ''}${c}`).toUpperCase()

describe('decision ids', () => {
  it('the Solidity constants, DECISIONS and the test table agree', () => {
    const source = readFileSync(join(governanceSourcesDir(), 'GovernanceState.sol'), 'utf8')
    const block = source.slice(source.indexOf('// Decision types'), source.indexOf('DECISION_TYPES ='))
    const constants = [...block.matchAll(/uint8 internal constant ([A-Z_]+) = (\d+);/g)].map((m) => [m[1], Number(m[2])])
    expect(constants).toEqual(DECISIONS.map((d, i) => [snake(d), i]))
    expect(Number(/DECISION_TYPES = (\d+);/.exec(source)![1])).toBe(DECISIONS.length)
    expect(Object.entries(Decision)).toEqual(DECISIONS.map((d, i) => [d, i]))
  })

  it('every deployable governance contract is under the EIP-170 limit of 24,576 bytes', () => {
    const sizes = runtimeSizes(parseArtifacts(JSON.parse(readFileSync(governanceArtifactsPath(), 'utf8'))))
    expect(sizes.map((s) => s.name)).toContain('ConsortiumGovernance')
    for (const s of sizes) expect(s.bytes, s.name).toBeLessThan(MAX_RUNTIME_BYTES)
    expect(sizes.find((s) => s.name === 'ConsortiumGovernance')!.bytes).toBe((governanceArtifacts().ConsortiumGovernance.deployedBytecode.length - 2) / 2)
  })
})
