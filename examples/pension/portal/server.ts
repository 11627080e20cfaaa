/**
 * The pension portal's entry: `startPortal({ app, port })` serves the participant, employer and
 * fund desks of the example's application on loopback and answers its URL and a close(). Given a
 * deployment file instead of an app (as `main.ts` and the scenario have), it makes the app itself
 * and closes it again on close().
 */
import { loadDeployment } from '../app/deployment.js'
import { PensionApp } from '../app/pension.js'
import { pensionBackend } from './backend.js'
import { startPortalServer, type RunningPortal } from './listen.js'

export type { RunningPortal } from './listen.js'

export type StartPortalOptions = ({ app: PensionApp; deploymentFile?: undefined } | { deploymentFile: string; app?: undefined }) & {
  /** Default 0: a free port (read it from the answered URL). */
  port?: number
  /** Default 127.0.0.1: the development portal has no login, so it must not face a network. */
  host?: string
  /** An unexpected fault while answering a request (the request gets a 500). Default: printed to stderr. */
  onError?: (err: unknown) => void
  /** Where a line saying where the portal listens goes. Default: nowhere. */
  out?: (line: string) => void
}

export async function startPortal(opts: StartPortalOptions): Promise<RunningPortal> {
  const own = opts.app === undefined ? new PensionApp(await loadDeployment(opts.deploymentFile)) : undefined
  const app = opts.app ?? own!
  try {
    const running = await startPortalServer({ backend: pensionBackend(app), port: opts.port, host: opts.host, onError: opts.onError })
    opts.out?.(`pension portal: ${running.url}/`)
    return {
      url: running.url,
      close: async () => {
        await running.close()
        await own?.close()
      },
    }
  } catch (err) {
    await own?.close()
    throw err
  }
}
