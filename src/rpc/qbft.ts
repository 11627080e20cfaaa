/**
 * qbft_ and admin_ methods (the names Besu uses): the validator set at a block, who proposed and
 * who sealed recent blocks, and this node's P2P view.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bigIntToHex, bytesToHex, hexToBytes, intToHex } from '@ethereumjs/util'
import { z } from 'zod'
import { sealDigest } from '../chain/finality.js'
import { recoverAddress } from '../crypto/keys.js'
import { QuorateError } from '../errors.js'
import type { ValidatorSource } from '../consensus/validators.js'
import type { P2PHost } from '../network/host.js'
import type { ChainReader, ConsensusView, SyncView } from '../node/ports.js'
import type { BlockSync } from '../sync/block-sync.js'
import type { Address, Hash } from '../types.js'
import { blockNumberOf, findBlock } from './blocks.js'
import { blockTagSchema, hashSchema } from './schemas.js'
import { method, noParams, type RpcMethods } from './types.js'

const DEFAULT_METRICS_BLOCKS = 100n
const MAX_METRICS_BLOCKS = 10_000n

export interface SignerMetric {
  address: Address
  proposedBlockCount: number
  lastProposedBlockNumber: bigint | undefined
  sealedBlockCount: number
  lastSealedBlockNumber: bigint | undefined
}

/** What signer metrics read: final blocks with their seals, and the validator set. */
export interface SealReader {
  readonly store: Pick<ChainReader, 'head' | 'getBlockByNumber' | 'getBlockByHash' | 'getFinality'>
  readonly validators: ValidatorSource
  readonly common: Common
}

/** This node's P2P view as admin_peers and admin_nodeInfo show it. */
export type PeerView = Pick<P2PHost, 'peers' | 'listenUrl' | 'stats'>

/** What the qbft_ and admin_ methods read from the node. */
export interface QbftNode extends SealReader {
  readonly address: Address
  readonly chainId: bigint
  readonly genesisHash: Hash
  readonly head: Block
  readonly config: { readonly name: string }
  readonly producer: ConsensusView
  readonly host: PeerView | undefined
  readonly sync: (SyncView & Pick<BlockSync, 'stats'>) | undefined
}

/** Proposals (coinbase) and commit seals per validator over blocks [from, to]. */
export async function signerMetrics(node: SealReader, from: bigint, to: bigint): Promise<SignerMetric[]> {
  const metrics = new Map<Address, SignerMetric>()
  const entry = (a: Address) => {
    let m = metrics.get(a)
    if (!m) metrics.set(a, (m = { address: a, proposedBlockCount: 0, lastProposedBlockNumber: undefined, sealedBlockCount: 0, lastSealedBlockNumber: undefined }))
    return m
  }
  const head = await findBlock(node.store, { kind: 'number', number: to })
  if (head) for (const v of await node.validators.validatorsAfter(head)) entry(v)
  for (let n = from < 1n ? 1n : from; n <= to; n++) {
    const block = await node.store.getBlockByNumber(n)
    if (!block) break
    const proposer = entry(block.header.coinbase.toString() as Address)
    proposer.proposedBlockCount++
    proposer.lastProposedBlockNumber = n
    const { round, seals } = await node.store.getFinality(bytesToHex(block.hash()) as Hash)
    const digest = hexToBytes(sealDigest(block, round, node.common))
    for (const seal of seals) {
      const signer = recoverAddress(digest, seal)
      if (!signer) continue
      const m = entry(signer)
      m.sealedBlockCount++
      m.lastSealedBlockNumber = n
    }
  }
  return [...metrics.values()]
}

export function qbftMethods(node: QbftNode): RpcMethods {
  const validatorsOf = async (block: Block | undefined) => {
    if (!block) throw new QuorateError('RESOURCE_NOT_FOUND', 'block not found')
    return node.validators.validatorsAfter(block)
  }
  return {
    qbft_getValidatorsByBlockNumber: method(z.tuple([blockTagSchema]), async ([tag]) => validatorsOf(await findBlock(node.store, tag))),
    qbft_getValidatorsByBlockHash: method(z.tuple([hashSchema]), async ([hash]) => validatorsOf(await node.store.getBlockByHash(hash))),
    qbft_getSignerMetrics: method(z.tuple([blockTagSchema.optional(), blockTagSchema.optional()]), async ([fromTag, toTag]) => {
      const to = blockNumberOf(node.store, toTag)
      const from = fromTag ? blockNumberOf(node.store, fromTag) : to >= DEFAULT_METRICS_BLOCKS ? to - DEFAULT_METRICS_BLOCKS + 1n : 1n
      if (to - from + 1n > MAX_METRICS_BLOCKS) throw new QuorateError('LIMIT_EXCEEDED', `at most ${MAX_METRICS_BLOCKS} blocks per query`)
      return (await signerMetrics(node, from, to)).map((m) => ({
        address: m.address,
        proposedBlockCount: intToHex(m.proposedBlockCount),
        lastProposedBlockNumber: m.lastProposedBlockNumber === undefined ? null : bigIntToHex(m.lastProposedBlockNumber),
        sealedBlockCount: intToHex(m.sealedBlockCount),
        lastSealedBlockNumber: m.lastSealedBlockNumber === undefined ? null : bigIntToHex(m.lastSealedBlockNumber),
      }))
    }),
    admin_peers: noParams(() =>
      (node.host?.peers() ?? []).map((p) => ({
        id: p.address,
        name: p.address,
        network: { remoteAddress: p.remoteAddress, inbound: p.direction === 'inbound', ...(p.url ? { url: p.url } : {}) },
        connectedAt: new Date(p.connectedAt).toISOString(),
        bytesIn: p.bytesIn,
        bytesOut: p.bytesOut,
        messagesIn: p.messagesIn,
        messagesOut: p.messagesOut,
        invalidFrames: p.invalidFrames,
        score: p.score,
        droppedOverBudget: p.droppedIn,
        throttledUntil: p.throttledUntil === undefined ? null : new Date(p.throttledUntil).toISOString(),
      })),
    ),
    admin_nodeInfo: noParams(() => {
      const consensus = node.producer.status()
      return {
        id: node.address,
        name: node.config.name,
        listenAddr: node.host?.listenUrl() ?? null,
        chainId: bigIntToHex(node.chainId),
        genesis: node.genesisHash,
        head: { number: bigIntToHex(node.head.header.number), hash: bytesToHex(node.head.hash()) },
        consensus: consensus && {
          height: bigIntToHex(consensus.height),
          round: consensus.round,
          roundChanges: consensus.roundChanges,
          isValidator: consensus.isValidator,
          validators: consensus.validators,
          invalidMessages: consensus.invalidMessages,
        },
        p2p: node.host?.stats() ?? null,
        sync: node.sync ? { syncing: node.sync.syncing, highestKnownBlock: bigIntToHex(node.sync.highestKnown()), ...node.sync.stats() } : null,
      }
    }),
  }
}
