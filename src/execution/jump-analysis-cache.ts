/**
 * Jump destination analysis, once per contract code instead of once per call.
 *
 * Before running code, the ethereumjs interpreter scans all of it: the valid JUMPDESTs, the value
 * of every PUSH and the opcode entry at every offset. It does that again for every message call, so
 * a block of 800 token transfers scans the token's code 800 times (3.5% of building a block, see
 * bench/README.md). The scan depends only on the code's bytes and the opcode table of the
 * hardfork (the EVM builds a new table object when its hardfork changes), and the interpreter only
 * reads its result; so it is kept per (opcode table, code) and handed out again.
 *
 * The code is the key by identity (WeakMap): the state keeps one `Uint8Array` per code hash
 * (`FlatStateManager.codeByHash`) and nothing writes into it, so the same call finds the same array;
 * code read anew is scanned anew (never a wrong answer, at worst no hit). Init code (contract
 * creation) is a fresh array every time: its entry is never hit and goes with the array.
 *
 * This replaces a method of `Interpreter`, an internal class of @ethereumjs/evm (not exported): the
 * package is pinned to an exact version in package.json, and test/unit/execution/jump-analysis-cache.test.ts
 * checks that the method exists, is replaced, and answers as the original does.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** What the interpreter's scan returns; only read by the interpreter. */
interface JumpAnalysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: unknown[]
}

interface InterpreterShape {
  _evm: { _opcodeMap: object }
  _getValidJumpDestinations(code: Uint8Array): JumpAnalysis
}

interface InterpreterModule {
  Interpreter: { prototype: InterpreterShape }
}

/** The interpreter module the EVM itself loads: the package's ESM build, beside its entry point. */
async function loadInterpreter(): Promise<InterpreterModule> {
  // The package exports only its entry point; `require.resolve` gives the CommonJS one (dist/cjs/index.js).
  const cjsEntry = createRequire(import.meta.url).resolve('@ethereumjs/evm')
  return (await import(pathToFileURL(join(dirname(cjsEntry), '..', 'esm', 'interpreter.js')).href)) as InterpreterModule
}

export const { Interpreter } = await loadInterpreter()

/** The interpreter's own scan, kept to fill the cache (and for tests to compare against). */
export const scanJumpDestinations: (this: InterpreterShape, code: Uint8Array) => JumpAnalysis = Interpreter.prototype._getValidJumpDestinations

if (typeof scanJumpDestinations !== 'function') {
  throw new Error('@ethereumjs/evm: Interpreter._getValidJumpDestinations is gone; the pinned version changed (see src/execution/jump-analysis-cache.ts)')
}

const byOpcodeTable = new WeakMap<object, WeakMap<Uint8Array, JumpAnalysis>>()

/** Scans run and scans answered from the cache, since the process started. */
export const jumpAnalysisStats = { scans: 0, hits: 0 }

/** The cached scan, installed on the interpreter. */
export function cachedJumpDestinations(this: InterpreterShape, code: Uint8Array): JumpAnalysis {
  const table = this._evm._opcodeMap
  let byCode = byOpcodeTable.get(table)
  if (byCode === undefined) {
    byCode = new WeakMap()
    byOpcodeTable.set(table, byCode)
  }
  let analysis = byCode.get(code)
  if (analysis === undefined) {
    analysis = scanJumpDestinations.call(this, code)
    byCode.set(code, analysis)
    jumpAnalysisStats.scans++
  } else jumpAnalysisStats.hits++
  return analysis
}

Interpreter.prototype._getValidJumpDestinations = cachedJumpDestinations
