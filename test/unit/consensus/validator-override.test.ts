import { Block } from '@ethereumjs/block'
import { describe, expect, it } from 'vitest'
import { OverriddenValidators, overlappingOverrides, overrideFor } from '../../../src/consensus/validator-override.js'
import type { ValidatorSource } from '../../../src/consensus/validators.js'
import { parseConfigText } from '../../../src/node/config.js'
import type { Address } from '../../../src/types.js'

const addr = (i: number) => `0x${i.toString(16).padStart(40, '0')}` as Address
const governance: ValidatorSource = { validatorsAfter: async () => [1, 2, 3, 4].map(addr) }
const parentOf = (n: number) => ({ header: { number: BigInt(n - 1) } }) as unknown as Block

describe('validator overrides', () => {
  const overrides = [{ fromBlock: 10, toBlock: 20, validators: [addr(1), addr(2)] }]

  it('decides blocks fromBlock..toBlock with the list, the others with the usual source', async () => {
    const v = new OverriddenValidators(governance, overrides)
    expect(await v.validatorsAfter(parentOf(9))).toEqual([1, 2, 3, 4].map(addr))
    expect(await v.validatorsAfter(parentOf(10))).toEqual([addr(1), addr(2)])
    expect(await v.validatorsAfter(parentOf(20))).toEqual([addr(1), addr(2)])
    expect(await v.validatorsAfter(parentOf(21))).toEqual([1, 2, 3, 4].map(addr))
    // An open override applies from its block on.
    expect(overrideFor([{ fromBlock: 5, validators: [addr(3)] }], 1_000_000n)?.validators).toEqual([addr(3)])
  })

  it('refuses overlapping ranges and a toBlock below fromBlock in config.json, naming the field', () => {
    expect(overlappingOverrides([{ fromBlock: 5, validators: [addr(1)] }, { fromBlock: 9, validators: [addr(2)] }])).toMatch(/the override from block 5 overlaps the one from block 9/)
    expect(overlappingOverrides([{ fromBlock: 5, toBlock: 8, validators: [addr(1)] }, { fromBlock: 9, validators: [addr(2)] }])).toBeUndefined()
    const config = (o: unknown) => JSON.stringify({ consensus: { validatorOverrides: o } })
    expect(parseConfigText(config([{ fromBlock: 10, toBlock: 20, validators: [addr(1).toUpperCase().replace('0X', '0x')] }]), 'c.json').consensus.validatorOverrides).toEqual([{ fromBlock: 10, toBlock: 20, validators: [addr(1)] }])
    expect(() => parseConfigText(config([{ fromBlock: 10, toBlock: 9, validators: [addr(1)] }]), 'c.json')).toThrow(/toBlock must not be below fromBlock/)
    expect(() => parseConfigText(config([{ fromBlock: 10, validators: [addr(1)] }, { fromBlock: 12, validators: [addr(2)] }]), 'c.json')).toThrow(/overlaps/)
    expect(() => parseConfigText(config([{ fromBlock: 10, validators: [] }]), 'c.json')).toThrow(/validators/)
  })
})
