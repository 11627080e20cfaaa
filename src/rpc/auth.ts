/**
 * Access control of one JSON-RPC listener: who is calling (anonymous, a per-party API key, or a
 * JWT signed with the node's shared secret, as geth's and Besu's engine auth) and which method
 * namespaces each caller may use. It owns the policy and the request log of authenticated calls;
 * it must not parse HTTP (server.ts hands it the bearer token) nor know what methods do.
 *
 * A grant is a namespace (`admin`: every `admin_` method), a namespace's reads (`gov:read`:
 * `gov_get*`, `gov_list*`, `gov_verify*` and the few reads named otherwise), a full method name, or
 * `*`. Reads are recognised by name on purpose: a method added later and named like a write is
 * refused until someone grants it, never open by accident.
 *
 * Defaults follow where the listener is bound: on loopback every namespace is open to anonymous
 * callers (the CLI, the devnet and the tests talk to their own node); elsewhere anonymous callers
 * get reads of the public chain only, and a public bind without any credentials configured is
 * refused at start unless the operator sets `allowPublicWithoutAuth`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import { ConfigError, QuorateError } from '../errors.js'
import { silentLogger, type Logger } from '../ops/logger.js'
import type { RpcAccess, RpcCaller, RpcCredentials, RpcIdentity } from './types.js'

/** The namespaces the node registers (src/node/run.ts); a grant may name others for the future. */
export const RPC_NAMESPACES = ['eth', 'net', 'web3', 'qbft', 'gov', 'txpool', 'admin', 'priv', 'ops'] as const

/** What anonymous callers get on a non-loopback bind: reads of the chain everyone shares. */
export const PUBLIC_ANONYMOUS_GRANTS: readonly string[] = ['eth', 'net', 'web3', 'qbft', 'gov:read']

/** A grant as written in the config: `*`, `eth`, `gov:read`, or a method name `admin_peers`. */
export const GRANT_PATTERN = /^(\*|[a-z0-9]+(:read)?|[a-z0-9]+_[A-Za-z0-9]+)$/

/** geth and Besu accept a JWT whose `iat` is within this many seconds of their clock. */
export const JWT_IAT_WINDOW_SECONDS = 60

/** Prefix of the API keys `quorate rpc-key new` makes: tells them apart from JWTs and in leaks. */
export const API_KEY_PREFIX = 'qrk_'

/** Reads whose names do not start with get/list/verify. */
const READS_NAMED_OTHERWISE = new Set(['txpool_status', 'txpool_content', 'admin_peers', 'admin_nodeInfo'])
/** Namespaces whose calls (writes; every call for priv) are logged at info rather than debug. */
const AUDITED_NAMESPACES = new Set(['admin', 'gov', 'priv', 'txpool'])

/** Missing or bad credentials: the server answers HTTP 401 and JSON-RPC -40100. */
export class RpcUnauthorizedError extends QuorateError {
  override name = 'RpcUnauthorizedError'
  constructor(reason: string) {
    super('RPC_UNAUTHORIZED', `unauthorized: ${reason}`, { details: 'see docs/security.md' })
  }
}

/** A caller without a grant for the method: JSON-RPC -40100 for that call only. */
export class RpcForbiddenError extends QuorateError {
  override name = 'RpcForbiddenError'
  constructor(message: string) {
    super('RPC_FORBIDDEN', message)
  }
}

export function namespaceOf(method: string): string {
  const i = method.indexOf('_')
  return i < 0 ? method : method.slice(0, i)
}

/** True for methods that only read (by name: see the header). */
export function isReadMethod(method: string): boolean {
  if (READS_NAMED_OTHERWISE.has(method)) return true
  const rest = method.slice(namespaceOf(method).length + 1)
  return /^(get|list|verify)[A-Z]/.test(rest)
}

