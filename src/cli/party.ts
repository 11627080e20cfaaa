/**
 * A party's life in the consortium, from its operator's side: `quorate init --consortium` (a
 * founding node's folder from the consortium file), `quorate party join-request` (a joining party's
 * node key, admin key and request), `quorate party join` (its config and genesis, to sync from a
 * peer) and `quorate party offboard` (the safe order of proposals that takes a party out: its
 * validators one at a time, then its nodes, then the party).
 *
 * It owns files in the party's own folder and the offboarding order; the votes and the rules that
 * refuse a step stay in the governance contract (read and sent through gov.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { connect } from 'node:net'
import { createInterface } from 'node:readline/promises'
import { Command, Option } from 'commander'
import { parseGenesis, type GenesisInput } from '../chain/genesis.js'
import { privateKeyToAddress } from '../crypto/keys.js'
import { ConfigError, QuorateError, errorMessage } from '../errors.js'
import { loadConsortium, PARTY_KINDS, type Consortium } from '../governance/consortium.js'
import type { DecisionArgs } from '../governance/decisions.js'
import { livenessShortfall, quorumOf } from '../governance/liveness.js'
import { maxFaulty } from '../consensus/qbft/quorum.js'
import { consortiumGenesis } from '../governance/genesis.js'
import { CONFIG_FILE, readJsonFile, type NodeConfigInput } from '../node/config.js'
import { createNodeKeys, exists, writeNodeFiles } from '../node/init.js'
import { readKeyFile } from '../node/keyfile.js'
import { readNodeIdentity } from '../node/identity.js'
import { ENCRYPTION_KEY_FILE } from '../privacy/keys.js'
import type { Address } from '../types.js'
import { genesisHashOf } from './doctor.js'
import {
  AdminSession,
  JoinRequestSchema,
  keyOptions,
  positiveInt,
  summariseArgs,
  usageExitCodes,
  voteOutcomeText,
  yesNeeded,
  type GovIo,
  type JoinRequest,
  type NodeInfo,
  type PartyInfo,
  type ProposalInfo,
} from './gov.js'
import { addressOfKeyFile, createAdminKeyFile } from './keys.js'
import { sanitizeCell, shouldColour } from './table.js'
import { rpcOption } from './rpc-option.js'

export const ADMIN_KEY_FILE = 'admin.key'
export const JOIN_REQUEST_FILE = 'join-request.json'

const PARTY_ID = /^[a-z0-9][a-z0-9-]{0,30}$/
const ENDPOINT = /^wss:\/\/[^/\s@]+$/

// ---- quorate init --consortium -----------------------------------------------------------------------

export interface ConsortiumInitOptions {
  dataDir: string
  consortium: string
  /** The node's name in the consortium file; else the node is found by its key's address. */
  node?: string | undefined
  rpcPort: number
  p2pPort: number
}

export interface ConsortiumInitResult {
  address: Address
  /** True when the node key was created by this run. */
  created: boolean
  /** The node's entry in the consortium file, if it is listed. */
  listed: { party: string; name: string | undefined; validator: boolean } | undefined
  genesisHash: string
  peers: number
}

type ConsortiumNode = Consortium['parties'][number]['nodes'][number]

/**
 * Writes the consortium's genesis and a config into a node folder. The node key is the one already
 * in the folder (made by `quorate init` or `party join-request`), or a new one made now; a node
 * named with `node` must match the key.
 */
