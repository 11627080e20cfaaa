/**
 * Running a node as a service: open the data folder, start block production and the JSON-RPC
 * server, and stop both on SIGINT/SIGTERM. Used by `quorate start` (and so by each devnet node).
 */
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { errorMessage } from '../errors.js'
import { DEFAULT_MAX_BLOCKS_BEHIND, NodeHealth, stalledAfterMs } from '../ops/health.js'
import { FleetMonitor } from '../ops/fleet-monitor.js'
import { ChainHistory } from '../ops/history.js'
import { activeAlerts } from '../ops/alerts.js'
import { opsMethods } from '../rpc/ops.js'
import { createMetrics } from '../ops/metrics.js'
import { MetricsServer } from '../ops/metrics-server.js'
import { bindNodeMetrics, metricsRoute } from '../ops/node-metrics.js'
import { rpcCallObserver } from '../ops/rpc-metrics.js'
import { RpcServer } from '../rpc/server.js'
import { createRpcAccess } from '../rpc/auth.js'
import { dashboardRoute } from '../ops/dashboard.js'
import { ethMethods } from '../rpc/eth.js'
import { Filters } from '../rpc/filters.js'
import { miscMethods } from '../rpc/misc.js'
import { qbftMethods, signerMetrics } from '../rpc/qbft.js'
import { govMethods, GovernanceQueries } from '../rpc/gov.js'
import { privMethods } from '../rpc/priv.js'
import { openPrivacy } from '../privacy/service.js'
import { CLIENT_VERSION, Node } from './node.js'
import type { NodeConfig } from './config.js'

export interface RunningNode {
  node: Node
  rpc: RpcServer
  /** The separate metrics listener, when config.metrics.port is set. */
  metricsServer: MetricsServer | undefined
  stop(): Promise<void>
}

