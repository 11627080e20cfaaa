/** The node key file: one 0x-prefixed hex private key, readable by the owner only. */
import { readFile, writeFile } from 'node:fs/promises'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { StartError } from '../errors.js'
import { isValidPrivateKey } from '../crypto/native.js'

export async function readKeyFile(file: string): Promise<Uint8Array> {
  let text: string
  try {
    text = (await readFile(file, 'utf8')).trim()
  } catch {
    throw new StartError('NODE_KEY_INVALID', `cannot read the node key ${file}`, { field: 'nodeKeyFile' })
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new StartError('NODE_KEY_INVALID', `${file} must hold a 0x-prefixed 32-byte hex private key`, { field: 'nodeKeyFile' })
  const key = hexToBytes(text as `0x${string}`)
  if (!isValidPrivateKey(key)) throw new StartError('NODE_KEY_INVALID', `${file} does not hold a valid secp256k1 private key`, { field: 'nodeKeyFile' })
  return key
}

export async function writeKeyFile(file: string, key: Uint8Array): Promise<void> {
  await writeFile(file, `${bytesToHex(key)}\n`, { mode: 0o600, flag: 'wx' })
}
