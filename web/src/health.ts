/**
 * Seal and proposal counts of validators from qbft_getSignerMetrics over a recent window. Whether a
 * validator is up and sealing is not decided here: the node's fleet view (ops_getFleet, rules in
 * src/ops/fleet.ts) says so, the same rules readiness uses.
 */
import { hexToNumber } from './format.js'
import type { Address, RpcSignerMetric } from './rpc/types.js'

export interface ValidatorActivity {
  address: Address
  sealed: number
  proposed: number
  lastSealed: number | undefined
  lastProposed: number | undefined
}

/** Blocks of history the dashboard asks signer metrics for. */
export function metricsWindow(validatorCount: number): number {
  return Math.max(64, 8 * validatorCount + 8)
}

export function validatorActivity(validators: readonly Address[], metrics: readonly RpcSignerMetric[]): ValidatorActivity[] {
  const byAddress = new Map(metrics.map((m) => [m.address.toLowerCase(), m]))
  return validators.map((address) => {
    const m = byAddress.get(address.toLowerCase())
    return {
      address,
      sealed: hexToNumber(m?.sealedBlockCount) ?? 0,
      proposed: hexToNumber(m?.proposedBlockCount) ?? 0,
      lastSealed: hexToNumber(m?.lastSealedBlockNumber),
      lastProposed: hexToNumber(m?.lastProposedBlockNumber),
    }
  })
}
