/**
 * Typed decisions: each decision type's arguments, and their ABI encoding as a proposal payload
 * (the layout ConsortiumGovernance.executeDecision decodes). Used to build proposals (CLI, SDK,
 * tests) and to show them (gov_getProposals).
 */
import { decodeAbiParameters, encodeAbiParameters, parseAbiParameters } from 'viem'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { DECISIONS, PARTY_KINDS, PERMISSIONS, type Decision, type Permission } from './consortium.js'
import { PERMISSION_BITS } from './address.js'
import { bytes32ToPartyId, partyIdToBytes32 } from './ids.js'

export type PartyKind = (typeof PARTY_KINDS)[number]

export type DecisionArgs =
  | { decision: 'AddParty'; id: string; name: string; kind: PartyKind; admins: Address[] }
  | { decision: 'SuspendParty' | 'ReinstateParty' | 'RemoveParty' | 'FreezeParty' | 'UnfreezeParty'; id: string }
  /** Replaces every admin key of party `id`; only that party may propose it. */
  | { decision: 'RotateAdmins'; id: string; admins: Address[] }
  | { decision: 'SetMinValidators'; minValidators: number }
  | { decision: 'AddNode'; node: Address; party: string; endpoint: string; validator: boolean; encryptionKey?: Hex }
  | { decision: 'RemoveNode' | 'AddValidator' | 'RemoveValidator'; node: Address }
  | { decision: 'ApproveCode' | 'RevokeCode'; codeHash: Hex }
  | { decision: 'UpgradeContract'; proxy: Address; implementation: Address }
  | { decision: 'ChangePolicy'; target: Decision; thresholdPercent: number; comparator: '>' | '>='; votingPeriodSeconds: number; vetoParties: string[] }
  | { decision: 'SetAccountPermissions'; account: Address; party: string; permissions: Permission[] }
  | { decision: 'SetCollection'; id: string; controller: string; retentionSeconds: number; members: string[]; grants: CollectionGrant[] }
  /** `params` reaches the chain parameters contract (IChainParameters.schedule) byte for byte. */
  | { decision: 'SetChainParameters'; params: Hex }

/**
 * The GDPR Art. 6(1) legal bases a grant may name: the one list docs/privacy.md documents and
 * every SetCollection proposal built here is checked against (the contract stores the basis as an
 * opaque bytes32, so this check, before sending, is what keeps a typo out of a vote).
 */
export const LEGAL_BASES = ['consent', 'contract', 'legal-obligation', 'vital-interests', 'public-task', 'legitimate-interests'] as const
export type LegalBasis = (typeof LEGAL_BASES)[number]

export function isLegalBasis(b: string): b is LegalBasis {
  return (LEGAL_BASES as readonly string[]).includes(b)
}

/** A member party may process a collection's records for `purpose`, on the GDPR legal basis `basis`. */
export interface CollectionGrant {
  party: string
  purpose: string
  basis: string
}

/**
 * Refuses a collection whose grants name a legal basis outside LEGAL_BASES. Membership rules
 * (controller and grantees are members) are the contract's: a vote that breaks them fails with
 * the contract's reason.
 */
export function validateCollection(c: { id: string; grants: readonly CollectionGrant[] }): void {
  for (const [i, g] of c.grants.entries()) {
    if (!isLegalBasis(g.basis)) throw new QuorateError('INVALID_INPUT', `collection "${c.id}": grants[${i}] names legal basis "${g.basis}", which is not one of: ${LEGAL_BASES.join(', ')}`)
  }
}

const LAYOUT: Record<Decision, string> = {
  AddParty: 'bytes32, string, uint8, address[]',
  SuspendParty: 'bytes32',
  ReinstateParty: 'bytes32',
  RemoveParty: 'bytes32',
  AddNode: 'address, bytes32, string, bool, bytes32',
  RemoveNode: 'address',
  AddValidator: 'address',
  RemoveValidator: 'address',
  ApproveCode: 'bytes32',
  RevokeCode: 'bytes32',
  UpgradeContract: 'address, address',
  ChangePolicy: 'uint8, uint8, bool, uint64, bytes32[]',
  SetAccountPermissions: 'address, bytes32, uint8',
  SetCollection: 'bytes32, bytes32, uint64, bytes32[], bytes32[], bytes32[], bytes32[]',
  SetChainParameters: 'bytes',
  RotateAdmins: 'bytes32, address[]',
  FreezeParty: 'bytes32',
  UnfreezeParty: 'bytes32',
  SetMinValidators: 'uint16',
}

export function decisionIndex(d: Decision): number {
  return DECISIONS.indexOf(d)
}

export { bytes32ToPartyId }

export function permissionsFromBits(bits: number): Permission[] {
  return PERMISSIONS.filter((p) => (bits & PERMISSION_BITS[p]) !== 0)
}

export function permissionBits(perms: readonly Permission[]): number {
  return perms.reduce((b, p) => b | PERMISSION_BITS[p], 0)
}

