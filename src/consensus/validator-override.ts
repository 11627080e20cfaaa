/**
 * Validator overrides: recovery of a chain halted because too many validators are gone for any
 * vote to pass (docs/runbooks/recovery.md). For blocks fromBlock..toBlock the validator set is the
 * configured list instead of the governance state; from toBlock + 1 the usual source decides again.
 * Every node that verifies those blocks must hold the same overrides (in config.json, as Besu and
 * GoQuorum keep QBFT `transitions` in the genesis), so an override is closed with a toBlock, never
 * deleted. Wraps any ValidatorSource; knows nothing of governance.
 */
import type { Block } from '@ethereumjs/block'
import type { Address } from '../types.js'
import type { ValidatorSource } from './validators.js'

export interface ValidatorOverride {
  /** First block decided by `validators`. */
  fromBlock: number
  /** Last block decided by `validators` (inclusive); open-ended when absent. */
  toBlock?: number | undefined
  validators: Address[]
}

/** The override that decides block `number`, if any. */
export function overrideFor(overrides: readonly ValidatorOverride[], number: bigint): ValidatorOverride | undefined {
  return overrides.find((o) => number >= BigInt(o.fromBlock) && (o.toBlock === undefined || number <= BigInt(o.toBlock)))
}

/** Overlapping ranges would make the set ambiguous: a message naming the two, else undefined. */
export function overlappingOverrides(overrides: readonly ValidatorOverride[]): string | undefined {
  const sorted = [...overrides].sort((a, b) => a.fromBlock - b.fromBlock)
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!
    if (prev.toBlock === undefined || prev.toBlock >= sorted[i]!.fromBlock) return `the override from block ${prev.fromBlock} overlaps the one from block ${sorted[i]!.fromBlock}; close the first with a toBlock below ${sorted[i]!.fromBlock}`
  }
  return undefined
}

export class OverriddenValidators implements ValidatorSource {
  constructor(
    private readonly base: ValidatorSource,
    private readonly overrides: readonly ValidatorOverride[],
  ) {}

  async validatorsAfter(parent: Block): Promise<Address[]> {
    const o = overrideFor(this.overrides, parent.header.number + 1n)
    return o ? [...o.validators] : this.base.validatorsAfter(parent)
  }
}
