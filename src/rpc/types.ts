/**
 * The contract between the JSON-RPC server (framing, transports, errors) and the method
 * implementations: a method is a zod schema for its positional params plus a handler. This file
 * holds types and the `method()` helper only; it must not import transports or method code.
 */
import { z } from 'zod'
import { notificationsNotSupported } from './errors.js'

/** What a handler knows about the call it serves. */
export interface RpcContext {
  transport: 'http' | 'ws'
  /** Present on WebSocket calls only: the connection that can carry subscriptions. */
  connection?: RpcConnection
  /** Remote IP address of the caller, for logs and rate limits. */
  remoteAddress?: string
  /** Who is calling, as the listener authenticated them (set when the server has an access policy). */
  caller?: RpcCaller
}

/**
 * An authenticated (or anonymous) caller. `name` is the API key's name, or the JWT's `id` claim
 * when it has one; it is what logs and the privacy access log record, never a secret.
 */
export interface RpcCaller {
  kind: 'anonymous' | 'apiKey' | 'jwt'
  name?: string
  remoteAddress?: string
  transport: 'http' | 'ws'
}

/** What a request carries that may prove who sent it. */
export interface RpcCredentials {
  authorization?: string | undefined
  queryToken?: string | undefined
}

/** What credentials prove: the caller without the transport facts. */
export type RpcIdentity = Pick<RpcCaller, 'kind' | 'name'>

/**
 * The access policy of one listener (rpc/auth.ts implements it): who is calling, and what they
 * may call. The server authenticates once per HTTP request or WebSocket connection; the
 * dispatcher asks `authorize` before each call and reports each call to `called` (the request log).
 */
export interface RpcAccess {
  /**
   * The identity proved by the request's `Authorization` header or (WebSocket upgrades) its
   * `?token=` query. Throws a QuorateError with code RPC_UNAUTHORIZED for bad, expired or
   * missing-but-required credentials: the server answers 401.
   */
  authenticate(credentials: RpcCredentials): Promise<RpcIdentity>
  /** Undefined when `caller` may call `method`; else the error to answer. */
  authorize(method: string, caller: RpcCaller): Error | undefined
  called(method: string, caller: RpcCaller, ok: boolean): void
}

/**
 * One WebSocket connection as seen by a handler. Subscriptions registered here are torn down
 * (their `unsubscribe` callbacks run) when the connection closes, so a handler never leaks a
 * listener on a vanished client.
 */
export interface RpcConnection {
  /** Stable id for logs, e.g. `ws-3`. */
  readonly id: string
  readonly remoteAddress: string | undefined
  readonly closed: boolean
  readonly subscriptionCount: number
  /**
   * Registers a subscription and returns its id (`0x` + 32 hex digits). `unsubscribe` is called
   * exactly once: on `unsubscribe(id)`, on connection close, or at once if the call that created
   * it fails. Notifications sent before the creating call's response is written are held back
   * and flushed right after it, so a client never sees a notification for an id it does not know.
   * Throws a LIMIT_EXCEEDED QuorateError when the connection holds too many subscriptions.
   */
  subscribe(kind: string, unsubscribe: () => void): string
  /**
   * Sends `{ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result } }`.
   * Returns false if the subscription or the connection is gone (the caller should stop).
   */
  notify(subscriptionId: string, result: unknown): boolean
  /** Removes a subscription and runs its `unsubscribe`; false if this connection does not hold it. */
  unsubscribe(subscriptionId: string): boolean
}

/**
 * A JSON-RPC method: a schema for the positional params (a zod tuple, optional trailing
 * elements allowed) and the handler that receives the parsed params. Build one with `method()`
 * so that the handler's params type is inferred from the schema.
 *
 * `handler` is declared with method syntax on purpose: that makes `RpcMethod<[bigint]>`
 * assignable to `RpcMethod<unknown>`, so tables of differently-typed methods need no casts.
 */
export interface RpcMethod<P> {
  params: z.ZodType<P>
  handler(params: P, ctx: RpcContext): Promise<unknown> | unknown
}

/** The method table: JSON-RPC method name → method. */
export type RpcMethods = Record<string, RpcMethod<unknown>>

/**
 * Builds a method whose handler params are inferred from the schema:
 * `method(z.tuple([addressSchema, blockIdSchema.optional()]), ([address, block], ctx) => ...)`.
 */
export function method<P>(params: z.ZodType<P>, handler: (params: P, ctx: RpcContext) => Promise<unknown> | unknown): RpcMethod<P> {
  return { params, handler }
}

/** A method without params (`[]` or omitted params; anything else is -32602). */
export function noParams(handler: (params: [], ctx: RpcContext) => Promise<unknown> | unknown): RpcMethod<[]> {
  return method(z.tuple([]), handler)
}

/**
 * The connection of a subscription method's call; over HTTP throws geth's -32601
 * "notifications not supported" (see `notificationsNotSupported` in errors.ts).
 */
export function requireConnection(ctx: RpcContext): RpcConnection {
  if (!ctx.connection) throw notificationsNotSupported()
  return ctx.connection
}

/** JSON-RPC 2.0 wire shapes. */
export type JsonRpcId = string | number | null

export interface JsonRpcErrorObject {
  code: number
  message: string
  data?: unknown
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject }

export interface JsonRpcNotification {
  jsonrpc: '2.0'
  method: 'eth_subscription'
  params: { subscription: string; result: unknown }
}

/**
 * Receives one event per handled call (for metrics); `rpcCode` is undefined on success. `method` is
 * the name of a method this node has, or "other" for any other name.
 */
export interface RpcObserver {
  onCall(method: string, rpcCode: number | undefined, durationSeconds: number): void
}
