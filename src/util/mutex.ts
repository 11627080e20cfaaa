/** A promise-chain mutex: `run` calls never overlap; an error in one does not block the next. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  private queued = 0

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++
    const result = this.tail.then(fn, fn).finally(() => this.queued--)
    this.tail = result.catch(() => undefined)
    return result
  }

  /** A `run` is running or waiting. */
  get busy(): boolean {
    return this.queued > 0
  }
}
