/**
 * Liveness of a validator change, checked before it is proposed: the validator set the decision
 * would leave, and whether enough of it is live to reach a QBFT quorum (ceil(2n/3)). "Live" is what
 * a node can observe: a validator that sealed or proposed one of the recent blocks, or a node that is
 * connected (a validator to be added has sealed nothing yet). Pure: the caller says who is live.
 */
import { quorumSize } from '../consensus/qbft/quorum.js'
import type { Address } from '../types.js'
import type { DecisionArgs } from './decisions.js'

/** QBFT quorum of n validators: ceil(2n/3); an empty set can never reach one (1). */
export function quorumOf(n: number): number {
  return n < 1 ? 1 : quorumSize(n)
}

export interface RegisteredNode {
  address: Address
  party: string
  /** Holds the validator role (kept while its party is suspended or frozen). */
  validator?: boolean
  status?: string
}

/** The validator set after `change`, or undefined if the decision does not change it. */
export function validatorsAfter(change: DecisionArgs, validators: readonly Address[], nodes: readonly RegisteredNode[]): Address[] | undefined {
  const without = (drop: (a: Address) => boolean) => validators.filter((v) => !drop(v))
  switch (change.decision) {
    case 'RemoveValidator':
    case 'RemoveNode':
      return validators.includes(change.node) ? without((v) => v === change.node) : undefined
    case 'SuspendParty':
    case 'FreezeParty':
    case 'RemoveParty': {
      const own = new Set(nodes.filter((n) => n.party === change.id).map((n) => n.address))
      return validators.some((v) => own.has(v)) ? without((v) => own.has(v)) : undefined
    }
    case 'ReinstateParty':
    case 'UnfreezeParty': {
      // The party's validators come back at once (no candidate step): a dead one counts against the quorum.
      const back = nodes.filter((n) => n.party === change.id && n.validator === true && n.status === 'active' && !validators.includes(n.address)).map((n) => n.address)
      return back.length > 0 ? [...validators, ...back] : undefined
    }
    case 'AddValidator':
      return validators.includes(change.node) ? undefined : [...validators, change.node]
    case 'AddNode':
      return change.validator && !validators.includes(change.node) ? [...validators, change.node] : undefined
    default:
      return undefined
  }
}

export interface LivenessShortfall {
  validators: number
  quorum: number
  live: number
  /** Validators of the new set not seen live. */
  silent: Address[]
}

/**
 * Undefined when the set after `change` keeps a quorum of live validators (or the decision does not
 * touch the set); else what is short.
 */
export function livenessShortfall(change: DecisionArgs, validators: readonly Address[], nodes: readonly RegisteredNode[], live: ReadonlySet<Address>): LivenessShortfall | undefined {
  const after = validatorsAfter(change, validators, nodes)
  if (!after) return undefined
  const silent = after.filter((v) => !live.has(v))
  const liveCount = after.length - silent.length
  const quorum = quorumOf(after.length)
  return liveCount >= quorum ? undefined : { validators: after.length, quorum, live: liveCount, silent }
}

export function shortfallText(s: LivenessShortfall): string {
  return `after this change ${s.validators} validator${s.validators === 1 ? '' : 's'} need ${s.quorum} online to finalise blocks, but only ${s.live} of them are live (not live: ${s.silent.join(', ')})`
}
