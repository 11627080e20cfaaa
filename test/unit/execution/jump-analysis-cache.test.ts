import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { createEVM } from '@ethereumjs/evm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cachedJumpDestinations, Interpreter, jumpAnalysisStats, scanJumpDestinations } from '../../../src/execution/jump-analysis-cache.js'

/** Counts down from 3 with JUMPI back to the JUMPDEST at 2, then stops. */
const LOOP = Uint8Array.from([0x60, 0x03, 0x5b, 0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x02, 0x57, 0x00])
/** PUSH1 0x5b; PUSH1 1; JUMP: offset 1 holds 0x5b but inside PUSH data, so it is no JUMPDEST. */
const JUMP_INTO_PUSH = Uint8Array.from([0x60, 0x5b, 0x60, 0x01, 0x56])

async function evmOf(hardfork: Hardfork) {
  const evm = await createEVM({ common: new Common({ chain: Mainnet, hardfork }) })
  const self = {
    _evm: evm as unknown as { _opcodeMap: object },
    common: evm.common,
    lookupOpInfo(op: number) {
      return (evm as unknown as { _opcodeMap: Record<number, unknown> })._opcodeMap[op]
    },
  }
  return { evm, self }
}

describe('jump destination analysis cached per code', () => {
  it('is installed on the interpreter of the pinned @ethereumjs/evm', () => {
    expect(typeof scanJumpDestinations).toBe('function')
    expect(Interpreter.prototype._getValidJumpDestinations).toBe(cachedJumpDestinations)
  })

  it('answers as the interpreter\'s own scan for any code, the same object for the same code, and per opcode table', async () => {
    const cancun = await evmOf(Hardfork.Cancun)
    const prague = await evmOf(Hardfork.Prague)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (code) => {
        const cached = cachedJumpDestinations.call(cancun.self as never, code)
        expect(cached).toEqual(scanJumpDestinations.call(cancun.self as never, code))
        expect(cachedJumpDestinations.call(cancun.self as never, code)).toBe(cached)
        // Another hardfork's table is another entry, even for the same array.
        expect(cachedJumpDestinations.call(prague.self as never, code)).not.toBe(cached)
        // Equal bytes in another array are scanned again: identity is the key.
        expect(cachedJumpDestinations.call(cancun.self as never, code.slice())).not.toBe(cached)
      }),
      { numRuns: 200 },
    )
  })

  it('runs code through the EVM as before: a loop, a jump into PUSH data refused; the second run of the same code is not scanned again', async () => {
    const { evm } = await evmOf(Hardfork.Cancun)
    const run = async (code: Uint8Array) => {
      const r = await evm.runCode({ code, gasLimit: 100_000n })
      return { gas: r.executionGasUsed, error: r.exceptionError?.error }
    }
    const before = { ...jumpAnalysisStats }
    const loop = await run(LOOP)
    expect(loop.error).toBeUndefined()
    expect(await run(LOOP)).toEqual(loop)
    expect(await run(JUMP_INTO_PUSH)).toMatchObject({ error: expect.stringMatching(/^invalid JUMP/) })
    expect(await run(JUMP_INTO_PUSH)).toMatchObject({ error: expect.stringMatching(/^invalid JUMP/) })
    expect(jumpAnalysisStats.scans - before.scans).toBe(2)
    expect(jumpAnalysisStats.hits - before.hits).toBe(2)
    // The same figures with the interpreter's own scan.
    Interpreter.prototype._getValidJumpDestinations = scanJumpDestinations
    try {
      expect(await run(LOOP)).toEqual(loop)
      expect(await run(JUMP_INTO_PUSH)).toMatchObject({ error: expect.stringMatching(/^invalid JUMP/) })
    } finally {
      Interpreter.prototype._getValidJumpDestinations = cachedJumpDestinations
    }
  })
})
