/**
 * `npm run contracts` writes src/governance/artifacts.json from the Solidity sources;
 * `npm run contracts:check` (CI) exits 1 if the checked-in file is not what the sources compile to.
 */
import { relative } from 'node:path'
import { errorMessage } from '../errors.js'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import {
  checkGovernanceArtifacts,
  compileGovernance,
  governanceAbiModulePath,
  governanceArtifactsPath,
  renderAbiModule,
  runtimeSizes,
  writeGovernanceArtifacts,
} from './compile.js'

function main(args: string[]): number {
  const unknown = args.filter((a) => a !== '--check')
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}; usage: compile-cli [--check]\n`)
    return 2
  }
  const path = governanceArtifactsPath()
  const shown = relative(process.cwd(), path) || path
  const fresh = compileGovernance()
  const sizes = runtimeSizes(fresh).map((c) => `${c.name} (${c.bytes} bytes, ${c.room} left under EIP-170)`)
  const abiPath = governanceAbiModulePath()
  const abiModule = renderAbiModule(fresh)
  if (args.includes('--check')) {
    const result = checkGovernanceArtifacts(fresh, path)
    if (!existsSync(abiPath) || readFileSync(abiPath, 'utf8') !== abiModule) {
      result.upToDate = false
      result.differences.push(`${relative(process.cwd(), abiPath)} is not what the artifacts generate`)
    }
    if (result.upToDate) {
      process.stdout.write(`${shown} is up to date (solc ${fresh.solcVersion}, sources ${fresh.sourceHash}): ${sizes.join(', ')}\n`)
      return 0
    }
    process.stderr.write(`${shown} does not match a fresh compile of the Solidity sources:\n`)
    for (const d of result.differences) process.stderr.write(`  - ${d}\n`)
    process.stderr.write('Run `npm run contracts` and commit the regenerated file.\n')
    return 1
  }
  writeGovernanceArtifacts(fresh, path)
  writeFileSync(abiPath, abiModule)
  process.stdout.write(`wrote ${shown} and ${relative(process.cwd(), abiPath)}: ${sizes.join(', ')}\n`)
  return 0
}

try {
  process.exitCode = main(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`contract compilation failed: ${errorMessage(err)}\n`)
  process.exitCode = 1
}
