/**
 * The sentence for each custom error of the governance contracts (GovernanceErrors.sol): what the
 * CLI, the JSON-RPC `execution reverted: …` message and ProposalFailed reasons show. Each reads
 * `governance: <sentence> (<ErrorName>)`, so a person gets the reason and a script a stable name.
 * A unit test holds this table and the contracts' errors equal.
 */
import { decodeErrorResult, type Abi, type Hex as ViemHex } from 'viem'
import type { Hex } from '../types.js'
import { governanceArtifacts } from './artifacts.js'
import { bytes32ToPartyId } from './ids.js'

type Args = readonly unknown[]
const party = (a: unknown): string => `"${bytes32ToPartyId(a as Hex)}"`
const addr = (a: unknown): string => String(a).toLowerCase()

export const GOVERNANCE_ERROR_TEXT: Readonly<Record<string, (args: Args) => string>> = {
  MinValidatorsTooLow: () => 'minValidators must be at least 1',
  NoFoundingVoter: () => 'at least one founding party must be a member or regulator',
  MissingPolicy: () => 'every decision type needs a policy',
  DuplicatePolicy: ([k]) => `two policies for decision type ${String(k)}`,
  TooFewFoundingValidators: ([m]) => `the founding nodes have fewer than ${String(m)} validators`,
  UnknownDecisionType: ([k]) => `unknown decision type ${String(k)}`,
  PayloadMismatch: ([k]) => `payload does not match decision type ${String(k)}`,
  UnknownProposal: ([id]) => `unknown proposal ${String(id)}`,
  ProposalIsExpired: ([id]) => `proposal ${String(id)} expired`,
  ProposalDecided: ([id]) => `proposal ${String(id)} is already decided`,
  VotingPeriodNotOver: ([id, d]) => `the voting period of proposal ${String(id)} has not ended (it ends at ${new Date(Number(d) * 1000).toISOString()})`,
  NotVotingAdmin: ([a]) => `caller ${addr(a)} is not an admin of an active voting party`,
  NotEligible: ([p]) => `party ${party(p)} was not a voting party when the proposal was created`,
  AlreadyVoted: ([p]) => `party ${party(p)} already voted`,
  OnlyApprovedProposal: () => 'decisions are applied only by an approved proposal',
  DecisionOutOfGas: () => 'the decision ran out of gas; send the vote with a higher gas limit',
  PreflightPassed: () => 'the decision would apply (preflight passed)',
  EmptyPartyId: () => 'party id must not be empty',
  PartyIdUsed: ([p]) => `party id ${party(p)} is already used`,
  BadPartyKind: ([k]) => `party kind must be 0 (member), 1 (regulator) or 2 (observer), not ${String(k)}`,
  BadPartyName: () => 'party name must be 1 to 100 bytes',
  BadAdminCount: () => 'a party needs 1 to 16 admin accounts',
  TooManyParties: () => 'too many parties',
  ZeroAddress: () => 'an address must not be the zero address',
  AdminOfAParty: ([a]) => `account ${addr(a)} is already an admin of a party`,
  AccountOfAParty: ([a]) => `account ${addr(a)} is registered to a party and cannot be an admin`,
  PartyNotActive: ([p]) => `party ${party(p)} is not active`,
  PartyNotSuspended: ([p]) => `party ${party(p)} is not suspended`,
  PartyNotFrozen: ([p]) => `party ${party(p)} is not frozen`,
  NotOwnParty: ([p]) => `party ${party(p)} may rotate only its own admin keys`,
  BadMinValidators: ([m, v]) => `minValidators must be 1 to the current ${String(v)} validators, not ${String(m)}`,
  PartyNotCurrent: ([p]) => `party ${party(p)} is not a current party (active or suspended)`,
  VetoPartyNotCurrent: ([p]) => `veto party ${party(p)} is not a current party`,
  NoVoterLeft: () => 'would leave no party able to vote',
  EndpointTooLong: () => 'endpoint is longer than 256 bytes',
  TooManyNodes: () => 'too many nodes',
  NodeAlreadyActive: ([n]) => `node ${addr(n)} is already active`,
  NodeNotActive: ([n]) => `node ${addr(n)} is not an active node`,
  AlreadyValidator: ([n]) => `node ${addr(n)} is already a validator`,
  AlreadyCandidate: ([n]) => `node ${addr(n)} is already a validator candidate`,
  NotValidator: ([n]) => `node ${addr(n)} is not a validator`,
  NotCandidate: ([n]) => `node ${addr(n)} is not a validator candidate`,
  TooFewValidators: ([m]) => `would leave fewer than ${String(m)} validators`,
  ZeroCodeHash: () => 'code hash must not be zero',
  CodeAlreadyApproved: ([h]) => `code ${String(h)} is already approved`,
  CodeNotApproved: ([h]) => `code ${String(h)} is not approved`,
  NotAContract: ([a]) => `${addr(a)} is not a contract`,
  BadThreshold: ([t]) => `threshold must be 1 to 100 percent, not ${String(t)}`,
  UnreachableThreshold: () => 'more than 100% can never be reached; use >= for unanimity',
  BadVotingPeriod: ([s]) => `voting period must be 1 second to 365 days, not ${String(s)} seconds`,
  TooManyVetoParties: () => 'at most 16 veto parties',
  BadPermissions: ([b]) => `permissions are bits 1 (transact), 2 (deploy), 4 (call), not ${String(b)}`,
  AdminHasAllPermissions: ([a]) => `account ${addr(a)} is a party admin, which has every permission`,
  NoChainParametersContract: ([a]) => `this chain has no chain parameters contract at ${addr(a)}`,
  EmptyCollectionId: () => 'collection id must not be empty',
  BadRetention: () => 'retention must be 1 second to 100 years',
  BadMemberCount: () => 'a collection needs 1 to 32 member parties',
  GrantShape: () => 'every grant needs a party, a purpose and a legal basis',
  TooManyGrants: () => 'at most 64 purpose grants',
  TooManyCollections: () => 'too many collections',
  MemberNotActive: ([p]) => `collection member ${party(p)} is not an active party`,
  DuplicateMember: ([p]) => `collection member ${party(p)} is listed twice`,
  ControllerNotMember: ([p]) => `the controller ${party(p)} must be a member of the collection`,
  EmptyPurposeOrBasis: () => 'purpose and legal basis must not be empty',
  NotALegalBasis: ([b]) => `legal basis "${bytes32ToPartyId(b as Hex)}" is not one of the GDPR Art. 6(1) bases`,
  GrantToNonMember: ([p]) => `a purpose is granted to ${party(p)}, which is not a member`,
}

let errorAbi: Abi | undefined

/** Every custom error of the governance contract (decoding needs only these entries). */
export function governanceErrorAbi(): Abi {
  if (!errorAbi) {
    errorAbi = governanceArtifacts().ConsortiumGovernance.abi.filter((e) => e.type === 'error')
  }
  return errorAbi
}

/** A governance custom error as `governance: <sentence> (<Name>)`; undefined for anything else. */
export function describeGovernanceError(data: Hex): string | undefined {
  if (data.length < 10) return undefined
  let decoded: { errorName: string; args: readonly unknown[] | undefined }
  try {
    decoded = decodeErrorResult({ abi: governanceErrorAbi(), data: data as ViemHex })
  } catch {
    return undefined
  }
  const text = GOVERNANCE_ERROR_TEXT[decoded.errorName]
  const args = decoded.args ?? []
  const sentence = text ? text(args) : `${decoded.errorName}(${args.map(String).join(', ')})`
  return `governance: ${sentence} (${decoded.errorName})`
}
