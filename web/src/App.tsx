/** The dashboard shell: header with the node and the live state, view navigation, and the views. */
import { useEffect, useMemo } from 'react'
import { GovernanceStore } from './data/governance.js'
import { useHashRoute, useNow, useStore } from './data/hooks.js'
import { ChainStore, type ChainState } from './data/store.js'
import { formatInt, shortHex } from './format.js'
import { httpRpcClient, sameOriginRpcUrl, sameOriginWsUrl } from './rpc/client.js'
import { LiveHeads, type LiveStatus } from './rpc/live.js'
import { RelativeTime, StatusBadge } from './components/ui.js'
import { Overview } from './views/Overview.js'
import { Parties } from './views/Parties.js'
import { Proposals } from './views/Proposals.js'
import { Blocks } from './views/Blocks.js'
import { PrivateData } from './views/PrivateData.js'
import { Search } from './views/Search.js'

const ROUTES = ['overview', 'parties', 'proposals', 'blocks', 'search', 'private'] as const
type Route = (typeof ROUTES)[number]

const VIEWS: Record<Route, { label: string; title: string; description: string }> = {
  overview: { label: 'Overview', title: 'Network overview', description: 'The quorum, every node of the consortium, chain progress, validators and their sealing, peers, alerts and history.' },
  parties: { label: 'Parties', title: 'Parties and nodes', description: 'The organisations of the consortium and their nodes, as the latest block records them.' },
  proposals: { label: 'Proposals', title: 'Proposals', description: 'Governance decisions: their votes, thresholds and deadlines.' },
  blocks: { label: 'Blocks', title: 'Blocks and transactions', description: 'The latest blocks on this node and the transactions they hold.' },
  search: { label: 'Search', title: 'Search', description: 'A block by number or hash, a transaction by hash, or an address; logs of the governance and private-data contracts are decoded.' },
  private: { label: 'Private data', title: 'Private data', description: 'Erasure of a private record: which member nodes confirmed its deletion on chain, and what this node still owes.' },
}

/** Slow refresh for what changes without blocks (peers) and for a stalled chain. */
const POLL_MS = 5000

