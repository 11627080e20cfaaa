/**
 * The transport-free core of the JSON-RPC server: parses one message (a request or a batch),
 * validates the envelope and the params, calls the handler, and serialises the response. It does
 * no I/O: HTTP and WebSocket framing live in server.ts. It never throws on bad input.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { z } from 'zod'
import { QuorateError } from '../errors.js'
import { silentLogger, type Logger } from '../ops/logger.js'
import { RpcErrorCode, methodNotFound, toJsonRpcError } from './errors.js'
import { Pacer } from '../util/pacer.js'
import { BATCH_SLICE_MS, ResponseTooLargeError, type ResponseBudget } from './limits.js'
import type { JsonRpcErrorObject, JsonRpcId, RpcAccess, RpcCaller, RpcContext, RpcMethod, RpcMethods, RpcObserver } from './types.js'

export const DEFAULT_MAX_BATCH_SIZE = 1000

/** The context of one call, and how the transport learns whether the call succeeded. */
export interface CallScope {
  ctx: RpcContext
  /** Called once after the handler settles (not called when the params are rejected). */
  end(ok: boolean): void
}

/** Bounds on answering one message (see limits.ts); without them nothing is bounded but the batch size. */
export interface HandleOptions {
  /** Aborted when the client is gone: batch items not started yet are not run, and nothing is answered. */
  signal?: AbortSignal
  /** Size and time budget of the response; results beyond it answer -32005 and are not built. */
  budget?: ResponseBudget
  /** Who sent the message: checked against the access policy before each call. */
  caller?: RpcCaller
}

export interface RpcDispatcherOptions {
  methods?: RpcMethods
  /** Largest batch answered; a bigger one gets a single -32600 error. Default 1000. */
  maxBatchSize?: number
}

export interface RpcDispatcherModules {
  logger?: Logger
  observer?: RpcObserver
  /** Who may call what (rpc/auth.ts); without it every method is open to every caller. */
  access?: RpcAccess
}

type Issue = z.ZodError['issues'][number]

/** How the observer names a call to a method this node does not have (a bounded metrics label). */
export const OTHER_METHOD = 'other'

export class RpcDispatcher {
  private readonly methods = new Map<string, RpcMethod<unknown>>()
  private readonly maxBatchSize: number
  private readonly logger: Logger
  private readonly observer: RpcObserver | undefined
  private readonly access: RpcAccess | undefined

  constructor(opts: RpcDispatcherOptions = {}, modules: RpcDispatcherModules = {}) {
    this.maxBatchSize = opts.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE
    if (!Number.isInteger(this.maxBatchSize) || this.maxBatchSize < 1) {
      throw new QuorateError('RPC_OPTIONS_INVALID', `maxBatchSize must be a positive integer, got ${String(opts.maxBatchSize)}`)
    }
    this.logger = modules.logger ?? silentLogger()
    this.observer = modules.observer
    this.access = modules.access
    if (opts.methods) this.register(opts.methods)
  }

  /** Adds methods; a name that is already registered is an error (two modules claiming one name). */
  register(methods: RpcMethods): void {
    for (const name of Object.keys(methods)) {
      if (this.methods.has(name)) {
        throw new QuorateError('RPC_METHOD_DUPLICATE', `JSON-RPC method ${name} is registered twice; each method needs exactly one handler`)
      }
    }
    for (const [name, m] of Object.entries(methods)) this.methods.set(name, m)
  }

  has(name: string): boolean {
    return this.methods.has(name)
  }

  get methodNames(): string[] {
    return [...this.methods.keys()].sort()
  }

  /**
   * Answers one HTTP body or WebSocket message. Returns the JSON text to send back, or undefined
   * when nothing is due (only notifications, or the client is gone). `openCall` gives each
   * handler call its context.
   */
  async handle(text: string, openCall: () => CallScope, opts: HandleOptions = {}): Promise<string | undefined> {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      this.logger.debug({ err }, 'JSON-RPC parse error')
      return errorText(null, { code: RpcErrorCode.PARSE_ERROR, message: `parse error: ${err instanceof Error ? err.message : 'invalid JSON'}` })
    }
    const { budget, signal, caller } = opts
    if (!Array.isArray(parsed)) return this.handleRequest(parsed, openCall, caller, budget)
    if (parsed.length === 0) return errorText(null, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: empty batch' })
    if (parsed.length > this.maxBatchSize) {
      return errorText(null, {
        code: RpcErrorCode.INVALID_REQUEST,
        message: `batch too large: ${parsed.length} requests, at most ${this.maxBatchSize} are allowed (maxBatchSize); split the batch`,
      })
    }
    // One after the other: the order of side effects (e.g. several sendRawTransaction) is the batch order.
    const parts: string[] = []
    // Other clients get a turn every BATCH_SLICE_MS: awaiting only resolved promises (cached reads)
    // never lets a socket be read, so a 1,000-item batch would otherwise hold the node until it ends.
    const pacer = new Pacer(BATCH_SLICE_MS)
    for (const req of parsed) {
      await pacer.pace()
      // A closed connection's batch stops here: nobody would read the rest (issue #9: queued work kept a dead client's memory alive).
      if (signal?.aborted) return undefined
      const refusal = budget?.refusal()
      const out = refusal ? refusedText(req, refusal) : await this.handleRequest(req, openCall, caller, budget)
      if (out !== undefined) parts.push(out)
    }
    if (signal?.aborted) return undefined
    return parts.length === 0 ? undefined : `[${parts.join(',')}]`
  }

