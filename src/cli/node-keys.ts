/**
 * `quorate keys show`: the public keys of a node folder, as governance registers them — the node
 * address (AddNode `--node`) and the X25519 encryption public key (AddNode `--encryption-key`).
 * Reads the key files of the folder; never prints a private key.
 */
import { join, resolve } from 'node:path'
import { Command } from 'commander'
import { CONFIG_FILE, loadNodeConfig } from '../node/config.js'
import { readNodeIdentity, type NodeIdentity } from '../node/identity.js'
import { exists } from '../node/init.js'

export async function showNodeKeys(dataDir: string): Promise<NodeIdentity> {
  const nodeKeyFile = (await exists(join(dataDir, CONFIG_FILE))) ? (await loadNodeConfig(dataDir)).nodeKeyFile : undefined
  return readNodeIdentity(dataDir, nodeKeyFile)
}

export function formatNodeKeys(id: NodeIdentity): string {
  return [`node address    ${id.address}`, `encryption key  ${id.encryptionKey ?? 'none (this folder cannot receive private data)'}`, ''].join('\n')
}

export function keysCommand(): Command {
  const keys = new Command('keys').description("a node's public keys")
  keys
    .command('show')
    .description('print the node address and the encryption public key of a node folder (what AddNode registers)')
    .requiredOption('--data-dir <dir>', 'the node folder')
    .option('--json', 'print JSON', false)
    .action(async (o: { dataDir: string; json: boolean }) => {
      const id = await showNodeKeys(resolve(o.dataDir))
      process.stdout.write(o.json ? `${JSON.stringify({ address: id.address, encryptionKey: id.encryptionKey ?? null }, null, 2)}\n` : formatNodeKeys(id))
    })
  return keys
}
