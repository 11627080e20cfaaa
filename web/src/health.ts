/**
 * Sealing health of validators from qbft_getSignerMetrics over a recent window. A block carries
 * only a quorum of commit seals (the first to reach the deciding node), so a healthy but slower
 * validator can be missing from many blocks in a row; it still proposes when its turn comes
 * (about every n blocks). So a validator counts as not sealing only when it has neither sealed nor
 * proposed for longer than its turn explains.
 */
import { hexToNumber } from './format.js'
import type { Address, RpcSignerMetric } from './rpc/types.js'

export type SealingState = 'sealing' | 'not-sealing' | 'waiting'

export interface ValidatorHealth {
  address: Address
  state: SealingState
  sealed: number
  proposed: number
  lastSealed: number | undefined
  lastProposed: number | undefined
  /** Blocks since it last sealed or proposed (undefined when it did neither in the window). */
  idle: number | undefined
}

/** Blocks without a seal or proposal after which a validator counts as not sealing. */
export function lagThreshold(validatorCount: number): number {
  return Math.max(10, 2 * validatorCount + 2)
}

/** Blocks of history the dashboard asks signer metrics for. */
export function metricsWindow(validatorCount: number): number {
  return Math.max(64, 4 * lagThreshold(validatorCount))
}

export function validatorHealth(validators: readonly Address[], metrics: readonly RpcSignerMetric[], head: number, firstInWindow: number): ValidatorHealth[] {
  const byAddress = new Map(metrics.map((m) => [m.address.toLowerCase(), m]))
  const lag = lagThreshold(validators.length)
  return validators.map((address) => {
    const m = byAddress.get(address.toLowerCase())
    const lastSealed = hexToNumber(m?.lastSealedBlockNumber)
    const lastProposed = hexToNumber(m?.lastProposedBlockNumber)
    const lastActive = Math.max(lastSealed ?? -1, lastProposed ?? -1)
    const idle = lastActive < 0 ? undefined : head - lastActive
    let state: SealingState
    if (idle !== undefined) state = idle > lag ? 'not-sealing' : 'sealing'
    else state = head - firstInWindow + 1 > lag ? 'not-sealing' : 'waiting'
    return { address, state, sealed: hexToNumber(m?.sealedBlockCount) ?? 0, proposed: hexToNumber(m?.proposedBlockCount) ?? 0, lastSealed, lastProposed, idle }
  })
}
