/**
 * GovernanceClient: proposing, voting and finalising as signed transactions from an admin key, over
 * standard JSON-RPC (viem). Each action is simulated first (eth_call), so a refusal comes back with
 * the contract's reason ("governance: party "insurer" already voted (AlreadyVoted)") instead of a
 * failed transaction.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseEventLogs,
  type Chain,
  type Hex as ViemHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { GOVERNANCE_ADDRESS } from './address.js'
import { governanceArtifacts } from './artifacts.js'
import { decisionIndex, encodeDecision, type DecisionArgs } from './decisions.js'
import { describeGovernanceError } from './revert-reasons.js'

/** Gas limit of governance transactions: far above what deciding a proposal needs. */
const ACTION_GAS = 5_000_000n

export class GovernanceActionError extends QuorateError {
  override name = 'GovernanceActionError'
  constructor(action: string, reason: string) {
    super('GOVERNANCE_REFUSED', `${action} refused: ${reason}`)
  }
}

/**
 * The transaction was accepted by the node but no receipt came within the wait: it may still be
 * included (a slow or halted chain). Never a refusal: the caller must not send it again blindly.
 */
export class TxNotFinalError extends QuorateError {
  override name = 'TxNotFinalError'
  constructor(
    action: string,
    readonly txHash: Hex,
    waitedMs: number,
  ) {
    super('TX_NOT_FINAL', `${action} sent, not yet final: ${txHash}`, {
      details: `no block included it within ${Math.round(waitedMs / 1000)} s; it may still land. Check it with eth_getTransactionReceipt or \`quorate gov list proposals\` before sending it again`,
    })
  }
}

/** How long an action waits for its receipt before reporting "sent, not yet final". */
export const RECEIPT_WAIT_MS = 60_000

export interface ActionResult {
  txHash: Hex
  blockNumber: bigint
}

export async function chainOf(rpcUrl: string): Promise<Chain> {
  const id = await createPublicClient({ transport: http(rpcUrl) }).getChainId()
  return defineChain({ id, name: `quorate-${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
}

export class GovernanceClient {
  readonly address: Address
  private readonly abi = governanceArtifacts().ConsortiumGovernance.abi

  private constructor(
    private readonly rpcUrl: string,
    private readonly chain: Chain,
    private readonly privateKey: Hex,
    private readonly receiptWaitMs: number,
  ) {
    this.address = privateKeyToAccount(privateKey).address.toLowerCase() as Address
  }

  static async connect(rpcUrl: string, privateKey: Hex, receiptWaitMs = RECEIPT_WAIT_MS): Promise<GovernanceClient> {
    return new GovernanceClient(rpcUrl, await chainOf(rpcUrl), privateKey, receiptWaitMs)
  }

  /** Opens a proposal; returns its id. */
  async propose(args: DecisionArgs, description: string): Promise<ActionResult & { id: number }> {
    const result = await this.send('propose', [decisionIndex(args.decision), encodeDecision(args), description])
    const created = parseEventLogs({ abi: this.abi, logs: result.logs, eventName: 'ProposalCreated' })[0] as { args: { id: bigint } } | undefined
    if (!created) throw new GovernanceActionError('propose', 'no ProposalCreated event in the receipt')
    return { txHash: result.txHash, blockNumber: result.blockNumber, id: Number(created.args.id) }
  }

  async vote(id: number, support: boolean): Promise<ActionResult> {
    return this.send('vote', [BigInt(id), support])
  }

  /** Marks a proposal whose voting period ended undecided as expired. */
  async finalize(id: number): Promise<ActionResult> {
    return this.send('finalize', [BigInt(id)])
  }

  private async send(functionName: string, args: readonly unknown[]): Promise<ActionResult & { logs: Parameters<typeof parseEventLogs>[0]['logs'] }> {
    const account = privateKeyToAccount(this.privateKey)
    const transport = http(this.rpcUrl)
    const pub = createPublicClient({ chain: this.chain, transport })
    const wallet = createWalletClient({ account, chain: this.chain, transport })
    const call = { address: GOVERNANCE_ADDRESS as ViemHex, abi: this.abi, functionName, args, account } as const
    try {
      await pub.simulateContract(call as Parameters<typeof pub.simulateContract>[0])
    } catch (err) {
      throw new GovernanceActionError(functionName, revertReason(err))
    }
    // A fixed, generous gas limit: the vote that decides a proposal also executes it, and an
    // estimate made before other parties' votes land would size it as a plain vote. Gas is free here.
    const hash = await wallet.writeContract({ ...call, gasPrice: 0n, gas: ACTION_GAS } as Parameters<typeof wallet.writeContract>[0])
    let receipt: Awaited<ReturnType<typeof pub.waitForTransactionReceipt>>
    try {
      receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: this.receiptWaitMs })
    } catch {
      // Sent and accepted by the node: whatever stopped the wait, the outcome is not known yet.
      throw new TxNotFinalError(functionName, hash as Hex, this.receiptWaitMs)
    }
    if (receipt.status !== 'success') throw new GovernanceActionError(functionName, `transaction ${hash} reverted`)
    return { txHash: hash as Hex, blockNumber: receipt.blockNumber, logs: receipt.logs }
  }
}

/** The most useful message in a viem error: the contract's revert reason, else the node's refusal. */
export function revertReason(err: unknown): string {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError) {
      const custom = reverted.raw !== undefined ? describeGovernanceError(reverted.raw as Hex) : undefined
      if (custom) return custom
      if (reverted.reason) return reverted.reason
    }
    return err.details || err.shortMessage
  }
  return err instanceof Error ? err.message : String(err)
}
