/**
 * Structured logs (pino). Levels: fatal = the node stops; error = an operation failed and needs an
 * operator; warn = degraded but working (peer lost, block rejected); info = one line per finalised
 * block and lifecycle events; debug = protocol detail; trace = per-message detail.
 * Never log a private key or private payload: the `redact` paths below are a last line of defence.
 *
 * Warn and error lines are rate-limited per message (a token bucket each, then one "N similar log
 * lines suppressed" line), so that traffic a client controls cannot make the log grow with it
 * (issue #9: 7.7 log bytes per byte sent). Fatal lines and lower levels are never held back.
 */
import { pino, destination, type LogFn, type Logger } from 'pino'

export type { Logger }

/** Fields never written to a log, at the top level or nested up to two objects deep. */
const SECRET_FIELDS = ['privateKey', 'nodeKey', 'payload', 'plaintext', 'encryptionKey', 'secret']

export interface LoggerOptions {
  level?: string
  /** The node's name (config `name`), written as `node` in every line. */
  node?: string
  /** Write to this file descriptor (default stdout). */
  destination?: number
  /** Warn/error lines per message: `burst` at once, then `perMinute`; false = unlimited. Default 10 and 6. */
  rateLimit?: LogRateLimit | false
}

export interface LogRateLimit {
  burst: number
  perMinute: number
}

const DEFAULT_RATE_LIMIT: LogRateLimit = { burst: 10, perMinute: 6 }
/** Distinct messages tracked at once; the oldest is forgotten beyond this. */
const MAX_TRACKED_MESSAGES = 1000
const WARN = 40
const FATAL = 60

interface Bucket {
  tokens: number
  updated: number
  suppressed: number
  level: number
  logger: Logger
}

/**
 * A pino `logMethod` hook: lets a message through while its bucket has a token, counts it
 * otherwise, and reports the count with the next line let through (or within a minute).
 */
export function rateLimitHook(limit: LogRateLimit): (this: Logger, args: Parameters<LogFn>, method: LogFn, level: number) => void {
  const buckets = new Map<string, Bucket>()
  const perMs = limit.perMinute / 60_000
  let flusher: NodeJS.Timeout | undefined
  const report = (msg: string, b: Bucket, method: LogFn): void => {
    const n = b.suppressed
    b.suppressed = 0
    method.call(b.logger, { suppressed: n, suppressedMsg: msg }, `${n} similar log lines suppressed`)
  }
  const flush = (): void => {
    for (const [key, b] of buckets) {
      if (b.suppressed === 0) continue
      const msg = key.slice(key.indexOf(':') + 1)
      report(msg, b, b.level >= 50 ? b.logger.error.bind(b.logger) : b.logger.warn.bind(b.logger))
    }
    if (![...buckets.values()].some((b) => b.suppressed > 0) && flusher) {
      clearInterval(flusher)
      flusher = undefined
    }
  }
  return function (this: Logger, args: Parameters<LogFn>, method: LogFn, level: number): void {
    if (level < WARN || level >= FATAL) return method.apply(this, args)
    const msg = typeof args[0] === 'string' ? args[0] : typeof args[1] === 'string' ? args[1] : ''
    const key = `${level}:${msg}`
    const now = Date.now()
    let b = buckets.get(key)
    if (!b) {
      if (buckets.size >= MAX_TRACKED_MESSAGES) buckets.delete(buckets.keys().next().value!)
      b = { tokens: limit.burst, updated: now, suppressed: 0, level, logger: this }
      buckets.set(key, b)
    }
    b.tokens = Math.min(limit.burst, b.tokens + (now - b.updated) * perMs)
    b.updated = now
    b.logger = this
    if (b.tokens < 1) {
      b.suppressed++
      // Nothing else may come to carry the count: report it within a minute anyway.
      flusher ??= setInterval(flush, 60_000).unref()
      return
    }
    b.tokens -= 1
    if (b.suppressed > 0) report(msg, b, method)
    return method.apply(this, args)
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.QUORATE_LOG_LEVEL ?? 'info',
      base: opts.node === undefined ? undefined : { node: opts.node },
      redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]), censor: '[redacted]' },
      ...(opts.rateLimit === false ? {} : { hooks: { logMethod: rateLimitHook(opts.rateLimit ?? DEFAULT_RATE_LIMIT) } }),
    },
    destination({ dest: opts.destination ?? 1, sync: true }),
  )
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