  private async handleRequest(req: unknown, openCall: () => CallScope, caller: RpcCaller | undefined, budget?: ResponseBudget): Promise<string | undefined> {
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      return errorText(null, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: expected a JSON-RPC request object' })
    }
    const r = req as Record<string, unknown>
    const hasId = Object.hasOwn(r, 'id')
    const rawId = r.id
    if (hasId && !(typeof rawId === 'string' || typeof rawId === 'number' || rawId === null)) {
      return errorText(null, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: "id" must be a string, a number or null' })
    }
    const id: JsonRpcId = hasId ? (rawId as JsonRpcId) : null
    if (r.jsonrpc !== '2.0') {
      return errorText(id, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: "jsonrpc" must be "2.0"' })
    }
    if (typeof r.method !== 'string' || r.method.length === 0) {
      return errorText(id, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: "method" must be a non-empty string' })
    }
    const name = r.method
    const reply = (out: { result: unknown } | { error: JsonRpcErrorObject }): string | undefined => {
      if (!hasId) return undefined // a notification gets no response, not even an error
      return 'error' in out ? errorText(id, out.error) : this.resultText(id, out.result, name, budget)
    }

    const started = performance.now()
    const m = this.methods.get(name)
    // Before the lookup: a caller without a grant learns nothing of which methods this node has.
    const refused = this.access && caller ? this.access.authorize(name, caller) : undefined
    const outcome = refused
      ? { error: toJsonRpcError(refused, this.logger, name) }
      : m
        ? await this.call(m, name, r.params, openCall)
        : { error: toJsonRpcError(methodNotFound(name)) }
    if (m && !refused && this.access && caller) this.access.called(name, caller, !('error' in outcome))
    this.observer?.onCall(m ? name : OTHER_METHOD, 'error' in outcome ? outcome.error.code : undefined, (performance.now() - started) / 1000)
    return reply(outcome)
  }

  private async call(
    m: RpcMethod<unknown>,
    name: string,
    rawParams: unknown,
    openCall: () => CallScope,
  ): Promise<{ result: unknown } | { error: JsonRpcErrorObject }> {
    if (rawParams !== undefined && rawParams !== null && !Array.isArray(rawParams)) {
      return { error: { code: RpcErrorCode.INVALID_PARAMS, message: 'invalid params: "params" must be an array of positional arguments' } }
    }
    const params: unknown[] = Array.isArray(rawParams) ? [...(rawParams as unknown[])] : []
    // Trailing nulls mean "not given", as geth reads them: optional trailing params accept null.
    while (params.length > 0 && params[params.length - 1] === null) params.pop()
    const illFormed = illFormedStringAt(params)
    if (illFormed !== undefined) {
      // JSON may carry "\ud800"; such a string breaks UTF-8 encoders deep in handlers (issue #9 answered -32603).
      return { error: { code: RpcErrorCode.INVALID_PARAMS, message: `invalid argument ${illFormed}: a string holds a lone UTF-16 surrogate (like "\\ud800"); send valid Unicode text` } }
    }
    let scope: CallScope | undefined
    try {
      const parsed = await m.params.safeParseAsync(params)
      if (!parsed.success) {
        return { error: { code: RpcErrorCode.INVALID_PARAMS, message: formatParamsIssues(parsed.error.issues, params.length) } }
      }
      scope = openCall()
      const result = await m.handler(parsed.data, scope.ctx)
      scope.end(true)
      return { result: result === undefined ? null : result }
    } catch (err) {
      scope?.end(false)
      if (err instanceof QuorateError) this.logger.debug({ method: name, code: err.code, reason: err.shortMessage }, 'JSON-RPC call failed')
      // Unexpected errors are logged with their stack by toJsonRpcError and answered as -32603.
      return { error: toJsonRpcError(err, this.logger, name) }
    }
  }

  private resultText(id: JsonRpcId, result: unknown, name: string, budget?: ResponseBudget): string {
    try {
      const text = stringifyJson({ jsonrpc: '2.0', id, result }, budget?.remaining)
      const refused = budget?.charge(Buffer.byteLength(text))
      return refused ? errorText(id, toJsonRpcError(refused)) : text
    } catch (err) {
      if (err instanceof ResponseTooLargeError && budget) return errorText(id, toJsonRpcError(budget.sizeExceeded()))
      this.logger.error({ method: name, err }, 'JSON-RPC result could not be serialised')
      return errorText(id, { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error: the result could not be serialised' })
    }
  }
}

function errorText(id: JsonRpcId, error: JsonRpcErrorObject): string {
  try {
    return stringifyJson({ jsonrpc: '2.0', id, error })
  } catch {
    // Only `data` can fail to serialise (e.g. a cycle): answer without it.
    return JSON.stringify({ jsonrpc: '2.0', id, error: { code: error.code, message: error.message } })
  }
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (String#isWellFormed is ES2024). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Where in the params a string (or object key) is not well-formed Unicode: `0`, `1: data`; undefined if none. */
function illFormedStringAt(params: readonly unknown[]): string | undefined {
  const stack: { value: unknown; path: PropertyKey[] }[] = params.map((value, i) => ({ value, path: [i] }))
  while (stack.length > 0) {
    const { value, path } = stack.pop()!
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return where(path)
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: [...path, i] }))
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (LONE_SURROGATE.test(k)) return where(path)
        stack.push({ value: v, path: [...path, k] })
      }
    }
  }
  return undefined
}

function where(path: PropertyKey[]): string {
  const [index, ...field] = path
  return `${String(index)}${field.length > 0 ? `: ${fieldPath(field)}` : ''}`
}

/** An answer for a batch item that is not run: an error if it expects one, nothing if it is a notification. */
function refusedText(req: unknown, refusal: Error): string | undefined {
  if (typeof req !== 'object' || req === null || Array.isArray(req) || !Object.hasOwn(req, 'id')) return undefined
  const rawId = (req as Record<string, unknown>).id
  const id: JsonRpcId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null
  return errorText(id, toJsonRpcError(refusal))
}

/**
 * JSON.stringify with Ethereum encodings for the values handlers naturally hold:
 * bigint → hex quantity, Uint8Array (and Buffer) → hex data.
 * With `maxChars`, throws ResponseTooLargeError as soon as the text is sure to be longer (the
 * count of keys and strings seen so far says so), instead of building it whole first.
 */
export function stringifyJson(value: unknown, maxChars?: number): string {
  let seen = 0
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown): unknown {
    const raw = key === '' ? v : (this as Record<string, unknown>)[key]
    let out = v
    if (typeof raw === 'bigint') out = raw < 0n ? `-0x${(-raw).toString(16)}` : `0x${raw.toString(16)}`
    else if (raw instanceof Uint8Array) out = bytesToHex(raw)
    if (maxChars !== undefined) {
      seen += key.length + (typeof out === 'string' ? out.length + 4 : 4)
      if (seen > maxChars) throw new ResponseTooLargeError(`response exceeds ${maxChars} characters`)
    }
    return out
  })
}

