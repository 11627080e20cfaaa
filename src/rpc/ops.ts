/**
 * ops_ methods: what the operator dashboard needs beyond the chain, answered by this node.
 * - `ops_getFleet`: every node of the consortium as this node sees it, and the quorum in words (ops/fleet.ts).
 * - `ops_getHistory([sinceMs])`: the node's ring buffer of block time, transactions and peers (ops/history.ts).
 * - `ops_getAlerts`: active alerts from the configured Alertmanager or Prometheus (ops/alerts.ts).
 * Plain JSON numbers (not hex quantities): these are not Ethereum methods.
 */
import { z } from 'zod'
import type { AlertsAnswer } from '../ops/alerts.js'
import type { FleetReport } from '../ops/fleet.js'
import type { HistorySample } from '../ops/history.js'
import { method, noParams, type RpcMethods } from './types.js'

export interface OpsSources {
  fleet: () => Promise<FleetReport>
  history: (since?: number) => HistorySample[]
  alerts: () => Promise<AlertsAnswer>
}

export function opsMethods(s: OpsSources): RpcMethods {
  return {
    ops_getFleet: noParams(() => s.fleet()),
    ops_getHistory: method(z.tuple([z.number().int().nonnegative().optional()]), ([since]) => s.history(since)),
    ops_getAlerts: noParams(() => s.alerts()),
  }
}
