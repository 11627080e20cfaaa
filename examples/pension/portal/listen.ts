/**
 * The portal's HTTP server: node:http on loopback by default, answering the routes of routes.ts for
 * one application backend. It starts and stops; everything it shows comes from the backend.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NoticeBox, routeHandler } from './http.js'
import type { PortalBackend } from './model.js'
import { portalRoutes } from './routes.js'

export interface PortalServerOptions {
  backend: PortalBackend
  /** 0 (default) picks a free port. */
  port?: number
  /** Default 127.0.0.1: the development portal has no login, so it must not face a network. */
  host?: string
  /** An unexpected fault while answering (the request gets a 500). Default: printed to stderr. */
  onError?: (err: unknown) => void
}

export interface RunningPortal {
  /** `http://host:port` without a trailing slash. */
  url: string
  close(): Promise<void>
}

export async function startPortalServer(opts: PortalServerOptions): Promise<RunningPortal> {
  const onError = opts.onError ?? ((err: unknown) => console.error('portal:', err))
  const server = createServer(routeHandler(portalRoutes(opts.backend), new NoticeBox(), onError))
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', fail)
      done()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}
