/**
 * The node's config file (`<dataDir>/config.json`): validated with zod; every error names the field.
 * Paths inside it are relative to the data folder. CLI flags override file values.
 */
import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { RELEASE_PROTOCOLS } from '../chain/params.js'
import { overlappingOverrides } from '../consensus/validator-override.js'
import { ConfigError, StartError } from '../errors.js'
import { GRANT_PATTERN } from '../rpc/auth.js'
import { address, parseWith, port } from '../validation.js'

const grant = z.string().regex(GRANT_PATTERN, 'a namespace (admin), its reads (gov:read), a method name (admin_peers) or *')

/**
 * Every object is strict (z.strictObject): an unknown key is refused with its path and the likely
 * key meant (validation.ts); parseConfigText refuses unknown keys of any object, so a nested object
 * added without z.strictObject is checked all the same. Use z.strictObject for new objects anyway.
 */
export const NodeConfigSchema = z.strictObject({
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
      /**
       * Grants of anonymous callers (docs/security.md). Default: every namespace on a loopback
       * bind; eth, net, web3, qbft and gov:read on any other address.
       */
      namespaces: z.array(grant).optional(),
      auth: z
        .object({
          /** 32 bytes as hex, as geth's jwtsecret; relative to the data folder. */
          jwtSecretFile: z.string().min(1).optional(),
          /** Grants of a valid JWT. */
          jwtNamespaces: z.array(grant).default(['*']),
          apiKeys: z
            .array(
              z.strictObject({
                name: z.string().regex(/^[\w.@-]{1,64}$/, 'letters, digits, . _ @ - (at most 64)'),
                sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the key as 64 hex digits (quorate rpc-key new prints it)'),
                namespaces: z.array(grant).min(1),
              }),
            )
            .default([]),
        })
        .prefault({}),
      /** Start on a non-loopback rpc.host with no rpc.auth configured (anonymous callers get the read-only namespaces). */
      allowPublicWithoutAuth: z.boolean().default(false),
      /** Highest gas of one eth_call / eth_estimateGas (geth's --rpc.gascap); a higher gas is lowered to it. 0 = no cap. */
      gasCap: z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/)]).default(50_000_000).transform((v) => BigInt(v)),
      /** Time limit of one eth_call or one whole eth_estimateGas, ms (geth's --rpc.evmtimeout). 0 = none. */
      evmTimeoutMs: z.number().int().nonnegative().default(5000),
      /** Worker threads running eth_call / eth_estimateGas. */
      callWorkers: z.number().int().min(1).max(64).default(1),
      /** Calls that may wait for a worker; more are refused with -32005. */
      callQueueSize: z.number().int().nonnegative().default(64),
      /** Limits of issue #9; docs/rpc.md "Limits" says what each answers. */
      maxResponseBytes: z.number().int().positive().default(25 * 1024 * 1024),
      maxPendingResponseBytes: z.number().int().positive().default(128 * 1024 * 1024),
      batchTimeoutMs: z.number().int().nonnegative().default(30_000),
      maxConnections: z.number().int().positive().default(1000),
      maxConnectionsPerIp: z.number().int().positive().default(200),
      maxWsConnections: z.number().int().positive().default(100),
      idleTimeoutMs: z.number().int().positive().default(30_000),
      requestTimeoutMs: z.number().int().positive().default(30_000),
      maxConcurrentRequestsPerIp: z.number().int().positive().default(4),
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
      listen: z.strictObject({ host: z.string().default('0.0.0.0'), port }).optional(),
      peers: z.array(z.strictObject({ url: z.string().regex(/^wss:\/\/[^/]+$/, 'expected wss://host:port'), address: address.optional() })).default([]),
      /** Node addresses allowed to connect besides the validators and the listed peers (e.g. observers). */
      allowedNodes: z.array(address).default([]),
      tlsCertFile: z.string().default('tls.crt'),
      tlsKeyFile: z.string().default('tls.key'),
      proxy: z.string().url().optional(),
      /** The signed handshake, both directions. */
      handshakeTimeoutMs: z.number().int().positive().default(5000),
      /** From TCP accept to an authenticated peer: TLS, WebSocket upgrade and signed handshake. */
      inboundTimeoutMs: z.number().int().positive().default(10_000),
      /** Inbound connections not yet authenticated, in total and from one IP address. */
      maxPendingHandshakes: z.number().int().positive().default(64),
      maxPendingHandshakesPerIp: z.number().int().positive().default(8),
      /** Per-peer budgets of unsolicited traffic (network/budget.ts); over them frames are dropped and penalised. */
      peerBudget: z
        .object({
          gossipBytesPerSecond: z.number().int().positive().default(8 * 1024 * 1024),
          gossipBurstBytes: z.number().int().positive().default(32 * 1024 * 1024),
          requestsPerSecond: z.number().positive().default(50),
          requestBurst: z.number().int().positive().default(500),
          servedBytesPerSecond: z.number().int().positive().default(16 * 1024 * 1024),
          servedBurstBytes: z.number().int().positive().default(64 * 1024 * 1024),
          throttledShare: z.number().positive().max(1).default(0.25),
        })
        .prefault({}),
    })
    .prefault({}),
  txpool: z
    .object({
      maxPerSender: z.number().int().positive().default(1000),
      maxTotal: z.number().int().positive().default(10_000),
      maxTxBytes: z.number().int().positive().default(128 * 1024),
      /** Serialized bytes of all pooled transactions together (64 MiB). */
      maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
      /** Most JSON bytes (estimated) one txpool_content / txpool_contentFrom / txpool_contentPage answer holds (4 MiB). */
      contentMaxBytes: z.number().int().positive().default(4 * 1024 * 1024),
      /** Save the pool to `<dataDir>/transactions.rlp` and reload it at start (geth's journal). */
      journal: z.boolean().default(true),
      /** How often the journal is rewritten when the pool changed (10 s); a kill -9 loses at most this much. */
      journalIntervalMs: z.number().int().positive().default(10_000),
      minGasPrice: z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/)]).default(0).transform((v) => BigInt(v)),
    })
    .prefault({}),
  privacy: z
    .object({
      /** Anchor the access log head on chain at least this often while the log grows (60 s): the most an operator could cut unseen. */
      logAnchorIntervalMs: z.number().int().min(1000).default(60_000),
      /** ... and as soon as this many entries were appended since the last anchor (100). */
      logAnchorEntries: z.number().int().positive().default(100),
    })
    .prefault({}),
  /** Where Prometheus scrapes /metrics (docs/operations.md, "Endpoints"). */
  metrics: z
    .object({
      /** Serve /metrics on the JSON-RPC port too (default true). */
      onRpcPort: z.boolean().default(true),
      /** A separate listener for /metrics, /health and /ready on this port; unset: none. */
      port: port.optional(),
      host: z.string().default('127.0.0.1'),
    })
    .strict()
    .prefault({}),
  /** The operator dashboard (docs/operations.md "Dashboard"). */
  dashboard: z
    .object({
      /** Alertmanager base URL (http://host:9093): the node reads its active alerts for the page. */
      alertmanagerUrl: z.string().url().optional(),
      /** Prometheus base URL (http://host:9090), read when no Alertmanager is set. */
      prometheusUrl: z.string().url().optional(),
      /** Sampling interval of the history chart (10 s; one hour is kept). */
      historyIntervalMs: z.number().int().min(1000).default(10_000),
    })
    .strict()
    .prefault({}),
  /** Recovery of a halted chain only (docs/runbooks/recovery.md). */
  consensus: z
    .object({
      /** The validator set for a range of blocks, instead of the governance state; the same on every node. */
      validatorOverrides: z
        .array(
          z
            .object({
              fromBlock: z.number().int().positive(),
              toBlock: z.number().int().positive().optional(),
              validators: z.array(address).min(1),
            })
            .strict()
            .refine((o) => o.toBlock === undefined || o.toBlock >= o.fromBlock, { message: 'toBlock must not be below fromBlock', path: ['toBlock'] }),
        )
        .default([])
        .superRefine((list, ctx) => {
          const overlap = overlappingOverrides(list)
          if (overlap) ctx.addIssue({ code: 'custom', message: overlap })
        }),
    })
    .strict()
    .prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Restricts the protocol versions this node accepts to some of those its release implements
   * (chain/params.ts RELEASE_PROTOCOLS). For rehearsing a rolling upgrade only: a node so restricted
   * behaves as an older release would and stops before a block of any other version.
   */
  supportedProtocols: z.array(z.enum(RELEASE_PROTOCOLS)).min(1).optional(),
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
    if (!(await stat(dataDir).then((s) => s.isDirectory(), () => false))) throw new StartError('DATA_DIR_MISSING', `the data folder ${resolve(dataDir)} does not exist`)
    throw new ConfigError('', `no ${CONFIG_FILE} in ${resolve(dataDir)}`, { code: 'CONFIG_MISSING', details: 'run `quorate init` first, or pass --data-dir of an initialised node' })
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
  return parseWith(NodeConfigSchema, json, source, { unknownKeys: 'refuse' })
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
