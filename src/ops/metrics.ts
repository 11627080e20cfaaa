/**
 * Every metric of a node, declared once with its help text, on a Registry the caller passes in
 * (never prom-client's global one, so tests and several nodes in one process do not collide).
 * Modules receive the group they update (`metrics.txpool`, `metrics.p2p`, ...); values that already
 * live in a module (heights, pool sizes, peer counters) are read at scrape time by the hooks that
 * node-metrics.ts registers with `onScrape`.
 *
 * It owns names, help, types, labels and buckets. It must not read any module itself.
 *
 * Scrape consistency: every metric that has values to refresh runs the same `onScrape` hooks, and
 * one scrape runs them once (the first metric collected starts them, the others await the same
 * promise), so `ethereum_blockchain_height` and `quorate_validator_last_sealed_block` come from the
 * same moment. The alert on their difference depends on that.
 *
 * Names: the `ethereum_*` names are those Besu uses for the same quantity, so existing dashboards
 * and habits carry over; everything else is `quorate_*`. The meaning of each is in
 * docs/operations.md.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client'

export type ScrapeHook = () => void | Promise<void>

/** Seconds between consecutive final blocks at this node. */
export const BLOCK_TIME_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 60, 120, 300]
/** Seconds from a transaction entering this node's pool to the final block that includes it. */
export const SUBMIT_TO_FINAL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300]
/** Seconds a JSON-RPC call took, from parsing to its answer being ready. */
export const RPC_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export interface ChainMetrics {
  height: Gauge
  bestKnownBlock: Gauge
  headTimestamp: Gauge
  emptyBlockPeriod: Gauge
  blockTime: Histogram
  transactions: Counter
  levelDbSize: Gauge
  dataDirAvailable: Gauge
  dataDirSize: Gauge
}

export interface ConsensusMetrics {
  round: Gauge
  roundChanges: Counter
  isValidator: Gauge
  validators: Gauge
  seals: Counter<'validator'>
  lastSealedBlock: Gauge<'validator'>
  proposals: Counter<'validator'>
  lastProposedBlock: Gauge<'validator'>
}

export interface TxPoolMetrics {
  transactions: Gauge<'state'>
  maxTransactions: Gauge
  bytes: Gauge
  maxBytes: Gauge
  rejected: Counter<'reason'>
  submitToFinal: Histogram
}

/** Connections to peers opened (by direction) and closed (by kind of reason, see network/errors.ts disconnectKind). */
export interface PeerEventMetrics {
  connects: Counter<'direction'>
  disconnects: Counter<'reason'>
}

export interface P2PMetrics extends PeerEventMetrics {
  peers: Gauge
  maxPeers: Gauge
  peerBytes: Counter<'peer' | 'direction'>
  peerMessages: Counter<'peer' | 'direction'>
  invalidFrames: Counter<'reason'>
  penalties: Counter<'reason'>
  penalisedPeers: Gauge
  bannedPeers: Gauge
  throttledPeers: Gauge
  droppedOverBudget: Counter<'budget'>
  inboundDropped: Counter<'reason'>
  handshakesRefused: Counter<'reason'>
  handshakesRefusedByPeers: Counter<'reason'>
  dialFailures: Counter
}

export interface SyncMetrics {
  syncing: Gauge
  blocksBehind: Gauge
  blocksImported: Counter
  blocksApplied: Counter
  invalidResponses: Counter
  requestsServed: Counter
}

export interface GovernanceMetrics {
  openProposals: Gauge
}

export interface PrivacyMetrics {
  records: Gauge
  purges: Counter
}

export interface RpcLimitMetrics {
  /** Sockets, WebSocket handshakes and filters refused by a JSON-RPC limit, by limit. */
  refused: Counter<'reason'>
  /** Requests answered -32005 instead of being run or built, by limit. */
  limited: Counter<'reason'>
}

/** JSON-RPC calls by method: a registered method's name, or "other" (a bounded label set). */
export interface RpcCallMetrics {
  requests: Counter<'method'>
  errors: Counter<'method' | 'code'>
  duration: Histogram<'method'>
}

export interface QuorateMetrics {
  readonly registry: Registry
  node: { info: Gauge<'version' | 'chain_id' | 'address' | 'name'> }
  chain: ChainMetrics
  consensus: ConsensusMetrics
  txpool: TxPoolMetrics
  p2p: P2PMetrics
  sync: SyncMetrics
  governance: GovernanceMetrics
  privacy: PrivacyMetrics
  rpcLimits: RpcLimitMetrics
  rpc: RpcCallMetrics
  /** Runs `hook` once per scrape, before values are read; returns a function that removes it. */
  onScrape(hook: ScrapeHook): () => void
  /** Runs the scrape hooks now (what a scrape does first); concurrent calls share one run. */
  refresh(): Promise<void>
}

export interface CreateMetricsOptions {
  /** process_* and nodejs_* metrics of prom-client (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean
  /** Called when a scrape hook throws (the scrape goes on with the other hooks). */
  onHookError?: (err: unknown) => void
}

