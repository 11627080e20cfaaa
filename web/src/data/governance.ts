/**
 * Governance as the chain holds it (gov_* RPC). A node started without governance answers those
 * methods with "method not found": that is a state of the chain to show, not an error.
 */
import { METHOD_NOT_FOUND, RpcError, type RpcClient } from '../rpc/client.js'
import type { GovAccount, GovNode, GovParty, GovPolicy, GovProposal } from '../rpc/types.js'

export interface GovernanceData {
  parties: GovParty[]
  nodes: GovNode[]
  accounts: GovAccount[]
  policies: GovPolicy[]
  proposals: GovProposal[]
}

export type GovernanceState =
  | { status: 'loading' }
  | { status: 'not-enabled' }
  | { status: 'ready'; data: GovernanceData; updatedAt: number }
  | { status: 'error'; message: string; data?: GovernanceData }

/** Re-read at most this often on new heads: governance changes by votes, not every block. */
const MIN_INTERVAL_MS = 3000

export class GovernanceStore {
  private state: GovernanceState = { status: 'loading' }
  private readonly listeners = new Set<() => void>()
  private running: Promise<void> | undefined
  private lastRun = 0

  constructor(private readonly rpc: RpcClient) {}

  get snapshot(): GovernanceState {
    return this.state
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  refresh(force = false): Promise<void> {
    if (this.running) return this.running
    if (!force && Date.now() - this.lastRun < MIN_INTERVAL_MS) return Promise.resolve()
    this.lastRun = Date.now()
    this.running = this.load().finally(() => (this.running = undefined))
    return this.running
  }

  private async load(): Promise<void> {
    try {
      const [parties, nodes, accounts, policies, proposals] = await Promise.all([
        this.rpc.call<GovParty[]>('gov_getParties'),
        this.rpc.call<GovNode[]>('gov_getNodes'),
        this.rpc.call<GovAccount[]>('gov_getAccounts'),
        this.rpc.call<GovPolicy[]>('gov_getPolicies'),
        this.rpc.call<GovProposal[]>('gov_getProposals'),
      ])
      this.set({ status: 'ready', data: { parties, nodes, accounts, policies, proposals }, updatedAt: Date.now() })
    } catch (err) {
      if (err instanceof RpcError && err.code === METHOD_NOT_FOUND) {
        this.set({ status: 'not-enabled' })
        return
      }
      const message = err instanceof Error ? err.message : String(err)
      const previous = this.state.status === 'ready' || this.state.status === 'error' ? this.state.data : undefined
      this.set(previous ? { status: 'error', message, data: previous } : { status: 'error', message })
    }
  }

  private set(state: GovernanceState): void {
    this.state = state
    for (const l of this.listeners) l()
  }
}