/** The `propose` payload of a decision. */
export function encodeDecision(args: DecisionArgs): Hex {
  if (args.decision === 'SetCollection') validateCollection(args)
  const params = parseAbiParameters(LAYOUT[args.decision])
  const values = ((): readonly unknown[] => {
    switch (args.decision) {
      case 'AddParty':
        return [partyIdToBytes32(args.id), args.name, PARTY_KINDS.indexOf(args.kind), args.admins]
      case 'SuspendParty':
      case 'ReinstateParty':
      case 'RemoveParty':
      case 'FreezeParty':
      case 'UnfreezeParty':
        return [partyIdToBytes32(args.id)]
      case 'RotateAdmins':
        return [partyIdToBytes32(args.id), args.admins]
      case 'SetMinValidators':
        return [args.minValidators]
      case 'AddNode':
        return [args.node, partyIdToBytes32(args.party), args.endpoint, args.validator, args.encryptionKey ?? `0x${'00'.repeat(32)}`]
      case 'RemoveNode':
      case 'AddValidator':
      case 'RemoveValidator':
        return [args.node]
      case 'ApproveCode':
      case 'RevokeCode':
        return [args.codeHash]
      case 'UpgradeContract':
        return [args.proxy, args.implementation]
      case 'ChangePolicy':
        return [decisionIndex(args.target), args.thresholdPercent, args.comparator === '>=', BigInt(args.votingPeriodSeconds), args.vetoParties.map(partyIdToBytes32)]
      case 'SetAccountPermissions':
        return [args.account, partyIdToBytes32(args.party), permissionBits(args.permissions)]
      case 'SetCollection':
        return [
          partyIdToBytes32(args.id),
          partyIdToBytes32(args.controller),
          BigInt(args.retentionSeconds),
          args.members.map(partyIdToBytes32),
          args.grants.map((g) => partyIdToBytes32(g.party)),
          args.grants.map((g) => partyIdToBytes32(g.purpose)),
          args.grants.map((g) => partyIdToBytes32(g.basis)),
        ]
      case 'SetChainParameters':
        return [args.params]
    }
  })()
  return encodeAbiParameters(params, values as never)
}

/** The arguments of a proposal's payload, for display. */
export function decodeDecision(kind: number, payload: Hex): DecisionArgs {
  const decision = DECISIONS[kind]
  if (!decision) throw new QuorateError('INVALID_INPUT', `unknown decision type ${kind}`)
  const v = decodeAbiParameters(parseAbiParameters(LAYOUT[decision]), payload) as readonly unknown[]
  const lower = (a: unknown) => String(a).toLowerCase() as Address
  switch (decision) {
    case 'AddParty':
      return { decision, id: bytes32ToPartyId(v[0] as Hex), name: v[1] as string, kind: PARTY_KINDS[Number(v[2])] ?? 'member', admins: (v[3] as string[]).map(lower) }
    case 'SuspendParty':
    case 'ReinstateParty':
    case 'RemoveParty':
    case 'FreezeParty':
    case 'UnfreezeParty':
      return { decision, id: bytes32ToPartyId(v[0] as Hex) }
    case 'RotateAdmins':
      return { decision, id: bytes32ToPartyId(v[0] as Hex), admins: (v[1] as string[]).map(lower) }
    case 'SetMinValidators':
      return { decision, minValidators: Number(v[0]) }
    case 'AddNode':
      return { decision, node: lower(v[0]), party: bytes32ToPartyId(v[1] as Hex), endpoint: v[2] as string, validator: v[3] as boolean, encryptionKey: v[4] as Hex }
    case 'RemoveNode':
    case 'AddValidator':
    case 'RemoveValidator':
      return { decision, node: lower(v[0]) }
    case 'ApproveCode':
    case 'RevokeCode':
      return { decision, codeHash: v[0] as Hex }
    case 'UpgradeContract':
      return { decision, proxy: lower(v[0]), implementation: lower(v[1]) }
    case 'ChangePolicy':
      return {
        decision,
        target: DECISIONS[Number(v[0])] ?? 'AddParty',
        thresholdPercent: Number(v[1]),
        comparator: v[2] ? '>=' : '>',
        votingPeriodSeconds: Number(v[3]),
        vetoParties: (v[4] as Hex[]).map(bytes32ToPartyId),
      }
    case 'SetAccountPermissions':
      return { decision, account: lower(v[0]), party: bytes32ToPartyId(v[1] as Hex), permissions: permissionsFromBits(Number(v[2])) }
    case 'SetCollection': {
      const [parties, purposes, bases] = [v[4], v[5], v[6]] as Hex[][]
      return {
        decision,
        id: bytes32ToPartyId(v[0] as Hex),
        controller: bytes32ToPartyId(v[1] as Hex),
        retentionSeconds: Number(v[2]),
        members: (v[3] as Hex[]).map(bytes32ToPartyId),
        grants: parties!.map((p, i) => ({ party: bytes32ToPartyId(p), purpose: bytes32ToPartyId(purposes![i]!), basis: bytes32ToPartyId(bases![i]!) })),
      }
    }
    case 'SetChainParameters':
      return { decision, params: v[0] as Hex }
  }
}
