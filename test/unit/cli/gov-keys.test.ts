/**
 * Admin keys for `quorate gov` and `quorate party offboard`: from --key-file or QUORATE_ADMIN_KEY,
 * `--key` only with a warning; a bad key names its source; new key files are mode 0600.
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addressOfKeyFile, createAdminKeyFile, readAdminKey } from '../../../src/cli/keys.js'
import { ConfigError } from '../../../src/errors.js'
import { tempDir } from '../../helpers/tmp.js'

// Development account 0 of the well-known test mnemonic.
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const ADDRESS = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeEach(async () => {
  tmp = await tempDir('quorate-keys-')
})
afterEach(async () => tmp.cleanup())

async function keyFile(content: string, mode = 0o600): Promise<string> {
  const file = join(tmp.dir, `k-${Math.random().toString(16).slice(2)}`)
  await writeFile(file, content)
  await chmod(file, mode)
  return file
}

const noWarn = (m: string) => {
  throw new Error(`unexpected warning: ${m}`)
}

describe('readAdminKey', () => {
  it('reads a key file (0x optional, trailing newline) and gives its address', async () => {
    const warnings: string[] = []
    const a = await readAdminKey({ keyFile: await keyFile(`${KEY}\n`), env: {} }, noWarn)
    expect(a).toMatchObject({ privateKey: KEY, address: ADDRESS })
    expect(a.source).toMatch(/^--key-file /)
    const b = await readAdminKey({ keyFile: await keyFile(KEY.slice(2).toUpperCase()), env: {} }, (m) => warnings.push(m))
    expect(b.privateKey).toBe(KEY)
    expect(warnings).toEqual([])
  })

  it('warns when the key file is readable by other users, and says how to fix it', async () => {
    const warnings: string[] = []
    const file = await keyFile(KEY, 0o644)
    await readAdminKey({ keyFile: file, env: {} }, (m) => warnings.push(m))
    expect(warnings).toEqual([`warning: the admin key file ${file} is readable by other users (mode 644); fix: chmod 600 ${file}`])
  })

  it('takes QUORATE_ADMIN_KEY when no flag is given', async () => {
    const a = await readAdminKey({ env: { QUORATE_ADMIN_KEY: KEY } }, noWarn)
    expect(a).toMatchObject({ address: ADDRESS, source: 'QUORATE_ADMIN_KEY' })
  })

  it('prefers --key-file over the environment', async () => {
    const other = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' // dev account 1
    const a = await readAdminKey({ keyFile: await keyFile(KEY), env: { QUORATE_ADMIN_KEY: other } }, noWarn)
    expect(a.address).toBe(ADDRESS)
  })

  it('accepts --key only with a warning about the command line', async () => {
    const warnings: string[] = []
    const a = await readAdminKey({ key: KEY, env: {} }, (m) => warnings.push(m))
    expect(a.address).toBe(ADDRESS)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/--key puts the admin key on the command line .* development chains only/)
  })

  it('refuses a missing key, both flags, a bad file and a bad value, naming the flag', async () => {
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)
    const none = await err(readAdminKey({ env: {} }, noWarn))
    expect(none).toBeInstanceOf(ConfigError)
    expect((none as ConfigError).message).toMatch(/^--key-file: an admin key is needed: pass --key-file <path> .* or set QUORATE_ADMIN_KEY/)
    expect(((await err(readAdminKey({ keyFile: 'x', key: KEY, env: {} }, () => undefined))) as ConfigError).field).toBe('--key')
    expect(((await err(readAdminKey({ keyFile: join(tmp.dir, 'missing'), env: {} }, noWarn))) as Error).message).toMatch(/^--key-file: cannot read the admin key file/)
    expect(((await err(readAdminKey({ keyFile: await keyFile('0x1234'), env: {} }, noWarn))) as Error).message).toMatch(/^--key-file: .* must hold a 32-byte private key as hex/)
    // Zero is not a secp256k1 private key.
    expect(((await err(readAdminKey({ keyFile: await keyFile(`0x${'00'.repeat(32)}`), env: {} }, noWarn))) as Error).message).toMatch(/is not a valid secp256k1 private key/)
    expect(((await err(readAdminKey({ env: { QUORATE_ADMIN_KEY: 'nope' } }, noWarn))) as ConfigError).field).toBe('QUORATE_ADMIN_KEY')
  })
})

describe('createAdminKeyFile', () => {
  it('writes a new key readable by the owner only, and never overwrites one', async () => {
    const file = join(tmp.dir, 'admin.key')
    const address = await createAdminKeyFile(file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await addressOfKeyFile(file, '--data-dir')).toBe(address)
    expect((await readAdminKey({ keyFile: file, env: {} }, noWarn)).address).toBe(address)
    const before = await readFile(file, 'utf8')
    await expect(createAdminKeyFile(file)).rejects.toThrow(/already exists; an admin key is never overwritten/)
    expect(await readFile(file, 'utf8')).toBe(before)
  })
})
