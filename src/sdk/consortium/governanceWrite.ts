/**
 * Governance transactions from a party admin's account: each is simulated first, so a refusal
 * comes back as NOT_PERMITTED (or NOT_FOUND for an unknown proposal) with the contract's reason
 * (`governance: party "insurer" already voted (AlreadyVoted)`) instead of a failed transaction.
 * Types come from the contract's `as const` ABI: viem checks the arguments and types the events.
 */
import { BaseError, ContractFunctionRevertedError, parseEventLogs, type Hex, type LocalAccount } from 'viem'
import { consortiumGovernanceAbi } from '../../governance/abi.js'
import { GOVERNANCE_ADDRESS } from '../../governance/address.js'
import { decisionIndex, encodeDecision, type DecisionArgs } from '../../governance/decisions.js'
import { describeGovernanceError } from '../../governance/revert-reasons.js'
import { LedgerError } from '../errors.js'
import { consortiumError, requireFeature, type ConsortiumClient } from './client.js'

/** Far above what deciding a proposal needs: the vote that decides also executes the decision. */
const GOVERNANCE_GAS = 5_000_000n

/** Custom errors that mean "no such thing" rather than "not allowed". */
const NOT_FOUND_ERRORS = new Set(['UnknownProposal'])

export interface GovernanceTxResult {
  txHash: Hex
  blockNumber: bigint
}

export interface ProposeParameters {
  decision: DecisionArgs
  description: string
}

/** Opens a proposal; returns its id (from the ProposalCreated event). */
export async function propose(client: ConsortiumClient, params: ProposeParameters): Promise<GovernanceTxResult & { id: bigint }> {
  const call = {
    address: GOVERNANCE_ADDRESS,
    abi: consortiumGovernanceAbi,
    functionName: 'propose',
    args: [decisionIndex(params.decision.decision), encodeDecision(params.decision), params.description],
  } as const
  const { logs, ...tx } = await send(
    client,
    'propose',
    (account) => client.public.simulateContract({ ...call, account }),
    (account) => client.wallet.writeContract({ ...call, account, chain: null, gas: GOVERNANCE_GAS, gasPrice: 0n }),
  )
  const created = parseEventLogs({ abi: consortiumGovernanceAbi, logs, eventName: 'ProposalCreated' })[0]
  if (!created) throw new LedgerError('NOT_FOUND', 'propose: the receipt holds no ProposalCreated event')
  return { ...tx, id: created.args.id }
}

/** Votes for (`support: true`) or against a proposal on behalf of the account's party. */
export async function vote(client: ConsortiumClient, params: { id: number | bigint; support: boolean }): Promise<GovernanceTxResult> {
  const call = { address: GOVERNANCE_ADDRESS, abi: consortiumGovernanceAbi, functionName: 'vote', args: [BigInt(params.id), params.support] } as const
  const { logs: _logs, ...tx } = await send(
    client,
    'vote',
    (account) => client.public.simulateContract({ ...call, account }),
    (account) => client.wallet.writeContract({ ...call, account, chain: null, gas: GOVERNANCE_GAS, gasPrice: 0n }),
  )
  return tx
}

async function send(client: ConsortiumClient, functionName: string, simulate: (account: LocalAccount) => Promise<unknown>, write: (account: LocalAccount) => Promise<Hex>) {
  const fabric = await requireFeature(client, 'governance', `governance (${functionName})`)
  const account = client.account
  if (!account) throw new LedgerError('INVALID_INPUT', `${functionName}: the client has no account to sign with (a party admin's key)`)
  try {
    await simulate(account)
  } catch (err) {
    throw refusal(err, fabric, functionName)
  }
  let hash: Hex
  try {
    // Gas is free on Quorate; a fixed limit, since an estimate made before the deciding vote lands is too low.
    hash = await write(account)
  } catch (err) {
    throw refusal(err, fabric, functionName)
  }
  const receipt = await client.public.waitForTransactionReceipt({ hash }).catch((err: unknown) => {
    throw consortiumError(err, fabric, `${functionName} (${hash})`)
  })
  if (receipt.status !== 'success') throw new LedgerError('REVERTED', `${functionName}: transaction ${hash} reverted`)
  return { txHash: hash, blockNumber: receipt.blockNumber, logs: receipt.logs }
}

/** A simulated or sent governance call the contract or the node refused. */
function refusal(err: unknown, fabric: string, functionName: string): LedgerError {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError) {
      const reason = (reverted.raw !== undefined ? describeGovernanceError(reverted.raw) : undefined) ?? reverted.reason ?? 'reverted'
      const name = reverted.data?.errorName
      return new LedgerError(name !== undefined && NOT_FOUND_ERRORS.has(name) ? 'NOT_FOUND' : 'NOT_PERMITTED', `${functionName} refused: ${reason}`, { cause: err })
    }
  }
  return consortiumError(err, fabric, functionName)
}
