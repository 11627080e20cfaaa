/**
 * The chain side of private data for one node: reading collections (governance contract) and
 * anchors (PrivateDataAnchors) at the head, and sending the node key's anchor, erasure and
 * confirmation transactions. Each transaction is simulated first so a refusal comes back with
 * the contract's reason, then signed with the node key, put in the local pool (which gossips it)
 * and awaited until a final block holds its receipt.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, type Abi } from 'viem'
import { QuorateError } from '../errors.js'
import { governanceArtifacts } from '../governance/artifacts.js'
import { GOVERNANCE_ADDRESS } from '../governance/address.js'
import { bytes32ToPartyId } from '../governance/decisions.js'
import type { CallExecutor } from '../execution/call.js'
import type { TxPool } from '../execution/txpool.js'
import type { ChainReader } from '../node/ports.js'
import type { Address, Hash, Hex } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from './address.js'
import type { AnchorInfo } from './delivery.js'
import { PrivateDataError } from './errors.js'
import { toBytes32 } from './record.js'

export interface Grant {
  party: string
  purpose: string
  basis: string
}

export interface CollectionInfo {
  id: string
  controller: string
  retentionSeconds: number
  members: string[]
  grants: Grant[]
}

export interface MemberNode {
  address: Address
  party: string
  encryptionKey: Hex
}

interface CollectionTuple {
  id: Hex
  controller: Hex
  retentionSeconds: bigint
  members: readonly Hex[]
  grantParties: readonly Hex[]
  grantPurposes: readonly Hex[]
  grantBases: readonly Hex[]
}

interface AnchorTuple {
  collection: Hex
  keyId: Hex
  recordHash: Hex
  subjectId: Hex
  purposesHash: Hex
  expiresAt: bigint
  writer: Address
  anchoredAt: bigint
  erasedAt: bigint
  erasureRequest: bigint
}

const ZERO32 = `0x${'00'.repeat(32)}` as Hex
const TX_GAS = 3_000_000n

export function collectionFromTuple(c: CollectionTuple): CollectionInfo {
  return {
    id: bytes32ToPartyId(c.id),
    controller: bytes32ToPartyId(c.controller),
    retentionSeconds: Number(c.retentionSeconds),
    members: c.members.map(bytes32ToPartyId),
    grants: c.grantParties.map((p, i) => ({ party: bytes32ToPartyId(p), purpose: bytes32ToPartyId(c.grantPurposes[i]!), basis: bytes32ToPartyId(c.grantBases[i]!) })),
  }
}

/**
 * What the chain side of private data reads from and sends through the node: state reads and
 * simulations at the head, the pool its signed transactions enter, and the receipts it awaits.
 */
export interface PrivacyChainNode {
  readonly address: Address
  readonly head: Block
  readonly common: Common
  readonly config: { readonly txpool: { readonly minGasPrice: bigint } }
  readonly calls: Pick<CallExecutor, 'call' | 'getAccount'>
  readonly pool: Pick<TxPool, 'add'>
  readonly store: Pick<ChainReader, 'getTxLocation' | 'getReceipts'>
}

export class PrivacyChain {
  private readonly govAbi: Abi = governanceArtifacts().ConsortiumGovernance.abi
  readonly anchorsAbi: Abi = governanceArtifacts().PrivateDataAnchors.abi
  private readonly txLock = new Mutex()
  private nextNonce = 0n

  constructor(
    private readonly node: PrivacyChainNode,
    private readonly nodeKey: Uint8Array,
  ) {}

  /** A view of the anchors contract through another ABI (e.g. the access log head fragment). */
  readAnchors<T>(abi: Abi, functionName: string, args: readonly unknown[]): Promise<T> {
    return this.read<T>(PRIVATE_DATA_ANCHORS_ADDRESS, abi, functionName, args)
  }

