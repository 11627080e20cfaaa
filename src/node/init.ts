/**
 * Initialising a node's data folder: a node key, a TLS identity, a genesis and a config file.
 * Refuses to overwrite an initialised folder, so a key can never be lost by a second `init`.
 */
import { access, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors.js'
import { generatePrivateKey, privateKeyToAddress } from '../crypto/keys.js'
import { generateTlsIdentity } from '../network/tls.js'
import type { Address } from '../types.js'
import { CONFIG_FILE, NodeConfigSchema, type NodeConfigInput } from './config.js'
import { writeKeyFile } from './keyfile.js'
import type { GenesisInput } from '../chain/genesis.js'
import { parseGenesis } from '../chain/genesis.js'

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

export interface InitResult {
  dataDir: string
  address: Address
}

/** Creates the folder with a fresh node key and TLS identity; returns the node's address. */
export async function createNodeKeys(dataDir: string): Promise<InitResult> {
  if (await exists(join(dataDir, CONFIG_FILE))) {
    throw new ConfigError('data-dir', `${dataDir} is already initialised`, { details: 'choose another folder; a node key is never overwritten' })
  }
  await mkdir(dataDir, { recursive: true })
  const key = generatePrivateKey()
  await writeKeyFile(join(dataDir, 'node.key'), key)
  const address = privateKeyToAddress(key)
  const tls = await generateTlsIdentity(address)
  await writeFile(join(dataDir, 'tls.crt'), tls.certPem)
  await writeFile(join(dataDir, 'tls.key'), tls.keyPem, { mode: 0o600 })
  return { dataDir, address }
}

/** Writes the genesis and the config of a folder made by createNodeKeys (both validated first). */
export async function writeNodeFiles(dataDir: string, genesis: GenesisInput, config: NodeConfigInput): Promise<void> {
  parseGenesis(genesis, 'genesis')
  const parsed = NodeConfigSchema.parse(config)
  await writeFile(join(dataDir, parsed.genesisFile), `${JSON.stringify(genesis, null, 2)}\n`)
  await writeFile(join(dataDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`)
}
