/**
 * The portal's HTTP plumbing: a small route table, form and query parsing with limits, the
 * security headers (the pages load nothing but their own style sheet and run no script), a check
 * that a form was posted from the portal's own origin, and post/redirect/get with a one-time notice.
 * It owns transport only: what a page shows and what a form does is in the routes (routes.ts).
 */
import { randomBytes } from 'node:crypto'
import { isLedgerError } from 'quorate/sdk'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Html } from './html.js'
import type { Notice } from './layout.js'

/** Forms here carry a handful of short fields. */
const MAX_FORM_BYTES = 16 * 1024
/** Notices waiting for the redirected GET; the oldest go first. */
const MAX_NOTICES = 200

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not "no-referrer": under it a browser sends `Origin: null` with the portal's own forms, and the
  // origin check below could no longer tell them from a foreign page's.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
}

/** A request the handler cannot serve as asked; `status` is the HTTP status sent with `message`. */
export class PortalRequestError extends Error {
  override name = 'PortalRequestError'
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 413 | 415,
    message: string,
  ) {
    super(message)
  }
}

export interface Request {
  url: URL
  /** The form fields of a POST (urlencoded). */
  form: URLSearchParams
  /** The notice left by the action that redirected here, shown once. */
  notice: Notice | undefined
}

export type Reply =
  | { kind: 'page'; body: Html; status?: number }
  | { kind: 'json'; body: unknown; status?: number }
  | { kind: 'text'; body: string; contentType: string }
  | { kind: 'empty' }
  /** After a form: back to a page (post/redirect/get), with a notice for it. */
  | { kind: 'redirect'; to: string; notice?: Notice }

export interface Route {
  method: 'GET' | 'POST'
  path: string
  handle: (req: Request) => Promise<Reply> | Reply
}

export class NoticeBox {
  private readonly notices = new Map<string, Notice>()

  put(notice: Notice): string {
    const id = randomBytes(9).toString('base64url')
    this.notices.set(id, notice)
    if (this.notices.size > MAX_NOTICES) this.notices.delete(this.notices.keys().next().value!)
    return id
  }

  take(id: string | null): Notice | undefined {
    if (!id) return undefined
    const notice = this.notices.get(id)
    this.notices.delete(id)
    return notice
  }
}

/** Appends `notice=<id>` to a local path. */
export function withNotice(to: string, id: string): string {
  const url = new URL(to, 'http://portal.invalid')
  url.searchParams.set('notice', id)
  return `${url.pathname}${url.search}`
}

export function routeHandler(routes: readonly Route[], notices: NoticeBox, onError: (err: unknown) => void) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
    try {
      const method = req.method === 'HEAD' ? 'GET' : req.method
      const onPath = routes.filter((r) => r.path === url.pathname)
      const route = onPath.find((r) => r.method === method)
      if (!route) {
        req.resume()
        if (onPath.length > 0) throw new PortalRequestError(405, `${req.method ?? '?'} is not answered at ${url.pathname}`)
        throw new PortalRequestError(404, `nothing at ${url.pathname}`)
      }
      let form = new URLSearchParams()
      if (route.method === 'POST') {
        checkSameOrigin(req)
        form = await readForm(req)
      } else {
        req.resume()
      }
      const reply = await route.handle({ url, form, notice: notices.take(url.searchParams.get('notice')) })
      send(res, reply, notices, req.method === 'HEAD')
    } catch (err) {
      if (err instanceof PortalRequestError) return sendText(res, err.status, err.message)
      // A participant, fund, contribution or transfer the URL names that does not exist.
      if (isLedgerError(err, 'NOT_FOUND')) return sendText(res, 404, err.shortMessage)
      onError(err)
      sendText(res, 500, 'the portal could not answer: see its log')
    }
  }
}

function send(res: ServerResponse, reply: Reply, notices: NoticeBox, head: boolean): void {
  switch (reply.kind) {
    case 'redirect': {
      const to = reply.notice ? withNotice(reply.to, notices.put(reply.notice)) : reply.to
      res.writeHead(303, { Location: to, 'Content-Length': 0, ...SECURITY_HEADERS }).end()
      return
    }
    case 'page':
      return sendBody(res, reply.status ?? 200, 'text/html; charset=utf-8', reply.body.text, head)
    case 'json':
      return sendBody(res, reply.status ?? 200, 'application/json; charset=utf-8', JSON.stringify(reply.body, jsonValue), head)
    case 'text':
      return sendBody(res, 200, reply.contentType, reply.body, head)
    case 'empty':
      res.writeHead(204, SECURITY_HEADERS).end()
      return
  }
}

/** bigint amounts travel as decimal strings. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

function sendBody(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...SECURITY_HEADERS })
  res.end(head ? undefined : body)
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy()
  sendBody(res, status, 'text/plain; charset=utf-8', `${text}\n`, false)
}

/**
 * A browser sends Origin with every POST: one from another site (a page elsewhere posting a form
 * here) is refused, so no other page can move a participant's rights or consent through this one.
 */
function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin
  if (origin === undefined) return
  let host: string
  try {
    host = new URL(origin).host
  } catch {
    throw new PortalRequestError(403, 'the form was posted from an unreadable origin')
  }
  if (host !== req.headers.host) throw new PortalRequestError(403, `a form posted from ${origin} is not accepted here`)
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume()
    throw new PortalRequestError(415, 'forms are posted as application/x-www-form-urlencoded')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_FORM_BYTES) throw new PortalRequestError(413, `a form is at most ${MAX_FORM_BYTES} bytes`)
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/** A required form or query field, trimmed; a missing or empty one is a 400 naming it. */
export function field(params: URLSearchParams, name: string): string {
  const value = params.get(name)?.trim()
  if (!value) throw new PortalRequestError(400, `the field "${name}" is missing`)
  return value
}
