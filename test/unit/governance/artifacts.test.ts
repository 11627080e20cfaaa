/**
 * The checked-in governance artifacts: reproducible from the sources with the pinned solc, the
 * check names what differs, the loader validates and works from the build output, and the ABI is
 * the interface agreed with the node.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { hexToBytes } from '@ethereumjs/util'
import { keccakHex } from '../../../src/crypto/keys.js'
import { governanceArtifacts, GovernanceArtifactsError, parseArtifacts, type Artifacts } from '../../../src/governance/artifacts.js'
import {
  checkGovernanceArtifacts,
  compileGovernance,
  governanceArtifactsPath,
  governanceSourcesDir,
  hashSources,
  readGovernanceSources,
  serializeArtifacts,
} from '../../../src/governance/compile.js'
import { tempDir } from '../../helpers/tmp.js'

interface AbiParam {
  type: string
  name?: string
  indexed?: boolean
  components?: AbiParam[]
}
interface AbiEntry {
  type: string
  name?: string
  stateMutability?: string
  inputs?: AbiParam[]
  outputs?: AbiParam[]
}

function canonical(p: AbiParam): string {
  if (!p.type.startsWith('tuple')) return p.type
  return `(${(p.components ?? []).map(canonical).join(',')})${p.type.slice('tuple'.length)}`
}

/** `name(types) mutability returns (types)` for functions, `event name(types; indexed marked)` for events. */
function describeEntry(e: AbiEntry): string {
  const inputs = (e.inputs ?? []).map((p) => (e.type === 'event' && p.indexed ? `${canonical(p)} indexed` : canonical(p))).join(',')
  if (e.type === 'event') return `event ${e.name}(${inputs})`
  if (e.type === 'constructor') return `constructor(${inputs})`
  if (e.type === 'error') return `error ${e.name}(${inputs})`
  if (e.type !== 'function') return e.type
  const outputs = (e.outputs ?? []).map(canonical).join(',')
  return `${e.name}(${inputs}) ${e.stateMutability}${outputs ? ` returns (${outputs})` : ''}`
}

const PARTY = '(bytes32,string,uint8,uint8,address[])'
const COLLECTION = '(bytes32,bytes32,uint64,bytes32[],bytes32[],bytes32[],bytes32[])'
const ANCHOR = '(bytes32,bytes32,bytes32,bytes32,bytes32,uint64,address,uint64,uint64,uint256)'
const PROPOSAL = '(uint256,uint8,uint8,bytes32,uint64,uint64,uint16,uint16,uint16,uint8,bool,bytes32[],bytes,string)'

