/**
 * `npm run contracts` writes src/governance/artifacts.json from the Solidity sources;
 * `npm run contracts:check` (CI) exits 1 if the checked-in file is not what the sources compile to.
 */
import { relative } from 'node:path'
import { errorMessage } from '../errors.js'
import { checkGovernanceArtifacts, compileGovernance, governanceArtifactsPath, writeGovernanceArtifacts } from './compile.js'

function main(args: string[]): number {
  const unknown = args.filter((a) => a !== '--check')
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}; usage: compile-cli [--check]\n`)
    return 2
  }
  const path = governanceArtifactsPath()
  const shown = relative(process.cwd(), path) || path
  const fresh = compileGovernance()
  if (args.includes('--check')) {
    const result = checkGovernanceArtifacts(fresh, path)
    if (result.upToDate) {
      process.stdout.write(`${shown} is up to date (solc ${fresh.solcVersion}, sources ${fresh.sourceHash})\n`)
      return 0
    }
    process.stderr.write(`${shown} does not match a fresh compile of the Solidity sources:\n`)
    for (const d of result.differences) process.stderr.write(`  - ${d}\n`)
    process.stderr.write('Run `npm run contracts` and commit the regenerated file.\n')
    return 1
  }
  writeGovernanceArtifacts(fresh, path)
  const names = Object.entries(fresh.contracts)
    .filter(([, c]) => c.deployedBytecode !== '0x')
    .map(([n, c]) => `${n} (${(c.deployedBytecode.length - 2) / 2} bytes)`)
  process.stdout.write(`wrote ${shown}: ${names.join(', ')}\n`)
  return 0
}

try {
  process.exitCode = main(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`contract compilation failed: ${errorMessage(err)}\n`)
  process.exitCode = 1
}
