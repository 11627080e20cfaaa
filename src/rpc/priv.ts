/**
 * priv_* methods: private data collections on this node (registered on governed chains). Writes
 * anchor on chain and send the record to the collection's member nodes; reads name a purpose and
 * are written to the access log. Errors get their JSON-RPC numbers from the table in rpc/errors.ts.
 */
import { z } from 'zod'
import type { PrivacyService } from '../privacy/service.js'
import { recordKey, shortId, subjectId } from '../privacy/record.js'
import { method, noParams, type RpcContext, type RpcMethods } from './types.js'

/**
 * A params object that refuses fields it does not know (-32602 naming the field, with the known
 * field it most likely meant): a misspelt `retention` must not silently become the default.
 */
export function strictParams<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape)
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? iss.keys.map((k) => unknownField(k, known)).join('; ') : undefined),
  })
}

function unknownField(field: string, known: readonly string[]): string {
  const near = closest(field, known)
  return `unknown field "${field}"${near ? ` (did you mean "${near}"?)` : ''}; known fields: ${known.join(', ')}`
}

/** The known field that starts like `field` (or it like a known one), else one within 2 edits. */
function closest(field: string, known: readonly string[]): string | undefined {
  const f = field.toLowerCase()
  const prefix = known.find((k) => k.toLowerCase().startsWith(f) || f.startsWith(k.toLowerCase()))
  if (prefix) return prefix
  let best: { k: string; d: number } | undefined
  for (const k of known) {
    const d = editDistance(f, k.toLowerCase())
    if (d <= 2 && (!best || d < best.d)) best = { k, d }
  }
  return best?.k
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

const PutSchema = strictParams({
  collection: shortId,
  key: recordKey,
  subject: subjectId,
  purposes: z.array(shortId).min(1).max(16),
  data: z.string().max(1_000_000),
  retentionSeconds: z.number().int().positive().optional(),
})

const ErasureSchema = strictParams({ collection: shortId, key: recordKey.optional(), subject: subjectId.optional() }).refine((r) => (r.key === undefined) !== (r.subject === undefined), {
  message: 'name either "key" or "subject", not both',
})

const ConsentSchema = strictParams({ collection: shortId, subject: subjectId, party: shortId, purpose: shortId, granted: z.boolean() })
const ConsentsQuerySchema = strictParams({ collection: shortId, subject: subjectId })

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
    priv_requestErasure: method(z.tuple([ErasureSchema]), ([req]) => privacy.requestErasure(req.collection, req.key !== undefined ? { key: req.key } : { subject: req.subject! })),
    priv_getErasureStatus: method(z.tuple([shortId, recordKey]), async ([collection, key]) => ({
      anchor: await privacy.anchorOf(collection, key),
      confirmations: await privacy.deletionConfirmations(collection, key),
      ...(await privacy.erasureStatus(collection, key)),
      removedPartyPurges: await privacy.removalPurgeConfirmations(collection, key),
    })),
    priv_getAccessLog: method(z.tuple([subjectId]), ([subject]) => privacy.accessLog(subject)),
    priv_verifyAccessLog: method(z.tuple([z.unknown().optional()]), ([exported]) => privacy.verifyAccessLog(exported)),
    priv_setConsent: method(z.tuple([ConsentSchema]), ([input], ctx) => privacy.setConsent(input, callerLabel(ctx))),
    priv_getConsents: method(z.tuple([ConsentsQuerySchema]), ([q]) => privacy.getConsents(q.collection, q.subject)),
    priv_getEncryptionKey: noParams(() => privacy.encryptionPublicKey),
  }
}

/** The API caller as the access log records it: `apiKey:fund-ops@10.0.0.5`, `anonymous@127.0.0.1`. */
export function callerLabel(ctx: RpcContext): string {
  const c = ctx.caller
  const who = c ? (c.name !== undefined ? `${c.kind}:${c.name}` : c.kind) : 'anonymous'
  return `${who}@${c?.remoteAddress ?? ctx.remoteAddress ?? 'unknown'}`
}
