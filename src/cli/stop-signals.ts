/**
 * Stop requests by SIGINT or SIGTERM for `quorate start`, heard from the moment the process begins
 * to start the node: its JSON-RPC answers before the rest is up, so a supervisor (or a test) may ask
 * it to stop then. Such a request is kept and carried out as soon as the node has started, a
 * graceful stop like any other, instead of the signal's default action (killed, the chain database
 * not closed). Each signal is heard once: a second Ctrl-C falls to its default, a forced quit.
 */
export interface StopSignals {
  /** Calls `stop` on the first SIGINT or SIGTERM, at once if one came already. */
  whenStarted(stop: () => void): void
}

export function listenForStop(): StopSignals {
  let requested = false
  let onStop: (() => void) | undefined
  const heard = (): void => {
    if (onStop) onStop()
    else requested = true
  }
  process.once('SIGINT', heard)
  process.once('SIGTERM', heard)
  return {
    whenStarted(stop) {
      if (requested) stop()
      else onStop = stop
    },
  }
}
