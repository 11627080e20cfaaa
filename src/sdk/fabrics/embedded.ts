/**
 * The `embedded` fabric: a single-validator Quorate chain inside the process, for application
 * tests and demos. No port is opened: viem's requests go through a custom transport straight into
 * the node's JSON-RPC dispatcher, the same method handlers a node serves over HTTP, so behaviour
 * (errors included) is the node's. The chain store is LevelDB and needs a folder: without
 * `dataDir` a temporary folder is made and deleted on close (the chain is then gone); with one,
 * the chain persists and is reopened next time. The development accounts (the Hardhat/Anvil
 * mnemonic) are funded at genesis. The node starts on the first request, not on creation.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { custom, RpcRequestError } from 'viem'
import { devAccounts } from '../../crypto/dev-accounts.js'
import { Node } from '../../node/node.js'
import { CONFIG_FILE, loadNodeConfig } from '../../node/config.js'
import { createNodeKeys, exists, writeNodeFiles } from '../../node/init.js'
import { createLogger, silentLogger } from '../../ops/logger.js'
import { RpcDispatcher } from '../../rpc/dispatch.js'
import { ethMethods } from '../../rpc/eth.js'
import { Filters } from '../../rpc/filters.js'
import { miscMethods } from '../../rpc/misc.js'
import { qbftMethods } from '../../rpc/qbft.js'
import { LedgerError } from '../errors.js'
import type { Fabric } from '../fabric.js'
import { rpcFabric } from './evm.js'
import { once } from './transport.js'

export interface EmbeddedFabricOptions {
  /** Folder of the chain; created on first use. Default: a temporary folder removed on close. */
  dataDir?: string
  /** Chain id of a new chain (default 1337). */
  chainId?: number
  /** Block period of a new chain in ms (default 100: a transaction is final within about that). */
  blockPeriodMs?: number
  /** How many development accounts a new chain funds (default 10). */
  accounts?: number
  /** Node log level (default silent). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
}

interface Running {
  node: Node
  dispatcher: RpcDispatcher
  filters: Filters
  dir: string
  temporary: boolean
}

let nextId = 1

export function embedded(opts: EmbeddedFabricOptions = {}): Fabric {
  let closed = false
  const start = once(() => startEmbedded(opts))
  let started: Promise<Running> | undefined
  const running = (): Promise<Running> => {
    if (closed) return Promise.reject(new LedgerError('UNREACHABLE', 'the embedded chain is closed'))
    started ??= start()
    return started
  }
  const transport = custom(
    {
      async request({ method, params }: { method: string; params?: unknown }) {
        const { dispatcher } = await running()
        const body = { jsonrpc: '2.0', id: nextId++, method, params: params ?? [] }
        const text = await dispatcher.handle(JSON.stringify(body), () => ({ ctx: { transport: 'http', remoteAddress: 'embedded' }, end: () => undefined }))
        const answer = JSON.parse(text ?? 'null') as { result?: unknown; error?: { code: number; message: string; data?: unknown } } | null
        if (answer?.error) throw new RpcRequestError({ body, error: answer.error, url: 'embedded' })
        return answer?.result
      },
    },
    { key: 'embedded', name: 'Embedded Quorate', retryCount: 0 },
  )
  return rpcFabric(
    'embedded',
    transport,
    async (chainId) => ({ fabric: 'embedded', chainId, finality: { kind: 'instant' }, privateData: false, accessLog: false, governance: false, events: true, subscriptions: false }),
    async () => {
      if (closed) return
      closed = true
      if (!started) return
      const r = await started.catch(() => undefined)
      if (!r) return
      r.filters.close()
      await r.node.stop()
      if (r.temporary) await rm(r.dir, { recursive: true, force: true })
    },
  )
}

async function startEmbedded(opts: EmbeddedFabricOptions): Promise<Running> {
  const temporary = opts.dataDir === undefined
  const dir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'quorate-embedded-')))
  const logger = opts.logLevel ? createLogger({ level: opts.logLevel }) : silentLogger()
  try {
    if (!(await exists(join(dir, CONFIG_FILE)))) {
      const { address } = await createNodeKeys(dir)
      const alloc = Object.fromEntries(devAccounts(opts.accounts ?? 10).map((a) => [a.address, { balance: (10n ** 24n).toString() }]))
      const blockPeriodMs = opts.blockPeriodMs ?? 100
      await writeNodeFiles(
        dir,
        { config: { chainId: opts.chainId ?? 1337, blockPeriodMs, emptyBlockPeriodMs: Math.max(blockPeriodMs, 5_000) }, validators: [address], alloc },
        { name: 'embedded', txpool: { journal: false } },
      )
    }
    const config = await loadNodeConfig(dir)
    const node = await Node.open(dir, config, { logger })
    const filters = new Filters(node, { maxFilters: config.rpc.maxFilters, maxFiltersPerClient: config.rpc.maxFiltersPerClient, ttlMs: config.rpc.filterTimeoutMs })
    const dispatcher = new RpcDispatcher(
      { methods: { ...ethMethods(node), ...filters.methods(), ...miscMethods(node, { peerCount: () => 0 }, { contentMaxBytes: config.txpool.contentMaxBytes }), ...qbftMethods(node) } },
      { logger },
    )
    await node.start()
    return { node, dispatcher, filters, dir, temporary }
  } catch (err) {
    if (temporary) await rm(dir, { recursive: true, force: true })
    throw new LedgerError('UNREACHABLE', `the embedded chain could not start in ${dir}`, { cause: err })
  }
}
