/**
 * The pension portal: `startPortal({ app, port })` serves the participant, employer and fund
 * desks of the example's application on loopback, and answers its URL and a close().
 */
import type { PensionApp } from '../app/pension.js'
import { pensionBackend } from './backend.js'
import { startPortalServer, type RunningPortal } from './server.js'

export type { RunningPortal } from './server.js'

export interface StartPortalOptions {
  app: PensionApp
  /** Default 0: a free port (read it from the answered URL). */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  onError?: (err: unknown) => void
}

export function startPortal(opts: StartPortalOptions): Promise<RunningPortal> {
  return startPortalServer({ backend: pensionBackend(opts.app), port: opts.port, host: opts.host, onError: opts.onError })
}
