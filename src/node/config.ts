/**
 * The node's config file (`<dataDir>/config.json`): validated with zod; every error names the field.
 * Paths inside it are relative to the data folder. CLI flags override file values.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { address, parseWith, port } from '../validation.js'

export const NodeConfigSchema = z.object({
  /** A label for logs and status tables, e.g. the party's name. */
  name: z.string().min(1).max(64).default('node'),
  genesisFile: z.string().default('genesis.json'),
  nodeKeyFile: z.string().default('node.key'),
  rpc: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: port.default(8545),
      cors: z.array(z.string()).default([]),
      maxRequestBytes: z.number().int().positive().default(5 * 1024 * 1024),
      maxBatchSize: z.number().int().positive().default(1000),
      /** Limits of issue #9; docs/rpc.md "Limits" says what each answers. */
      maxResponseBytes: z.number().int().positive().default(25 * 1024 * 1024),
      maxPendingResponseBytes: z.number().int().positive().default(256 * 1024 * 1024),
      batchTimeoutMs: z.number().int().nonnegative().default(30_000),
      maxConnections: z.number().int().positive().default(1000),
      maxConnectionsPerIp: z.number().int().positive().default(200),
      maxWsConnections: z.number().int().positive().default(100),
      idleTimeoutMs: z.number().int().positive().default(30_000),
      requestTimeoutMs: z.number().int().positive().default(30_000),
      maxConcurrentRequestsPerIp: z.number().int().positive().default(8),
      wsMaxQueuedMessages: z.number().int().positive().default(16),
      wsMaxQueuedBytes: z.number().int().positive().default(1024 * 1024),
      wsMaxBufferedBytes: z.number().int().positive().default(16 * 1024 * 1024),
      wsSendTimeoutMs: z.number().int().positive().default(10_000),
      maxFilters: z.number().int().positive().default(10_000),
      maxFiltersPerClient: z.number().int().positive().default(100),
      filterTimeoutMs: z.number().int().positive().default(5 * 60_000),
    })
    .prefault({}),
  p2p: z
    .object({
      /** Omit to run outbound-only (no listening port). */
      listen: z.object({ host: z.string().default('0.0.0.0'), port }).optional(),
      peers: z.array(z.object({ url: z.string().regex(/^wss:\/\/[^/]+$/, 'expected wss://host:port'), address: address.optional() })).default([]),
      /** Node addresses allowed to connect besides the validators and the listed peers (e.g. observers). */
      allowedNodes: z.array(address).default([]),
      tlsCertFile: z.string().default('tls.crt'),
      tlsKeyFile: z.string().default('tls.key'),
      proxy: z.string().url().optional(),
    })
    .prefault({}),
  txpool: z
    .object({
      maxPerSender: z.number().int().positive().default(1000),
      maxTotal: z.number().int().positive().default(10_000),
      maxTxBytes: z.number().int().positive().default(128 * 1024),
      minGasPrice: z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/)]).default(0).transform((v) => BigInt(v)),
    })
    .prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export type NodeConfig = z.output<typeof NodeConfigSchema>
export type NodeConfigInput = z.input<typeof NodeConfigSchema>

export const CONFIG_FILE = 'config.json'

export async function loadNodeConfig(dataDir: string): Promise<NodeConfig> {
  const file = join(dataDir, CONFIG_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('', `no ${CONFIG_FILE} in ${resolve(dataDir)}`, { details: 'run `quorate init` first, or pass --data-dir of an initialised node' })
  }
  return parseConfigText(text, file)
}

export function parseConfigText(text: string, source: string): NodeConfig {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError('', `${source} is not valid JSON`, { details: (err as Error).message })
  }
  return parseWith(NodeConfigSchema, json, source)
}

export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('', `cannot read the ${what} ${file}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError('', `the ${what} ${file} is not valid JSON`, { details: (err as Error).message })
  }
}