export function createMetrics(registry: Registry, opts: CreateMetricsOptions = {}): QuorateMetrics {
  const hooks = new Set<ScrapeHook>()
  let running: Promise<void> | undefined
  const runHooks = async (): Promise<void> => {
    for (const hook of [...hooks]) {
      try {
        await hook()
      } catch (err) {
        // One failing source must not cost the whole scrape: its metrics keep their last values.
        opts.onHookError?.(err)
      }
    }
  }
  const refresh = (): Promise<void> => {
    // `finally` runs in a later microtask, so `running` is set before it is cleared.
    running ??= runHooks().finally(() => {
      running = undefined
    })
    return running
  }
  const registers = [registry]
  // Metrics whose values are refreshed at scrape time run the hooks first.
  const collect = (): Promise<void> => refresh()

  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    new Gauge<L>({ name, help, labelNames, registers, collect })
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
    new Counter<L>({ name, help, labelNames, registers, collect })
  const histogram = <L extends string = never>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> =>
    new Histogram<L>({ name, help, buckets, labelNames, registers })

  const metrics: QuorateMetrics = {
    registry,
    node: {
      info: gauge('quorate_node_info', 'Always 1; labels identify the node: client version, chain id, node address, configured name', ['version', 'chain_id', 'address', 'name']),
    },
    chain: {
      height: gauge('ethereum_blockchain_height', 'Number of the head block: the highest final block this node has stored'),
      bestKnownBlock: gauge('ethereum_best_known_block_number', 'Highest block number this node knows to exist: its head, or a higher head announced by a peer'),
      headTimestamp: gauge('quorate_chain_head_timestamp_seconds', 'Timestamp field of the head block (seconds since the Unix epoch, set by its proposer)'),
      emptyBlockPeriod: gauge('quorate_chain_empty_block_period_seconds', 'emptyBlockPeriodMs of the chain in seconds: the longest a live chain waits for a block when no transaction is pending'),
      blockTime: histogram('quorate_block_time_seconds', 'Seconds between consecutive final blocks, measured at this node when each became final; blocks imported by sync are not observed', BLOCK_TIME_BUCKETS),
      transactions: counter('quorate_chain_transactions_total', 'Transactions in the final blocks this node stored since it started'),
      levelDbSize: gauge('quorate_leveldb_size_bytes', 'Bytes on disk of the chain database (the chain folder in the data folder), measured at most every 30 s'),
      dataDirAvailable: gauge('quorate_data_dir_filesystem_avail_bytes', 'Bytes available to the node on the filesystem that holds its data folder, measured at most every 30 s'),
      dataDirSize: gauge('quorate_data_dir_filesystem_size_bytes', 'Total bytes of the filesystem that holds the data folder, measured at most every 30 s'),
    },
    consensus: {
      round: gauge('quorate_consensus_round', 'QBFT round this node is in at the height being decided (0 when no round change happened)'),
      roundChanges: counter('quorate_consensus_round_changes_total', 'Round timers this node started above round 0: each one is a round that failed to decide a block'),
      isValidator: gauge('quorate_consensus_is_validator', '1 if this node is a validator of the height being decided, else 0'),
      validators: gauge('quorate_consensus_validators', 'Number of validators of the next block'),
      seals: counter('quorate_validator_seals_total', 'Commit seals by each validator in the final blocks this node stored since it started', ['validator']),
      lastSealedBlock: gauge('quorate_validator_last_sealed_block', 'Number of the last final block whose commit seals (as stored by this node) include a seal of the validator; 0 if none in the blocks read so far. Only current validators are shown', ['validator']),
      proposals: counter('quorate_validator_proposals_total', 'Final blocks proposed by each validator (header coinbase) that this node stored since it started', ['validator']),
      lastProposedBlock: gauge('quorate_validator_last_proposed_block', 'Number of the last final block the validator proposed; 0 if none in the blocks read so far. Only current validators are shown', ['validator']),
    },
    txpool: {
      transactions: gauge('quorate_txpool_transactions', 'Transactions in the pool: pending (executable now) and queued (behind a nonce gap)', ['state']),
      maxTransactions: gauge('quorate_txpool_max_transactions', 'Most transactions the pool holds (txpool.maxTotal); beyond it new ones are refused with POOL_FULL'),
      bytes: gauge('quorate_txpool_bytes', 'Serialized bytes of all pooled transactions'),
      maxBytes: gauge('quorate_txpool_max_bytes', 'Most bytes of transactions the pool holds (txpool.maxBytes); beyond it new ones are refused with POOL_FULL'),
      rejected: counter('quorate_txpool_rejected_total', 'Transactions the pool refused, by reason (the TxPoolError code, or the permission error code)', ['reason']),
      submitToFinal: histogram('quorate_tx_submit_to_final_seconds', 'Seconds from a transaction entering this node\'s pool (by RPC or gossip) to the final block that includes it', SUBMIT_TO_FINAL_BUCKETS),
    },
    p2p: {
      peers: gauge('ethereum_peer_count', 'Connected peers (authenticated P2P connections)'),
      maxPeers: gauge('quorate_p2p_max_peers', 'Most authenticated P2P connections this node keeps; beyond it handshakes are refused with TOO_MANY_PEERS'),
      connects: counter('quorate_p2p_peer_connects_total', 'Authenticated P2P connections opened, by direction (inbound, outbound)', ['direction']),
      disconnects: counter('quorate_p2p_peer_disconnects_total', 'Authenticated P2P connections closed, by reason (SHUTDOWN, DUPLICATE, BANNED, UNKNOWN_NODE, PING_TIMEOUT, CLOSED, REMOTE_<reason the peer gave>, OTHER)', ['reason']),
      peerBytes: counter('quorate_p2p_peer_bytes_total', 'Bytes of P2P frames received (direction="in") and sent ("out") per peer node address', ['peer', 'direction']),
      peerMessages: counter('quorate_p2p_peer_messages_total', 'P2P frames received (direction="in") and sent ("out") per peer node address', ['peer', 'direction']),
      invalidFrames: counter('quorate_p2p_invalid_frames_total', 'Received P2P frames dropped as invalid, by reason', ['reason']),
      penalties: counter('quorate_p2p_penalties_total', 'Misbehaviour penalties given to peers, by kind of misbehaviour', ['reason']),
      penalisedPeers: gauge('quorate_p2p_penalised_peers', 'Peers with misbehaviour points now (penalised, not banned)'),
      bannedPeers: gauge('quorate_p2p_banned_peers', 'Peers banned now'),
      throttledPeers: gauge('quorate_p2p_throttled_peers', 'Validators past the ban threshold now: kept connected (never banned), their traffic over a reduced budget dropped'),
      droppedOverBudget: counter('quorate_p2p_dropped_over_budget_total', 'Received P2P frames dropped because the peer was over a per-peer budget, by budget (GOSSIP_BYTES, REQUESTS, SERVED_BYTES)', ['budget']),
      inboundDropped: counter('quorate_p2p_inbound_dropped_total', 'Inbound connections closed before they authenticated, by reason (TIMEOUT_TLS, TIMEOUT_UPGRADE, TIMEOUT_HANDSHAKE, PENDING_PER_IP, PENDING_TOTAL)', ['reason']),
      handshakesRefused: counter('quorate_p2p_handshakes_refused_total', 'Handshakes this node refused, by reason', ['reason']),
      handshakesRefusedByPeers: counter('quorate_p2p_handshakes_refused_by_peers_total', 'Handshakes that peers refused (or that failed on their side), by reason', ['reason']),
      dialFailures: counter('quorate_p2p_dial_failures_total', 'Outbound connection attempts that failed before the handshake'),
    },
    sync: {
      syncing: gauge('quorate_sync_syncing', '1 while this node is fetching final blocks from peers, else 0'),
      blocksBehind: gauge('quorate_sync_blocks_behind', 'Blocks between the highest block this node knows to exist and its head (ethereum_best_known_block_number - ethereum_blockchain_height): 0 when in sync'),
      blocksImported: counter('quorate_sync_blocks_imported_total', 'Final blocks this node stored from block sync (fetched from peers) rather than decided by consensus with them'),
      blocksApplied: counter('quorate_sync_blocks_applied_total', 'Of the blocks stored from block sync, those entered from the state changes the peer kept (checked against the sealed state root) rather than re-executed'),
      invalidResponses: counter('quorate_sync_invalid_responses_total', 'Block sync responses from peers that failed validation'),
      requestsServed: counter('quorate_sync_requests_served_total', 'Block sync requests this node answered'),
    },
    governance: {
      openProposals: gauge('quorate_governance_open_proposals', 'Governance proposals open for votes at the head block; 0 on a chain without governance'),
    },
    privacy: {
      records: gauge('quorate_private_records', 'Private data records this node holds; 0 where private data is off'),
      purges: counter('quorate_private_purges_total', 'Private data records purged on this node (erasure or retention expiry)'),
    },
    rpcLimits: {
      refused: counter('quorate_rpc_refused_total', 'JSON-RPC connections and filters refused by a limit (max_connections, max_connections_per_ip, max_ws_connections, idle_evicted, ws_stalled, filters)', ['reason']),
      limited: counter('quorate_rpc_limited_total', 'JSON-RPC requests answered -32005 instead of being run (response_size, pending_memory, batch_time)', ['reason']),
    },
    rpc: {
      requests: counter('quorate_rpc_requests_total', 'JSON-RPC calls answered, by method (a method this node has by its name, any other name as "other")', ['method']),
      errors: counter('quorate_rpc_errors_total', 'JSON-RPC calls answered with an error, by method and JSON-RPC error code', ['method', 'code']),
      duration: histogram('quorate_rpc_request_duration_seconds', 'Seconds a JSON-RPC call took to answer, by method', RPC_DURATION_BUCKETS, ['method']),
    },
    onScrape(hook) {
      hooks.add(hook)
      return () => hooks.delete(hook)
    },
    refresh,
  }
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry })
  return metrics
}
