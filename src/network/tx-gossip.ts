/**
 * Transaction gossip: every transaction that enters the pool (from JSON-RPC or from a peer) is
 * gossiped on `tx`; a received one is offered to the pool, so any node's submission reaches every
 * validator. The host delivers each payload once, so relaying is simply re-gossiping what the pool
 * accepted.
 *
 * Blame: a peer is penalised only for bytes that cannot be a valid transaction on this chain at all,
 * whoever checks them (`PEER_FAULT`). A refusal that comes from this node's own settings or state
 * (its maxTxBytes, minGasPrice, pool and per-sender limits, its head: nonce, balance, governance
 * permissions) is not the relaying peer's fault: an honest peer with other settings relays such a
 * transaction in good faith, and penalising it once banned every honest validator of a node with a
 * smaller maxTxBytes. The table is a Record over every pool code, so a new code must be classified
 * here or the build fails.
 *
 * A peer that connects is sent what the pool holds (as geth announces its pool to a new peer), up
 * to a byte budget well under a peer's gossip burst: transactions that were reloaded from the
 * journal at start, or that arrived while no peer was connected, would otherwise never leave.
 */
import type { Logger } from 'pino'
import type { TxPool } from '../execution/txpool.js'
import { TxPoolError, type TxPoolErrorCode } from '../execution/txpool-errors.js'
import type { P2PHost } from './host.js'

export const TX_PROTOCOL = 'tx'
export const INVALID_TX_PENALTY = 20
/** Most bytes of pooled transactions sent to a peer when it connects. */
export const POOL_HANDOVER_BYTES = 4 * 1024 * 1024

/** true: the bytes are no valid transaction of this chain (peer fault); false: a local refusal. */
export const PEER_FAULT: Record<TxPoolErrorCode, boolean> = {
  MALFORMED: true,
  UNSUPPORTED_TX_TYPE: true,
  WRONG_CHAIN_ID: true,
  INVALID_SIGNATURE: true,
  FEE_CAP_BELOW_TIP: true,
  // This node's settings.
  OVERSIZED: false,
  UNPROTECTED_TX: false,
  UNDERPRICED: false,
  GAS_LIMIT_EXCEEDED: false,
  INTRINSIC_GAS_TOO_LOW: false,
  SENDER_LIMIT: false,
  POOL_FULL: false,
  // This node's state (timing: its head and pool may be ahead of or behind the peer's).
  ALREADY_KNOWN: false,
  NONCE_TOO_LOW: false,
  NONCE_TOO_HIGH: false,
  INSUFFICIENT_FUNDS: false,
  UNDERPRICED_REPLACEMENT: false,
}

/** Whether a pool refusal of a gossiped transaction is the sending peer's fault. */
export function isPeerFault(err: unknown): err is TxPoolError {
  return err instanceof TxPoolError && PEER_FAULT[err.code] === true
}

export function wireTxGossip(host: P2PHost, pool: TxPool, logger: Logger): void {
  host.subscribe(TX_PROTOCOL)
  pool.on('added', (tx) => host.gossip(TX_PROTOCOL, tx.serialize()))
  host.on('peer:connect', (peer) => {
    let budget = POOL_HANDOVER_BYTES
    for (const raw of pool.serializedTransactions()) {
      budget -= raw.length
      // send() is false when the peer's send buffer is full: the rest can wait for new blocks' gossip.
      if (budget < 0 || !host.isConnected(peer) || !host.send(peer, TX_PROTOCOL, raw)) break
    }
  })
  host.on('message', (msg) => {
    if (msg.protocol !== TX_PROTOCOL) return
    pool.addRaw(msg.payload).catch((err: unknown) => {
      if (isPeerFault(err)) {
        host.penalise(msg.from, `invalid transaction: ${err.code}`, INVALID_TX_PENALTY)
        logger.debug({ peer: msg.from, code: err.code }, 'peer sent an invalid transaction')
      } else {
        logger.trace({ peer: msg.from, code: err instanceof TxPoolError ? err.code : undefined }, 'gossiped transaction refused by local rules')
      }
    })
  })
}
