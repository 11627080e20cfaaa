/**
 * Node: the composition root. Opens the data folder (chain store, keys, genesis), wires execution,
 * the transaction pool, the block producer and the JSON-RPC server, and stops them in order.
 * It owns no protocol logic of its own: `commitBlock` is the one path by which a final block
 * enters the chain, whoever produced it.
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { createChainCommon } from '../chain/common.js'
import { createGenesisBlock, parseGenesis, writeGenesisState, type Genesis } from '../chain/genesis.js'
import { ChainStore, type BlockRecord } from '../chain/store.js'
import type { BlockProducer } from '../consensus/producer.js'
import { SingleSealer } from '../consensus/single-sealer.js'
import { privateKeyToAddress } from '../crypto/keys.js'
import { CallExecutor } from '../execution/call.js'
import { BlockExecutor, createStateManager } from '../execution/executor.js'
import { TxPool } from '../execution/txpool.js'
import { QuorateError } from '../errors.js'
import type { Address, Hash } from '../types.js'
import { readJsonFile, type NodeConfig } from './config.js'
import { readKeyFile } from './keyfile.js'

export const CLIENT_VERSION = 'Quorate/v0.1.0'

export interface NodeEvents {
  /** A block became final (and is stored). */
  block: [record: BlockRecord]
}

export interface NodeModules {
  logger: Logger
}

export class Node extends EventEmitter<NodeEvents> {
  readonly address: Address
  private producer: BlockProducer | undefined
  private stopping = false

  private constructor(
    readonly dataDir: string,
    readonly config: NodeConfig,
    readonly genesis: Genesis,
    readonly common: Common,
    readonly store: ChainStore,
    readonly executor: BlockExecutor,
    readonly calls: CallExecutor,
    readonly pool: TxPool,
    readonly nodeKey: Uint8Array,
    readonly logger: Logger,
  ) {
    super()
    this.address = privateKeyToAddress(nodeKey)
  }

  get chainId(): bigint {
    return BigInt(this.genesis.config.chainId)
  }

  get head(): Block {
    return this.store.head
  }

  /** Opens the data folder; writes the genesis block on first use, and refuses a folder of another chain. */
  static async open(dataDir: string, config: NodeConfig, { logger }: NodeModules): Promise<Node> {
    const genesis = parseGenesis(await readJsonFile(join(dataDir, config.genesisFile), 'genesis file'), config.genesisFile)
    const nodeKey = await readKeyFile(join(dataDir, config.nodeKeyFile))
    const common = createChainCommon(BigInt(genesis.config.chainId), genesis.gasLimit)
    const store = await ChainStore.open(join(dataDir, 'chain'), common)
    try {
      const expected = createGenesisBlock(genesis, common, await writeGenesisState(genesis, new MerkleStateManager({ common })))
      if (store.isEmpty) {
        await writeGenesisState(genesis, createStateManager(common, store))
        await store.commit({ block: expected, seals: [], receipts: [] })
        logger.info({ genesis: bytesToHex(expected.hash()) }, 'wrote the genesis block')
      } else {
        const stored = await store.getBlockByNumber(0n)
        if (!stored || bytesToHex(stored.hash()) !== bytesToHex(expected.hash())) {
          throw new QuorateError('GENESIS_MISMATCH', `the chain in ${dataDir} was started from another genesis`, {
            details: `stored genesis ${stored ? bytesToHex(stored.hash()) : 'none'}, ${config.genesisFile} gives ${bytesToHex(expected.hash())}; use another data folder or --reset`,
          })
        }
      }
      const executor = await BlockExecutor.create(common, store)
      const calls = await CallExecutor.create(common, store)
      const pool = new TxPool(
        {
          common,
          blockGasLimit: genesis.gasLimit,
          maxPerSender: config.txpool.maxPerSender,
          maxTotal: config.txpool.maxTotal,
          maxTxBytes: config.txpool.maxTxBytes,
          minGasPrice: config.txpool.minGasPrice,
        },
        { getAccount: (a) => calls.getAccount(store.head, a) },
        { logger: logger.child({ module: 'txpool' }) },
      )
      return new Node(dataDir, config, genesis, common, store, executor, calls, pool, nodeKey, logger)
    } catch (err) {
      await store.close()
      throw err
    }
  }

  /** Starts block production. */
  start(): void {
    const validators = this.genesis.validators
    if (validators.length === 1 && validators[0] === this.address) {
      this.producer = new SingleSealer(
        { blockPeriodMs: this.genesis.config.blockPeriodMs, emptyBlockPeriodMs: this.genesis.config.emptyBlockPeriodMs, nodeKey: this.nodeKey },
        { store: this.store, executor: this.executor, pool: this.pool, commit: (r) => this.commitBlock(r), logger: this.logger.child({ module: 'sealer' }) },
      )
      this.pool.on('pending', () => this.producer?.onPending())
      this.producer.start()
    }
    this.logger.info({ address: this.address, head: Number(this.head.header.number), chainId: Number(this.chainId) }, 'node started')
  }

  /** The one way a final block enters the chain. */
  async commitBlock(record: BlockRecord): Promise<void> {
    await this.store.commit(record)
    const { block } = record
    this.logger.info(
      { number: Number(block.header.number), hash: bytesToHex(block.hash()) as Hash, txs: block.transactions.length, gasUsed: Number(block.header.gasUsed) },
      'block final',
    )
    await this.pool.onNewHead({ getAccount: (a) => this.calls.getAccount(block, a) })
    this.emit('block', record)
  }

  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    await this.producer?.stop()
    await this.store.close()
    this.logger.info('node stopped')
  }
}
