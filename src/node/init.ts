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
import { parseGenesis, type GenesisInput } from '../chain/genesis.js'
import { ENCRYPTION_KEY_FILE, writeEncryptionKeyFile } from '../privacy/keys.js'
import type { Hex } from '../types.js'

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

export interface InitResult {
  dataDir: string
  address: Address
  /** X25519 public key of the node's encryption key (register it in governance as `encryptionKey`). */
  encryptionKey: Hex
}

/** Creates the folder with a fresh node key, encryption key and TLS identity; returns the node's address and public encryption key. */
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
  const encryptionKey = await writeEncryptionKeyFile(join(dataDir, ENCRYPTION_KEY_FILE))
  return { dataDir, address, encryptionKey }
}

/** Writes the genesis and the config of a folder made by createNodeKeys (both validated first). */
export async function writeNodeFiles(dataDir: string, genesis: GenesisInput, config: NodeConfigInput): Promise<void> {
  parseGenesis(genesis, 'genesis')
  const parsed = NodeConfigSchema.parse(config)
  await writeFile(join(dataDir, parsed.genesisFile), `${JSON.stringify(genesis, null, 2)}\n`)
  await writeFile(join(dataDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`)
}

export interface NetworkNodeSpec {
  name: string
  dataDir: string
  rpcPort: number
  /** P2P port to listen on; undefined makes an outbound-only node. */
  p2pPort?: number
  /** Whether the node's key is a validator in the genesis (default true). */
  validator?: boolean
}

export interface NetworkNode extends NetworkNodeSpec {
  address: Address
  encryptionKey: Hex
  rpcUrl: string
  wsUrl: string
  p2pUrl?: string
}

/** Creates the key of every node of a network on this machine (their folders must not exist yet). */
export async function createNetworkKeys(specs: NetworkNodeSpec[]): Promise<NetworkNode[]> {
  const nodes: NetworkNode[] = []
  for (const spec of specs) {
    const { address, encryptionKey } = await createNodeKeys(spec.dataDir)
    nodes.push({
      ...spec,
      address,
      encryptionKey,
      rpcUrl: `http://127.0.0.1:${spec.rpcPort}`,
      wsUrl: `ws://127.0.0.1:${spec.rpcPort}`,
      ...(spec.p2pPort !== undefined ? { p2pUrl: `wss://127.0.0.1:${spec.p2pPort}` } : {}),
    })
  }
  return nodes
}

/** Writes one shared genesis and each node's config: every node dials every listening node and allows every node. */
export async function writeNetworkFiles(nodes: NetworkNode[], genesis: GenesisInput, config: { cors?: string[]; logLevel?: 'info' | 'debug' | 'warn' } = {}): Promise<void> {
  for (const node of nodes) {
    await writeNodeFiles(node.dataDir, genesis, {
      name: node.name,
      rpc: { port: node.rpcPort, ...(config.cors ? { cors: config.cors } : {}) },
      p2p: {
        ...(node.p2pPort !== undefined ? { listen: { host: '127.0.0.1', port: node.p2pPort } } : {}),
        peers: nodes.filter((p) => p !== node && p.p2pUrl).map((p) => ({ url: p.p2pUrl!, address: p.address })),
        allowedNodes: nodes.filter((p) => p !== node).map((p) => p.address),
      },
      ...(config.logLevel ? { logLevel: config.logLevel } : {}),
    })
  }
}

/** A whole network without governance: the validator nodes of `specs` are the genesis validators. */
export async function initNetwork(
  specs: NetworkNodeSpec[],
  genesis: Omit<GenesisInput, 'validators'>,
  config: { cors?: string[]; logLevel?: 'info' | 'debug' | 'warn' } = {},
): Promise<NetworkNode[]> {
  const nodes = await createNetworkKeys(specs)
  await writeNetworkFiles(nodes, { ...genesis, validators: nodes.filter((n) => n.validator !== false).map((n) => n.address) }, config)
  return nodes
}
