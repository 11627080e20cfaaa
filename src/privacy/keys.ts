/**
 * The node's X25519 encryption key file (`encryption.key`: one 0x-prefixed hex secret key, owner
 * readable only). Its public key is what governance registers as the node's `encryptionKey`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { ConfigError } from '../errors.js'
import type { Hex } from '../types.js'
import { encryptionPublicKey, generateEncryptionKey, type EncryptionKeyPair } from './envelope.js'

export const ENCRYPTION_KEY_FILE = 'encryption.key'

/** Writes a fresh key (never over an existing file); returns its public key. */
export async function writeEncryptionKeyFile(file: string): Promise<Hex> {
  const pair = generateEncryptionKey()
  await writeFile(file, `${bytesToHex(pair.secretKey)}\n`, { mode: 0o600, flag: 'wx' })
  return bytesToHex(pair.publicKey) as Hex
}

export async function readEncryptionKeyFile(file: string): Promise<EncryptionKeyPair> {
  let text: string
  try {
    text = (await readFile(file, 'utf8')).trim()
  } catch {
    throw new ConfigError('encryptionKeyFile', `cannot read the encryption key ${file}`, { details: 'a node initialised before private data support has none: create one with `quorate init` in a new folder, or write 32 random bytes as 0x hex' })
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError('encryptionKeyFile', `${file} must hold a 0x-prefixed 32-byte hex X25519 secret key`)
  const secretKey = hexToBytes(text as Hex)
  return { secretKey, publicKey: encryptionPublicKey(secretKey) }
}
