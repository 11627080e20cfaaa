/**
 * Transaction gossip: every transaction that enters the pool (from JSON-RPC or from a peer) is
 * gossiped on `tx`; a received one is offered to the pool, so any node's submission reaches every
 * validator. The host delivers each payload once, so relaying is simply re-gossiping what the pool
 * accepted. A peer that sends bytes that cannot be a valid transaction is penalised; refusals that
 * depend on timing (nonce too low, already known, pool full) are not its fault.
 */
import type { Logger } from 'pino'
import type { TxPool } from '../execution/txpool.js'
import { TxPoolError } from '../execution/txpool-errors.js'
import type { P2PHost } from './host.js'

const TX = 'tx'
const PEER_FAULTS = new Set(['MALFORMED', 'UNSUPPORTED_TX_TYPE', 'OVERSIZED', 'WRONG_CHAIN_ID', 'INVALID_SIGNATURE', 'UNPROTECTED_TX'])

export function wireTxGossip(host: P2PHost, pool: TxPool, logger: Logger): void {
  pool.on('added', (tx) => host.gossip(TX, tx.serialize()))
  host.on('message', (msg) => {
    if (msg.protocol !== TX) return
    pool.addRaw(msg.payload).catch((err: unknown) => {
      if (err instanceof TxPoolError && PEER_FAULTS.has(err.code)) {
        host.penalise(msg.from, `invalid transaction: ${err.code}`, 20)
        logger.debug({ peer: msg.from, code: err.code }, 'peer sent an invalid transaction')
      }
    })
  })
}