export function grantsAllow(grants: ReadonlySet<string>, method: string): boolean {
  if (grants.has('*') || grants.has(method)) return true
  const ns = namespaceOf(method)
  return grants.has(ns) || (grants.has(`${ns}:read`) && isReadMethod(method))
}

/** 127.0.0.0/8, ::1 (also as IPv4-mapped) and `localhost`; anything else, 0.0.0.0 and `::` included, is public. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '')
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** A new API key (shown once) and the hash the config stores. */
export function newApiKey(): { key: string; sha256: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
  return { key, sha256: hashApiKey(key) }
}

export interface ApiKeyGrant {
  name: string
  /** SHA-256 of the key, 64 hex digits: the key itself is never stored. */
  sha256: string
  namespaces: readonly string[]
}

export interface RpcAccessOptions {
  /** The address the listener binds: decides the defaults. */
  host: string
  /** Grants of anonymous callers. Default: everything on loopback, PUBLIC_ANONYMOUS_GRANTS elsewhere. */
  namespaces?: readonly string[] | undefined
  /** HS256 secret (32 bytes) for JWTs. */
  jwtSecret?: Uint8Array | undefined
  /** Grants of a valid JWT. Default `*` (as geth's authenticated port). */
  jwtNamespaces?: readonly string[] | undefined
  apiKeys?: readonly ApiKeyGrant[] | undefined
  /** Start on a public bind without any credentials configured. Default false. */
  allowPublicWithoutAuth?: boolean | undefined
}

export interface RpcAccessModules {
  logger?: Logger
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number
}

interface KeyEntry {
  name: string
  hash: Buffer
  grants: ReadonlySet<string>
}

export class RpcAccessPolicy implements RpcAccess {
  readonly publicBind: boolean
  private readonly anonymous: ReadonlySet<string>
  private readonly jwtSecret: Uint8Array | undefined
  private readonly jwtGrants: ReadonlySet<string>
  private readonly keys: readonly KeyEntry[]
  private readonly byName = new Map<string, KeyEntry>()
  private readonly logger: Logger
  private readonly now: () => number

  constructor(opts: RpcAccessOptions, modules: RpcAccessModules = {}) {
    this.logger = modules.logger ?? silentLogger()
    this.now = modules.now ?? Date.now
    this.publicBind = !isLoopbackHost(opts.host)
    this.anonymous = grantSet('rpc.namespaces', opts.namespaces ?? (this.publicBind ? PUBLIC_ANONYMOUS_GRANTS : ['*']))
    if (opts.jwtSecret !== undefined && opts.jwtSecret.length < 32) {
      throw new ConfigError('rpc.auth.jwtSecretFile', `the JWT secret must be 32 bytes, got ${opts.jwtSecret.length}`)
    }
    this.jwtSecret = opts.jwtSecret
    this.jwtGrants = grantSet('rpc.auth.jwtNamespaces', opts.jwtNamespaces ?? ['*'])
    this.keys = (opts.apiKeys ?? []).map((k, i) => {
      const field = `rpc.auth.apiKeys[${i}]`
      if (!/^[0-9a-fA-F]{64}$/.test(k.sha256)) throw new ConfigError(`${field}.sha256`, 'must be the SHA-256 of the key as 64 hex digits (quorate rpc-key new prints it)')
      if (this.byName.has(k.name)) throw new ConfigError(`${field}.name`, `"${k.name}" names two API keys; each key needs its own name, the logs record it`)
      const entry: KeyEntry = { name: k.name, hash: Buffer.from(k.sha256, 'hex'), grants: grantSet(`${field}.namespaces`, k.namespaces) }
      this.byName.set(k.name, entry)
      return entry
    })
    if (this.publicBind && !this.authConfigured && opts.allowPublicWithoutAuth !== true) {
      throw new ConfigError(
        'rpc.host',
        `the JSON-RPC server would listen on ${opts.host}, a non-loopback address, with no authentication configured`,
        {
          details:
            'configure rpc.auth.apiKeys (quorate rpc-key new) or rpc.auth.jwtSecretFile; or bind rpc.host to 127.0.0.1; ' +
            'or, to serve anonymous callers the read-only namespaces on purpose, set rpc.allowPublicWithoutAuth: true (see docs/security.md)',
        },
      )
    }
  }

