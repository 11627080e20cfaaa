/**
 * The one error base of Quorate. Every error carries a stable `code` that callers (the JSON-RPC
 * layer, the CLI, tests) switch on, a `shortMessage` a person can act on, and optional `details`
 * and `cause`. The JSON-RPC layer maps codes to EIP-1474 numbers in one table (rpc/errors.ts).
 */
export interface QuorateErrorOptions {
  details?: string
  cause?: unknown
  /** Extra data returned to JSON-RPC clients, e.g. revert data. */
  data?: unknown
}

export class QuorateError extends Error {
  override name = 'QuorateError'
  readonly code: string
  readonly shortMessage: string
  readonly details?: string
  readonly data?: unknown

  constructor(code: string, shortMessage: string, opts: QuorateErrorOptions = {}) {
    super(opts.details ? `${shortMessage}\n\nDetails: ${opts.details}` : shortMessage, opts.cause !== undefined ? { cause: opts.cause } : undefined)
    this.code = code
    this.shortMessage = shortMessage
    if (opts.details !== undefined) this.details = opts.details
    if (opts.data !== undefined) this.data = opts.data
  }

  /** Walks `cause` until `fn` matches, like viem's BaseError.walk. */
  walk(fn: (err: unknown) => boolean): unknown {
    if (fn(this)) return this
    let err: unknown = this.cause
    while (err !== undefined && err !== null) {
      if (fn(err)) return err
      err = (err as { cause?: unknown }).cause
    }
    return undefined
  }
}

/** Config file or CLI flag problems; `field` is the path of the bad field. */
export class ConfigError extends QuorateError {
  override name = 'ConfigError'
  readonly field: string
  constructor(field: string, message: string, opts: QuorateErrorOptions = {}) {
    super('CONFIG_INVALID', field ? `${field}: ${message}` : message, opts)
    this.field = field
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof QuorateError) return err.shortMessage
  if (err instanceof Error) return err.message
  return String(err)
}
