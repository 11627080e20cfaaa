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
  constructor(field: string, message: string, opts: QuorateErrorOptions & { code?: ConfigErrorCode } = {}) {
    super(opts.code ?? 'CONFIG_INVALID', field ? `${field}: ${message}` : message, opts)
    this.field = field
  }
}

/**
 * Why a node could not start (`quorate start`): a stable `code` from the closed set below, and a
 * `fix` the operator can act on. The exit code of each code's class is in src/node/start-failure.ts.
 */
export const START_FAILURE_CODES = [
  'CONFIG_INVALID',
  'CONFIG_MISSING',
  'CONFIG_UNKNOWN_KEY',
  'DATA_DIR_MISSING',
  'STORE_OPEN_FAILED',
  'GENESIS_INVALID',
  'GENESIS_MISMATCH',
  'P2P_PORT_IN_USE',
  'RPC_PORT_IN_USE',
  'METRICS_PORT_IN_USE',
  'LISTEN_FAILED',
  'NODE_KEY_INVALID',
  'TLS_INVALID',
] as const
export type StartFailureCode = (typeof START_FAILURE_CODES)[number]
export type ConfigErrorCode = Extract<StartFailureCode, `CONFIG_${string}`>

export class StartError extends QuorateError {
  override name = 'StartError'
  declare readonly code: StartFailureCode
  /** What to do about it when more specific than the code's fix in src/node/start-failure.ts. */
  readonly fix: string | undefined
  /** The config or genesis field at fault, when there is one. */
  readonly field: string | undefined
  constructor(code: StartFailureCode, message: string, opts: QuorateErrorOptions & { field?: string; fix?: string } = {}) {
    super(code, message, opts)
    this.fix = opts.fix
    this.field = opts.field
  }
}

/** A listener that could not bind: its port is taken (`inUse`), or the address/port is not allowed. */
export function listenError(err: unknown, inUse: 'P2P_PORT_IN_USE' | 'RPC_PORT_IN_USE' | 'METRICS_PORT_IN_USE', what: string, field: string): StartError {
  const sys = (err as { code?: unknown } | null)?.code
  const reason = err instanceof Error ? err.message : String(err)
  if (sys === 'EADDRINUSE') return new StartError(inUse, `cannot listen for ${what}: the port is in use`, { field, cause: err, details: reason })
  return new StartError('LISTEN_FAILED', `cannot listen for ${what}: ${reason}`, { field, cause: err })
}

export function errorMessage(err: unknown): string {
  if (err instanceof QuorateError) return err.shortMessage
  if (err instanceof Error) return err.message
  return String(err)
}
