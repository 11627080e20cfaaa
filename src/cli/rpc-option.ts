/**
 * The `--rpc <url>` option of every command that talks to one node (gov, party offboard, data): the
 * same default everywhere, the local node's JSON-RPC port, or QUORATE_RPC when set.
 */
import { Option } from 'commander'

export const RPC_URL_ENV = 'QUORATE_RPC'
export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545'

export function defaultRpcUrl(env: Record<string, string | undefined> = process.env): string {
  return env[RPC_URL_ENV] || DEFAULT_RPC_URL
}

export function rpcOption(description = 'a node RPC URL'): Option {
  return new Option('--rpc <url>', description).default(defaultRpcUrl(), `$${RPC_URL_ENV}, else ${DEFAULT_RPC_URL}`)
}
