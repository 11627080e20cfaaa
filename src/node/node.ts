/**
 * Node: the composition root. Opens the data folder (chain store, keys, genesis), wires execution,
 * the transaction pool, QBFT consensus, the P2P host with tx gossip and block sync, and stops them
 * in order. It owns no protocol logic of its own: `commitBlock` is the one path by which a final
 * block enters the chain, whether consensus decided it here or block sync fetched it.
 */
import { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { createChainCommon } from '../chain/common.js'
import { createGenesisBlock, genesisStateRoot, parseGenesis, type Genesis } from '../chain/genesis.js'
import { checkProtocol, fixedParams, genesisParams, ProtocolUnsupportedError, RELEASE_PROTOCOLS, type ChainParams, type ChainParamsSource } from '../chain/params.js'
import { GENESIS_FINALITY } from '../chain/finality.js'
import { ChainStore, StoreError, storeWriteError, type BlockRecord } from '../chain/store.js'
import { QbftProducer } from '../consensus/qbft-producer.js'
import { HeaderValidators, type ValidatorSource } from '../consensus/validators.js'
import { OverriddenValidators } from '../consensus/validator-override.js'
import { CHAIN_PARAMETERS_ADDRESS, GOVERNANCE_ADDRESS } from '../governance/address.js'
import { GovernedChainParams } from '../governance/chain-parameters.js'
import { checkTxPermission, enforceCodeApproval } from '../governance/enforce.js'
import { GovernanceView, type AdmittedNode } from '../governance/view.js'
import type { ValidatorActivator } from '../governance/activator.js'
import type { TypedTransaction } from '@ethereumjs/tx'
import { privateKeyToAddress } from '../crypto/keys.js'
import { CallExecutor } from '../execution/call.js'
import { CallPool } from '../execution/call-pool.js'
import { BlockExecutor } from '../execution/executor.js'
import { TxIngest } from '../execution/tx-ingest.js'
import { TxPool } from '../execution/txpool.js'
import { TxPoolJournal } from '../execution/txpool-journal.js'
import { ConfigError, errorMessage, StartError } from '../errors.js'
import { GovernancePeering } from '../network/governance-peering.js'
import { P2PHost } from '../network/host.js'
import { createBlockImport } from '../sync/block-import.js'
import { SenderRecovery } from '../sync/sender-recovery.js'
import { BlockSync } from '../sync/block-sync.js'
import { wireTxGossip } from '../network/tx-gossip.js'
import type { Address, Hash } from '../types.js'
import type { StorageFault } from '../ops/health.js'
import type { PeerEventMetrics } from '../ops/metrics.js'
import { Mutex } from '../util/mutex.js'
import type { BlockSource, NodeEvents } from './ports.js'
import { readJsonFile, type NodeConfig } from './config.js'
import { readKeyFile } from './keyfile.js'
import { validatorActivator } from './validator-activation.js'

export { CLIENT_VERSION } from './version.js'
export type { BlockSource, NodeEvents } from './ports.js'
/** The pool's journal in the data folder (geth's name). */
export const TXPOOL_JOURNAL_FILE = 'transactions.rlp'
/** How often a store that refused writes is reopened and probed. */
export const STORE_RECOVERY_INTERVAL_MS = 1_000
const QBFT_PROTOCOL = 'qbft'

export interface NodeModules {
  logger: Logger
  /** Counts P2P connections opened and closed (ops/metrics.ts). */
  peerMetrics?: PeerEventMetrics
  /**
   * TEST ONLY: the node neither checks account permissions when admitting transactions to its pool
   * nor when building or executing blocks, as a byzantine node would. Lets an integration test show
   * that the other validators reject such a node's blocks. Never set by the CLI or any production path.
   */
  unsafeSkipTxAdmission?: boolean
}

interface NodeParts {
  dataDir: string
  config: NodeConfig
  genesis: Genesis
  common: Common
  store: ChainStore
  executor: BlockExecutor
  calls: CallExecutor
  callPool: CallPool
  pool: TxPool
  nodeKey: Uint8Array
  logger: Logger
  governance: GovernanceView | undefined
  genesisHash: Hash
  peerMetrics: PeerEventMetrics | undefined
  params: ChainParamsSource
  supportedProtocols: readonly string[]
}

/** The genesis file: unreadable or invalid is GENESIS_INVALID (the field named), not a config error. */
export async function readGenesisFile(file: string): Promise<Genesis> {
  try {
    return parseGenesis(await readJsonFile(file, 'genesis file'), file)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    throw new StartError('GENESIS_INVALID', err.field ? `genesis ${err.shortMessage}` : err.shortMessage, { field: err.field, cause: err, ...(err.details ? { details: err.details } : {}) })
  }
}

export class Node extends EventEmitter<NodeEvents> {
  readonly address: Address
  readonly dataDir: string
  readonly config: NodeConfig
  /**
   * The genesis file, whose `alloc` keeps only the accounts with code (the system contracts): plain
   * balances live in the state, and a genesis of a million accounts is not held for the node's life.
   */
  readonly genesis: Genesis
  readonly common: Common
  readonly store: ChainStore
  readonly executor: BlockExecutor
  /** The node's own state reads (governance, anchors, the pool): never a client's EVM code. */
  readonly calls: CallExecutor
  /** Clients' eth_call and eth_estimateGas: gas-capped, time-limited, in worker threads. */
  readonly callPool: CallPool
  /** Recovers the senders of synced blocks in a worker thread (started on the first sync). */
  private readonly senderRecovery = new SenderRecovery()
  readonly pool: TxPool
  /** Clients' transactions into the pool: decode once, recover once, admit (what eth_sendRawTransaction uses). */
  readonly ingest: TxIngest
  readonly logger: Logger
  readonly validators: ValidatorSource
  readonly genesisHash: Hash
  /** Present when the genesis holds the governance contract: nodes then enforce its rules. */
  readonly governance: GovernanceView | undefined
  readonly producer: QbftProducer
  /** The chain parameters of each next block: from the ChainParameters contract when the genesis has it. */
  readonly params: ChainParamsSource
  /** The protocol versions this node accepts (its release's, or fewer by config.supportedProtocols). */
  readonly supportedProtocols: readonly string[]
  host: P2PHost | undefined
  sync: BlockSync | undefined
  private readonly nodeKey: Uint8Array
  private readonly peerMetrics: PeerEventMetrics | undefined
  /** Saves the pool across restarts (txpool.journal); loaded in open(), rewritten from start(), written last in stop(). */
  private readonly journal: TxPoolJournal | undefined
  private readonly commitLock = new Mutex()
  private stopping = false
  /** start() completed: only then does stop() log "node stopped" (a failed start ends with its fatal line). */
  private started = false
  /** Write failures of stores other than the chain (journal, privacy), by component. */
  private readonly faults = new Map<string, string>()
  /** The block whose commit the chain store refused; committed again once the store recovers. */
  private blockedCommit: { record: BlockRecord; source: BlockSource } | undefined
  private recoveryTimer: NodeJS.Timeout | undefined
  /** Set when the next block needs a protocol this node does not support: it imports and makes no more blocks. */
  private stoppedAtUpgrade: ProtocolUnsupportedError | undefined
  /** The chain parameters of the block after the head (read at each new head). */
  private nextParams: ChainParams
  /** With governance: makes this node a validator once voted in (a candidate) and live. */
  private readonly activator: ValidatorActivator | undefined

  private constructor(p: NodeParts) {
    super()
    this.dataDir = p.dataDir
    this.config = p.config
    this.genesis = { ...p.genesis, alloc: Object.fromEntries(Object.entries(p.genesis.alloc).filter(([, a]) => a.code !== undefined)) }
    this.common = p.common
    this.store = p.store
    this.executor = p.executor
    this.calls = p.calls
    this.callPool = p.callPool
    this.pool = p.pool
    this.ingest = new TxIngest(
      {
        common: p.common,
        maxTxBytes: p.config.txpool.maxTxBytes,
        onRejected: (code, err) => p.pool.emit('rejected', code, err),
        blockWork: { busy: () => p.executor.busy || this.commitLock.busy },
      },
      p.pool,
    )
    this.nodeKey = p.nodeKey
    this.logger = p.logger
    this.address = privateKeyToAddress(p.nodeKey)
    this.governance = p.governance
    this.genesisHash = p.genesisHash
    this.peerMetrics = p.peerMetrics
    this.params = p.params
    this.nextParams = genesisParams(p.genesis)
    this.supportedProtocols = p.supportedProtocols
    const source = p.governance ?? new HeaderValidators()
    const overrides = p.config.consensus.validatorOverrides
    this.validators = overrides.length ? new OverriddenValidators(source, overrides) : source
    for (const o of overrides) p.logger.warn({ fromBlock: o.fromBlock, toBlock: o.toBlock ?? 'open', validators: o.validators }, 'validator override in config: these blocks are decided by this list, not by governance')
    this.activator = p.governance
      ? validatorActivator({
          address: this.address,
          nodeKey: p.nodeKey,
          common: p.common,
          governance: p.governance,
          calls: p.calls,
          pool: p.pool,
          minGasPrice: p.config.txpool.minGasPrice,
          network: () => ({ host: this.host, sync: this.sync }),
          emptyBlockPeriodMs: () => this.nextParams.emptyBlockPeriodMs,
          logger: p.logger.child({ module: 'validator-activation' }),
        })
      : undefined
    this.journal = p.config.txpool.journal
      ? new TxPoolJournal(
          { file: join(p.dataDir, TXPOOL_JOURNAL_FILE), intervalMs: p.config.txpool.journalIntervalMs },
          { pool: p.pool, logger: p.logger.child({ module: 'txpool-journal' }), onWrite: (err) => this.reportStorage('txpool journal', err) },
        )
      : undefined
    this.producer = new QbftProducer(
      {
        nodeKey: p.nodeKey,
        initialParams: genesisParams(p.genesis),
        roundTimeout: { baseMs: p.genesis.config.qbft.requestTimeoutMs, capMs: p.genesis.config.qbft.maxRoundTimeoutMs },
      },
      {
        common: p.common,
        store: p.store,
        executor: p.executor,
        pool: p.pool,
        validators: this.validators,
        params: p.params,
        network: {
          gossip: (payload) => this.host?.gossip(QBFT_PROTOCOL, payload),
          penalise: (peer, reason) => this.host?.penalise(peer as Address, `consensus: ${reason}`, 20),
          behind: (peer) => this.sync?.behind(peer as Address),
        },
        commit: (r) => this.commitBlock(r, 'consensus'),
        logger: p.logger.child({ module: 'qbft' }),
      },
    )
  }

  get chainId(): bigint {
    return BigInt(this.genesis.config.chainId)
  }

  get head(): Block {
    return this.store.head
  }


  /** Opens the data folder; writes the genesis block on first use, and refuses a folder of another chain. */
  static async open(dataDir: string, config: NodeConfig, { logger, unsafeSkipTxAdmission = false, peerMetrics }: NodeModules): Promise<Node> {
    const genesis = await readGenesisFile(join(dataDir, config.genesisFile))
    const nodeKey = await readKeyFile(join(dataDir, config.nodeKeyFile))
    const common = createChainCommon(BigInt(genesis.config.chainId), genesis.gasLimit)
    const store = await ChainStore.open(join(dataDir, 'chain'), common)
    try {
      // The genesis state is built in one pass (linear in the allocation), and written only on first use.
      const nodes: [string, Uint8Array][] = []
      const expected = createGenesisBlock(genesis, common, genesisStateRoot(genesis, store.isEmpty ? (key, value) => nodes.push([key, value]) : undefined))
      if (store.isEmpty) {
        await store.putTrieNodes(nodes)
        nodes.length = 0
        await store.commit({ block: expected, finality: GENESIS_FINALITY, receipts: [] })
        logger.info({ genesis: bytesToHex(expected.hash()) }, 'wrote the genesis block')
      } else {
        const stored = await store.getBlockByNumber(0n)
        if (!stored || bytesToHex(stored.hash()) !== bytesToHex(expected.hash())) {
          throw new StartError('GENESIS_MISMATCH', `the chain in ${dataDir} was started from another genesis`, {
            details: `stored genesis ${stored ? bytesToHex(stored.hash()) : 'none'}, ${config.genesisFile} gives ${bytesToHex(expected.hash())}`,
          })
        }
      }
      const calls = await CallExecutor.create(common, store)
      const governance = genesis.config.governance ? new GovernanceView(await CallExecutor.create(common, store)) : undefined
      if (governance && !genesis.alloc[GOVERNANCE_ADDRESS]?.code) {
        throw new ConfigError('alloc', `the genesis enables governance but holds no contract at ${GOVERNANCE_ADDRESS}`, { details: 'make the genesis with `quorate init --consortium <file>`' })
      }
      const params = genesis.alloc[CHAIN_PARAMETERS_ADDRESS]?.code ? new GovernedChainParams(calls) : fixedParams(genesisParams(genesis))
      const supportedProtocols = config.supportedProtocols ?? RELEASE_PROTOCOLS
      const admission = unsafeSkipTxAdmission ? undefined : governance
      if (unsafeSkipTxAdmission) logger.warn('UNSAFE: transaction admission is off (test-only option); this node ignores account permissions')
      const executor = await BlockExecutor.create(
        common,
        store,
        admission && ((tx, parent) => checkTxPermission(admission, parent, tx, tx.getSenderAddress().toString() as Address)),
        // No block of a protocol this node does not support is ever built or executed here.
        async (parent) => {
          const next = await params.paramsFor(parent)
          checkProtocol(parent.header.number + 1n, next, supportedProtocols)
          return next
        },
      )
      if (governance && genesis.config.governance?.requireCodeApproval) {
        enforceCodeApproval(executor.evm, governance, () => executor.parent)
        enforceCodeApproval(calls.evm, governance, () => calls.block)
      }
      const callPool = new CallPool(
        {
          chainId: BigInt(genesis.config.chainId),
          gasLimit: genesis.gasLimit,
          gasCap: config.rpc.gasCap,
          timeoutMs: config.rpc.evmTimeoutMs,
          workers: config.rpc.callWorkers,
          maxQueued: config.rpc.callQueueSize,
        },
        { store, codeApproval: governance && genesis.config.governance?.requireCodeApproval ? governance : undefined, logger: logger.child({ module: 'calls' }) },
      )
      const pool = new TxPool(
        {
          common,
          blockGasLimit: genesis.gasLimit,
          maxPerSender: config.txpool.maxPerSender,
          maxTotal: config.txpool.maxTotal,
          maxTxBytes: config.txpool.maxTxBytes,
          maxBytes: config.txpool.maxBytes,
          minGasPrice: config.txpool.minGasPrice,
          ...(admission ? { admit: (tx: TypedTransaction, sender: Address) => checkTxPermission(admission, store.head, tx, sender) } : {}),
        },
        { getAccount: (a) => calls.getAccount(store.head, a) },
        { logger },
      )
      const node = new Node({ dataDir, config, genesis, common, store, executor, calls, callPool, pool, nodeKey, logger, governance, genesisHash: bytesToHex(expected.hash()) as Hash, peerMetrics, params, supportedProtocols })
      // Here, not in start(): the JSON-RPC server answers before start() and must already see the pool.
      await node.journal?.load()
      return node
    } catch (err) {
      await store.close()
      throw err
    }
  }

  /** Starts the P2P host (if configured), block sync and consensus. */
  async start(): Promise<void> {
    // Who may connect and who validates must be known before the first handshake.
    await this.refreshHeadRules(this.head)
    const { p2p } = this.config
    if (p2p.listen || p2p.peers.length > 0) {
      const known = new Set<string>([...p2p.peers.flatMap((p) => (p.address ? [p.address] : [])), ...p2p.allowedNodes])
      const host = new P2PHost(
        {
          privateKey: this.nodeKey,
          chainId: this.chainId,
          genesisHash: this.genesisHash,
          // The validators of the head plus the configured nodes (governance replaces this).
          isAllowed: (a) => (this.governance ? this.allowedNodes.has(a) : known.has(a) || this.headValidators.includes(a)),
          // Never banned for score, throttled instead: banning validators could cut this node from the quorum.
          isValidator: (a) => this.headValidators.includes(a),
          handshakeTimeoutMs: p2p.handshakeTimeoutMs,
          inboundTimeoutMs: p2p.inboundTimeoutMs,
          maxPendingHandshakes: p2p.maxPendingHandshakes,
          maxPendingHandshakesPerIp: p2p.maxPendingHandshakesPerIp,
          budget: p2p.peerBudget,
          ...(p2p.listen ? { listen: p2p.listen, tls: await this.readTls() } : {}),
          staticPeers: p2p.peers,
          ...(p2p.proxy ? { proxy: p2p.proxy } : {}),
        },
        { logger: this.logger, ...(this.peerMetrics ? { metrics: this.peerMetrics } : {}) },
      )
      host.subscribe(QBFT_PROTOCOL)
      host.on('message', (msg) => {
        if (msg.protocol === QBFT_PROTOCOL && this.producer.onMessage(msg.payload, msg.from)) host.gossip(QBFT_PROTOCOL, msg.payload)
      })
      // Peer events (connected, disconnected, handshake failed) are logged once, by the host (module p2p).
      wireTxGossip(host, this.pool, this.logger.child({ module: 'txgossip' }))
      this.sync = new BlockSync({
        common: this.common,
        chain: this.store,
        host,
        importer: createBlockImport({
          common: this.common,
          chain: this.store,
          validators: this.validators,
          params: this.params,
          executor: this.executor,
          commit: (r) => this.commitBlock(r, 'sync'),
          prepare: (blocks) => this.senderRecovery.prepare(blocks),
        }),
        logger: this.logger.child({ module: 'sync' }),
      })
      if (this.stoppedAtUpgrade) this.sync.halt()
      this.host = host
      if (this.governance) this.peering = new GovernancePeering(this.address, p2p.peers, host, this.logger.child({ module: 'peering' }))
      await host.start()
      await this.refreshPeering(this.head)
    }
    this.callPool.start()
    this.journal?.start()
    if (!this.stoppedAtUpgrade) this.producer.start()
    void this.activator?.check(this.head)
    this.started = true
    this.logger.info(
      { address: this.address, head: Number(this.head.header.number), chainId: Number(this.chainId), validator: this.headValidators.includes(this.address), p2p: this.host?.listenUrl() ?? 'outbound only' },
      'node started',
    )
  }

  private headValidators: Address[] = []
  private allowedNodes = new Set<Address>()
  /** Dials the registered endpoints of admitted nodes (governed chains with a P2P host). */
  private peering: GovernancePeering | undefined

  /** `admitted`: the admitted nodes of `head` when already read (refreshHeadRules reads them once per head). */
  private async refreshPeering(head: Block, admitted?: AdmittedNode[]): Promise<void> {
    if (!this.governance || !this.peering) return
    try {
      this.peering.update(admitted ?? (await this.governance.admittedNodes(head)))
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'cannot read the admitted nodes for peering')
    }
  }

  /**
   * Rules that follow the head: the validator set, the next block's chain parameters (gas limit for
   * the pool; a protocol this node does not support stops it here), and (with governance) which
   * nodes may connect.
   */
  private async refreshHeadRules(head: Block): Promise<void> {
    this.headValidators = await this.validators.validatorsAfter(head)
    const next = await this.params.paramsFor(head)
    this.nextParams = next
    this.pool.setBlockGasLimit(next.gasLimit)
    try {
      checkProtocol(head.header.number + 1n, next, this.supportedProtocols)
    } catch (err) {
      if (!(err instanceof ProtocolUnsupportedError)) throw err
      await this.stopAtUpgrade(err)
    }
    if (!this.governance) return
    const admitted = await this.governance.admittedNodes(head)
    const allowed = new Set(admitted.map((n) => n.address))
    const changed = allowed.size !== this.allowedNodes.size || [...allowed].some((a) => !this.allowedNodes.has(a))
    this.allowedNodes = allowed
    if (changed && this.host) {
      const dropped = this.host.refreshAllowList()
      if (dropped.length) this.logger.warn({ dropped }, 'disconnected nodes that governance no longer allows')
    }
    await this.refreshPeering(head, admitted)
  }

  /**
   * The next block needs a protocol version this node does not support: it stops consensus and
   * block imports here, once and for good (until upgraded), and says so; it keeps serving RPC and
   * its blocks to peers, and never makes or accepts a block under rules it does not know.
   */
  private async stopAtUpgrade(err: ProtocolUnsupportedError): Promise<void> {
    if (this.stoppedAtUpgrade) return
    this.stoppedAtUpgrade = err
    this.logger.error({ code: err.code, block: Number(err.blockNumber), protocol: err.protocol, supported: err.supported }, err.shortMessage)
    this.sync?.halt()
    await this.producer.stop()
  }

  /** The chain parameters of the block after the head (block period, empty-block period, gas limit, protocol). */
  get paramsOfNextBlock(): ChainParams {
    return this.nextParams
  }

  /** Why the node stopped before a protocol upgrade, if it did (for RPC and health). */
  get upgradeStop(): ProtocolUnsupportedError | undefined {
    return this.stoppedAtUpgrade
  }

  private async readTls(): Promise<{ certPem: string; keyPem: string }> {
    const { tlsCertFile, tlsKeyFile } = this.config.p2p
    try {
      return { certPem: await readFile(join(this.dataDir, tlsCertFile), 'utf8'), keyPem: await readFile(join(this.dataDir, tlsKeyFile), 'utf8') }
    } catch (err) {
      throw new StartError('TLS_INVALID', `cannot read the TLS certificate or key (${tlsCertFile}, ${tlsKeyFile}) in ${this.dataDir}`, { field: 'p2p.tlsCertFile', cause: err })
    }
  }

  /** The one way a final block enters the chain (serialised; a block already final is ignored). */
  commitBlock(record: BlockRecord, source: BlockSource): Promise<void> {
    return this.commitLock.run(async () => {
      const { block } = record
      if (block.header.number <= this.store.head.header.number) return
      try {
        await this.store.commit(record)
      } catch (err) {
        if (this.store.failure) this.storeFailed(record, source)
        throw err
      }
      this.logger.info(
        { number: Number(block.header.number), hash: bytesToHex(block.hash()) as Hash, txs: block.transactions.length, gasUsed: Number(block.header.gasUsed), round: record.finality.round, seals: record.finality.seals.length },
        'block final',
      )
      await this.refreshHeadRules(block)
      this.sync?.announce(block)
      // Prune the pool first: consensus decides from its size whether the next block is due soon.
      await this.pool.onNewHead({ getAccount: (a) => this.calls.getAccount(block, a) })
      await this.producer.onNewHead(block)
      if (!this.stopping) void this.activator?.check(block)
      this.emit('block', record, source)
    })
  }

  /** Stores that refuse writes now (disk full, I/O error), for /ready and /health. */
  storageFaults(): StorageFault[] {
    const out: StorageFault[] = []
    const chain = this.store.failure
    if (chain) out.push({ component: 'chain store', reason: chain.message })
    for (const [component, reason] of this.faults) out.push({ component, reason })
    return out
  }

  /** A store's write outcome: an error marks it failing (with a reason), undefined clears it. */
  reportStorage(component: string, err: unknown): void {
    if (err === undefined) this.faults.delete(component)
    else this.faults.set(component, err instanceof StoreError ? err.message : storeWriteError(err, component).message)
  }

  /**
   * The chain store refused a block (disk full, I/O error): remember the block and reopen the store
   * every STORE_RECOVERY_INTERVAL_MS until it takes writes, then commit the block; consensus and
   * sync go on from there without a restart. Nothing is committed meanwhile (the store refuses).
   */
  private storeFailed(record: BlockRecord, source: BlockSource): void {
    const first = !this.blockedCommit
    if (!this.blockedCommit || record.block.header.number < this.blockedCommit.record.block.header.number) this.blockedCommit = { record, source }
    // Once per episode at error level: sync keeps offering blocks while the store refuses them.
    this.logger[first ? 'error' : 'debug']({ err: this.store.failure?.message, number: Number(record.block.header.number) }, 'the chain store cannot write; retrying until it can')
    this.scheduleRecovery()
  }

  private scheduleRecovery(): void {
    if (this.recoveryTimer || this.stopping) return
    this.recoveryTimer = setTimeout(() => void this.tryRecovery(), STORE_RECOVERY_INTERVAL_MS)
  }

  private async tryRecovery(): Promise<void> {
    this.recoveryTimer = undefined
    if (this.stopping) return
    let ok = false
    try {
      ok = await this.commitLock.run(() => this.store.recover())
    } catch (err) {
      this.logger.error({ err: errorMessage(err) }, 'recovering the chain store failed')
    }
    if (!ok) return this.scheduleRecovery()
    this.logger.info('the chain store takes writes again')
    const blocked = this.blockedCommit
    this.blockedCommit = undefined
    // A new failure here schedules recovery again (commitBlock → storeFailed).
    if (blocked) await this.commitBlock(blocked.record, blocked.source).catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'committing the held block failed'))
  }

  peerCount(): number {
    return this.host?.peers().length ?? 0
  }

  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    clearTimeout(this.recoveryTimer)
    await this.producer.stop()
    this.sync?.stop()
    await this.host?.stop()
    await this.commitLock.run(async () => undefined)
    await this.callPool.stop()
    await this.senderRecovery.close()
    await this.journal?.stop()
    await this.store.close()
    if (this.started) this.logger.info('node stopped')
  }
}