export async function initFromConsortium(opts: ConsortiumInitOptions): Promise<ConsortiumInitResult> {
  const consortium = await loadConsortium(opts.consortium)
  const dataDir = opts.dataDir
  if (await exists(join(dataDir, 'chain'))) {
    throw new ConfigError('--data-dir', `${dataDir} already holds a chain; its genesis cannot be replaced`, { details: 'use a new data folder for the consortium chain (the node key may be copied over)' })
  }
  const entries = consortium.parties.flatMap((p) => p.nodes.map((n) => ({ party: p.id, node: n })))
  let entry: { party: string; node: ConsortiumNode } | undefined
  if (opts.node !== undefined) {
    entry = entries.find((e) => e.node.name === opts.node)
    if (!entry) {
      const names = entries.flatMap((e) => (e.node.name ? [e.node.name] : []))
      throw new ConfigError('--node', `no node named "${opts.node}" in ${opts.consortium}${names.length ? `; its nodes are ${names.join(', ')}` : ' (its nodes have no names)'}`)
    }
  }
  const keyFile = join(dataDir, 'node.key')
  let address: Address
  let created = false
  if (await exists(keyFile)) {
    address = privateKeyToAddress(await readKeyFile(keyFile))
    if (entry && entry.node.address !== address) {
      throw new ConfigError('--node', `${opts.consortium} lists node "${opts.node}" as ${entry.node.address}, but the key in ${keyFile} is ${address}`, {
        details: 'run this in the folder that holds that node\'s key, or fix the address in the consortium file',
      })
    }
    entry ??= entries.find((e) => e.node.address === address)
  } else {
    if (entry) {
      throw new ConfigError('--node', `${opts.consortium} lists node "${opts.node}" as ${entry.node.address}, but ${dataDir} holds no node key`, {
        details: 'run this in the folder that holds that node\'s key (made by `quorate init` or `quorate party join-request`)',
      })
    }
    address = (await createNodeKeys(dataDir)).address
    created = true
  }
  const genesis = await consortiumGenesis(consortium)
  const peers = entries.filter((e) => e.node.address !== address && e.node.endpoint !== '').map((e) => ({ url: e.node.endpoint, address: e.node.address }))
  const existing = (await exists(join(dataDir, CONFIG_FILE))) ? ((await readJsonFile(join(dataDir, CONFIG_FILE), 'config file')) as Record<string, unknown>) : undefined
  const outboundOnly = entry !== undefined && entry.node.endpoint === ''
  const config: NodeConfigInput = existing
    ? { name: entry?.node.name ?? entry?.party ?? 'node', ...existing, p2p: { ...(existing.p2p as object | undefined), peers } }
    : {
        name: entry?.node.name ?? entry?.party ?? 'node',
        rpc: { port: opts.rpcPort },
        p2p: { ...(outboundOnly ? {} : { listen: { port: opts.p2pPort } }), peers },
      }
  await writeNodeFiles(dataDir, genesis, config)
  return {
    address,
    created,
    listed: entry && { party: entry.party, name: entry.node.name, validator: entry.node.validator },
    genesisHash: await genesisHashOf(parseGenesis(genesis)),
    peers: peers.length,
  }
}

