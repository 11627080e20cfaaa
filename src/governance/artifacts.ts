/**
 * The compiled governance contracts, as checked in (artifacts.json, written by compile-cli.ts from
 * the sources in contracts/). Nodes deploy and read the governance contract from these; they never
 * run the compiler. The JSON is imported, so the build copies it next to this module in dist.
 */
import type { Abi } from 'viem'
import { z } from 'zod'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { keccak256 } from '../crypto/native.js'
import { QuorateError } from '../errors.js'
import type { Hex } from '../types.js'
import checkedIn from './artifacts.json' with { type: 'json' }

/** One contract as the compiler produced it. */
export interface ContractArtifact {
  abi: Abi
  /** Creation code (constructor arguments are appended to it). */
  bytecode: Hex
  /** Runtime code: what an account holds after deployment. */
  deployedBytecode: Hex
}

/** The shape of artifacts.json. */
export interface Artifacts {
  /** The full solc version string, e.g. `0.8.30+commit.73712a01.Emscripten.clang`. */
  solcVersion: string
  settings: { evmVersion: string; optimizer: { enabled: boolean; runs: number } }
  /** keccak256 of the canonical JSON of the sources (see compile.ts `hashSources`). */
  sourceHash: Hex
  /** Source file names, sorted. */
  sources: string[]
  /** Every contract and interface of the sources, by name (interfaces have empty bytecode). */
  contracts: Record<string, ContractArtifact>
}

export interface GovernanceContract extends ContractArtifact {
  /**
   * keccak256 of the runtime code: what ApproveCode takes and EXTCODEHASH returns. Neither contract
   * has immutables, so every deployed instance has exactly this hash.
   */
  runtimeCodeHash: Hex
}

export interface GovernanceArtifacts {
  solcVersion: string
  sourceHash: Hex
  /**
   * Its `abi` is that of the governance ADDRESS: ConsortiumGovernance's own functions plus the
   * GovernanceViews listings its fallback serves (see governanceAddressAbi).
   */
  ConsortiumGovernance: GovernanceContract
  GovernanceViews: GovernanceContract
  GovernedProxy: GovernanceContract
  PrivateDataAnchors: GovernanceContract
}

export class GovernanceArtifactsError extends QuorateError {
  override name = 'GovernanceArtifactsError'
  constructor(message: string) {
    super('GOVERNANCE_ARTIFACTS_INVALID', message, {
      details: 'Regenerate src/governance/artifacts.json with `npm run contracts` and do not edit it by hand.',
    })
  }
}

const hex = z
  .string()
  .regex(/^0x([0-9a-f]{2})*$/, 'expected lower-case 0x hex')
  .transform((s) => s as Hex)
/** The entries are solc's own output; only their outline is checked. */
const abi = z.custom<Abi>(
  (v) => Array.isArray(v) && v.every((e) => typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string'),
  'expected an ABI (an array of entries with a type)',
)
const ContractSchema = z.object({
  abi,
  bytecode: hex,
  deployedBytecode: hex,
})
export const ArtifactsSchema = z.object({
  solcVersion: z.string().min(1),
  settings: z.object({ evmVersion: z.string(), optimizer: z.object({ enabled: z.boolean(), runs: z.number().int() }) }),
  sourceHash: hex,
  sources: z.array(z.string()),
  contracts: z.record(z.string(), ContractSchema),
})

/** Validates a parsed artifacts.json. */
export function parseArtifacts(data: unknown): Artifacts {
  const result = ArtifactsSchema.safeParse(data)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw new GovernanceArtifactsError(`artifacts.json is malformed at ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  return result.data
}

function governanceContract(artifacts: Artifacts, name: string): GovernanceContract {
  const c = artifacts.contracts[name]
  if (!c || c.deployedBytecode === '0x') throw new GovernanceArtifactsError(`artifacts.json has no deployable contract ${name}`)
  return { ...c, runtimeCodeHash: bytesToHex(keccak256(hexToBytes(c.deployedBytecode))) as Hex }
}

/**
 * What the governance address answers: ConsortiumGovernance's entries, then those of
 * GovernanceViews it does not have (its fallback delegates them), each entry once.
 */
export function governanceAddressAbi(artifacts: Artifacts): Abi {
  const entries = [...(artifacts.contracts.ConsortiumGovernance?.abi ?? []), ...(artifacts.contracts.GovernanceViews?.abi ?? [])].filter((e) => e.type !== 'fallback')
  return [...new Map(entries.map((e) => [JSON.stringify(e), e])).values()]
}

let loaded: GovernanceArtifacts | undefined

/** The checked-in governance artifacts (validated once per process; treat the result as read-only). */
export function governanceArtifacts(): GovernanceArtifacts {
  if (!loaded) {
    const artifacts = parseArtifacts(checkedIn)
    loaded = {
      solcVersion: artifacts.solcVersion,
      sourceHash: artifacts.sourceHash,
      ConsortiumGovernance: { ...governanceContract(artifacts, 'ConsortiumGovernance'), abi: governanceAddressAbi(artifacts) },
      GovernanceViews: governanceContract(artifacts, 'GovernanceViews'),
      GovernedProxy: governanceContract(artifacts, 'GovernedProxy'),
      PrivateDataAnchors: governanceContract(artifacts, 'PrivateDataAnchors'),
    }
  }
  return loaded
}
