import { Common, Hardfork } from '@ethereumjs/common'
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'

const EIPS = Array.from({ length: 8_000 }, (_, i) => i)
/** What ethereumjs's own `isActivatedEIP` answers for every EIP number. */
const baseAnswers = (c: Common) => EIPS.filter((e) => Common.prototype.isActivatedEIP.call(c, e))
const answers = (c: Common) => EIPS.filter((e) => c.isActivatedEIP(e))

describe('the chain Common', () => {
  it('answers isActivatedEIP as ethereumjs does, on copies with other EIPs and after a hardfork change', () => {
    const common = createChainCommon(1337n, 30_000_000n)
    const cancun = baseAnswers(common)
    expect(cancun).toContain(4844)
    expect(answers(common)).toEqual(cancun)
    // A copy takes the cached set with it; its EIPs changed, it answers for its own.
    const copy = common.copy()
    copy.setEIPs([2935])
    const more = baseAnswers(copy)
    expect(more).toContain(2935)
    expect(cancun).not.toContain(2935)
    expect(answers(copy)).toEqual(more)
    expect(answers(common)).toEqual(cancun)
    // A hardfork change (back to an earlier one) makes a new list: answered for it.
    common.setHardfork(Hardfork.London)
    const london = baseAnswers(common)
    expect(london).not.toContain(4844)
    expect(answers(common)).toEqual(london)
  })
})