export function initFromConsortiumText(opts: ConsortiumInitOptions, r: ConsortiumInitResult): string {
  const dir = resolve(opts.dataDir)
  return [
    `initialised ${dir} from the consortium file ${opts.consortium}`,
    `  node key      ${r.created ? `created now in ${join(dir, 'node.key')} (back it up)` : `the key already in ${join(dir, 'node.key')} (made by an earlier \`quorate init\` or \`quorate party join-request\`)`}`,
    `  node address  ${r.address}`,
    r.listed
      ? `  in the file   ${r.listed.name ? `node "${r.listed.name}"` : 'a node'} of party ${r.listed.party}${r.listed.validator ? ', validator' : ''}`
      : `  in the file   not listed: the other nodes refuse it until an AddNode proposal for ${r.address} is approved`,
    `  genesis       hash ${r.genesisHash}: every party must get this same hash from the same consortium file (compare it out of band)`,
    `  peers         ${r.peers} node${r.peers === 1 ? '' : 's'} of the consortium file with an endpoint`,
    `start it with: quorate start --data-dir ${dir}`,
    '',
  ].join('\n')
}

// ---- quorate party join-request ----------------------------------------------------------------------

export interface JoinRequestOptions {
  dataDir: string
  partyId: string
  name: string
  kind: string
  endpoint?: string | undefined
  /** Existing admin addresses; without them an admin key is created in the data folder. */
  admin?: string[] | undefined
  out?: string | undefined
}

export interface JoinRequestResult {
  request: JoinRequest
  file: string
  nodeKey: 'created' | 'reused'
  adminKeyFile: string | undefined
  adminKey: 'created' | 'reused' | 'none'
}

/** Creates the joining party's node key and admin key (unless given admins) and writes the request file. */
export async function createJoinRequest(opts: JoinRequestOptions): Promise<JoinRequestResult> {
  if (!PARTY_ID.test(opts.partyId)) throw new ConfigError('--party-id', `"${opts.partyId}" is not a party id (lower-case letters, digits and dashes, at most 31 characters)`)
  if (opts.name.trim() === '' || opts.name.length > 100) throw new ConfigError('--name', 'expected 1 to 100 characters')
  if (!(PARTY_KINDS as readonly string[]).includes(opts.kind)) throw new ConfigError('--kind', `expected member, regulator or observer, got "${opts.kind}"`)
  if (opts.endpoint !== undefined && !ENDPOINT.test(opts.endpoint)) throw new ConfigError('--endpoint', `expected wss://host:port, got "${opts.endpoint}" (leave it out for an outbound-only node)`)
  for (const a of opts.admin ?? []) if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new ConfigError('--admin', `expected an address, got "${a}"`)
  const dataDir = opts.dataDir
  if (await exists(join(dataDir, CONFIG_FILE))) {
    throw new ConfigError('--data-dir', `${dataDir} is an initialised node folder (it has ${CONFIG_FILE})`, { details: 'a join request is made for a new node folder; choose another --data-dir' })
  }
  const keyFile = join(dataDir, 'node.key')
  let nodeKey: JoinRequestResult['nodeKey'] = 'reused'
  if (!(await exists(keyFile))) {
    await createNodeKeys(dataDir)
    nodeKey = 'created'
  }
  // The encryption key goes into the request: AddNode registers it, and private data is sealed to it.
  const { address, encryptionKey } = await readNodeIdentity(dataDir)
  if (!encryptionKey) {
    throw new ConfigError('--data-dir', `${dataDir} has a node key but no ${ENCRYPTION_KEY_FILE}`, { details: 'the node could never receive private data; make the request in a new folder' })
  }
  let admins: Address[]
  let adminKeyFile: string | undefined
  let adminKey: JoinRequestResult['adminKey'] = 'none'
  if (opts.admin?.length) admins = opts.admin.map((a) => a.toLowerCase() as Address)
  else {
    adminKeyFile = join(dataDir, ADMIN_KEY_FILE)
    if (await exists(adminKeyFile)) {
      admins = [await addressOfKeyFile(adminKeyFile, '--data-dir')]
      adminKey = 'reused'
    } else {
      admins = [await createAdminKeyFile(adminKeyFile)]
      adminKey = 'created'
    }
  }
  const request = JoinRequestSchema.parse({
    party: { id: opts.partyId, name: opts.name, kind: opts.kind, admins },
    node: { address, endpoint: opts.endpoint ?? '', encryptionKey },
  })
  const file = opts.out ?? join(dataDir, JOIN_REQUEST_FILE)
  await mkdir(dataDir, { recursive: true })
  await writeFile(file, `${JSON.stringify(request, null, 2)}\n`)
  return { request, file, nodeKey, adminKeyFile, adminKey }
}

export function joinRequestText(r: JoinRequestResult, dataDir: string): string {
  const q = r.request
  return [
    `join request written to ${resolve(r.file)}`,
    `  party         ${q.party.id} "${q.party.name}" (${q.party.kind})`,
    `  admin         ${q.party.admins.join(', ')}${r.adminKeyFile ? `  (key ${r.adminKey === 'created' ? 'created' : 'already'} in ${resolve(r.adminKeyFile)}, mode 0600)` : ''}`,
    `  node          ${q.node.address}  (key ${r.nodeKey === 'created' ? 'created' : 'already'} in ${resolve(dataDir, 'node.key')})`,
    `  endpoint      ${q.node.endpoint || 'none: an outbound-only node'}`,
    `  encryption    ${q.node.encryptionKey ?? 'none'}  (public key for private data; AddNode registers it)`,
    ...(r.adminKeyFile ? [`move ${ADMIN_KEY_FILE} into your party's key management: it votes for the party, and the node does not need it`] : []),
    'send the request to your sponsor, and confirm the node and admin addresses with them out of band (a call, a signed letter):',
    '  they are what the parties vote to admit.',
    `the sponsor runs: quorate gov propose add-party --request ${basename(r.file)} --description "..." --key-file <admin key> --rpc <url>`,
    `then, once the party is active: quorate gov propose add-node --request ${basename(r.file)} --description "..." --key-file <admin key> --rpc <url>`,
    '',
  ].join('\n')
}

// ---- quorate party join ------------------------------------------------------------------------------

export interface JoinOptions {
  dataDir: string
  genesis: string
  peer: string[]
  rpcPort: number
  p2pPort?: number | undefined
  p2pHost: string
  name?: string | undefined
  /** How long to wait for each peer's TCP port (default 2 s). */
  probeTimeoutMs?: number | undefined
}

/** `wss://host:port@0xaddress` (the address is the peer's node address, checked in the handshake). */
export function parsePeer(text: string): { url: string; address?: Address } {
  const at = text.lastIndexOf('@')
  const url = at < 0 ? text : text.slice(0, at)
  const address = at < 0 ? undefined : text.slice(at + 1)
  if (!ENDPOINT.test(url)) throw new ConfigError('--peer', `expected wss://host:port@0xnodeaddress, got "${text}"`)
  if (address !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(address)) throw new ConfigError('--peer', `"${address}" in "${text}" is not a node address`)
  return { url, ...(address ? { address: address.toLowerCase() as Address } : {}) }
}

/** Writes the consortium's genesis and a config (peers to sync from) into a folder made by join-request. */
export interface JoinResult {
  address: Address
  genesisHash: string
  governed: boolean
  /** Validators in the genesis, the given peers, and how many answered a TCP connect. */
  peering: { validators: number; given: number; reachable: number }
}

/** Whether a TCP connection to the host:port of a wss:// URL opens within `timeoutMs`. */
export function reachable(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url)
  return new Promise((res) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443) })
    const done = (ok: boolean) => {
      socket.destroy()
      res(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * A warning when fewer peers answer than survive the fault budget: with n validators up to
 * f = floor((n-1)/3) may be down, so f + 1 reachable peers keep the node connected meanwhile.
 */
export function peeringWarning(p: JoinResult['peering']): string | undefined {
  const needed = maxFaulty(p.validators) + 1
  if (p.reachable >= needed) return undefined
  return `warning: ${p.reachable} of the ${p.given} peer${p.given === 1 ? '' : 's'} given answer now; with ${p.validators} validators up to ${needed - 1} may be down at once, so give at least ${needed} reachable peers (--peer, repeatable). Once synced, the node also dials every node governance admits.`
}

export async function joinNetwork(opts: JoinOptions): Promise<JoinResult> {
  const dataDir = opts.dataDir
  const keyFile = join(dataDir, 'node.key')
  if (!(await exists(keyFile))) {
    throw new ConfigError('--data-dir', `no node key in ${dataDir}`, { details: `run \`quorate party join-request --data-dir ${dataDir} ...\` first: the request admits this node's key` })
  }
  if (await exists(join(dataDir, 'chain'))) throw new ConfigError('--data-dir', `${dataDir} already holds a chain; a joined node's genesis cannot be replaced`)
  if (opts.peer.length === 0) throw new ConfigError('--peer', 'give at least one existing node to sync from: --peer wss://host:port@0xnodeaddress')
  const peers = opts.peer.map(parsePeer)
  let genesisJson: unknown
  try {
    genesisJson = await readJsonFile(opts.genesis, 'genesis file')
  } catch (err) {
    throw new ConfigError('--genesis', errorMessage(err))
  }
  let genesisHash: string
  let governed: boolean
  let validators: number
  try {
    const genesis = parseGenesis(genesisJson, opts.genesis)
    governed = genesis.config.governance !== undefined
    validators = genesis.validators.length
    genesisHash = await genesisHashOf(genesis)
  } catch (err) {
    throw new ConfigError('--genesis', errorMessage(err))
  }
  const address = privateKeyToAddress(await readKeyFile(keyFile))
  let name = opts.name
  if (name === undefined && (await exists(join(dataDir, JOIN_REQUEST_FILE)))) {
    const text = await readFile(join(dataDir, JOIN_REQUEST_FILE), 'utf8')
    const request = (() => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        return undefined
      }
    })()
    name = JoinRequestSchema.safeParse(request).data?.party.id
  }
  const existing = (await exists(join(dataDir, CONFIG_FILE))) ? ((await readJsonFile(join(dataDir, CONFIG_FILE), 'config file')) as Record<string, unknown>) : {}
  const config: NodeConfigInput = {
    ...existing,
    name: name ?? (existing.name as string | undefined) ?? 'node',
    rpc: { ...(existing.rpc as object | undefined), port: opts.rpcPort },
    p2p: {
      ...(existing.p2p as object | undefined),
      ...(opts.p2pPort !== undefined ? { listen: { host: opts.p2pHost, port: opts.p2pPort } } : {}),
      peers,
    },
  }
  await writeNodeFiles(dataDir, genesisJson as GenesisInput, config)
  const answers = await Promise.all(peers.map((p) => reachable(p.url, opts.probeTimeoutMs ?? 2000)))
  return { address, genesisHash, governed, peering: { validators, given: peers.length, reachable: answers.filter(Boolean).length } }
}