export async function startNode(dataDir: string, config: NodeConfig, logger: Logger): Promise<RunningNode> {
  // First: a public bind without authentication is refused before anything is opened.
  const rpcLogger = logger.child({ module: 'rpc' })
  const access = await createRpcAccess(config.rpc, dataDir, { logger: rpcLogger })
  if (config.rpc.cors.includes('*')) {
    rpcLogger.warn('rpc.cors is ["*"]: any web page a user of this machine opens can call this node; list the origins that need it instead')
  }
  if (access.publicBind) {
    rpcLogger.info({ host: config.rpc.host, anonymous: access.anonymousGrants, auth: access.authConfigured }, 'JSON-RPC on a non-loopback address: anonymous callers get only these namespaces')
  }
  const metrics = createMetrics(new Registry(), { onHookError: (err) => logger.warn({ err: errorMessage(err) }, 'a metrics source failed') })
  const node = await Node.open(dataDir, config, { logger, peerMetrics: metrics.p2p })
  const privacy = await openPrivacy(node, logger.child({ module: 'privacy' }), { logAnchorIntervalMs: config.privacy.logAnchorIntervalMs, logAnchorEntries: config.privacy.logAnchorEntries }).catch(async (err: unknown) => {
    await node.stop()
    throw err
  })
  const filters = new Filters(
    node,
    { maxFilters: config.rpc.maxFilters, maxFiltersPerClient: config.rpc.maxFiltersPerClient, ttlMs: config.rpc.filterTimeoutMs },
    { metrics: metrics.rpcLimits },
  )
  const gov = node.governance && new GovernanceQueries(node.governance)
  const metricsBinding = bindNodeMetrics(node, metrics, {
    logger: logger.child({ module: 'metrics' }),
    ...(gov ? { openProposals: async () => (await gov.proposals(node.head, 'open')).length } : {}),
    ...(privacy ? { privateRecords: async () => (await privacy.store.list()).length, privatePurges: async () => privacy.store.erased } : {}),
  })
  const fleet = new FleetMonitor(
    node,
    { stalledAfterMs: () => stalledAfterMs(node.paramsOfNextBlock.emptyBlockPeriodMs), maxBlocksBehind: DEFAULT_MAX_BLOCKS_BEHIND },
    {
      ...(gov ? { nodes: () => gov.nodes(node.head) } : {}),
      validators: () => node.validators.validatorsAfter(node.head),
      lastActive: async (from, to) => {
        const last = new Map<string, number>()
        for (const m of await signerMetrics(node, BigInt(from), BigInt(to))) {
          const n = Math.max(Number(m.lastSealedBlockNumber ?? -1n), Number(m.lastProposedBlockNumber ?? -1n))
          if (n >= 0) last.set(m.address.toLowerCase(), n)
        }
        return last
      },
    },
  )
  const health = new NodeHealth(node, {}, Date.now, fleet)
  const history = new ChainHistory()
  const onBlock = (record: { block: { transactions: readonly unknown[] } }) => history.onBlock(record.block.transactions.length, Date.now())
  node.on('block', onBlock)
  const sampler = setInterval(() => history.sample(Date.now(), Number(node.head.header.number), node.peerCount()), config.dashboard.historyIntervalMs)
  sampler.unref()
  const rpc = new RpcServer(
    {
      host: config.rpc.host,
      port: config.rpc.port,
      cors: config.rpc.cors.includes('*') ? '*' : config.rpc.cors,
      maxRequestBytes: config.rpc.maxRequestBytes,
      maxBatchSize: config.rpc.maxBatchSize,
      maxResponseBytes: config.rpc.maxResponseBytes,
      maxPendingResponseBytes: config.rpc.maxPendingResponseBytes,
      batchTimeoutMs: config.rpc.batchTimeoutMs,
      maxConnections: config.rpc.maxConnections,
      maxConnectionsPerIp: config.rpc.maxConnectionsPerIp,
      maxWsConnections: config.rpc.maxWsConnections,
      idleTimeoutMs: config.rpc.idleTimeoutMs,
      requestTimeoutMs: config.rpc.requestTimeoutMs,
      maxConcurrentRequestsPerIp: config.rpc.maxConcurrentRequestsPerIp,
      wsMaxQueuedMessages: config.rpc.wsMaxQueuedMessages,
      wsMaxQueuedBytes: config.rpc.wsMaxQueuedBytes,
      wsMaxBufferedBytes: config.rpc.wsMaxBufferedBytes,
      wsSendTimeoutMs: config.rpc.wsSendTimeoutMs,
      methods: { ...ethMethods(node), ...filters.methods(), ...miscMethods(node, { peerCount: () => node.peerCount() }, { contentMaxBytes: config.txpool.contentMaxBytes }), ...qbftMethods(node), ...(node.governance ? govMethods(node, node.governance) : {}), ...(privacy ? privMethods(privacy) : {}),
        ...opsMethods({ fleet: () => fleet.report(), history: (since) => history.samples(since), alerts: () => activeAlerts(config.dashboard) }),
      },
      banner: { client: CLIENT_VERSION, chainId: Number(node.chainId) },
      httpRoutes: [dashboardRoute({ logger: logger.child({ module: 'dashboard' }) }), ...(config.metrics.onRpcPort ? [metricsRoute(metrics)] : []), ...health.routes()],
    },
    { logger: rpcLogger, access, metrics: metrics.rpcLimits, observer: rpcCallObserver(metrics.rpc) },
  )
  const metricsServer =
    config.metrics.port !== undefined
      ? new MetricsServer({ host: config.metrics.host, port: config.metrics.port }, [metricsRoute(metrics), ...health.routes()], logger.child({ module: 'metrics' }))
      : undefined
  try {
    await rpc.start()
    await metricsServer?.start()
  } catch (err) {
    await rpc.stop()
    await privacy?.stop()
    await node.stop()
    throw err
  }
  try {
    await node.start()
    privacy?.start()
  } catch (err) {
    await metricsServer?.stop()
    await rpc.stop()
    await privacy?.stop()
    await node.stop()
    throw err
  }
  let stopped: Promise<void> | undefined
  return {
    node,
    rpc,
    metricsServer,
    stop: () =>
      (stopped ??= (async () => {
        filters.close()
        metricsBinding.unbind()
        health.close()
        await metricsServer?.stop()
        fleet.close()
        clearInterval(sampler)
        node.off('block', onBlock)
        await rpc.stop()
        await privacy?.stop()
        await node.stop()
      })()),
  }
}