export function App() {
  const stores = useMemo(() => {
    const rpc = httpRpcClient(sameOriginRpcUrl())
    return { rpc, chain: new ChainStore(rpc), gov: new GovernanceStore(rpc) }
  }, [])
  const chain = useStore(stores.chain)
  const gov = useStore(stores.gov)
  const now = useNow(1000)
  const route = useHashRoute(ROUTES, 'overview')

  useEffect(() => {
    const { chain: c, gov: g } = stores
    void c.refresh()
    void g.refresh(true)
    const live = new LiveHeads({
      url: sameOriginWsUrl(),
      onStatus: (s) => {
        c.setLive(s)
        // Catch up on what happened while the socket was down.
        if (s.state === 'live') {
          void c.refresh()
          void g.refresh(true)
        }
      },
      onHead: (head, at) => {
        c.onHead(head, at)
        void g.refresh()
      },
    })
    live.start()
    const poll = setInterval(() => {
      void c.refresh()
      void g.refresh()
    }, POLL_MS)
    return () => {
      live.stop()
      clearInterval(poll)
    }
  }, [stores])

  useEffect(() => {
    document.title = `${VIEWS[route].label} · ${chain.nodeInfo?.name ?? 'Quorate'} · Quorate dashboard`
  }, [route, chain.nodeInfo?.name])

  const view = VIEWS[route]
  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar__inner">
          <div className="brand">
            <span className="brand__mark" aria-hidden="true" />
            <span className="brand__name">Quorate</span>
            <span className="brand__sub">Network dashboard</span>
          </div>
          <NodeIdentity chain={chain} />
          <LiveIndicator live={chain.live} now={now} unreachable={chain.unreachable !== undefined} />
        </div>
        <nav className="tabs" aria-label="Dashboard views">
          <div className="tabs__inner">
            {ROUTES.map((r) => (
              <a key={r} href={`#/${r}`} className="tabs__link" aria-current={r === route ? 'page' : undefined}>
                {VIEWS[r].label}
                {r === 'proposals' && gov.status === 'ready' && <OpenCount n={gov.data.proposals.filter((p) => p.state === 'open').length} />}
              </a>
            ))}
          </div>
        </nav>
      </header>

      <main className="main" aria-labelledby="view-title">
        <div className="page-header">
          <h1 id="view-title">{view.title}</h1>
          <p>{view.description}</p>
        </div>
        {chain.unreachable && (
          <div className="notice notice--bad" role="alert" aria-label="Serving node unreachable">
            <div className="notice__title">
              The node serving this page{chain.nodeInfo ? ` (${chain.nodeInfo.name})` : ''} is unreachable
            </div>
            <div className="notice__body">
              {chain.unreachable}{' '}
              {chain.updatedAt !== undefined ? (
                <>
                  Everything below is the last known state, from <RelativeTime at={chain.updatedAt} now={now} />, and is marked stale.
                </>
              ) : (
                'Nothing could be read yet.'
              )}{' '}
              Retrying every {POLL_MS / 1000} s; other nodes serve the same dashboard on their own RPC port.
            </div>
          </div>
        )}
        {!chain.loaded && !chain.unreachable ? (
          <p className="muted">Reading the chain…</p>
        ) : (
          <>
            {route === 'overview' && <Overview chain={chain} gov={gov} now={now} rpc={stores.rpc} />}
            {route === 'parties' && <Parties chain={chain} gov={gov} />}
            {route === 'proposals' && <Proposals gov={gov} now={now} />}
            {route === 'blocks' && <Blocks chain={chain} gov={gov} now={now} />}
            {route === 'search' && <Search rpc={stores.rpc} gov={gov} now={now} />}
            {route === 'private' && <PrivateData rpc={stores.rpc} />}
          </>
        )}
      </main>
      <footer className="footer">
        {chain.clientVersion ?? 'Quorate'} · updated {chain.updatedAt !== undefined ? <RelativeTime at={chain.updatedAt} now={now} /> : 'never'}
      </footer>
    </div>
  )
}

function OpenCount({ n }: { n: number }) {
  if (n === 0) return null
  return (
    <span className="tabs__count" aria-label={`${n} open`}>
      {formatInt(n)}
    </span>
  )
}

function NodeIdentity({ chain }: { chain: ChainState }) {
  const info = chain.nodeInfo
  if (!info) return <div className="identity" />
  return (
    <dl className="identity" aria-label="This node">
      <div>
        <dt>Node</dt>
        <dd>{info.name}</dd>
      </div>
      <div>
        <dt>Address</dt>
        <dd className="mono" title={info.id}>
          {shortHex(info.id)}
        </dd>
      </div>
      <div>
        <dt>Chain</dt>
        <dd>{chain.chainId ?? '—'}</dd>
      </div>
      <div>
        <dt>Role</dt>
        <dd>{info.consensus?.isValidator ? 'validator' : 'observer'}</dd>
      </div>
    </dl>
  )
}

function LiveIndicator({ live, now, unreachable }: { live: LiveStatus; now: number; unreachable: boolean }) {
  if (unreachable) {
    return (
      <div className="live" role="status" aria-label="Live updates">
        <StatusBadge tone="bad" title="The node serving this page does not answer; retrying">
          Node unreachable
        </StatusBadge>
      </div>
    )
  }
  const label = live.state === 'live' ? 'Live' : live.state === 'connecting' ? 'Connecting…' : 'Reconnecting…'
  const detail =
    live.state === 'reconnecting' && live.retryAt !== undefined
      ? `Live updates lost${live.lastError ? ` (${live.lastError})` : ''}; next try in ${Math.max(0, Math.ceil((live.retryAt - now) / 1000))} s`
      : live.state === 'live'
        ? 'New blocks arrive over WebSocket'
        : 'Opening the WebSocket'
  return (
    <div className="live" role="status" aria-label="Live updates">
      <StatusBadge tone={live.state === 'live' ? 'ok' : live.state === 'connecting' ? 'neutral' : 'warn'} title={detail}>
        {label}
      </StatusBadge>
    </div>
  )
}
