/**
 * The consortium's decisions the example needs, through the SDK's `propose` and `vote`: a sponsor
 * proposes, the voting parties vote one after another until the proposal is decided (the vote that
 * reaches the threshold executes it). Each admin account sends one transaction at a time.
 */
import { getProposal, propose, vote, waitForBlock, type DecisionArgs, type LedgerClient } from 'quorate/sdk'
import { isLedgerError, LedgerError } from 'quorate/sdk'

export interface Voter {
  party: string
  client: LedgerClient
}

const queues = new WeakMap<LedgerClient, Promise<unknown>>()

/** Runs `fn` after every earlier call queued for the same client (one governance transaction at a time per account). */
function queued<T>(client: LedgerClient, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(client) ?? Promise.resolve()
  const next = prev.then(fn, fn)
  queues.set(client, next.catch(() => undefined))
  return next
}

export interface Decided {
  id: bigint
  state: string
  yes: number
}

/** Proposes `decision` from `sponsor` and lets `voters` vote yes in turn until it is decided; throws unless approved. */
export async function decide(sponsor: Voter, voters: readonly Voter[], decision: DecisionArgs, description: string): Promise<Decided> {
  const proposed = await queued(sponsor.client, () => propose(sponsor.client, { decision, description }))
  const { id } = proposed
  // Each voter reads the proposal once its node has the block of the last vote: a node a block
  // behind would see it still open, and a vote after the deciding one reverts.
  let seen = proposed.blockNumber
  let witness = sponsor.client
  for (const voter of voters) {
    const open = await queued(voter.client, async () => {
      await waitForBlock(voter.client, { blockNumber: seen })
      if ((await getProposal(voter.client, { id })).state !== 'open') return false
      try {
        seen = (await vote(voter.client, { id, support: true })).blockNumber
        witness = voter.client
      } catch (err) {
        // Decided (or voted) in the meantime by a vote of another party: nothing left to do.
        if (isLedgerError(err, 'NOT_PERMITTED') && /ProposalDecided|AlreadyVoted/.test(err.message)) return false
        throw err
      }
      return true
    })
    if (!open) break
  }
  await waitForBlock(witness, { blockNumber: seen })
  const after = await getProposal(witness, { id })
  if (after.state !== 'approved') throw new LedgerError('NOT_PERMITTED', `proposal #${id} (${decision.decision}) is ${after.state}, not approved`)
  return { id, state: after.state, yes: Number(after.yes) }
}
