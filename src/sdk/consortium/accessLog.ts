/**
 * The access log of a data subject: every read of (and refused attempt at) the subject's private
 * records on the node asked, signed by the node key, exportable and verifiable (GDPR art. 15).
 */
import type { AccessLogExport, Verification } from '../../privacy/access-log.js'
import { consortiumRequest, type ConsortiumClient } from './client.js'

export type { AccessLogExport }

export function exportAccessLog(client: ConsortiumClient, params: { subject: string }): Promise<AccessLogExport> {
  return consortiumRequest(client, 'accessLog', 'priv_getAccessLog', [params.subject])
}

/** Checks an exported log's hashes and signatures (or, with none given, the node's whole log). */
export function verifyAccessLog(client: ConsortiumClient, exported?: AccessLogExport): Promise<Verification> {
  return consortiumRequest(client, 'accessLog', 'priv_verifyAccessLog', exported === undefined ? [] : [exported])
}
