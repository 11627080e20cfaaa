/** Every fuzz target by name, in the order `npm run fuzz` runs them. */
import type { TargetFactory } from '../lib/target.js'

export const TARGETS: Record<string, TargetFactory> = {
  'tx-decode': async () => (await import('./tx-decode.js')).createTarget(),
  'qbft-message': async () => (await import('./qbft-message.js')).createTarget(),
  'qbft-extra-data': async () => (await import('./qbft-extra-data.js')).createTarget(),
  'state-changes': async () => (await import('./state-changes.js')).createTarget(),
  'p2p-frame': async () => (await import('./p2p-frame.js')).createTarget(),
  'p2p-handshake': async () => (await import('./p2p-handshake.js')).createTarget(),
  rpc: async () => (await import('./rpc.js')).createTarget(),
}