export function joinText(opts: JoinOptions, r: JoinResult): string {
  const warning = peeringWarning(r.peering)
  const dir = resolve(opts.dataDir)
  return [
    `${dir} is ready to join`,
    `  node address  ${r.address}`,
    `  genesis       hash ${r.genesisHash} (it must be the consortium's: \`quorate doctor --data-dir ${dir} --peer-rpc <a member's RPC>\` compares it)`,
    `  peers         ${opts.peer.length}; P2P ${opts.p2pPort !== undefined ? `listening on ${opts.p2pHost}:${opts.p2pPort}` : 'outbound only'}; RPC port ${opts.rpcPort}`,
    ...(r.governed ? [] : ['warning: this genesis has no governance contract; nodes admit peers from their config, not by vote']),
    ...(warning ? [warning] : []),
    `start it with: quorate start --data-dir ${dir}`,
    `peers accept its handshake once AddNode for ${r.address} is approved (check: quorate gov list nodes --rpc <a member's RPC>); it then syncs`,
    '',
  ].join('\n')
}

// ---- quorate party offboard --------------------------------------------------------------------------

export class OffboardRefusedError extends QuorateError {
  override name = 'OffboardRefusedError'
  constructor(rule: string, message: string, fix: string) {
    super('OFFBOARD_REFUSED', `refused (rule: ${rule}): ${message}`, { details: fix })
  }
}

