/**
 * Serves the operator dashboard (the built web app in `web/dist`) under `/dashboard/` of the
 * JSON-RPC port. It owns static file serving only: content types, caching, no path outside the
 * build folder, and the single-page fallback to index.html. The page itself talks JSON-RPC to the
 * same origin, so no data is produced here and nothing here may read node state.
 */
import { createReadStream, existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../ops/logger.js'
import type { HttpHandler, HttpRoute } from '../rpc/server.js'

export const DASHBOARD_PATH = '/dashboard'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
}

// The page talks JSON-RPC to its own origin over HTTP and WebSocket, and loads nothing from elsewhere.
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
}

export interface DashboardOptions {
  /** The built web app (holds index.html). Default: `web/dist` of the Quorate installation. */
  dir?: string
  logger?: Logger
}

/**
 * `web/dist` relative to this module, whether it runs from the sources (src/ops) or from the
 * compiled output (dist/src/ops). The first candidate holding an index.html wins.
 */
export function defaultDashboardDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const candidates = [resolve(here, '../../web/dist'), resolve(here, '../../../web/dist')]
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!
}

/** The `GET /dashboard/*` route (GET routes also answer HEAD). */
export function dashboardRoute(opts: DashboardOptions = {}): HttpRoute {
  return { method: 'GET', path: `${DASHBOARD_PATH}/*`, handler: dashboardHandler(opts) }
}

export function dashboardHandler(opts: DashboardOptions = {}): HttpHandler {
  const root = resolve(opts.dir ?? defaultDashboardDir())
  const logger = opts.logger
  return async (req, res, url) => {
    req.resume()
    const head = req.method === 'HEAD'
    if (url.pathname === DASHBOARD_PATH) {
      // Relative links in the app resolve against the folder, so the folder URL must end in "/".
      res.writeHead(308, { Location: `${DASHBOARD_PATH}/${url.search}`, 'Content-Length': 0 }).end()
      return
    }
    let rel: string
    try {
      rel = decodeURIComponent(url.pathname.slice(DASHBOARD_PATH.length + 1))
    } catch {
      return sendText(res, 400, 'malformed path: the URL is not valid percent-encoding', head)
    }
    if (rel.includes('\0') || rel.includes('\\')) return sendText(res, 400, 'malformed path', head)
    const file = resolve(root, rel)
    if (file !== root && !file.startsWith(root + sep)) return sendText(res, 404, `nothing at ${url.pathname}`, head)

    const found = await fileAt(file)
    if (found) return sendFile(res, found.path, found.size, head, rel.startsWith('assets/'))
    // A missing asset is a 404: answering it with the page would hide the fault behind a MIME error.
    if (extname(rel) !== '' && extname(rel) !== '.html') return sendText(res, 404, `nothing at ${url.pathname}`, head)
    const index = await fileAt(join(root, 'index.html'))
    if (!index) {
      logger?.warn({ dir: root }, 'dashboard requested but the web app is not built')
      return sendText(
        res,
        404,
        `The dashboard is not built: no index.html in ${root}.\nRun "npm run build:web" (or "npm run build") in the Quorate folder, then reload this page.\n`,
        head,
      )
    }
    return sendFile(res, index.path, index.size, head, false)
  }
}

async function fileAt(path: string): Promise<{ path: string; size: number } | undefined> {
  try {
    const s = await stat(path)
    return s.isFile() ? { path, size: s.size } : undefined
  } catch {
    return undefined
  }
}

function sendFile(res: ServerResponse, path: string, size: number, head: boolean, immutable: boolean): Promise<void> {
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    // Vite puts a content hash in every asset name; the page itself must be fetched anew.
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...SECURITY_HEADERS,
  })
  if (head) {
    res.end()
    return Promise.resolve()
  }
  return new Promise((done) => {
    const stream = createReadStream(path)
    stream.on('error', () => {
      res.destroy()
      done()
    })
    stream.on('end', () => done())
    stream.pipe(res)
  })
}

function sendText(res: ServerResponse, status: number, text: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' })
  res.end(head ? undefined : text)
}
