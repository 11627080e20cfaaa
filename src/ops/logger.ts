/**
 * Structured logs (pino). Levels: fatal = the node stops; error = an operation failed and needs an
 * operator; warn = degraded but working (peer lost, block rejected); info = one line per finalised
 * block and lifecycle events; debug = protocol detail; trace = per-message detail.
 * Never log a private key or private payload: the `redact` paths below are a last line of defence.
 */
import { pino, destination, type Logger } from 'pino'

export type { Logger }

/** Fields never written to a log, at the top level or nested up to two objects deep. */
const SECRET_FIELDS = ['privateKey', 'nodeKey', 'payload', 'plaintext', 'encryptionKey', 'secret']

export interface LoggerOptions {
  level?: string
  /** Write to this file descriptor (default stdout). */
  destination?: number
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.QUORATE_LOG_LEVEL ?? 'info',
      base: undefined,
      redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]), censor: '[redacted]' },
    },
    destination({ dest: opts.destination ?? 1, sync: true }),
  )
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