export interface OffboardState {
  partyId: string
  parties: PartyInfo[]
  nodes: NodeInfo[]
  /** The validators that count (gov_getValidators). */
  validators: Address[]
  minValidators: number
  proposals: ProposalInfo[]
  /** Validators that sealed recently; undefined when the node does not say. */
  sealers: Set<Address> | undefined
  nowMs: number
}

export type OffboardNext =
  | { kind: 'done' }
  | { kind: 'waiting'; proposal: ProposalInfo; ended: boolean }
  | { kind: 'propose'; args: DecisionArgs; description: string; earlier: ProposalInfo | undefined }
  | { kind: 'refused'; error: OffboardRefusedError }

export interface OffboardPlan {
  party: PartyInfo
  /** Lines describing what is left, the next step first. */
  lines: string[]
  next: OffboardNext
}

const OFFBOARD_DECISIONS = new Set(['RemoveValidator', 'RemoveNode', 'RemoveParty', 'SuspendParty'])

function concerns(p: ProposalInfo, partyId: string, nodes: Set<string>): boolean {
  if (!OFFBOARD_DECISIONS.has(p.decision)) return false
  return p.args.id === partyId || (typeof p.args.node === 'string' && nodes.has(p.args.node))
}

export { quorumOf }

/**
 * The next step of taking `partyId` out, from the governance state: one RemoveValidator at a time,
 * then RemoveNode for each node, then RemoveParty. Pure; refuses a step the contract would fail
 * (fewer than minValidators) or that would leave the live validators short of a quorum.
 */
