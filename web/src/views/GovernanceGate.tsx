/** Shows governance data when the chain has it, and says plainly when it does not. */
import type { ReactNode } from 'react'
import type { GovernanceData, GovernanceState } from '../data/governance.js'
import { Notice } from '../components/ui.js'

export function GovernanceGate({ gov, children }: { gov: GovernanceState; children: (data: GovernanceData) => ReactNode }) {
  switch (gov.status) {
    case 'loading':
      return <p className="muted">Reading governance from the chain…</p>
    case 'not-enabled':
      return (
        <Notice tone="neutral" title="Governance not enabled on this chain">
          This node answers the <code>gov_*</code> methods with “method not found”: its chain was started from a plain genesis, without the governance contracts.
          Parties, their nodes and proposals show here once the consortium’s genesis includes governance.
        </Notice>
      )
    case 'error':
      return (
        <>
          <Notice tone="bad" title="Could not read governance">
            {gov.message}
            {gov.data ? ' Showing the last data read.' : ''}
          </Notice>
          {gov.data && children(gov.data)}
        </>
      )
    case 'ready':
      return <>{children(gov.data)}</>
  }
}
