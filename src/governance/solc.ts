/**
 * Compiles Solidity sources with the `solc` npm package (solc-js, standard JSON). Used by the
 * governance artifact build (compile.ts) and, through bench/lib/solc.ts, by tests and benchmarks.
 * Owns an in-process cache of compiled output; it never downloads a compiler (the version is
 * whatever `solc` the project pins) and never writes to disk.
 */
import { createRequire } from 'node:module'
import type { Abi } from 'viem'
import { QuorateError } from '../errors.js'
import type { Hex } from '../types.js'

const require = createRequire(import.meta.url)

interface SolcModule {
  compile(input: string): string
  version(): string
}

let solcModule: SolcModule | undefined
/** Loading soljson takes about a second, so it is only done on first use. */
function loadSolc(): SolcModule {
  solcModule ??= require('solc') as SolcModule
  return solcModule
}

export interface CompileOptions {
  /** Default 'cancun'. */
  evmVersion?: string
  /** Default true. */
  optimizer?: boolean
  /** Default 200. */
  runs?: number
}

export interface CompiledContract {
  abi: Abi
  bytecode: Hex
  deployedBytecode: Hex
}

/** Contract name → artifact. Names must be unique across sources (checked). */
export type CompiledContracts = Record<string, CompiledContract>

export class SolcCompileError extends QuorateError {
  override name = 'SolcCompileError'
  readonly errors: string[]
  constructor(errors: string[], opts: { cause?: unknown } = {}) {
    super('SOLC_COMPILE_FAILED', `Solidity compilation failed:\n${errors.join('\n')}`, opts)
    this.errors = errors
  }
}

interface SolcOutputError {
  severity: 'error' | 'warning' | 'info'
  formattedMessage?: string
  message: string
}

interface SolcOutput {
  errors?: SolcOutputError[]
  contracts?: Record<
    string,
    Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >
}

const cache = new Map<string, CompiledContracts>()

/** The version string of the bundled compiler, e.g. `0.8.30+commit.73712a01.Emscripten.clang`. */
export function solcVersion(): string {
  return loadSolc().version()
}

/**
 * Compiles `sources` (file name → Solidity text) and returns every contract by name. Throws
 * `SolcCompileError` with solc's formatted messages if any error is reported. Identical inputs are
 * compiled once per process and share one result object: treat it as read-only. Imports between
 * the sources resolve by their file names (`import "./Other.sol"`); nothing is read from disk.
 */
export function compileSolidity(sources: Record<string, string>, opts: CompileOptions = {}): CompiledContracts {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([file, content]) => [file, { content }])),
    settings: {
      evmVersion: opts.evmVersion ?? 'cancun',
      optimizer: { enabled: opts.optimizer ?? true, runs: opts.runs ?? 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const key = JSON.stringify(input)
  const cached = cache.get(key)
  if (cached) return cached

  let output: SolcOutput
  try {
    output = JSON.parse(loadSolc().compile(key)) as SolcOutput
  } catch (cause) {
    throw new SolcCompileError([`solc did not return valid standard JSON output: ${String(cause)}`], { cause })
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new SolcCompileError(errors.map((e) => e.formattedMessage ?? e.message))

  const result: CompiledContracts = {}
  for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(contracts)) {
      if (result[name]) throw new SolcCompileError([`contract name ${name} is defined twice (again in ${file})`])
      result[name] = {
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      }
    }
  }
  cache.set(key, result)
  return result
}