  get authConfigured(): boolean {
    return this.jwtSecret !== undefined || this.keys.length > 0
  }

  /** The anonymous grants in force (for the start-up log). */
  get anonymousGrants(): string[] {
    return [...this.anonymous]
  }

  async authenticate(credentials: RpcCredentials): Promise<RpcIdentity> {
    // A loopback node without credentials configured behaves as before this policy existed.
    if (!this.publicBind && !this.authConfigured) return { kind: 'anonymous' }
    const token = bearerToken(credentials)
    if (token === undefined) {
      if (this.anonymous.size === 0) throw new RpcUnauthorizedError('this listener serves authenticated callers only; send Authorization: Bearer <API key or JWT>')
      return { kind: 'anonymous' }
    }
    if (token.split('.').length === 3) return this.verifyJwt(token)
    return this.verifyApiKey(token)
  }

  authorize(method: string, caller: RpcCaller): Error | undefined {
    if (grantsAllow(this.anonymous, method)) return undefined
    const grants = this.grantsOf(caller)
    if (grants && grantsAllow(grants, method)) return undefined
    // Unknown names are refused here too (before the lookup): echo only a bounded part of them.
    method = method.length > 100 ? `${method.slice(0, 100)}…` : method
    const ns = namespaceOf(method)
    const who = caller.kind === 'anonymous' ? 'an anonymous caller' : `the ${caller.kind === 'jwt' ? 'JWT' : 'API key'} "${caller.name ?? caller.kind}"`
    this.logger[caller.kind === 'anonymous' ? 'debug' : 'info'](
      { method, caller: caller.name, auth: caller.kind, remote: caller.remoteAddress, transport: caller.transport },
      'JSON-RPC call refused: no grant for the method',
    )
    const fix =
      caller.kind === 'anonymous'
        ? `send Authorization: Bearer <API key or JWT> whose grant includes "${ns}"`
        : `add "${ns}" (or "${method}") to the namespaces of the key in rpc.auth`
    return new RpcForbiddenError(`unauthorized: ${method} is not open to ${who} on this listener; ${fix} (see docs/security.md)`)
  }

  called(method: string, caller: RpcCaller, ok: boolean): void {
    if (caller.kind === 'anonymous') return
    const ns = namespaceOf(method)
    const audited = AUDITED_NAMESPACES.has(ns) && (ns === 'priv' || !isReadMethod(method))
    this.logger[audited ? 'info' : 'debug'](
      { method, caller: caller.name, auth: caller.kind, remote: caller.remoteAddress, transport: caller.transport, ok },
      'JSON-RPC call by an authenticated caller',
    )
  }

  private grantsOf(caller: RpcCaller): ReadonlySet<string> | undefined {
    if (caller.kind === 'jwt') return this.jwtGrants
    if (caller.kind === 'apiKey' && caller.name !== undefined) return this.byName.get(caller.name)?.grants
    return undefined
  }

