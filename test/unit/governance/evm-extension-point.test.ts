/**
 * Contract-code approval (src/governance/enforce.ts) wraps a protected method of @ethereumjs/evm,
 * `_executeCreate`. A release that renames it, changes its signature, or stops routing creations
 * through it would turn approval off silently, so: the whole @ethereumjs family is pinned to exact
 * versions equal to the lockfile's, and these tests fail if the extension point changes shape or
 * stops taking effect on the installed EVM.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createEVM, EVM } from '@ethereumjs/evm'
import { createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { enforceCodeApproval, type GovernanceReader } from '../../../src/governance/enforce.js'
import type { Hex } from '../../../src/types.js'
import type { Block } from '@ethereumjs/block'

const root = join(import.meta.dirname, '../../..')

/** Init code returning the one-byte runtime code 0x01: PUSH1 1 PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN. */
const INIT_CODE = hexToBytes('0x600160005360016000f3')
const CALLER = createAddressFromString('0x00000000000000000000000000000000000000aa')
const FAKE_BLOCK = {} as Block

function reader(approved: boolean): GovernanceReader & { asked: Hex[] } {
  const asked: Hex[] = []
  return {
    asked,
    permissionsOf: async () => 0xff,
    hasCode: async () => false,
    isCodeApproved: async (_block, hash) => {
      asked.push(hash)
      return approved
    },
  }
}

async function deploy(wrapWith?: GovernanceReader) {
  const evm = await createEVM({ common: createChainCommon(1337n, 30_000_000n) })
  if (wrapWith) enforceCodeApproval(evm, wrapWith, () => FAKE_BLOCK)
  const result = await evm.runCall({ caller: CALLER, data: INIT_CODE, gasLimit: 1_000_000n, skipBalance: true })
  const created = result.createdAddress
  const code = created ? await evm.stateManager.getCode(created) : new Uint8Array()
  return { result, code }
}

describe('the @ethereumjs/evm extension point used by contract-code approval', () => {
  it('pins every @ethereumjs package exactly, to the version the lockfile installs', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dependencies?: Record<string, string> }>
    }
    const family = Object.entries(pkg.dependencies).filter(([name]) => name.startsWith('@ethereumjs/'))
    expect(family.map(([name]) => name)).toContain('@ethereumjs/evm')
    const versions = new Set<string>()
    for (const [name, range] of family) {
      expect(range, `${name} must be pinned to an exact version, not a range`).toMatch(/^\d+\.\d+\.\d+$/)
      expect(lock.packages['']?.dependencies?.[name], `package-lock.json root entry for ${name}`).toBe(range)
      expect(lock.packages[`node_modules/${name}`]?.version, `locked version of ${name}`).toBe(range)
      const installed = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
      expect(installed.version, `installed version of ${name}`).toBe(range)
      versions.add(range)
    }
    expect([...versions], 'all @ethereumjs packages must be the same release').toHaveLength(1)
  })

  it('has the wrapped method, _executeCreate(message) → Promise<{ execResult }>, on the installed EVM', async () => {
    const method = (EVM.prototype as unknown as Record<string, unknown>)['_executeCreate']
    expect(typeof method).toBe('function')
    expect((method as (...args: unknown[]) => unknown).length).toBe(1)
    const evm = await createEVM({ common: createChainCommon(1337n, 30_000_000n) })
    expect(typeof (evm as unknown as Record<string, unknown>)['_executeCreate']).toBe('function')
  })

  it('a CREATE of approved code stores the code, and the check sees the runtime code hash', async () => {
    const r = reader(true)
    const { result, code } = await deploy(r)
    expect(result.execResult.exceptionError).toBeUndefined()
    expect(code).toEqual(new Uint8Array([0x01]))
    // keccak256(0x01)
    expect(r.asked).toEqual(['0x5fe7f977e71dba2ea1a68e21057beebb9be2ac30c6410aa38d4f3fbe41dcffd2'])
  })

  it('a CREATE of unapproved code through the real EVM is refused because of the wrap', async () => {
    const control = await deploy()
    expect(control.result.execResult.exceptionError).toBeUndefined()
    expect(control.code).toEqual(new Uint8Array([0x01]))

    const { result, code } = await deploy(reader(false))
    expect(result.execResult.exceptionError?.error).toBe('revert')
    expect(code).toHaveLength(0)
    expect(Buffer.from(result.execResult.returnValue).toString('latin1')).toContain('contract code not approved')
  })
})
