/** React bindings of the stores, and a clock for relative times. */
import { useEffect, useState, useSyncExternalStore } from 'react'

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
