/**
 * PrivateDataClient: typed helpers for applications, over a node's priv_* JSON-RPC methods. The
 * node does the cryptography, distribution and anchoring; the application names a purpose on
 * every read. Errors come back as PrivateDataClientError with the node's message and JSON-RPC code
 * (e.g. "not a member of this collection: ...").
 */
import { QuorateError } from '../errors.js'
import { RpcCallError, rpcCall } from '../rpc/http-client.js'
import type { Address, Hex } from '../types.js'
import type { AccessLogExport, Verification } from './access-log.js'
import type { CollectionInfo } from './anchors.js'
import type { ConsentInput, ConsentState } from './consent.js'
import type { PutInput, PutResult, ReadResult } from './service.js'
import type { RecordMeta } from './record.js'

/** A put waits for every member node's acknowledgement and the anchor to be final. */
const CALL_TIMEOUT_MS = 120_000

export class PrivateDataClientError extends QuorateError {
  override name = 'PrivateDataClientError'
  readonly rpcCode: number
  constructor(method: string, rpcCode: number, message: string) {
    super('PRIVATE_RPC_ERROR', `${method}: ${message}`)
    this.rpcCode = rpcCode
  }
}

export interface ErasureStatus {
  anchor: { keyId: Hex; recordHash: Hex; subjectId: Hex; writer: Address; expiresAt: number; anchoredAt: number; erasedAt: number; purposesHash: Hex; erasureRequest: number }
  confirmations: Address[]
}

export type { AccessLogExport, CollectionInfo, PutInput, PutResult, ReadResult, Verification }

export class PrivateDataClient {
  constructor(readonly rpcUrl: string) {}

  private async call<T>(method: string, params: unknown[] = []): Promise<T> {
    try {
      return (await rpcCall(this.rpcUrl, method, params, CALL_TIMEOUT_MS)) as T
    } catch (err) {
      // The node's own JSON-RPC error keeps its number; "did not answer" stays a NodeUnreachableError.
      if (err instanceof RpcCallError && err.rpcCode !== undefined) throw new PrivateDataClientError(method, err.rpcCode, err.shortMessage.replace(`${method}: `, ''))
      throw err
    }
  }

  collections(): Promise<CollectionInfo[]> {
    return this.call('priv_getCollections')
  }

  collection(id: string): Promise<CollectionInfo> {
    return this.call('priv_getCollection', [id])
  }

  put(input: PutInput): Promise<PutResult> {
    return this.call('priv_putRecord', [input])
  }

  /** `subject`: whom the record is about; a refusal is then logged under it even where the record is not held. */
  get(collection: string, key: string, purpose: string, subject?: string): Promise<ReadResult> {
    return this.call('priv_getRecord', subject === undefined ? [collection, key, purpose] : [collection, key, purpose, subject])
  }

  list(collection: string): Promise<Omit<RecordMeta, 'subject'>[]> {
    return this.call('priv_listRecords', [collection])
  }

  /** Erasure of one record (controlling party only); every member deletes it and confirms on chain. */
  erase(collection: string, target: { key: string } | { subject: string }): Promise<{ requestId: number; txHash: Hex }> {
    return this.call('priv_requestErasure', [{ collection, ...target }])
  }

  erasureStatus(collection: string, key: string): Promise<ErasureStatus> {
    return this.call('priv_getErasureStatus', [collection, key])
  }

  /** Records a subject's consent, or its withdrawal, for a consent-based grant (controlling party only). */
  setConsent(input: ConsentInput): Promise<{ txHash: Hex; blockNumber: number }> {
    return this.call('priv_setConsent', [input])
  }

  /** The subject's consent for every consent-based grant of the collection. */
  consents(collection: string, subject: string): Promise<ConsentState[]> {
    return this.call('priv_getConsents', [{ collection, subject }])
  }

  accessLog(subject: string): Promise<AccessLogExport> {
    return this.call('priv_getAccessLog', [subject])
  }

  /** Verifies an exported log (or, without one, the node's whole log). */
  verifyAccessLog(exported?: AccessLogExport): Promise<Verification> {
    return this.call('priv_verifyAccessLog', exported === undefined ? [] : [exported])
  }
}