export function planOffboard(s: OffboardState): OffboardPlan {
  const party = s.parties.find((p) => p.id === s.partyId)
  if (!party) throw new QuorateError('PARTY_NOT_FOUND', `there is no party "${s.partyId}"; the parties are ${s.parties.map((p) => p.id).join(', ')}`)
  const own = s.nodes.filter((n) => n.party === party.id)
  const active = own.filter((n) => n.status === 'active')
  const removed = own.filter((n) => n.status !== 'active')
  const lines: string[] = [sanitizeCell(`offboarding ${party.id} ("${party.name}", ${party.kind}, ${party.status})`)]
  if (removed.length) lines.push(`  done   ${removed.length} node${removed.length > 1 ? 's' : ''} removed: ${removed.map((n) => n.address).join(', ')}`)
  if (party.status === 'removed') {
    lines.push('  done   the party is removed')
    return { party, lines, next: { kind: 'done' } }
  }
  const nodeSet = new Set(own.map((n) => n.address))
  const validatorNodes = active.filter((n) => n.validator)
  const steps: { args: DecisionArgs; text: string }[] = [
    ...validatorNodes.map((n) => ({ args: { decision: 'RemoveValidator' as const, node: n.address }, text: `RemoveValidator ${n.address}` })),
    ...active.map((n) => ({ args: { decision: 'RemoveNode' as const, node: n.address }, text: `RemoveNode ${n.address}` })),
    { args: { decision: 'RemoveParty' as const, id: party.id }, text: `RemoveParty ${party.id}` },
  ]
  steps.forEach((step, i) => lines.push(`  ${i === 0 ? 'next' : 'then'}   ${step.text}`))
  const pending = s.proposals.find((p) => p.state === 'open' && concerns(p, party.id, nodeSet))
  if (pending) return { party, lines, next: { kind: 'waiting', proposal: pending, ended: pending.deadline < s.nowMs / 1000 } }

  const step = steps[0]!
  const target = step.args.decision === 'RemoveParty' ? party.id : (step.args as { node: Address }).node
  if (step.args.decision === 'RemoveValidator' && s.validators.includes(target as Address)) {
    const remaining = s.validators.length - 1
    if (remaining < s.minValidators) {
      const error = new OffboardRefusedError(
        'minValidators',
        `removing validator ${target} of ${party.id} would leave ${remaining} validator${remaining === 1 ? '' : 's'}; the consortium requires at least ${s.minValidators}`,
        `first add a validator of another party (quorate gov propose add-validator --node <address> ...), then run this again`,
      )
      return { party, lines, next: { kind: 'refused', error } }
    }
    const short = s.sealers && livenessShortfall(step.args, s.validators, s.nodes, s.sealers)
    if (short) {
      const error = new OffboardRefusedError(
        'quorum',
        `after removing ${target}, ${short.validators} validators need ${short.quorum} online to finalise blocks, but only ${short.live} of them sealed or proposed a block recently`,
        'bring the silent validators back (quorate status shows LAST SEALED), then run this again',
      )
      return { party, lines, next: { kind: 'refused', error } }
    }
  }
  if (step.args.decision === 'RemoveParty' && party.status === 'active' && party.kind !== 'observer') {
    const voters = s.parties.filter((p) => p.status === 'active' && p.kind !== 'observer').length
    if (voters <= 1) {
      const error = new OffboardRefusedError('last voting party', `${party.id} is the only party able to vote`, 'add another member party first')
      return { party, lines, next: { kind: 'refused', error } }
    }
  }
  const same = (p: ProposalInfo) => p.decision === step.args.decision && (p.args.id === target || p.args.node === target)
  const earlier = [...s.proposals].reverse().find((p) => p.state !== 'open' && p.state !== 'approved' && same(p))
  const description = `offboarding ${party.id}: ${step.text}`
  return { party, lines, next: { kind: 'propose', args: step.args, description, earlier } }
}

