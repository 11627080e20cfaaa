/**
 * Messages between the sender recovery pool (sender-recovery.ts) and its worker thread
 * (sender-recovery-worker.ts). One job is the signatures of one block, packed: for transaction i,
 * bytes [32i, 32i+32) of `hashes` are the message hash it signed, [64i, 64i+64) of `signatures`
 * its r ‖ s, and `recoveries[i]` its recovery id (0 or 1).
 */
export interface RecoveryJob {
  id: number
  hashes: Uint8Array
  signatures: Uint8Array
  recoveries: Uint8Array
}

/**
 * The answer: for transaction i, bytes [64i, 64i+64) of `publicKeys` are its sender's public key
 * (uncompressed, without the 0x04 prefix), valid where `ok[i]` is 1.
 */
export interface RecoveryResult {
  id: number
  publicKeys: Uint8Array
  ok: Uint8Array
}
