/**
 * The ERC-20 fixture (test/fixtures/Token.sol), compiled on demand. The Solidity source stays in
 * test/fixtures; this module finds it by walking up from its own location, so it works both from
 * the TypeScript sources (tests) and from the compiled `dist/bench` (the benchmark).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { QuorateError } from '../../src/errors.js'
import { compileSolidity, type CompiledContract } from './solc.js'

/** Reads a file under test/fixtures of the repository this module belongs to. */
export function readFixture(fileName: string): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'test', 'fixtures', fileName)
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8')
    const parent = dirname(dir)
    if (parent === dir) {
      throw new QuorateError('FIXTURE_NOT_FOUND', `test/fixtures/${fileName} was not found above ${fileURLToPath(import.meta.url)}`, {
        details: 'Run the benchmark from a checkout of the repository (the fixtures are not part of the build output).',
      })
    }
    dir = parent
  }
}

/** Token.sol compiled with the project settings (optimizer 200 runs, evmVersion cancun). */
export function tokenArtifact(): CompiledContract {
  const token = compileSolidity({ 'Token.sol': readFixture('Token.sol') }).Token
  if (!token) throw new QuorateError('FIXTURE_INVALID', 'test/fixtures/Token.sol does not define a contract named Token')
  return token
}
