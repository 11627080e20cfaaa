/**
 * priv_* methods: private data collections on this node (registered on governed chains). Writes
 * anchor on chain and send the record to the collection's member nodes; reads name a purpose and
 * are written to the access log. Errors get their JSON-RPC numbers from the table in rpc/errors.ts.
 */
import { z } from 'zod'
import type { PrivacyService } from '../privacy/service.js'
import { recordKey, shortId, subjectId } from '../privacy/record.js'
import { method, noParams, type RpcContext, type RpcMethods } from './types.js'

const PutSchema = z.object({
  collection: shortId,
  key: recordKey,
  subject: subjectId,
  purposes: z.array(shortId).min(1).max(16),
  data: z.string().max(1_000_000),
  retentionSeconds: z.number().int().positive().optional(),
})

const ErasureSchema = z.union([z.object({ collection: shortId, key: recordKey }).strict(), z.object({ collection: shortId, subject: subjectId }).strict()])

export function privMethods(privacy: PrivacyService): RpcMethods {
  return {
    priv_getCollections: noParams(() => privacy.collections()),
    priv_getCollection: method(z.tuple([shortId]), ([id]) => privacy.collection(id)),
    priv_putRecord: method(z.tuple([PutSchema]), ([input], ctx) => privacy.put(input, callerLabel(ctx))),
    // The optional 4th param names the data subject: a refusal for a record this node does not hold
    // (a non-member) is logged under it, so that subject's access log export shows the attempt.
    priv_getRecord: method(z.tuple([shortId, recordKey, shortId, subjectId.optional()]), ([collection, key, purpose, subject], ctx) =>
      privacy.get(collection, key, purpose, callerLabel(ctx), subject),
    ),
    priv_listRecords: method(z.tuple([shortId]), ([collection]) => privacy.list(collection)),
    priv_deleteRecord: method(z.tuple([shortId, recordKey]), ([collection, key]) => privacy.requestErasure(collection, { key })),
    priv_requestErasure: method(z.tuple([ErasureSchema]), ([req]) => privacy.requestErasure(req.collection, 'key' in req ? { key: req.key } : { subject: req.subject })),
    priv_getErasureStatus: method(z.tuple([shortId, recordKey]), async ([collection, key]) => ({
      anchor: await privacy.anchorOf(collection, key),
      confirmations: await privacy.deletionConfirmations(collection, key),
    })),
    priv_getAccessLog: method(z.tuple([subjectId]), ([subject]) => privacy.accessLog(subject)),
    priv_verifyAccessLog: method(z.tuple([z.unknown().optional()]), ([exported]) => privacy.verifyAccessLog(exported)),
    priv_getEncryptionKey: noParams(() => privacy.encryptionPublicKey),
  }
}

/** The API caller as the access log records it: `apiKey:fund-ops@10.0.0.5`, `anonymous@127.0.0.1`. */
export function callerLabel(ctx: RpcContext): string {
  const c = ctx.caller
  const who = c ? (c.name !== undefined ? `${c.kind}:${c.name}` : c.kind) : 'anonymous'
  return `${who}@${c?.remoteAddress ?? ctx.remoteAddress ?? 'unknown'}`
}
