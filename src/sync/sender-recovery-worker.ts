/**
 * The worker thread of the sender recovery pool: recovers public keys with native secp256k1 and
 * answers each job with them. It knows nothing of transactions or blocks.
 */
import { parentPort } from 'node:worker_threads'
import { recoverPublicKey } from '../crypto/native.js'
import type { RecoveryJob, RecoveryResult } from './sender-recovery-protocol.js'

const port = parentPort
if (port === null) throw new Error('sender-recovery-worker must run in a worker thread')

port.on('message', (job: RecoveryJob) => {
  const n = job.recoveries.length
  const publicKeys = new Uint8Array(n * 64)
  const ok = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    try {
      const key = recoverPublicKey(job.hashes.subarray(i * 32, i * 32 + 32), job.signatures.subarray(i * 64, i * 64 + 64), job.recoveries[i]!)
      publicKeys.set(key.subarray(1), i * 64)
      ok[i] = 1
    } catch {
      ok[i] = 0 // left to the transaction's own check, which will refuse it
    }
  }
  const result: RecoveryResult = { id: job.id, publicKeys, ok }
  port.postMessage(result, [publicKeys.buffer, ok.buffer])
})
