/**
 * A node's public identity, read from its data folder: the node address (from node.key) and the
 * X25519 public key of its encryption key (from encryption.key), the two values governance
 * registers for the node (AddNode `node` and `encryptionKey`). It reads key files and prints no secret.
 */
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import { privateKeyToAddress } from '../crypto/keys.js'
import { ENCRYPTION_KEY_FILE, readEncryptionKeyFile } from '../privacy/keys.js'
import type { Address, Hex } from '../types.js'
import { readKeyFile } from './keyfile.js'
import { exists } from './init.js'

export interface NodeIdentity {
  address: Address
  /** undefined when the folder has no encryption key (a node made before private data support). */
  encryptionKey: Hex | undefined
}

export async function readNodeIdentity(dataDir: string, nodeKeyFile = 'node.key'): Promise<NodeIdentity> {
  const address = privateKeyToAddress(await readKeyFile(join(dataDir, nodeKeyFile)))
  const encFile = join(dataDir, ENCRYPTION_KEY_FILE)
  const encryptionKey = (await exists(encFile)) ? (bytesToHex((await readEncryptionKeyFile(encFile)).publicKey) as Hex) : undefined
  return { address, encryptionKey }
}
