/**
 * Private data collections: records shared only with the collection's member parties, read for a
 * named purpose (each read and refusal goes to the data subject's access log), erased on the
 * controller's request. A collection is created by a SetCollection proposal (see `propose`).
 */
import type { CollectionInfo } from '../../privacy/anchors.js'
import type { PutInput, PutResult, ReadResult } from '../../privacy/service.js'
import type { Hex } from '../../types.js'
import { consortiumRequest, type ConsortiumClient } from './client.js'

export type PrivateCollection = CollectionInfo
export type PutPrivateDataParameters = PutInput
export type PutPrivateDataResult = PutResult
export type PrivateRecord = ReadResult

/** Stores a record: anchored on chain, sent encrypted to the member nodes whose party may use one of its purposes. */
export function putPrivateData(client: ConsortiumClient, params: PutPrivateDataParameters): Promise<PutPrivateDataResult> {
  return consortiumRequest(client, 'privateData', 'priv_putRecord', [params])
}

export interface GetPrivateDataParameters {
  collection: string
  key: string
  /** Why it is read: one of the purposes the caller's party is granted in the collection. */
  purpose: string
  /** The data subject, so a refused read of a record this node does not hold is logged under it. */
  subject?: string
}

/** Reads a record for a purpose; NOT_A_MEMBER when the caller's party is no member or lacks the purpose. */
export function getPrivateData(client: ConsortiumClient, params: GetPrivateDataParameters): Promise<PrivateRecord> {
  const args: unknown[] = [params.collection, params.key, params.purpose]
  if (params.subject !== undefined) args.push(params.subject)
  return consortiumRequest(client, 'privateData', 'priv_getRecord', args)
}

export type ErasePrivateDataParameters = { collection: string; key: string; subject?: undefined } | { collection: string; subject: string; key?: undefined }

/** Asks every member to erase a record (or all records of a subject); the controlling party only. */
export function erasePrivateData(client: ConsortiumClient, params: ErasePrivateDataParameters): Promise<{ requestId: number; txHash: Hex }> {
  const target = params.key !== undefined ? { collection: params.collection, key: params.key } : { collection: params.collection, subject: params.subject }
  return consortiumRequest(client, 'privateData', 'priv_requestErasure', [target])
}

export interface ErasureStatus {
  anchor: { recordHash: Hex; erasedAt: number; erasureRequest: number; anchoredAt: number; expiresAt: number } & Record<string, unknown>
  /** Member nodes that confirmed deleting the record. */
  confirmations: Hex[]
  [field: string]: unknown
}

/** Where an erasure stands: the record's anchor and the member nodes that confirmed deleting it. */
export function getErasureStatus(client: ConsortiumClient, params: { collection: string; key: string }): Promise<ErasureStatus> {
  return consortiumRequest(client, 'privateData', 'priv_getErasureStatus', [params.collection, params.key])
}

export function getPrivateCollections(client: ConsortiumClient): Promise<PrivateCollection[]> {
  return consortiumRequest(client, 'privateData', 'priv_getCollections')
}
