/**
 * SDK clients per party: each party acts through its own node (on Quorate) with its own account.
 * The fabric is the one value that differs between a Quorate consortium and any other EVM ledger.
 */
import { createLedgerClient, evm, quorate, type Fabric, type LedgerClient } from 'quorate/sdk'
import { PARTY_IDS, type FabricKind, type PartyConfig, type PartyId, type PensionDeployment } from './deployment.js'

export interface PartyClients {
  config: PartyConfig
  /** Signs with the party's application account. */
  app: LedgerClient
  /** Signs with the party's governance admin key (Quorate only). */
  admin: LedgerClient | undefined
}

export type PensionClients = Record<PartyId, PartyClients>

export function fabricFor(kind: FabricKind, url: string): Fabric {
  // Anvil and other automining development ledgers: final at inclusion.
  return kind === 'quorate' ? quorate({ url }) : evm({ url, confirmations: 0 })
}

export function createPensionClients(deployment: Pick<PensionDeployment, 'fabric' | 'parties'>): PensionClients {
  const entries = PARTY_IDS.map((id) => {
    const config = deployment.parties[id]
    const app = createLedgerClient({ fabric: fabricFor(deployment.fabric, config.rpcUrl), account: config.accountKey, pollingInterval: 100 })
    const admin = config.adminKey ? createLedgerClient({ fabric: fabricFor(deployment.fabric, config.rpcUrl), account: config.adminKey, pollingInterval: 100 }) : undefined
    return [id, { config, app, admin }] as const
  })
  return Object.fromEntries(entries) as PensionClients
}

export async function closePensionClients(clients: PensionClients): Promise<void> {
  await Promise.all(Object.values(clients).flatMap((c) => [c.app.close(), c.admin?.close()]))
}