/**
 * Turns zod issues on a positional params array into one line naming the argument:
 * `invalid argument 1: expected a hex quantity like 0x1a`, `missing value for required argument 0`,
 * `too many arguments, want at most 2`.
 */
export function formatParamsIssues(issues: readonly Issue[], given: number): string {
  const lines: string[] = []
  for (const issue of issues.slice(0, 3)) {
    const { path, message, code } = innermost(issue, [])
    let line: string
    if (path.length === 0 && code === 'too_small') line = `missing value for required argument ${given}`
    else if (path.length === 0 && code === 'too_big' && 'maximum' in issue) line = `too many arguments, want at most ${String(issue.maximum)}`
    else if (path.length === 0) line = `invalid params: ${message}`
    else {
      const [index, ...field] = path
      line = `invalid argument ${String(index)}: ${field.length > 0 ? `${fieldPath(field)}: ` : ''}${message}`
    }
    if (!lines.includes(line)) lines.push(line)
  }
  return lines.length > 0 ? lines.join('; ') : 'invalid params'
}

/** For a failed union, the one branch that got past the type check says the most. */
function innermost(issue: Issue, base: PropertyKey[]): { path: PropertyKey[]; message: string; code: string } {
  const path = [...base, ...issue.path]
  if (issue.code === 'invalid_union') {
    const deeper = issue.errors.filter((branch) => !branch.every((i) => i.path.length === 0 && i.code === 'invalid_type'))
    const first = deeper.length === 1 ? deeper[0]![0] : undefined
    if (first !== undefined) return innermost(first, path)
  }
  return { path, message: issue.message, code: issue.code }
}

function fieldPath(path: PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`
  return out
}
