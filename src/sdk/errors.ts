/**
 * The SDK's one error set: the same `code` whatever fabric the application runs on, so an
 * application switches on `err.code` and never on a ledger's own message text. Fabrics translate
 * what their ledger answers (JSON-RPC error numbers, Solidity custom errors, Quorate error codes)
 * into these; nothing else leaves the SDK.
 */
import { QuorateError, type QuorateErrorOptions } from '../errors.js'

export const LEDGER_ERROR_CODES = [
  /** The application passed something malformed (an address, an artifact, a purpose, …). */
  'INVALID_INPUT',
  /** The contract reverted; `reason` and `errorName`/`args` say why when they can be decoded. */
  'REVERTED',
  /** The account's nonce was taken or is too far ahead. */
  'NONCE',
  /** Governance does not permit this account or party to do it. */
  'NOT_PERMITTED',
  /** Private data: the caller's party is not a member of the collection or lacks the purpose. */
  'NOT_A_MEMBER',
  /** The fabric has no such feature (private data on Anvil, governance on geth, …). */
  'NOT_SUPPORTED_BY_FABRIC',
  /** No such transaction, block, contract, record or proposal. */
  'NOT_FOUND',
  /** The ledger could not be reached or did not answer in time. */
  'UNREACHABLE',
] as const
export type LedgerErrorCode = (typeof LEDGER_ERROR_CODES)[number]

export class LedgerError extends QuorateError {
  override name = 'LedgerError'
  declare readonly code: LedgerErrorCode
  constructor(code: LedgerErrorCode, message: string, opts: QuorateErrorOptions = {}) {
    super(code, message, opts)
  }
}

/** A feature the fabric in use does not offer; `capabilities()` tells it up front. */
export class NotSupportedByFabric extends LedgerError {
  override name = 'NotSupportedByFabric'
  readonly fabric: string
  readonly feature: string
  constructor(fabric: string, feature: string) {
    super('NOT_SUPPORTED_BY_FABRIC', `${feature} is not supported by the ${fabric} fabric`)
    this.fabric = fabric
    this.feature = feature
  }
}

export function isLedgerError(err: unknown, code?: LedgerErrorCode): err is LedgerError {
  return err instanceof LedgerError && (code === undefined || err.code === code)
}