export interface OffboardOptions {
  partyId: string
  rpc: string
  keyFile?: string | undefined
  key?: string | undefined
  yes: boolean
  wait?: number | undefined
}

export interface OffboardIo extends GovIo {
  /** Asks a yes/no question on a terminal; undefined when there is none. */
  confirm?: ((question: string) => Promise<boolean>) | undefined
}

/** One run of `quorate party offboard`: proposes the next step (and votes yes for the key's party), or says what it waits for. */
export async function runOffboard(opts: OffboardOptions, io: OffboardIo): Promise<number> {
  const session = await AdminSession.open(opts.rpc, { keyFile: opts.keyFile, key: opts.key, env: io.env }, io.err, opts.wait)
  const gov = session.gov
  const [parties, nodes, validators, minValidators, proposals, sealers] = await Promise.all([
    gov.parties(),
    gov.nodes(),
    gov.validators(),
    gov.minValidators(),
    gov.proposals(),
    gov.recentSealers(50),
  ])
  const nowMs = (io.now ?? Date.now)()
  const plan = planOffboard({ partyId: opts.partyId, parties, nodes, validators, minValidators, proposals, sealers, nowMs })
  io.out(`${plan.lines.join('\n')}\n`)
  io.out(`  validators ${validators.length} (minValidators ${minValidators})\n`)
  const rerun = `quorate party offboard --party-id ${opts.partyId} --key-file <admin key> --rpc ${opts.rpc}`
  const next = plan.next
  switch (next.kind) {
    case 'done':
      io.out(`${opts.partyId} is offboarded: no validators, no active nodes, party removed. Nothing left to propose.\n`)
      return 0
    case 'refused':
      throw next.error
    case 'waiting': {
      const p = next.proposal
      io.out(`waiting for proposal #${p.id} (${p.decision} ${summariseArgs(p.decision, p.args)}): ${p.yes} yes, ${p.no} no of ${p.votingParties}; approved at ${yesNeeded(p)} yes\n`)
      if (next.ended) io.out(`its voting period has ended undecided: close it with \`quorate gov execute ${p.id} --key-file <admin key> --rpc ${opts.rpc}\`, then run this again\n`)
      else {
        const mine = parties.find((x) => x.admins.includes(session.key.address))
        if (mine && !p.votes.some((v) => v.party === mine.id)) io.out(`your party (${mine.id}) has not voted: quorate gov vote ${p.id} yes --key-file <admin key> --rpc ${opts.rpc}\n`)
        io.out(`the other parties run: quorate gov vote ${p.id} yes --key-file <their admin key> --rpc ${opts.rpc}\nwhen it is approved, run again: ${rerun}\n`)
      }
      return 0
    }
    case 'propose': {
      if (next.earlier) io.out(`note: an earlier proposal for this step, #${next.earlier.id}, ended ${next.earlier.state}\n`)
      if (!opts.yes) {
        if (!io.confirm) throw new ConfigError('--yes', `nothing proposed: confirm "${next.description}" with --yes (there is no terminal to ask on)`)
        if (!(await io.confirm(`propose "${next.description}" as ${session.key.address}? [y/N] `))) {
          io.out('nothing proposed\n')
          return 1
        }
      }
      const { id } = await session.act('propose', (c) => c.propose(next.args, next.description))
      io.out(`proposal #${id} opened: ${next.description}\n`)
      // The proposing party votes yes at once: proposing it is its decision already.
      const { proposal, failure } = await session.vote(id, true)
      io.out(`your party voted yes. ${voteOutcomeText(proposal, failure)}\n`)
      if (proposal.state === 'failed') return 1
      if (proposal.state === 'open') {
        io.out(`the other parties run: quorate gov vote ${id} yes --key-file <their admin key> --rpc ${opts.rpc}\nwhen it is approved, run again for the next step: ${rerun}\n`)
      } else if (proposal.state === 'approved') {
        io.out(`run again for the next step: ${rerun}\n`)
      }
      return 0
    }
  }
}

