/**
 * The consortium file: founding parties (with their admins, accounts and nodes) and the voting
 * policy of each decision type. YAML or JSON, validated with zod; every error names the field
 * (`parties.2.nodes.0.address: expected a 20-byte 0x-prefixed address`). `quorate init` turns it
 * into a genesis in which the governance contract already holds this state (governance/genesis.ts).
 */
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { address, bigintLike, parseWith } from '../validation.js'

export const DECISIONS = [
  'AddParty',
  'SuspendParty',
  'ReinstateParty',
  'RemoveParty',
  'AddNode',
  'RemoveNode',
  'AddValidator',
  'RemoveValidator',
  'ApproveCode',
  'RevokeCode',
  'UpgradeContract',
  'ChangePolicy',
  'SetAccountPermissions',
  // Appended in order: the index is the on-chain decision type.
  'SetCollection',
  'SetChainParameters',
  'RotateAdmins',
  'FreezeParty',
  'UnfreezeParty',
  'SetMinValidators',
] as const
export type Decision = (typeof DECISIONS)[number]

export const PARTY_KINDS = ['member', 'regulator', 'observer'] as const
export const PERMISSIONS = ['transact', 'deploy', 'call'] as const
export type Permission = (typeof PERMISSIONS)[number]

const partyId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'expected a short lower-case id (letters, digits, dashes; at most 31 characters)')

/** "3d", "12h", "30m", "45s" or a number of seconds. */
const duration = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+[smhd]$/, 'expected a duration like 30m, 12h or 3d')
    .transform((s) => Number(s.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[s.slice(-1) as 's' | 'm' | 'h' | 'd']),
])

const PolicySchema = z.object({
  threshold: z.number().int().min(1).max(100),
  comparator: z.enum(['>', '>=']).default('>'),
  votingPeriod: duration.default(3 * 86_400),
  veto: z.array(partyId).default([]),
})
export type Policy = z.output<typeof PolicySchema>

const NodeSchema = z.object({
  name: z.string().min(1).max(64).optional(),
  address,
  endpoint: z.string().regex(/^(wss:\/\/[^/\s]+)?$/, 'expected wss://host:port or nothing for an outbound-only node').default(''),
  validator: z.boolean().default(false),
  encryptionKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte X25519 public key as 0x hex').optional(),
})

const AccountSchema = z.object({
  address,
  permissions: z.array(z.enum(PERMISSIONS)).default(['transact', 'call']),
})

const PartySchema = z.object({
  id: partyId,
  name: z.string().min(1).max(100),
  kind: z.enum(PARTY_KINDS),
  admins: z.array(address).min(1, 'every party needs at least one admin account'),
  accounts: z.array(AccountSchema).default([]),
  nodes: z.array(NodeSchema).default([]),
})

export const ConsortiumSchema = z
  .object({
    name: z.string().min(1).default('consortium'),
    chainId: z.number().int().positive().max(2 ** 53 - 1),
    blockPeriodMs: z.number().int().min(50).default(1000),
    emptyBlockPeriodMs: z.number().int().min(50).default(10_000),
    gasLimit: bigintLike.default(50_000_000n),
    minValidators: z.number().int().min(1).default(1),
    /** Contract creation needs a governance-approved code hash (turn off only for development chains). */
    requireCodeApproval: z.boolean().default(true),
    parties: z.array(PartySchema).min(1, 'at least one founding party is needed'),
    /** Policy for every decision type not listed in `policies`. */
    defaultPolicy: PolicySchema.default({ threshold: 50, comparator: '>', votingPeriod: 3 * 86_400, veto: [] }),
    policies: z.partialRecord(z.enum(DECISIONS), PolicySchema).default({}),
    /** Initial balances (a zero-gas-price chain needs none, but apps may use ether values). */
    alloc: z.record(address, z.object({ balance: bigintLike })).default({}),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>()
    c.parties.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['parties', i, 'id'], message: `party id "${p.id}" is used twice` })
      ids.add(p.id)
    })
    const nodes = new Set<string>()
    c.parties.forEach((p, i) =>
      p.nodes.forEach((n, j) => {
        if (nodes.has(n.address)) ctx.addIssue({ code: 'custom', path: ['parties', i, 'nodes', j, 'address'], message: `node ${n.address} is listed twice` })
        nodes.add(n.address)
      }),
    )
    const validators = c.parties.flatMap((p) => (p.kind === 'observer' ? [] : p.nodes.filter((n) => n.validator)))
    if (validators.length === 0) ctx.addIssue({ code: 'custom', path: ['parties'], message: 'at least one node must be a validator' })
    if (validators.length < c.minValidators) {
      ctx.addIssue({ code: 'custom', path: ['minValidators'], message: `${c.minValidators} validators are required but the file lists ${validators.length}` })
    }
    const policies: [string, Policy][] = [['defaultPolicy', c.defaultPolicy], ...Object.entries(c.policies).map(([k, v]) => [`policies.${k}`, v] as [string, Policy])]
    for (const [path, policy] of policies) {
      policy.veto.forEach((v, k) => {
        if (!ids.has(v)) ctx.addIssue({ code: 'custom', path: [...path.split('.'), 'veto', k], message: `unknown party "${v}"` })
      })
    }
  })

export type Consortium = z.output<typeof ConsortiumSchema>
export type ConsortiumInput = z.input<typeof ConsortiumSchema>

export function parseConsortium(text: string, source: string): Consortium {
  let data: unknown
  try {
    data = parseYaml(text) // YAML is a superset of JSON
  } catch (err) {
    throw new ConfigError('', `${source} is not valid YAML or JSON`, { details: (err as Error).message })
  }
  return parseWith(ConsortiumSchema, data, source)
}

export async function loadConsortium(file: string): Promise<Consortium> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('consortium', `cannot read the consortium file ${file}`)
  }
  return parseConsortium(text, file)
}

export function policyOf(c: Consortium, decision: Decision): Policy {
  return c.policies[decision] ?? c.defaultPolicy
}
