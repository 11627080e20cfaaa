/**
 * Admin keys for the governance commands: read from a key file (`--key-file <path>`) or from the
 * QUORATE_ADMIN_KEY environment variable, never from the command line by default, because argv is
 * visible to every user of the machine (`ps`) and lands in shell history. `--key <hex>` exists for
 * development chains only and always prints a warning. Key files are written mode 0600.
 *
 * It owns reading and writing admin keys; it never logs or prints a key.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { generatePrivateKey, privateKeyToAddress } from '../crypto/keys.js'
import { isValidPrivateKey } from '../crypto/native.js'
import { ConfigError } from '../errors.js'
import type { Address, Hex } from '../types.js'

export const ADMIN_KEY_ENV = 'QUORATE_ADMIN_KEY'

export interface AdminKeySources {
  /** `--key-file <path>` */
  keyFile?: string | undefined
  /** `--key <hex>` (development only) */
  key?: string | undefined
  /** The environment (QUORATE_ADMIN_KEY). */
  env?: Record<string, string | undefined>
}

export interface AdminKey {
  privateKey: Hex
  address: Address
  /** Where the key came from, for messages: `--key-file ./admin.key`, `QUORATE_ADMIN_KEY`, `--key`. */
  source: string
}

/** Parses a 0x-hex (or bare hex) secp256k1 private key; `field` names the flag in the error. */
export function parsePrivateKey(text: string, field: string, what: string): Hex {
  const trimmed = text.trim()
  const hex = (trimmed.startsWith('0x') || trimmed.startsWith('0X') ? `0x${trimmed.slice(2)}` : `0x${trimmed}`).toLowerCase()
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new ConfigError(field, `${what} must hold a 32-byte private key as hex (64 hex digits, 0x optional)`)
  if (!isValidPrivateKey(hexToBytes(hex as Hex))) throw new ConfigError(field, `${what} is not a valid secp256k1 private key`)
  return hex as Hex
}

/**
 * The admin key, from exactly one source: `--key-file`, else `--key` (with a warning), else
 * QUORATE_ADMIN_KEY. `warn` receives the warnings (a key file others may read, `--key` on argv).
 */
export async function readAdminKey(sources: AdminKeySources, warn: (message: string) => void): Promise<AdminKey> {
  const env = sources.env ?? process.env
  if (sources.keyFile !== undefined && sources.key !== undefined) {
    throw new ConfigError('--key', 'give the admin key once: --key-file or --key, not both')
  }
  if (sources.keyFile !== undefined) {
    const file = sources.keyFile
    let text: string
    let mode: number
    try {
      ;[text, mode] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mode)])
    } catch {
      throw new ConfigError('--key-file', `cannot read the admin key file ${file}`)
    }
    const privateKey = parsePrivateKey(text, '--key-file', file)
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      warn(`warning: the admin key file ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); fix: chmod 600 ${file}`)
    }
    return { privateKey, address: addressOf(privateKey), source: `--key-file ${file}` }
  }
  if (sources.key !== undefined) {
    warn('warning: --key puts the admin key on the command line (visible in `ps` and shell history); use it on development chains only, else --key-file or QUORATE_ADMIN_KEY')
    const privateKey = parsePrivateKey(sources.key, '--key', 'the --key value')
    return { privateKey, address: addressOf(privateKey), source: '--key' }
  }
  const fromEnv = env[ADMIN_KEY_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    const privateKey = parsePrivateKey(fromEnv, ADMIN_KEY_ENV, `the ${ADMIN_KEY_ENV} environment variable`)
    return { privateKey, address: addressOf(privateKey), source: ADMIN_KEY_ENV }
  }
  throw new ConfigError('--key-file', `an admin key is needed: pass --key-file <path> (a file holding the party admin's private key) or set ${ADMIN_KEY_ENV}`)
}

/** Creates a new admin key in `file` (mode 0600; refuses to overwrite) and returns its address. */
export async function createAdminKeyFile(file: string): Promise<Address> {
  const key = generatePrivateKey()
  try {
    await writeFile(file, `${bytesToHex(key)}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError('--data-dir', `${file} already exists; an admin key is never overwritten`)
    throw new ConfigError('--data-dir', `cannot write the admin key file ${file}: ${(err as Error).message}`)
  }
  return privateKeyToAddress(key)
}

/** The address of the key in an existing key file. */
export async function addressOfKeyFile(file: string, field: string): Promise<Address> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError(field, `cannot read the key file ${file}`)
  }
  return addressOf(parsePrivateKey(text, field, file))
}

function addressOf(privateKey: Hex): Address {
  return privateKeyToAddress(hexToBytes(privateKey))
}
