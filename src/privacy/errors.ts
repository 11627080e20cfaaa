/** The errors of private data, each with a stable code (mapped to JSON-RPC numbers in rpc/priv.ts). */
import { QuorateError } from '../errors.js'

export class NotMemberError extends QuorateError {
  override name = 'NotMemberError'
  constructor(collection: string, party: string) {
    super('PRIVATE_NOT_MEMBER', `not a member of this collection: party "${party}" is not a member of collection "${collection}"`)
  }
}

export class PurposeNotAllowedError extends QuorateError {
  override name = 'PurposeNotAllowedError'
  constructor(message: string) {
    super('PRIVATE_PURPOSE_NOT_ALLOWED', message)
  }
}

export class PrivateDataError extends QuorateError {
  override name = 'PrivateDataError'
}

/** A consent-based grant without the data subject's consent (never given, or withdrawn). */
export class ConsentMissingError extends QuorateError {
  override name = 'ConsentMissingError'
  constructor(message: string) {
    super('PRIVATE_CONSENT_MISSING', message)
  }
}
