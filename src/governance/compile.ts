/**
 * Builds artifacts.json from the Solidity sources in contracts/ with the pinned solc-js, and checks
 * that a checked-in artifacts.json is exactly what the sources compile to. It only reads the
 * sources and, when asked, writes artifacts.json; nodes never call it (they use artifacts.ts).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../crypto/native.js'
import { QuorateError } from '../errors.js'
import type { Hex } from '../types.js'
import type { Artifacts } from './artifacts.js'
import { compileSolidity, solcVersion } from './solc.js'

/** The settings every artifact is built with (part of artifacts.json, so a change shows in review). */
export const GOVERNANCE_COMPILER_SETTINGS = { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 } } as const

/**
 * The directory of the Solidity sources. The build does not copy .sol files, so from dist this
 * walks up to the repository's src/governance/contracts.
 */
export function governanceSourcesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  const beside = join(dir, 'contracts')
  if (existsSync(beside)) return beside
  for (;;) {
    const candidate = join(dir, 'src', 'governance', 'contracts')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) {
      throw new QuorateError('GOVERNANCE_SOURCES_NOT_FOUND', `src/governance/contracts was not found above ${fileURLToPath(import.meta.url)}`, {
        details: 'Compile the contracts from a checkout of the repository (the Solidity sources are not part of the build output).',
      })
    }
    dir = parent
  }
}

/** Where the checked-in artifacts.json lives (beside the contracts directory). */
export function governanceArtifactsPath(): string {
  return join(dirname(governanceSourcesDir()), 'artifacts.json')
}

/**
 * The sources by file name, sorted. Line endings are normalised to \n: the compiler's metadata hash
 * (appended to the bytecode) covers the exact text, and a checkout with CRLF must build the same.
 */
export function readGovernanceSources(dir = governanceSourcesDir()): Record<string, string> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sol')).sort()
  if (files.length === 0) throw new QuorateError('GOVERNANCE_SOURCES_NOT_FOUND', `no .sol files in ${dir}`)
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8').replace(/\r\n/g, '\n')]))
}

/** keccak256 of `JSON.stringify` of the sources as [fileName, text] pairs sorted by file name. */
export function hashSources(sources: Record<string, string>): Hex {
  const pairs = Object.keys(sources).sort().map((f) => [f, sources[f]])
  return bytesToHex(keccak256(new TextEncoder().encode(JSON.stringify(pairs)))) as Hex
}

/** Compiles the governance sources (about ten seconds with solc-js). */
export function compileGovernance(sources = readGovernanceSources()): Artifacts {
  const compiled = compileSolidity(sources, {
    evmVersion: GOVERNANCE_COMPILER_SETTINGS.evmVersion,
    optimizer: GOVERNANCE_COMPILER_SETTINGS.optimizer.enabled,
    runs: GOVERNANCE_COMPILER_SETTINGS.optimizer.runs,
  })
  const contracts: Artifacts['contracts'] = {}
  for (const name of Object.keys(compiled).sort()) {
    const c = compiled[name]!
    contracts[name] = { abi: c.abi, bytecode: c.bytecode, deployedBytecode: c.deployedBytecode }
  }
  return {
    solcVersion: solcVersion(),
    settings: { evmVersion: GOVERNANCE_COMPILER_SETTINGS.evmVersion, optimizer: { ...GOVERNANCE_COMPILER_SETTINGS.optimizer } },
    sourceHash: hashSources(sources),
    sources: Object.keys(sources).sort(),
    contracts,
  }
}

/** The exact text of artifacts.json: stable key order, two-space indent, final newline. */
export function serializeArtifacts(artifacts: Artifacts): string {
  return `${JSON.stringify(artifacts, null, 2)}\n`
}

export function writeGovernanceArtifacts(artifacts: Artifacts, path = governanceArtifactsPath()): void {
  writeFileSync(path, serializeArtifacts(artifacts))
}

export interface ArtifactsCheck {
  upToDate: boolean
  /** What differs, one line each (empty when up to date). */
  differences: string[]
}

/** Compares the file at `path` with `fresh` (a new compile), naming what differs. */
export function checkGovernanceArtifacts(fresh: Artifacts, path = governanceArtifactsPath()): ArtifactsCheck {
  if (!existsSync(path)) return { upToDate: false, differences: [`${path} does not exist`] }
  const text = readFileSync(path, 'utf8')
  if (text === serializeArtifacts(fresh)) return { upToDate: true, differences: [] }
  let old: Partial<Artifacts>
  try {
    old = JSON.parse(text) as Partial<Artifacts>
  } catch {
    return { upToDate: false, differences: [`${path} is not valid JSON`] }
  }
  const differences: string[] = []
  if (old.solcVersion !== fresh.solcVersion) differences.push(`solcVersion: checked in ${String(old.solcVersion)}, compiler ${fresh.solcVersion}`)
  if (JSON.stringify(old.settings) !== JSON.stringify(fresh.settings)) differences.push('settings differ')
  if (old.sourceHash !== fresh.sourceHash) differences.push('sourceHash differs: the Solidity sources changed since the artifacts were built')
  if (JSON.stringify(old.sources) !== JSON.stringify(fresh.sources)) differences.push('the list of source files differs')
  const names = new Set([...Object.keys(old.contracts ?? {}), ...Object.keys(fresh.contracts)])
  for (const name of [...names].sort()) {
    const a = old.contracts?.[name]
    const b = fresh.contracts[name]
    if (!a || !b) {
      differences.push(`contract ${name} is ${a ? 'no longer compiled' : 'missing from the checked-in file'}`)
      continue
    }
    for (const field of ['abi', 'bytecode', 'deployedBytecode'] as const) {
      if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) differences.push(`${name}.${field} differs`)
    }
  }
  if (differences.length === 0) differences.push('formatting differs (same content)')
  return { upToDate: false, differences }
}
