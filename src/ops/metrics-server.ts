/**
 * The optional metrics listener (config `metrics.port`): a plain HTTP server on its own host and
 * port that answers only GET /metrics, /health and /ready, so Prometheus and probes can reach a node
 * whose JSON-RPC port stays on loopback or behind a firewall. Nothing else is served on it.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorMessage, listenError } from '../errors.js'
import type { HttpRoute } from '../rpc/server.js'
import type { Logger } from './logger.js'

export interface MetricsListenOptions {
  host: string
  /** 0 picks a free port (read it from address() after start). */
  port: number
}

export class MetricsServer {
  private server: Server | undefined

  constructor(
    private readonly opts: MetricsListenOptions,
    private readonly routes: readonly HttpRoute[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://metrics.invalid')
      const route = this.routes.find((r) => r.path === url.pathname && (r.method === req.method || (r.method === 'GET' && req.method === 'HEAD')))
      if (!route) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: this listener serves /metrics, /health and /ready\n')
        return
      }
      Promise.resolve(route.handler(req, res, url)).catch((err: unknown) => {
        this.logger.error({ err: errorMessage(err), path: url.pathname }, 'metrics listener request failed')
        if (res.headersSent) res.destroy()
        else res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error\n')
      })
    })
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.opts.port, this.opts.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      throw listenError(err, 'METRICS_PORT_IN_USE', `metrics on ${this.opts.host}:${this.opts.port}`, 'metrics.port')
    }
    server.on('error', (err) => this.logger.error({ err: errorMessage(err) }, 'metrics listener error'))
    this.server = server
    const bound = server.address() as AddressInfo
    this.logger.info({ host: bound.address, port: bound.port }, 'metrics listening')
    return bound
  }

  address(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