describe('governance artifacts', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  it('the checked-in artifacts.json is exactly what the sources compile to', () => {
    const fresh = compileGovernance()
    expect(fresh.solcVersion).toMatch(/^0\.8\.30\+commit\./)
    expect(fresh.settings).toEqual({ evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 } })
    expect(fresh.sources).toEqual([
      'ChainParameters.sol',
      'CodeRegistry.sol',
      'Collections.sol',
      'ConsortiumGovernance.sol',
      'GovernanceErrors.sol',
      'GovernanceInterfaces.sol',
      'GovernanceState.sol',
      'GovernanceViews.sol',
      'GovernedProxy.sol',
      'NodeRegistry.sol',
      'PartyRegistry.sol',
      'PrivateDataAnchors.sol',
    ])
    const check = checkGovernanceArtifacts(fresh)
    expect(check.differences).toEqual([])
    expect(check.upToDate).toBe(true)
  })

  it('the check names what differs in a stale or tampered file', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const current = governanceArtifactsFile()
    const stale: Artifacts = structuredClone(current)
    stale.sourceHash = `0x${'00'.repeat(32)}`
    const proxy = stale.contracts.GovernedProxy!
    proxy.deployedBytecode = `0x${proxy.deployedBytecode.slice(2, -2)}00`
    delete stale.contracts.ICodeApprovals
    const file = join(tmp.dir, 'artifacts.json')
    await writeFile(file, serializeArtifacts(stale))
    expect(checkGovernanceArtifacts(current, file)).toEqual({
      upToDate: false,
      differences: [
        'sourceHash differs: the Solidity sources changed since the artifacts were built',
        'GovernedProxy.deployedBytecode differs',
        'contract ICodeApprovals is missing from the checked-in file',
      ],
    })
    // Same content, other formatting: still not byte-identical, and said so.
    await writeFile(file, JSON.stringify(current))
    expect(checkGovernanceArtifacts(current, file)).toEqual({ upToDate: false, differences: ['formatting differs (same content)'] })
    expect(checkGovernanceArtifacts(current, join(tmp.dir, 'missing.json')).upToDate).toBe(false)
  })

  it('reads sources with CRLF line endings as the same text and hash', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const sources = readGovernanceSources()
    for (const [name, text] of Object.entries(sources)) await writeFile(join(tmp.dir, name), text.replace(/\n/g, '\r\n'))
    const crlf = readGovernanceSources(tmp.dir)
    expect(crlf).toEqual(sources)
    expect(hashSources(crlf)).toBe(governanceArtifacts().sourceHash)
    expect(resolve(governanceSourcesDir())).toBe(resolve('src/governance/contracts'))
  })

  it('the loader gives each contract its runtime code hash and refuses a malformed file', () => {
    const { ConsortiumGovernance, GovernedProxy } = governanceArtifacts()
    for (const c of [ConsortiumGovernance, GovernedProxy]) {
      expect(c.runtimeCodeHash).toBe(keccakHex(hexToBytes(c.deployedBytecode)))
      expect(c.bytecode.length).toBeGreaterThan(c.deployedBytecode.length)
    }
    // EIP-170: the runtime code must stay deployable.
    expect((ConsortiumGovernance.deployedBytecode.length - 2) / 2).toBeLessThanOrEqual(24_576)
    expect(() => parseArtifacts({ solcVersion: '0.8.30' })).toThrow(GovernanceArtifactsError)
    expect(() => parseArtifacts({ ...structuredClone(governanceArtifactsFile()), sourceHash: '0xABC' })).toThrow(/sourceHash: expected lower-case 0x hex/)
  })

  it('works from the build output, where the JSON is copied beside the module', async () => {
    const built = resolve('dist/src/governance/artifacts.js')
    expect(existsSync(built), 'run `npm run build` first (npm test does)').toBe(true)
    const script = `import(${JSON.stringify(built)}).then((m) => console.log(m.governanceArtifacts().ConsortiumGovernance.runtimeCodeHash))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    expect(stdout.trim()).toBe(governanceArtifacts().ConsortiumGovernance.runtimeCodeHash)
  })

  it('exposes the interface agreed with the node', () => {
    // What the governance address answers (its own functions and the GovernanceViews listings its
    // fallback serves). Errors are held against their sentences in revert-reasons.test.ts.
    const abi = (governanceArtifacts().ConsortiumGovernance.abi as unknown as AbiEntry[]).filter((e) => e.type !== 'error')
    expect(abi.map(describeEntry).sort()).toEqual(
      [
        `constructor(uint16,(bytes32,string,uint8,address[])[],(address,bytes32,string,bool,bytes32)[],(address,bytes32,uint8)[],(uint8,uint8,bool,uint64,bytes32[])[])`,
        // Views the node reads.
        'getValidators() view returns (address[])',
        'getNodes() view returns (address[],bytes32[],bool[],uint8[],string[],bytes32[])',
        'isNodeAllowed(address) view returns (bool)',
        'permissionsOf(address) view returns (uint8)',
        'isCodeApproved(bytes32) view returns (bool)',
        `getParties() view returns (${PARTY}[])`,
        `getParty(bytes32) view returns (${PARTY})`,
        'getPolicy(uint8) view returns ((uint8,bool,uint64,bytes32[]))',
        `getProposal(uint256) view returns (${PROPOSAL})`,
        'proposalCount() view returns (uint256)',
        'hasVoted(uint256,bytes32) view returns (bool)',
        'minValidators() view returns (uint16)',
        // Additions beyond the agreed views.
        'voteOf(uint256,bytes32) view returns (uint8)',
        'adminPartyOf(address) view returns (bytes32)',
        'getAccount(address) view returns (bytes32,uint8)',
        'getAccounts() view returns (address[],bytes32[],uint8[])',
        // Private data collections (decision type 13, SetCollection) and the node key's party.
        `getCollections() view returns (${COLLECTION}[])`,
        `getCollection(bytes32) view returns (${COLLECTION})`,
        'nodePartyOf(address) view returns (bytes32)',
        // Proposals and votes.
        'propose(uint8,bytes,string) nonpayable returns (uint256)',
        'vote(uint256,bool) nonpayable',
        'finalize(uint256) nonpayable',
        'executeDecision(uint8,bytes) nonpayable',
        'preflight(uint8,bytes) nonpayable',
        // Validator candidates: a node voted in activates itself once it runs.
        'activateValidator() nonpayable',
        'validatorCandidates() view returns (address[])',
        'event ValidatorCandidate(address indexed)',
        'event ValidatorCandidateWithdrawn(address indexed)',
        // Admin key rotation, emergency freeze, minValidators by vote.
        'event AdminsRotated(bytes32 indexed)',
        'event PartyFrozen(bytes32 indexed)',
        'event PartyUnfrozen(bytes32 indexed)',
        'event MinValidatorsChanged(uint16)',
        // The audit trail.
        'event PartyAdded(bytes32 indexed)',
        'event PartySuspended(bytes32 indexed)',
        'event PartyReinstated(bytes32 indexed)',
        'event PartyRemoved(bytes32 indexed)',
        'event NodeAdded(address indexed,bytes32 indexed)',
        'event NodeRemoved(address indexed,bytes32 indexed)',
        'event ValidatorAdded(address indexed)',
        'event ValidatorRemoved(address indexed)',
        'event CodeApproved(bytes32 indexed)',
        'event CodeRevoked(bytes32 indexed)',
        'event ContractUpgraded(address indexed,address indexed)',
        'event PolicyChanged(uint8 indexed)',
        'event AccountPermissionsSet(address indexed,bytes32 indexed,uint8)',
        'event CollectionSet(bytes32 indexed)',
        'event ProposalCreated(uint256 indexed,uint8,bytes32 indexed,uint64)',
        'event VoteCast(uint256 indexed,bytes32 indexed,address,bool)',
        'event ProposalApproved(uint256 indexed)',
        'event ProposalRejected(uint256 indexed)',
        'event ProposalExpired(uint256 indexed)',
        'event ProposalFailed(uint256 indexed,bytes)',
      ].sort(),
    )
    const proxy = governanceArtifactsFile().contracts.GovernedProxy!.abi as unknown as AbiEntry[]
    expect(proxy.map(describeEntry).sort()).toEqual(
      ['constructor(address,address,bytes)', 'event AdminChanged(address,address)', 'event Upgraded(address indexed)', 'fallback', 'receive'].sort(),
    )
    const anchors = governanceArtifactsFile().contracts.PrivateDataAnchors!.abi as unknown as AbiEntry[]
    expect(anchors.map(describeEntry).sort()).toEqual(
      [
        // The purposes are a keyed commitment (bytes32), never in clear.
        'anchor(bytes32,bytes32,bytes32,bytes32,bytes32,uint64) nonpayable',
        'requestErasure(bytes32,bytes32,bytes32) nonpayable returns (uint256)',
        'confirmDeletion(bytes32,bytes32[],uint256) nonpayable',
        // Access-log heads on chain.
        'anchorAccessLogHead(bytes32,uint64) nonpayable',
        'accessLogHead(address) view returns (bytes32,uint64,uint64)',
        'event AccessLogHeadAnchored(address indexed,bytes32,uint64)',
        'error NotActiveNode(address)',
        'error EmptyAccessLogHead()',
        'error AccessLogHeadRegressed(uint64,uint64)',
        'error EmptyAnchorField()',
        'confirmRemovalPurge(bytes32,bytes32[]) nonpayable',
        'removalPurgeConfirmations(bytes32,bytes32) view returns (address[])',
        'event RemovalPurgeConfirmed(bytes32 indexed,bytes32 indexed,address indexed)',
        // Consent records (keyed subject id; party and purpose are the collection's grants).
        'setConsent(bytes32,bytes32,bytes32,bytes32,bool) nonpayable',
        'consent(bytes32,bytes32,bytes32,bytes32) view returns (bool,uint64)',
        'event ConsentSet(bytes32 indexed,bytes32 indexed,bytes32 indexed,bytes32,bool)',
        'error NotControllerNode(address)',
        'error ConsentPartyNotMember(bytes32)',
        'error NoConsentGrant(bytes32,bytes32)',
        'error EmptyConsentField()',
        `getAnchor(bytes32,bytes32) view returns (${ANCHOR})`,
        'getErasureRequest(uint256) view returns ((uint256,bytes32,bytes32,bytes32,address,uint64))',
        'deletionConfirmations(bytes32,bytes32) view returns (address[])',
        'erasureRequestCount() view returns (uint256)',
        'event RecordAnchored(bytes32 indexed,bytes32 indexed,bytes32,address indexed)',
        'event ErasureRequested(uint256 indexed,bytes32 indexed,bytes32,bytes32)',
        'event DeletionConfirmed(bytes32 indexed,bytes32 indexed,address indexed,uint256)',
      ].sort(),
    )
  })
})

/** The checked-in file as parsed JSON (what nodes load). */
function governanceArtifactsFile(): Artifacts {
  return parseArtifacts(JSON.parse(readFileSync(governanceArtifactsPath(), 'utf8')))
}
