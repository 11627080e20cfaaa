/**
 * Pacer: cuts long work (executing a block, writing the state trie, serializing the pool's journal,
 * a JSON-RPC batch) into slices, so that the event loop turns between them and JSON-RPC reads,
 * consensus messages and timers are not queued behind the whole of it. `pace()` yields (setImmediate) once `sliceMs` of work has run since
 * the last turn, and counts the time the work spent waiting for its next slice (`awayMs`).
 */
export class Pacer {
  private sliceStart = performance.now()
  private away = 0

  /** `sliceMs` ≤ 0 or not finite: never yields. */
  constructor(private readonly sliceMs: number) {}

  /** Milliseconds spent away (other work's turns) since `start`. */
  get awayMs(): number {
    return this.away
  }

  /** Starts a new piece of work: its first slice begins now. */
  start(): void {
    this.sliceStart = performance.now()
    this.away = 0
  }

  /** Lets the event loop turn if the current slice has run its time. */
  async pace(): Promise<void> {
    if (!(this.sliceMs > 0 && Number.isFinite(this.sliceMs))) return
    const now = performance.now()
    if (now - this.sliceStart < this.sliceMs) return
    await new Promise<void>((resolve) => setImmediate(resolve))
    const back = performance.now()
    this.away += back - now
    this.sliceStart = back
  }
}
