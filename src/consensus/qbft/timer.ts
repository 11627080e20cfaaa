/**
 * Round timer length. The machine owns no clock: it asks the caller to schedule a timeout of
 * `roundTimeoutMs(round)` and is told when it fires. The spec doubles per round without bound;
 * we cap it, because Besu's uncapped doubling reached 4096 s and stalled private networks.
 */
import { ConfigError } from '../../errors.js'

export interface RoundTimeoutConfig {
  /** Timeout of round 0 in ms. */
  readonly baseMs: number
  /** Upper bound of any round's timeout in ms. */
  readonly capMs: number
}

export const DEFAULT_ROUND_TIMEOUT: RoundTimeoutConfig = { baseMs: 2000, capMs: 30_000 }

export function checkRoundTimeoutConfig(cfg: RoundTimeoutConfig): RoundTimeoutConfig {
  if (!Number.isFinite(cfg.baseMs) || cfg.baseMs <= 0) throw new ConfigError('baseMs', `must be a positive number of milliseconds (got ${cfg.baseMs})`)
  if (!Number.isFinite(cfg.capMs) || cfg.capMs < cfg.baseMs) throw new ConfigError('capMs', `must be at least baseMs (${cfg.baseMs}) (got ${cfg.capMs})`)
  return cfg
}

/** min(baseMs * 2^round, capMs). */
export function roundTimeoutMs(round: number, cfg: RoundTimeoutConfig = DEFAULT_ROUND_TIMEOUT): number {
  // 2 ** round becomes Infinity for huge rounds; min() still yields the cap.
  return Math.min(cfg.baseMs * 2 ** round, cfg.capMs)
}