  private async verifyJwt(token: string): Promise<RpcIdentity> {
    if (!this.jwtSecret) throw new RpcUnauthorizedError('a JWT was sent but this node has no rpc.auth.jwtSecretFile')
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw new RpcUnauthorizedError('the bearer token is not a well-formed JWT')
    }
    if (alg !== 'HS256') throw new RpcUnauthorizedError(`JWT algorithm ${String(alg)} is not accepted; sign with HS256 and the shared secret`)
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, this.jwtSecret, { algorithms: ['HS256'], requiredClaims: ['iat'], currentDate: new Date(this.now()) }))
    } catch (err) {
      throw new RpcUnauthorizedError(`the JWT is not valid (${err instanceof Error ? err.message : 'verification failed'}); sign it with HS256 and the node's JWT secret`)
    }
    const iat = payload.iat
    const skew = typeof iat === 'number' ? Math.abs(this.now() / 1000 - iat) : Infinity
    if (skew > JWT_IAT_WINDOW_SECONDS) {
      throw new RpcUnauthorizedError(`the JWT was issued ${Math.round(skew)} s away from this node's clock (at most ${JWT_IAT_WINDOW_SECONDS} s): make a fresh token per request, and check the clocks`)
    }
    const id = typeof payload.id === 'string' && /^[\w.@-]{1,64}$/.test(payload.id) ? payload.id : undefined
    return id !== undefined ? { kind: 'jwt', name: id } : { kind: 'jwt' }
  }

  private verifyApiKey(token: string): RpcIdentity {
    const hash = createHash('sha256').update(token, 'utf8').digest()
    // Every entry is compared, in constant time, so timing tells nothing about which hash is near.
    let found: KeyEntry | undefined
    for (const k of this.keys) if (timingSafeEqual(hash, k.hash) && !found) found = k
    if (!found) throw new RpcUnauthorizedError('the API key is not known to this node (only its SHA-256 is configured: check rpc.auth.apiKeys)')
    return { kind: 'apiKey', name: found.name }
  }
}

/** The bearer token of a request; a header that is not `Bearer <token>`, or two different tokens, are refused. */
function bearerToken({ authorization, queryToken }: RpcCredentials): string | undefined {
  let token = queryToken === '' ? undefined : queryToken
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
    if (!m) throw new RpcUnauthorizedError('the Authorization header must be "Bearer <API key or JWT>"')
    if (token !== undefined && token !== m[1]) throw new RpcUnauthorizedError('two different credentials (Authorization header and ?token=); send one')
    token = m[1]
  }
  return token
}

function grantSet(field: string, grants: readonly string[]): ReadonlySet<string> {
  for (const g of grants) {
    if (!GRANT_PATTERN.test(g)) throw new ConfigError(field, `"${g}" is not a grant: use a namespace (admin), its reads (gov:read), a method name (admin_peers) or *`)
  }
  return new Set(grants)
}

/** The `rpc` section fields the policy is built from (src/node/config.ts). */
export interface RpcAccessConfig {
  host: string
  namespaces?: readonly string[] | undefined
  allowPublicWithoutAuth: boolean
  auth: { jwtSecretFile?: string | undefined; jwtNamespaces?: readonly string[] | undefined; apiKeys: readonly ApiKeyGrant[] }
}

/** Builds the policy from the config, reading the JWT secret file (relative to the data folder). */
export async function createRpcAccess(config: RpcAccessConfig, dataDir: string, modules: RpcAccessModules = {}): Promise<RpcAccessPolicy> {
  let jwtSecret: Uint8Array | undefined
  if (config.auth.jwtSecretFile !== undefined) {
    const file = isAbsolute(config.auth.jwtSecretFile) ? config.auth.jwtSecretFile : join(dataDir, config.auth.jwtSecretFile)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      throw new ConfigError('rpc.auth.jwtSecretFile', `cannot read the JWT secret file ${file}`, { details: 'make one with: openssl rand -hex 32 > jwt.hex' })
    }
    const hex = text.trim().replace(/^0x/i, '')
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ConfigError('rpc.auth.jwtSecretFile', `${file} must hold 32 bytes as 64 hex digits (0x optional), as geth's jwtsecret`)
    jwtSecret = Buffer.from(hex, 'hex')
  }
  return new RpcAccessPolicy(
    {
      host: config.host,
      namespaces: config.namespaces,
      jwtSecret,
      jwtNamespaces: config.auth.jwtNamespaces,
      apiKeys: config.auth.apiKeys,
      allowPublicWithoutAuth: config.allowPublicWithoutAuth,
    },
    modules,
  )
}
