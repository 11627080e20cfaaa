/**
 * Contract code in governance, for people: what an ApproveCode proposal declares about the code
 * (contract name, runtime size, source hash) in a machine-readable last line of its description,
 * and the list of approved code hashes read from the governance contract's CodeApproved /
 * CodeRevoked events. The chain stores only the hash; the declaration is the proposer's word, to be
 * checked against one's own build (`quorate gov propose approve-code --code-file` hashes it again).
 */
import { readFile } from 'node:fs/promises'
import { encodeEventTopics, parseEventLogs, type Log } from 'viem'
import { z } from 'zod'
import { keccak256 } from '../crypto/native.js'
import { ConfigError } from '../errors.js'
import { GOVERNANCE_ADDRESS } from '../governance/address.js'
import { governanceArtifacts } from '../governance/artifacts.js'
import type { Hex } from '../types.js'

/** The last line of an ApproveCode description: `quorate-code: {"name":…,"size":…,"sourceKeccak256":…}`. */
export const CODE_INFO_PREFIX = 'quorate-code: '

export const CodeInfoSchema = z.object({
  name: z.string().max(100).optional(),
  /** Runtime bytecode size in bytes. */
  size: z.number().int().nonnegative(),
  sourceKeccak256: z.string().regex(/^0x[0-9a-f]{64}$/).optional(),
})
export type CodeInfo = z.output<typeof CodeInfoSchema>

export function withCodeInfo(description: string, info: CodeInfo): string {
  return `${description}\n${CODE_INFO_PREFIX}${JSON.stringify(info)}`
}

/** The description as people wrote it, without a declaration line. */
export function withoutCodeInfo(description: string): string {
  const lines = description.split('\n')
  return lines.at(-1)?.startsWith(CODE_INFO_PREFIX) ? lines.slice(0, -1).join('\n') : description
}

/** The declaration in a description's last line, if it is one and well formed. */
export function codeInfoOf(description: string): CodeInfo | undefined {
  const last = description.split('\n').at(-1) ?? ''
  if (!last.startsWith(CODE_INFO_PREFIX)) return undefined
  try {
    return CodeInfoSchema.parse(JSON.parse(last.slice(CODE_INFO_PREFIX.length)))
  } catch {
    return undefined
  }
}

const hashHex = (bytes: Uint8Array): Hex => `0x${Buffer.from(keccak256(bytes)).toString('hex')}` as Hex

/** What approve-code declares: the runtime size, the artifact's contract name, the source file's keccak256. */
export async function declareCode(code: Hex, codeFile: string | undefined, sourceFile: string | undefined): Promise<CodeInfo> {
  let name: string | undefined
  if (codeFile !== undefined) {
    const text = (await readFile(codeFile, 'utf8')).trim()
    if (text.startsWith('{')) {
      const found = (JSON.parse(text) as { contractName?: unknown }).contractName
      if (typeof found === 'string' && found !== '') name = found
    }
  }
  let sourceKeccak256: Hex | undefined
  if (sourceFile !== undefined) {
    let source: Buffer
    try {
      source = await readFile(sourceFile)
    } catch {
      throw new ConfigError('--source-file', `cannot read ${sourceFile}`)
    }
    sourceKeccak256 = hashHex(source)
  }
  return { ...(name ? { name } : {}), size: (code.length - 2) / 2, ...(sourceKeccak256 ? { sourceKeccak256 } : {}) }
}

export interface ApprovedCode {
  codeHash: Hex
  /** Block of the approval in force. */
  block: number
  txHash: Hex
}

/** Most blocks one eth_getLogs may span (rpc/logs.ts MAX_LOG_RANGE). */
const LOG_WINDOW = 10_000

/**
 * The code hashes approved now, from CodeApproved / CodeRevoked events of the governance contract
 * (in chain order; a revoked hash drops out, a re-approved one comes back).
 */
export async function approvedCodes(call: (method: string, params: unknown[]) => Promise<unknown>): Promise<ApprovedCode[]> {
  const abi = governanceArtifacts().ConsortiumGovernance.abi
  const topics = ['CodeApproved', 'CodeRevoked'].map((eventName) => encodeEventTopics({ abi, eventName } as Parameters<typeof encodeEventTopics>[0])[0])
  const head = Number(BigInt(z.string().parse(await call('eth_blockNumber', []))))
  const approved = new Map<Hex, ApprovedCode>()
  for (let from = 0; from <= head; from += LOG_WINDOW) {
    const to = Math.min(head, from + LOG_WINDOW - 1)
    const logs = (await call('eth_getLogs', [{ address: GOVERNANCE_ADDRESS, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, topics: [topics] }])) as Log[]
    for (const log of parseEventLogs({ abi, logs, eventName: ['CodeApproved', 'CodeRevoked'] }) as unknown as { eventName: string; args: { hash: Hex }; blockNumber: bigint; transactionHash: Hex }[]) {
      if (log.eventName === 'CodeApproved') approved.set(log.args.hash, { codeHash: log.args.hash, block: Number(log.blockNumber), txHash: log.transactionHash })
      else approved.delete(log.args.hash)
    }
  }
  return [...approved.values()]
}
