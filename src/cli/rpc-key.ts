/**
 * `quorate rpc-key new`: makes a per-party JSON-RPC API key. The key is printed once, with the
 * config entry that holds only its SHA-256, so the node's config file never contains a secret.
 * It does not edit config files: the operator pastes the entry where it belongs.
 */
import { Command, InvalidArgumentError } from 'commander'
import { GRANT_PATTERN, newApiKey, type ApiKeyGrant } from '../rpc/auth.js'

export interface NewRpcKey {
  /** The bearer token to hand to the caller. */
  key: string
  /** The entry for `rpc.auth.apiKeys` in config.json. */
  entry: ApiKeyGrant
}

export function makeRpcKey(name: string, namespaces: readonly string[]): NewRpcKey {
  const { key, sha256 } = newApiKey()
  return { key, entry: { name, sha256, namespaces: [...namespaces] } }
}

export function formatRpcKey({ key, entry }: NewRpcKey): string {
  return [
    `API key "${entry.name}" (shown only now; the node stores its SHA-256, not the key):`,
    '',
    `  ${key}`,
    '',
    'Add this entry to rpc.auth.apiKeys in the node\'s config.json and restart the node:',
    '',
    `  ${JSON.stringify(entry)}`,
    '',
    'Callers send it as "Authorization: Bearer <key>" (browsers on WebSocket: ws://host:port/?token=<key>).',
    '',
  ].join('\n')
}

function grants(value: string, previous: string[] | undefined): string[] {
  const list = value.split(',').map((g) => g.trim()).filter(Boolean)
  for (const g of list) {
    if (!GRANT_PATTERN.test(g)) throw new InvalidArgumentError(`"${g}" is not a grant: use a namespace (admin), its reads (gov:read), a method name (admin_peers) or *`)
  }
  return [...(previous ?? []), ...list]
}

export function rpcKeyCommand(): Command {
  const cmd = new Command('rpc-key').description('API keys for the JSON-RPC API (see docs/security.md)')
  cmd
    .command('new')
    .description('make an API key: prints the key once and the config entry with its hash')
    .requiredOption('--name <name>', 'who holds the key (a party or tool); logged with each call it makes', (v: string) => {
      if (!/^[\w.@-]{1,64}$/.test(v)) throw new InvalidArgumentError('--name: letters, digits, . _ @ - (at most 64)')
      return v
    })
    .option('--namespaces <list>', 'what the key may call, comma-separated or repeated: namespaces (admin,priv), reads (gov:read), methods (txpool_status) or * (default)', grants)
    .option('--json', 'print { key, entry } as JSON', false)
    .action((o: { name: string; namespaces?: string[]; json: boolean }) => {
      const made = makeRpcKey(o.name, o.namespaces ?? ['*'])
      process.stdout.write(o.json ? `${JSON.stringify(made, null, 2)}\n` : formatRpcKey(made))
    })
  return cmd
}
