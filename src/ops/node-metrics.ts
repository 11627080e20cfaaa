/**
 * Binds a Node to the metrics of ops/metrics.ts: event listeners for what happens once (a final
 * block, a transaction entering or refused by the pool) and a scrape hook that reads the modules'
 * own counters and sizes (heights, consensus status, pool status, P2P and sync stats, disk usage)
 * when Prometheus asks. It only reads the node: it never changes its state, and it must not add
 * work per message on hot paths (seal signers are recovered once per final block).
 *
 * Counters the modules already keep as running totals (P2P bytes, invalid frames, round changes...)
 * are turned into Prometheus counters by adding each increase seen since the previous scrape.
 * Per-peer byte and message totals belong to one connection: a reconnection starts them from 0
 * (told apart by its connect time), and what a connection carried between the last scrape and its
 * close is not counted.
 */
import { readdir, lstat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { Counter, LabelValues } from 'prom-client'
import type { TypedTransaction } from '@ethereumjs/tx'
import { sealDigest, type Finality } from '../chain/finality.js'
import type { BlockRecord } from '../chain/store.js'
import { recoverAddress } from '../crypto/keys.js'
import { errorMessage } from '../errors.js'
import { TX_POOL_ERROR_CODES } from '../execution/txpool-errors.js'
import { REFUSAL_REASONS } from '../network/errors.js'
import type { ChainParams } from '../chain/params.js'
import type { TxPool } from '../execution/txpool.js'
import type { P2PHost } from '../network/host.js'
import type { BlockFeed, BlockSource, ConsensusView, SyncView } from '../node/ports.js'
import { CLIENT_VERSION } from '../node/version.js'
import { signerMetrics, type SealReader } from '../rpc/qbft.js'
import type { BlockSync } from '../sync/block-sync.js'
import type { HttpRoute } from '../rpc/server.js'
import type { Address, Hex } from '../types.js'
import type { Logger } from './logger.js'
import type { QuorateMetrics } from './metrics.js'

/** What the metrics read from a node (never change): its identity and limits, the block feed, pool events and sizes, consensus, P2P and sync status. */
export interface MetricsNode extends SealReader, BlockFeed {
  readonly address: Address
  readonly chainId: bigint
  readonly dataDir: string
  readonly config: { readonly name: string; readonly txpool: { readonly maxTotal: number; readonly maxBytes: number } }
  readonly pool: Pick<TxPool, 'on' | 'off' | 'status' | 'bytes'>
  readonly paramsOfNextBlock: Pick<ChainParams, 'emptyBlockPeriodMs'>
  readonly producer: ConsensusView
  readonly host: Pick<P2PHost, 'peers' | 'stats' | 'maxPeers'> | undefined
  readonly sync: (SyncView & Pick<BlockSync, 'stats'>) | undefined
}

export interface NodeMetricsOptions {
  /** Open governance proposals (quorate_governance_open_proposals); unset: the gauge stays 0. */
  openProposals?: () => Promise<number>
  /** Private data records held (quorate_private_records); unset: 0. */
  privateRecords?: () => Promise<number>
  /** Records purged so far, a running total (quorate_private_purges_total follows its increases). */
  privatePurges?: () => Promise<number>
  /** The data folder is measured at most this often; default 30 s. */
  diskIntervalMs?: number
  /** Final blocks read at bind to seed each validator's last sealed and proposed block; default 128. */
  seedBlocks?: number
  logger?: Logger
}

export interface NodeMetricsBinding {
  /** Settles when the seed from stored blocks is done. */
  readonly seeded: Promise<void>
  /** Removes the listeners and the scrape hook. */
  unbind(): void
}

const DEFAULT_DISK_INTERVAL_MS = 30_000
const DEFAULT_SEED_BLOCKS = 128
/** Submit times of transactions that left the pool without a block are kept this long (a block may still include them). */
const SUBMITTED_GRACE_MS = 60_000

/** Starts following `node` into `metrics`. Call before node.start() so no block is missed. */
export function bindNodeMetrics(node: MetricsNode, metrics: QuorateMetrics, opts: NodeMetricsOptions = {}): NodeMetricsBinding {
  const { chain, consensus, txpool, p2p, sync } = metrics
  const log = opts.logger
  const self = node.address.toLowerCase() as Address

  metrics.node.info.set({ version: CLIENT_VERSION, chain_id: node.chainId.toString(), address: self, name: node.config.name }, 1)
  txpool.maxTransactions.set(node.config.txpool.maxTotal)
  txpool.maxBytes.set(node.config.txpool.maxBytes)
  // Known reasons start at 0, so rate() and increase() see the first refusal.
  for (const code of TX_POOL_ERROR_CODES) txpool.rejected.inc({ reason: code }, 0)
  for (const reason of REFUSAL_REASONS) {
    p2p.handshakesRefused.inc({ reason }, 0)
    p2p.handshakesRefusedByPeers.inc({ reason }, 0)
  }

  const lastSealed = new Map<Address, bigint>()
  const lastProposed = new Map<Address, bigint>()
  const raise = (map: Map<Address, bigint>, who: Address, n: bigint): void => {
    if ((map.get(who) ?? -1n) < n) map.set(who, n)
  }

  // --- events ---
  const submitted = new Map<Hex, { at: number; removedAt?: number }>()
  let lastBlock: { number: bigint; at: number } | undefined

  const onAdded = (_tx: TypedTransaction, hash: Hex): void => {
    submitted.set(hash, { at: Date.now() })
  }
  const onRemoved = (hash: Hex): void => {
    // Inclusion also removes a transaction, just before the 'block' event: keep it a while.
    const entry = submitted.get(hash)
    if (entry) entry.removedAt = Date.now()
  }
  const onRejected = (code: string): void => txpool.rejected.inc({ reason: code })
  const onBlock = ({ block, finality }: BlockRecord, source: BlockSource): void => {
    const now = Date.now()
    const n = block.header.number
    if (source === 'sync') sync.blocksImported.inc()
    // Blocks fetched by sync arrive in bursts; their spacing says nothing about the chain's block time.
    if (lastBlock && lastBlock.number + 1n === n && source === 'consensus') chain.blockTime.observe((now - lastBlock.at) / 1000)
    lastBlock = { number: n, at: now }
    chain.transactions.inc(block.transactions.length)
    if (submitted.size > 0) {
      for (const tx of block.transactions) {
        const hash = bytesToHex(tx.hash()) as Hex
        const entry = submitted.get(hash)
        if (!entry) continue
        txpool.submitToFinal.observe((now - entry.at) / 1000)
        submitted.delete(hash)
      }
      for (const [hash, entry] of submitted) if (entry.removedAt !== undefined && now - entry.removedAt > SUBMITTED_GRACE_MS) submitted.delete(hash)
    }
    const proposer = block.header.coinbase.toString().toLowerCase() as Address
    consensus.proposals.inc({ validator: proposer })
    raise(lastProposed, proposer, n)
    for (const signer of sealSigners(block, finality, node.common)) {
      consensus.seals.inc({ validator: signer })
      raise(lastSealed, signer, n)
    }
  }
  node.pool.on('added', onAdded)
  node.pool.on('removed', onRemoved)
  node.pool.on('rejected', onRejected)
  node.on('block', onBlock)

  // --- seed from stored blocks (counters are not seeded: they count from this start) ---
  const seeded = (async () => {
    const head = node.store.head.header.number
    if (head < 1n) return
    const depth = BigInt(opts.seedBlocks ?? DEFAULT_SEED_BLOCKS)
    const from = head - depth + 1n > 1n ? head - depth + 1n : 1n
    for (const m of await signerMetrics(node, from, head)) {
      const who = m.address.toLowerCase() as Address
      if (m.lastSealedBlockNumber !== undefined) raise(lastSealed, who, m.lastSealedBlockNumber)
      if (m.lastProposedBlockNumber !== undefined) raise(lastProposed, who, m.lastProposedBlockNumber)
    }
  })().catch((err: unknown) => log?.warn({ err: errorMessage(err) }, 'cannot read recent blocks for validator metrics'))

  // --- scrape ---
  const totals = new Totals()
  const peerConnections = new Map<Address, number>()
  const disk = new DiskUsage(node.dataDir, opts.diskIntervalMs ?? DEFAULT_DISK_INTERVAL_MS)
  const shownValidators = new Set<Address>()

  const scrape = async (): Promise<void> => {
    const head = node.store.head
    chain.height.set(Number(head.header.number))
    chain.headTimestamp.set(Number(head.header.timestamp))
    const bestKnown = node.sync?.highestKnown() ?? head.header.number
    chain.bestKnownBlock.set(Number(bestKnown))
    sync.blocksBehind.set(Number(bestKnown - head.header.number))
    chain.emptyBlockPeriod.set(node.paramsOfNextBlock.emptyBlockPeriodMs / 1000)

    const validators = (await node.validators.validatorsAfter(head)).map((v) => v.toLowerCase() as Address)
    const status = node.producer.status()
    consensus.round.set(status?.round ?? 0)
    totals.follow(consensus.roundChanges, 'roundChanges', status?.roundChanges ?? 0)
    consensus.isValidator.set(validators.includes(self) ? 1 : 0)
    consensus.validators.set(validators.length)
    // Only current validators: a removed one must not look like one that stopped sealing.
    for (const v of shownValidators) {
      if (validators.includes(v)) continue
      consensus.lastSealedBlock.remove({ validator: v })
      consensus.lastProposedBlock.remove({ validator: v })
      shownValidators.delete(v)
    }
    for (const v of validators) {
      consensus.lastSealedBlock.set({ validator: v }, Number(lastSealed.get(v) ?? 0n))
      consensus.lastProposedBlock.set({ validator: v }, Number(lastProposed.get(v) ?? 0n))
      shownValidators.add(v)
    }

    const pool = node.pool.status()
    txpool.transactions.set({ state: 'pending' }, pool.pending)
    txpool.transactions.set({ state: 'queued' }, pool.queued)
    txpool.bytes.set(node.pool.bytes)

    const host = node.host
    if (host) {
      const stats = host.stats()
      p2p.peers.set(stats.peers)
      p2p.maxPeers.set(host.maxPeers)
      for (const peer of host.peers()) {
        const address = peer.address.toLowerCase() as Address
        const key = `peer/${address}`
        // A new connection counts from 0 again: forget what the previous one had reached.
        if (peerConnections.get(address) !== peer.connectedAt) {
          peerConnections.set(address, peer.connectedAt)
          totals.restart(`${key}/`)
        }
        totals.follow(p2p.peerBytes, `${key}/bytes/in`, peer.bytesIn, { peer: address, direction: 'in' })
        totals.follow(p2p.peerBytes, `${key}/bytes/out`, peer.bytesOut, { peer: address, direction: 'out' })
        totals.follow(p2p.peerMessages, `${key}/messages/in`, peer.messagesIn, { peer: address, direction: 'in' })
        totals.follow(p2p.peerMessages, `${key}/messages/out`, peer.messagesOut, { peer: address, direction: 'out' })
      }
      for (const [reason, count] of Object.entries(stats.invalidFrames)) totals.follow(p2p.invalidFrames, `invalid/${reason}`, count, { reason })
      for (const [reason, count] of Object.entries(stats.penalties)) totals.follow(p2p.penalties, `penalty/${reason}`, count, { reason: penaltyKind(reason) })
      for (const [reason, count] of Object.entries(stats.handshakesRefused)) totals.follow(p2p.handshakesRefused, `refused/${reason}`, count, { reason })
      for (const [reason, count] of Object.entries(stats.handshakesRefusedByPeers)) {
        totals.follow(p2p.handshakesRefusedByPeers, `refusedBy/${reason}`, count, { reason })
      }
      totals.follow(p2p.dialFailures, 'dialFailures', stats.dialFailures)
      for (const [budget, count] of Object.entries(stats.overBudget)) totals.follow(p2p.droppedOverBudget, `overBudget/${budget}`, count, { budget })
      for (const [reason, count] of Object.entries(stats.inboundDropped)) totals.follow(p2p.inboundDropped, `inboundDropped/${reason}`, count, { reason })
      p2p.penalisedPeers.set(stats.penalisedPeers.length)
      p2p.bannedPeers.set(stats.bannedPeers.length)
      p2p.throttledPeers.set(stats.throttledPeers.length)
    } else {
      p2p.peers.set(0)
    }

    sync.syncing.set(node.sync?.syncing ? 1 : 0)
    if (node.sync) {
      const s = node.sync.stats()
      totals.follow(sync.invalidResponses, 'sync/invalid', s.invalidResponses)
      totals.follow(sync.requestsServed, 'sync/served', s.requestsServed)
      totals.follow(sync.blocksApplied, 'sync/applied', s.blocksApplied)
    }

    const optional = async (what: string, read: (() => Promise<number>) | undefined, apply: (v: number) => void): Promise<void> => {
      if (!read) return
      try {
        apply(await read())
      } catch (err) {
        log?.warn({ err: errorMessage(err) }, `cannot read ${what} for metrics`)
      }
    }
    await optional('open governance proposals', opts.openProposals, (v) => metrics.governance.openProposals.set(v))
    await optional('private data records', opts.privateRecords, (v) => metrics.privacy.records.set(v))
    await optional('private data purges', opts.privatePurges, (v) => totals.follow(metrics.privacy.purges, 'purges', v))

    const usage = await disk.read()
    if (usage) {
      chain.levelDbSize.set(usage.chainBytes)
      if (usage.filesystem) {
        chain.dataDirAvailable.set(usage.filesystem.available)
        chain.dataDirSize.set(usage.filesystem.size)
      }
    }
  }
  const removeHook = metrics.onScrape(scrape)

  return {
    seeded,
    unbind() {
      removeHook()
      node.pool.off('added', onAdded)
      node.pool.off('removed', onRemoved)
      node.pool.off('rejected', onRejected)
      node.off('block', onBlock)
    },
  }
}

/** GET /metrics: the registry in the Prometheus text format. */
export function metricsRoute(metrics: QuorateMetrics, path = '/metrics'): HttpRoute {
  return {
    method: 'GET',
    path,
    handler: async (_req, res) => {
      const body = await metrics.registry.metrics()
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(body)
    },
  }
}

/** Addresses whose commit seals are on a final block (malformed seals are skipped). */
export function sealSigners(block: Block, finality: Finality, common: Common): Address[] {
  if (finality.seals.length === 0) return []
  const digest = hexToBytes(sealDigest(block, finality.round, common))
  const out: Address[] = []
  for (const seal of finality.seals) {
    const signer = recoverAddress(digest, seal)
    if (signer) out.push(signer.toLowerCase() as Address)
  }
  return out
}

/**
 * A penalty reason without its variable parts, for a label of bounded cardinality:
 * "consensus: FUTURE_ROUND" stays, "invalid sync response: block 12: ..." becomes "invalid sync response".
 */
export function penaltyKind(reason: string): string {
  const [kind = reason, code] = reason.split(': ')
  const rest = reason.slice(kind.length + 2)
  if (code !== undefined && rest === code && /^[A-Z0-9_]{1,64}$/.test(code)) return `${kind}: ${code}`
  return kind.slice(0, 64)
}

/** Follows running totals kept by modules and adds their increases to Prometheus counters. */
export class Totals {
  private readonly last = new Map<string, number>()

  follow<L extends string>(counter: Counter<L>, key: string, value: number, labels?: LabelValues<L>): void {
    const prev = this.last.get(key) ?? 0
    // A total that went down was restarted (a new connection, a new module): all of it is new.
    const delta = value >= prev ? value - prev : value
    this.last.set(key, value)
    if (labels) counter.inc(labels, delta)
    else counter.inc(delta)
  }

  /** Forgets the totals whose key starts with `prefix` (their source starts from 0 again). */
  restart(prefix: string): void {
    for (const key of [...this.last.keys()]) if (key.startsWith(prefix)) this.last.delete(key)
  }
}

export interface DiskReading {
  /** Bytes allocated to the chain database folder (what `du` would count). */
  chainBytes: number
  /** The filesystem of the data folder; undefined where statfs is not available. */
  filesystem?: { available: number; size: number }
}

/** Sizes of the data folder, measured at most once per interval; concurrent reads share one walk. */
export class DiskUsage {
  private last: { at: number; reading: DiskReading } | undefined
  private running: Promise<DiskReading | undefined> | undefined

  constructor(
    private readonly dataDir: string,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<DiskReading | undefined> {
    if (this.last && this.now() - this.last.at < this.intervalMs) return this.last.reading
    this.running ??= this.measure().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async measure(): Promise<DiskReading | undefined> {
    const at = this.now()
    const chainBytes = await directoryBytes(join(this.dataDir, 'chain'))
    let filesystem: DiskReading['filesystem']
    try {
      const fs = await statfs(this.dataDir)
      filesystem = { available: fs.bavail * fs.bsize, size: fs.blocks * fs.bsize }
    } catch {
      filesystem = undefined
    }
    const reading: DiskReading = filesystem ? { chainBytes, filesystem } : { chainBytes }
    this.last = { at, reading }
    return reading
  }
}

/** Bytes allocated to the files under `dir` (like `du -s`); files deleted during the walk are skipped. */
export async function directoryBytes(dir: string): Promise<number> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  let total = 0
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      total += await directoryBytes(path)
      continue
    }
    try {
      const st = await lstat(path)
      // Allocated blocks where the platform reports them (sparse and partly written files), else the size.
      total += st.blocks > 0 ? st.blocks * 512 : st.size
    } catch {
      // LevelDB compaction removed it meanwhile.
    }
  }
  return total
}