  private async read<T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<T> {
    const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])
    const out = await this.node.calls.call(this.node.head, { to, data: hexToBytes(data) })
    return decodeFunctionResult({ abi, functionName, data: bytesToHex(out) } as Parameters<typeof decodeFunctionResult>[0]) as T
  }

  async collections(): Promise<CollectionInfo[]> {
    return (await this.read<readonly CollectionTuple[]>(GOVERNANCE_ADDRESS, this.govAbi, 'getCollections')).map(collectionFromTuple)
  }

  async collection(id: string): Promise<CollectionInfo | undefined> {
    const c = await this.read<CollectionTuple>(GOVERNANCE_ADDRESS, this.govAbi, 'getCollection', [toBytes32(id)])
    return c.id === ZERO32 ? undefined : collectionFromTuple(c)
  }

  /** The party of this node's key (undefined if the node is not active). */
  async partyOf(node: Address): Promise<string | undefined> {
    const p = await this.read<Hex>(GOVERNANCE_ADDRESS, this.govAbi, 'nodePartyOf', [node])
    return p === ZERO32 ? undefined : bytes32ToPartyId(p)
  }

  /** Active nodes of the given parties, with their registered X25519 keys. */
  async memberNodes(parties: readonly string[]): Promise<MemberNode[]> {
    const [nodes, nodeParties, , statuses, , keys] = await this.read<
      readonly [readonly Address[], readonly Hex[], readonly boolean[], readonly number[], readonly string[], readonly Hex[]]
    >(GOVERNANCE_ADDRESS, this.govAbi, 'getNodes')
    const out: MemberNode[] = []
    for (let i = 0; i < nodes.length; i++) {
      const party = bytes32ToPartyId(nodeParties[i]!)
      if (statuses[i] !== 1 || !parties.includes(party)) continue
      if ((await this.partyOf(nodes[i]!)) === undefined) continue
      out.push({ address: nodes[i]!.toLowerCase() as Address, party, encryptionKey: keys[i]! })
    }
    return out
  }

  /** The anchor of a record by its keyed id (record.ts `collectionIds`). */
  async anchor(collection: string, keyId: Hex): Promise<AnchorInfo & { erasureRequest: number }> {
    const a = await this.read<AnchorTuple>(PRIVATE_DATA_ANCHORS_ADDRESS, this.anchorsAbi, 'getAnchor', [toBytes32(collection), keyId])
    return {
      keyId: a.keyId,
      recordHash: a.recordHash,
      subjectId: a.subjectId,
      purposesHash: a.purposesHash,
      writer: a.writer.toLowerCase() as Address,
      expiresAt: Number(a.expiresAt),
      anchoredAt: Number(a.anchoredAt),
      erasedAt: Number(a.erasedAt),
      erasureRequest: Number(a.erasureRequest),
    }
  }

  /** A subject's consent (by keyed subject id) for a party and purpose of a collection; changedAt 0: never recorded. */
  async consent(collection: string, subjectId: Hex, party: string, purpose: string): Promise<{ granted: boolean; changedAt: number }> {
    const [granted, changedAt] = await this.read<readonly [boolean, bigint]>(PRIVATE_DATA_ANCHORS_ADDRESS, this.anchorsAbi, 'consent', [toBytes32(collection), subjectId, toBytes32(party), toBytes32(purpose)])
    return { granted, changedAt: Number(changedAt) }
  }

  /** The latest access-log head a node anchored with `anchorAccessLogHead` (count 0: none). */
  async accessLogHead(node: Address): Promise<{ head: Hex; count: number; blockNumber: number }> {
    const [head, count, blockNumber] = await this.read<readonly [Hex, bigint, bigint]>(PRIVATE_DATA_ANCHORS_ADDRESS, this.anchorsAbi, 'accessLogHead', [node])
    return { head, count: Number(count), blockNumber: Number(blockNumber) }
  }

  async deletionConfirmations(collection: string, keyId: Hex): Promise<Address[]> {
    const list = await this.read<readonly Address[]>(PRIVATE_DATA_ANCHORS_ADDRESS, this.anchorsAbi, 'deletionConfirmations', [toBytes32(collection), keyId])
    return list.map((a) => a.toLowerCase() as Address)
  }

  /** Nodes of parties removed from the collection that confirmed purging the record. */
  async removalPurgeConfirmations(collection: string, keyId: Hex): Promise<Address[]> {
    const list = await this.read<readonly Address[]>(PRIVATE_DATA_ANCHORS_ADDRESS, this.anchorsAbi, 'removalPurgeConfirmations', [toBytes32(collection), keyId])
    return list.map((a) => a.toLowerCase() as Address)
  }

  /** Sends a transaction to the anchors contract from the node key; resolves with its receipt logs once final. */
  send(functionName: string, args: readonly unknown[], abi: Abi = this.anchorsAbi): Promise<{ txHash: Hash; blockNumber: number; logs: { topics: Hex[]; data: Hex }[] }> {
    return this.txLock.run(async () => {
      const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])
      try {
        await this.node.calls.call(this.node.head, { from: this.node.address, to: PRIVATE_DATA_ANCHORS_ADDRESS, data: hexToBytes(data), gas: TX_GAS })
      } catch (err) {
        throw new PrivateDataError('PRIVATE_ANCHOR_REFUSED', `${functionName} refused: ${this.customError(err) ?? (err instanceof Error ? err.message.replace(/^execution reverted: /, '') : String(err))}`)
      }
      const { nonce } = await this.node.calls.getAccount(this.node.head, this.node.address)
      // The pool may still hold our previous transaction: never reuse its nonce.
      const useNonce = nonce > this.nextNonce ? nonce : this.nextNonce
      // Privacy transactions pay this node's minimum gas price like any other (no exemption a
      // spammer could use); on a chain with a price the node key must hold a balance.
      const tx = createLegacyTx(
        { nonce: useNonce, gasPrice: this.node.config.txpool.minGasPrice, gasLimit: TX_GAS, to: createAddressFromString(PRIVATE_DATA_ANCHORS_ADDRESS), data: hexToBytes(data) },
        { common: this.node.common },
      ).sign(this.nodeKey)
      const txHash = (await this.node.pool.add(tx)) as Hash
      this.nextNonce = useNonce + 1n
      return this.waitForReceipt(txHash, functionName)
    })
  }

  /** The contract's custom error (e.g. `AccessLogHeadRegressed(5, 3)`) from a reverted call, if it is one. */
  private customError(err: unknown): string | undefined {
    const data = err instanceof QuorateError && typeof err.data === 'string' ? (err.data as Hex) : undefined
    if (!data || data.length < 10) return undefined
    try {
      const e = decodeErrorResult({ abi: this.anchorsAbi, data })
      if (e.errorName === 'Error' || e.errorName === 'Panic') return undefined
      return `${e.errorName}(${(e.args ?? []).map(String).join(', ')})`
    } catch {
      return undefined
    }
  }

  private async waitForReceipt(txHash: Hash, what: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const loc = await this.node.store.getTxLocation(txHash)
      if (loc) {
        const receipt = (await this.node.store.getReceipts(loc.blockHash))?.[loc.index]
        if (receipt?.status !== 1) throw new PrivateDataError('PRIVATE_ANCHOR_REFUSED', `${what} transaction ${txHash} reverted`)
        const logs = receipt.logs
          .filter((l) => bytesToHex(l[0]).toLowerCase() === PRIVATE_DATA_ANCHORS_ADDRESS)
          .map((l) => ({ topics: l[1].map((t) => bytesToHex(t) as Hex), data: bytesToHex(l[2]) as Hex }))
        return { txHash, blockNumber: Number(loc.blockNumber), logs }
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new PrivateDataError('PRIVATE_ANCHOR_TIMEOUT', `${what} transaction ${txHash} was not in a final block within ${timeoutMs / 1000} s`)
  }
}
