/** Block time, transactions per second and peers over the last hour, from the node's own ring buffer (ops_getHistory). */
import { useEffect, useState } from 'react'
import { formatDuration, formatInt } from '../format.js'
import { METHOD_NOT_FOUND, RpcError, type RpcClient } from '../rpc/client.js'
import type { HistorySample } from '../rpc/types.js'
import { LineChart } from '../components/Chart.js'
import { Empty, Section } from '../components/ui.js'

const POLL_MS = 10_000
const twoDecimals = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 })

type HistoryState = { status: 'loading' } | { status: 'absent' } | { status: 'ready'; samples: HistorySample[] } | { status: 'error'; message: string; samples: HistorySample[] }

export function HistorySection({ rpc }: { rpc: RpcClient }) {
  const [state, setState] = useState<HistoryState>({ status: 'loading' })
  useEffect(() => {
    let stopped = false
    const load = async () => {
      try {
        const samples = await rpc.call<HistorySample[]>('ops_getHistory')
        if (!stopped) setState({ status: 'ready', samples })
      } catch (err) {
        if (stopped) return
        if (err instanceof RpcError && err.code === METHOD_NOT_FOUND) setState({ status: 'absent' })
        else setState((s) => ({ status: 'error', message: err instanceof Error ? err.message : String(err), samples: 'samples' in s ? s.samples : [] }))
      }
    }
    void load()
    const t = setInterval(() => void load(), POLL_MS)
    return () => {
      stopped = true
      clearInterval(t)
    }
  }, [rpc])

  if (state.status === 'absent') return null
  const samples = state.status === 'ready' || state.status === 'error' ? state.samples : []
  return (
    <Section title="History" description="Kept by this node in memory: one sample per interval over the last hour (it starts empty when the node restarts).">
      {state.status === 'error' && <p className="inline-warning">Last known history: {state.message}</p>}
      {samples.length === 0 ? (
        <Empty>{state.status === 'loading' ? 'Reading the history…' : 'No samples yet: the first one is taken one interval after the node starts.'}</Empty>
      ) : (
        <div className="charts">
          <LineChart label="Block time" points={samples.map((s) => ({ at: s.at, value: s.blockTimeMs === null ? null : s.blockTimeMs / 1000 }))} format={(v) => formatDuration(v)} />
          <LineChart label="Transactions per second" points={samples.map((s) => ({ at: s.at, value: s.intervalMs > 0 ? s.txs / (s.intervalMs / 1000) : null }))} format={(v) => twoDecimals.format(v)} />
          <LineChart label="Peers" points={samples.map((s) => ({ at: s.at, value: s.peers }))} format={(v) => formatInt(v)} />
        </div>
      )}
    </Section>
  )
}