// ---- commander wiring ---------------------------------------------------------------------------------

const setExit = (code: number) => {
  process.exitCode = code
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

async function terminalConfirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

function io(): OffboardIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(`${t}\n`),
    colour: shouldColour(process.stdout),
    confirm: process.stdin.isTTY ? terminalConfirm : undefined,
  }
}

export function partyCommand(): Command {
  const party = usageExitCodes(new Command('party')).description("a party's node joining or leaving the consortium")
  party
    .command('join-request')
    .description('create a joining party\'s node folder (node key, TLS pair), an admin key (admin.key, mode 0600) and the request file for the sponsor')
    .requiredOption('--data-dir <dir>', 'the new node folder')
    .requiredOption('--party-id <id>', 'the party id (lower-case letters, digits, dashes)')
    .requiredOption('--name <name>', "the party's name")
    .addOption(new Option('--kind <kind>', 'member, regulator or observer').choices(PARTY_KINDS).makeOptionMandatory())
    .option('--endpoint <wss://host:port>', "the node's public P2P endpoint (omit for an outbound-only node)")
    .option('--admin <address>', 'use this existing admin account instead of creating admin.key; repeatable', collect)
    .option('--out <file>', `where to write the request (default <data-dir>/${JOIN_REQUEST_FILE})`)
    .action(async (o: JoinRequestOptions) => {
      const dataDir = resolve(o.dataDir)
      const r = await createJoinRequest({ ...o, dataDir })
      process.stdout.write(joinRequestText(r, dataDir))
    })
  party
    .command('join')
    .description("write the consortium's genesis and a config into a join-request folder, so that `quorate start` syncs from the peers")
    .requiredOption('--data-dir <dir>', 'the node folder made by `quorate party join-request`')
    .requiredOption('--genesis <file>', "the consortium's genesis.json, unchanged")
    .requiredOption('--peer <wss://host:port@0xaddress>', 'an existing node to dial; repeatable', collect)
    .option('--rpc-port <port>', 'JSON-RPC port', positiveInt('--rpc-port'), 8545)
    .option('--p2p-port <port>', 'listen for peers on this port (default: outbound only)', positiveInt('--p2p-port'))
    .option('--p2p-host <host>', 'P2P listen address', '0.0.0.0')
    .option('--name <label>', 'a label for logs (default: the party id of the join request)')
    .action(async (o: Omit<JoinOptions, 'peer'> & { peer?: string[] }) => {
      const opts = { ...o, peer: o.peer ?? [], dataDir: resolve(o.dataDir) }
      process.stdout.write(joinText(opts, await joinNetwork(opts)))
    })
  keyOptions(
    party
      .command('offboard')
      .description('propose the next step of taking a party out (validators one at a time, then nodes, then the party); run again after each approval')
      .requiredOption('--party-id <id>', 'the party to offboard')
      .addOption(rpcOption()),
  )
    .option('--yes', 'propose without asking', false)
    .action(async (o: OffboardOptions) => setExit(await runOffboard(o, io())))
  return party
}
