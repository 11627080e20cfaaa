import { describe, expect, it } from 'vitest'
import { codeInfoOf, withCodeInfo, withoutCodeInfo } from '../../../src/cli/gov-code.js'

describe('ApproveCode declarations in a description', () => {
  it('round-trips and ignores a malformed or absent last line', () => {
    const text = withCodeInfo('token v1\nsecond line', { name: 'Token', size: 2210, sourceKeccak256: `0x${'ab'.repeat(32)}` })
    expect(text.split('\n').at(-1)).toBe(`quorate-code: {"name":"Token","size":2210,"sourceKeccak256":"0x${'ab'.repeat(32)}"}`)
    expect(codeInfoOf(text)).toEqual({ name: 'Token', size: 2210, sourceKeccak256: `0x${'ab'.repeat(32)}` })
    expect(withoutCodeInfo(text)).toBe('token v1\nsecond line')
    expect(withoutCodeInfo('token v1')).toBe('token v1')
    expect(codeInfoOf('token v1')).toBeUndefined()
    expect(codeInfoOf('quorate-code: {"size":"big"}')).toBeUndefined()
    expect(codeInfoOf('quorate-code: not json')).toBeUndefined()
  })
})
