/**
 * How `quorate start` fails: every failure ends as ONE JSON log line at level fatal with a stable
 * `code` and a `fix`, and the process exits with the code of the failure's class. This table is the
 * one definition of those exit codes; docs/operations.md "Exit codes" mirrors it (checked by
 * test/unit/node/start-up.test.ts).
 */
import type { Logger } from 'pino'
import { ConfigError, QuorateError, StartError, START_FAILURE_CODES, type StartFailureCode } from '../errors.js'

export const EXIT_CLASSES = {
  /** Anything not in a class below (a bug, an unexpected I/O error, a refused command). */
  failure: { exit: 1, meaning: 'any other failure' },
  config: { exit: 2, meaning: 'config file or command-line usage' },
  data: { exit: 3, meaning: 'data folder, chain database or genesis' },
  network: { exit: 4, meaning: 'a port or address cannot be listened on' },
  keys: { exit: 5, meaning: 'node key or TLS pair' },
  pending: { exit: 6, meaning: 'a transaction was sent and is not final yet' },
} as const
export type ExitClass = keyof typeof EXIT_CLASSES

/** Each start-failure code: its class, and the fix written in the fatal line unless the error brings its own. */
export const START_FAILURES: Record<StartFailureCode, { class: ExitClass; fix: string }> = {
  CONFIG_INVALID: { class: 'config', fix: 'correct the field named in the message in config.json (or the flag); `quorate doctor --data-dir <dir>` checks the whole file' },
  CONFIG_UNKNOWN_KEY: { class: 'config', fix: 'remove or rename the key (the message suggests the likely name); docs/cli.md lists every config key' },
  CONFIG_MISSING: { class: 'config', fix: 'pass the --data-dir of an initialised node, or create one with `quorate init` or `quorate party join`' },
  DATA_DIR_MISSING: { class: 'data', fix: 'check the --data-dir path; create a node folder with `quorate init` or `quorate party join`' },
  STORE_OPEN_FAILED: { class: 'data', fix: 'another process may have this data folder open: stop the other node (only one node may run on a data folder), or check the chain/ folder\'s permissions' },
  GENESIS_INVALID: { class: 'data', fix: 'restore the genesis file the consortium shared (it must be byte-for-byte the same on every node)' },
  GENESIS_MISMATCH: {
    class: 'data',
    fix: 'put back the genesis.json this chain was started from, or, to join the chain of this genesis, stop the node and move the chain/ folder aside (it syncs again from peers)',
  },
  P2P_PORT_IN_USE: { class: 'network', fix: 'stop the process that listens on this port (`ss -ltnp` shows it), or set p2p.listen.port in config.json' },
  RPC_PORT_IN_USE: { class: 'network', fix: 'stop the process that listens on this port (`ss -ltnp` shows it), or set rpc.port in config.json (or --rpc-port)' },
  METRICS_PORT_IN_USE: { class: 'network', fix: 'stop the process that listens on this port (`ss -ltnp` shows it), or set metrics.port in config.json' },
  LISTEN_FAILED: { class: 'network', fix: 'check the listen host is an address of this machine and the port is allowed (ports below 1024 need privileges)' },
  NODE_KEY_INVALID: { class: 'keys', fix: 'restore node.key from your backup (it is the node identity; a new key is a new node that governance must admit)' },
  TLS_INVALID: { class: 'keys', fix: 'restore tls.crt and tls.key from your backup: both PEM files, of the same pair (as `quorate init` wrote them)' },
}

/** Outcomes of other commands with a class of their own: not a refusal, so not exit 1. */
export const COMMAND_OUTCOMES = {
  /** The transaction may still land: look it up by its hash before sending it again. */
  TX_NOT_FINAL: 'pending',
} as const satisfies Record<string, ExitClass>

export function exitCodeOf(code: string): number {
  const entry = (START_FAILURES as Record<string, { class: ExitClass } | undefined>)[code]
  const outcome = (COMMAND_OUTCOMES as Record<string, ExitClass | undefined>)[code]
  return EXIT_CLASSES[entry?.class ?? outcome ?? 'failure'].exit
}

/** The exit code of any error a command ends with (one table for every command). */
export function exitCodeFor(err: unknown): number {
  return err instanceof QuorateError ? exitCodeOf(err.code) : EXIT_CLASSES.failure.exit
}

export interface StartFailure {
  code: string
  exit: number
  msg: string
  fix: string
  field?: string
  details?: string
}

/** What the fatal line says about `err`. */
export function describeStartFailure(err: unknown): StartFailure {
  if (err instanceof QuorateError) {
    const known = (START_FAILURE_CODES as readonly string[]).includes(err.code) ? START_FAILURES[err.code as StartFailureCode] : undefined
    const field = err instanceof ConfigError || err instanceof StartError ? err.field || undefined : undefined
    return {
      code: err.code,
      exit: exitCodeOf(err.code),
      msg: err.shortMessage,
      fix: (err instanceof StartError ? err.fix : undefined) ?? known?.fix ?? 'read the message; `quorate doctor --data-dir <dir>` names most causes',
      ...(field ? { field } : {}),
      ...(err.details ? { details: err.details } : {}),
    }
  }
  return {
    code: 'INTERNAL',
    exit: EXIT_CLASSES.failure.exit,
    msg: err instanceof Error ? err.message : String(err),
    fix: 'unexpected: run again with --log-level debug for the stack in the `err` field, and report it',
  }
}

/**
 * Writes the one fatal line of a failed start and returns the exit code. The stack goes into the
 * line (as `err`) only at debug or trace detail; nothing is written to stderr.
 */
export function logStartFailure(logger: Logger, err: unknown): number {
  const f = describeStartFailure(err)
  const { msg, ...fields } = f
  logger.fatal({ ...fields, ...(logger.isLevelEnabled('debug') ? { err } : {}) }, `start failed: ${msg}`)
  return f.exit
}
