/**
 * JSON-RPC call metrics: the RpcObserver the dispatcher calls once per answered call, feeding
 * quorate_rpc_requests_total, quorate_rpc_errors_total and quorate_rpc_request_duration_seconds.
 * The dispatcher names a call by its method when this node has that method and "other" otherwise,
 * so a caller cannot create series by inventing method names.
 */
import type { RpcObserver } from '../rpc/types.js'
import type { RpcCallMetrics } from './metrics.js'

export function rpcCallObserver(metrics: RpcCallMetrics): RpcObserver {
  return {
    onCall(method, rpcCode, durationSeconds) {
      metrics.requests.inc({ method })
      metrics.duration.observe({ method }, durationSeconds)
      if (rpcCode !== undefined) metrics.errors.inc({ method, code: String(rpcCode) })
    },
  }
}
