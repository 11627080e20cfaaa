/**
 * PrivateDataClient: typed helpers for applications, over a node's priv_* JSON-RPC methods. The
 * node does the cryptography, distribution and anchoring; the application names a purpose on
 * every read. Errors come back as PrivateDataClientError with the node's message and JSON-RPC code
 * (e.g. "not a member of this collection: ...").
 */
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import type { AccessLogExport, Verification } from './access-log.js'
import type { CollectionInfo } from './anchors.js'
import type { PutInput, PutResult, ReadResult } from './service.js'
import type { RecordMeta } from './record.js'

export class PrivateDataClientError extends QuorateError {
  override name = 'PrivateDataClientError'
  readonly rpcCode: number
  constructor(method: string, rpcCode: number, message: string) {
    super('PRIVATE_RPC_ERROR', `${method}: ${message}`)
    this.rpcCode = rpcCode
  }
}

export interface ErasureStatus {
  anchor: { keyId: Hex; recordHash: Hex; subjectId: Hex; writer: Address; expiresAt: number; anchoredAt: number; erasedAt: number; purposes: string[]; erasureRequest: number }
  confirmations: Address[]
}

export type { AccessLogExport, CollectionInfo, PutInput, PutResult, ReadResult, Verification }

export class PrivateDataClient {
  private id = 0

  constructor(readonly rpcUrl: string) {}

  private async call<T>(method: string, params: unknown[] = []): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }) })
    } catch (err) {
      throw new QuorateError('RPC_UNREACHABLE', `cannot reach the node at ${this.rpcUrl}`, { cause: err })
    }
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string } }
    if (body.error) throw new PrivateDataClientError(method, body.error.code, body.error.message)
    return body.result as T
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

  get(collection: string, key: string, purpose: string): Promise<ReadResult> {
    return this.call('priv_getRecord', [collection, key, purpose])
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

  accessLog(subject: string): Promise<AccessLogExport> {
    return this.call('priv_getAccessLog', [subject])
  }

  /** Verifies an exported log (or, without one, the node's whole log). */
  verifyAccessLog(exported?: AccessLogExport): Promise<Verification> {
    return this.call('priv_verifyAccessLog', exported === undefined ? [] : [exported])
  }
}
