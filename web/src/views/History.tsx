/** Block time, transactions per second and peers over the last hour, from the node's own ring buffer (ops_getHistory). */
import { usePolledRpc } from '../data/hooks.js'
import { formatDuration, formatInt } from '../format.js'
import type { RpcClient } from '../rpc/client.js'
import type { HistorySample } from '../rpc/types.js'
import { LineChart } from '../components/Chart.js'
import { Empty, Section } from '../components/ui.js'

const POLL_MS = 10_000
const twoDecimals = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 })

export function HistorySection({ rpc }: { rpc: RpcClient }) {
  const state = usePolledRpc<HistorySample[]>(rpc, 'ops_getHistory', POLL_MS)
  if (state.status === 'absent') return null
  const samples = state.status === 'ready' ? state.value : []
  const error = state.status === 'ready' || state.status === 'failed' ? state.error : undefined
  return (
    <Section title="History" description="Kept by this node in memory: one sample per interval over the last hour (it starts empty when the node restarts).">
      {error !== undefined && <p className="inline-warning">Last known history: {error}</p>}
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
