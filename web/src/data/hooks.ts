/** React bindings of the stores, and a clock for relative times. */
import { useEffect, useState, useSyncExternalStore } from 'react'
import { METHOD_NOT_FOUND, RpcError, type RpcClient } from '../rpc/client.js'

export interface Subscribable<T> {
  readonly snapshot: T
  subscribe(listener: () => void): () => void
}

export function useStore<T>(store: Subscribable<T>): T {
  return useSyncExternalStore(
    (l) => store.subscribe(l),
    () => store.snapshot,
  )
}

/** The current time, re-read every `intervalMs` so "12 s ago" keeps counting. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(t)
  }, [intervalMs])
  return now
}

/** The view named in the URL hash ("#/validators" → "validators"), following navigation. */
export function useHashRoute<T extends string>(routes: readonly T[], fallback: T): T {
  const read = (): T => {
    const name = window.location.hash.replace(/^#\/?/, '').split(/[?/]/)[0] ?? ''
    return (routes as readonly string[]).includes(name) ? (name as T) : fallback
  }
  const [route, setRoute] = useState(read)
  // `read` depends only on the static route list, so the listener is set once.
  useEffect(() => {
    const onHash = () => setRoute(read())
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  return route
}

/** An RPC answer re-read every `intervalMs`; a failed read keeps the last answer and says why. */
export type Polled<T> =
  | { status: 'loading' }
  /** The node has no such method ("method not found"): a node without the feature. */
  | { status: 'absent' }
  | { status: 'failed'; error: string }
  | { status: 'ready'; value: T; error?: string }

export function usePolledRpc<T>(rpc: RpcClient, method: string, intervalMs: number): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ status: 'loading' })
  useEffect(() => {
    let stopped = false
    const load = async () => {
      try {
        const value = await rpc.call<T>(method)
        if (!stopped) setState({ status: 'ready', value })
      } catch (err) {
        if (stopped) return
        if (err instanceof RpcError && err.code === METHOD_NOT_FOUND) return setState({ status: 'absent' })
        const error = err instanceof Error ? err.message : String(err)
        setState((s) => (s.status === 'ready' ? { status: 'ready', value: s.value, error } : { status: 'failed', error }))
      }
    }
    void load()
    const t = setInterval(() => void load(), intervalMs)
    return () => {
      stopped = true
      clearInterval(t)
    }
  }, [rpc, method, intervalMs])
  return state
}
