/**
 * Outbound connections through a corporate HTTP proxy with HTTP CONNECT (RFC 9110 section 9.3.6).
 * The proxy only sees the target host:port; TLS to the peer runs inside the tunnel, end to end.
 * A TLS-intercepting proxy breaks the handshake (BAD_SIGNATURE) by design: the peer must be exempted.
 *
 * Proxy choice: an explicit `proxy` option, else HTTPS_PROXY / https_proxy; NO_PROXY / no_proxy
 * (comma-separated hosts, .domains, host:port, IPv4/IPv6 CIDRs, or `*`) exempts targets.
 */
import { BlockList, connect, isIP, type Socket } from 'node:net'
import { ConfigError } from '../errors.js'
import { ProxyError } from './errors.js'

export interface ProxySettings {
  /** `http://[user:pass@]host:port`; `false` disables proxying even if HTTPS_PROXY is set. */
  proxy?: string | false
  /** Overrides NO_PROXY. */
  noProxy?: string
}

type Env = Record<string, string | undefined>

/** The proxy to use for `target` (a wss:// URL), or undefined for a direct connection. */
export function resolveProxy(target: URL, settings: ProxySettings = {}, env: Env = process.env): URL | undefined {
  if (settings.proxy === false) return undefined
  const raw = settings.proxy ?? env.HTTPS_PROXY ?? env.https_proxy
  if (raw === undefined || raw.trim() === '') return undefined
  const noProxy = settings.noProxy ?? env.NO_PROXY ?? env.no_proxy
  if (noProxy !== undefined && matchesNoProxy(target, noProxy)) return undefined
  let url: URL
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch (cause) {
    throw new ConfigError('proxy', `not a URL: ${JSON.stringify(raw)}; use http://host:port`, { cause })
  }
  if (url.protocol !== 'http:') {
    throw new ConfigError('proxy', `unsupported proxy scheme ${url.protocol}; use an http:// proxy (the tunnel itself carries TLS)`)
  }
  return url
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

function defaultPort(url: URL): number {
  if (url.port) return Number(url.port)
  return url.protocol === 'wss:' || url.protocol === 'https:' ? 443 : 80
}

export function matchesNoProxy(target: URL, noProxy: string): boolean {
  const host = stripBrackets(target.hostname).toLowerCase()
  const port = defaultPort(target)
  const hostIpFamily = isIP(host)
  for (const rawEntry of noProxy.split(/[\s,]+/)) {
    let entry = rawEntry.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return true
    if (entry.includes('/')) {
      const [base, bits] = entry.split('/') as [string, string]
      const family = isIP(stripBrackets(base))
      if (family && hostIpFamily === family) {
        const list = new BlockList()
        try {
          list.addSubnet(stripBrackets(base), Number(bits), family === 4 ? 'ipv4' : 'ipv6')
        } catch {
          continue
        }
        if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true
      }
      continue
    }
    let entryPort: number | undefined
    const portMatch = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry)
    if (portMatch) {
      entry = portMatch[1]!
      entryPort = Number(portMatch[2])
    }
    entry = stripBrackets(entry)
    if (entryPort !== undefined && entryPort !== port) continue
    if (entry.startsWith('*.')) entry = entry.slice(1)
    if (host === entry || host === entry.replace(/^\./, '')) return true
    if (entry.startsWith('.') ? host.endsWith(entry) : !hostIpFamily && host.endsWith(`.${entry}`)) return true
  }
  return false
}

const MAX_RESPONSE_HEAD = 16 * 1024

/** Opens a TCP tunnel to host:port through `proxy` and resolves with the raw socket. */
export function connectThroughProxy(proxy: URL, host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const proxyHost = stripBrackets(proxy.hostname)
    const proxyPort = proxy.port ? Number(proxy.port) : 80
    const authority = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
    const socket = connect({ host: proxyHost, port: proxyPort })
    let head = Buffer.alloc(0)
    let settled = false
    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
      if (err) {
        socket.destroy()
        reject(err)
      } else {
        resolve(socket)
      }
    }
    const onError = (cause: Error): void =>
      finish(new ProxyError(`Cannot reach proxy ${proxyHost}:${proxyPort}: ${cause.message}; check HTTPS_PROXY`, { cause }))
    const onClose = (): void => finish(new ProxyError(`Proxy ${proxyHost}:${proxyPort} closed the connection before answering CONNECT ${authority}`))
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) {
        if (head.length > MAX_RESPONSE_HEAD) finish(new ProxyError(`Proxy ${proxyHost}:${proxyPort} sent an oversized response to CONNECT`))
        return
      }
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1')
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
      if (!match) return finish(new ProxyError(`Proxy ${proxyHost}:${proxyPort} sent a malformed response: ${JSON.stringify(statusLine.slice(0, 80))}`))
      const status = Number(match[1])
      if (status !== 200) {
        const hint =
          status === 407
            ? 'the proxy wants credentials: put them in the proxy URL (http://user:password@host:port)'
            : `the proxy does not allow CONNECT to ${authority}; ask for the peer's port to be allowed`
        return finish(new ProxyError(`Proxy answered "${statusLine}" to CONNECT ${authority}: ${hint}`, { status }))
      }
      // The peer speaks only after our TLS ClientHello, so nothing may follow the proxy's answer.
      if (head.length > end + 4) return finish(new ProxyError(`Proxy ${proxyHost}:${proxyPort} sent data after its CONNECT answer`))
      finish()
    }
    const timer = setTimeout(() => finish(new ProxyError(`Proxy ${proxyHost}:${proxyPort} did not open a tunnel to ${authority} within ${timeoutMs} ms`)), timeoutMs)
    const onAbort = (): void => finish(new ProxyError('Dial aborted'))
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', onError)
    socket.on('close', onClose)
    socket.on('data', onData)
    socket.once('connect', () => {
      const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`]
      if (proxy.username) {
        const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
        lines.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`)
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    })
  })
}
