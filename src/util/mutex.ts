/** A promise-chain mutex: `run` calls never overlap; an error in one does not block the next. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once every `run` called so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}
