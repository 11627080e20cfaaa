/**
 * `quorate status`: one row per node of a network, read over each node's JSON-RPC: height, peers,
 * the last block it sealed, its lag behind the best node, and its health. The nodes come from a
 * devnet file or from --rpc URLs. A node that does not answer is a row that says "down" and why;
 * it never hides the other rows. Exit code 0 only when every node is up and ready.
 *
 * It reads, it never changes anything.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { ConfigError, errorMessage } from '../errors.js'
import type { Address } from '../types.js'
import { parseWith } from '../validation.js'
import { exists } from '../node/init.js'
import { renderTable, type Column } from './table.js'
import { RpcCallError, httpFetch, rpcBatch, rpcCall } from '../rpc/http-client.js'

export const hexQuantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]+$/, 'expected a hex quantity')
  .transform((s) => Number(BigInt(s)))

export const nodeInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  listenAddr: z.string().nullable().optional(),
  genesis: z.string().optional(),
  head: z.object({ number: hexQuantity, hash: z.string() }).optional(),
  sync: z.object({ syncing: z.boolean(), highestKnownBlock: hexQuantity }).nullable().optional(),
})
export type NodeInfo = z.output<typeof nodeInfoSchema>

const signerMetricsSchema = z.array(
  z.object({
    address: z.string().transform((s) => s.toLowerCase() as Address),
    lastSealedBlockNumber: hexQuantity.nullable(),
    lastProposedBlockNumber: hexQuantity.nullable().optional(),
  }),
)

const addressList = z.array(z.string().transform((s) => s.toLowerCase() as Address))

export interface ReadyProbe {
  /** false: no /ready endpoint on this node (404), or it did not answer. */
  available: boolean
  ready: boolean
  /** The failing checks, as `name: detail`. */
  failing: string[]
}

/** `{ ready: boolean }` or `{ status: "ready" | "not ready" }`, with the checks; the HTTP status decides. */
const readyBody = z.object({ ready: z.boolean().optional(), status: z.string().optional(), checks: z.array(z.unknown()).default([]) })

/** Describes a check object of /ready that did not pass, or undefined if it passed. */
function failingCheck(check: unknown): string | undefined {
  if (typeof check !== 'object' || check === null) return undefined
  const c = check as Record<string, unknown>
  const failed = c.ok === false || c.pass === false || c.ready === false || (typeof c.status === 'string' && !['ok', 'pass', 'up', 'ready'].includes(c.status.toLowerCase()))
  if (!failed) return undefined
  const name = typeof c.name === 'string' ? c.name : typeof c.id === 'string' ? c.id : 'check'
  const detail = [c.message, c.detail, c.reason].find((v): v is string => typeof v === 'string' && v !== '')
  return detail ? `${name}: ${detail}` : name
}

/** GET /ready on the RPC port: 200 ready, 503 not ready with its failing checks, 404 not offered. */
export async function probeReady(rpcUrl: string, timeoutMs: number): Promise<ReadyProbe> {
  const none: ReadyProbe = { available: false, ready: false, failing: [] }
  let res: Response
  try {
    res = await httpFetch(new URL('/ready', rpcUrl).toString(), { method: 'GET' }, timeoutMs)
  } catch {
    return none
  }
  if (res.status !== 200 && res.status !== 503) {
    await res.body?.cancel()
    return none
  }
  const body = readyBody.safeParse(await res.json().catch(() => undefined))
  const saysReady = body.success ? (body.data.ready ?? (body.data.status === undefined || body.data.status.toLowerCase() === 'ready')) : true
  const ready = res.status === 200 && saysReady
  const failing = body.success ? body.data.checks.flatMap((c) => failingCheck(c) ?? []) : []
  if (!ready && failing.length === 0) failing.push(`/ready answered ${res.status}`)
  return { available: true, ready, failing }
}

// ---- which nodes -----------------------------------------------------------------------------

export interface StatusTarget {
  name?: string
  address?: Address
  rpcUrl: string
}

const devnetFileSchema = z.object({
  nodes: z.array(z.object({ name: z.string(), address: z.string().transform((s) => s.toLowerCase() as Address), rpcUrl: z.string().url() })).min(1),
})

export const DEFAULT_DEVNET_DIR = '.devnet'

/** The nodes in `<dir>/devnet.json`. */
export async function readDevnetTargets(dir: string): Promise<StatusTarget[]> {
  const file = join(dir, 'devnet.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('devnet', `no devnet.json in ${resolve(dir)}`, { details: 'start one with `quorate devnet`, or pass --rpc <url> for each node' })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError('devnet', `${file} is not valid JSON`, { details: (err as Error).message })
  }
  return parseWith(devnetFileSchema, json, file).nodes.map((n) => ({ name: n.name, address: n.address, rpcUrl: n.rpcUrl }))
}

function checkUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('rpc', `not a URL: ${JSON.stringify(raw)}; use http://host:port`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('rpc', `${raw}: use an http:// or https:// RPC URL`)
  return raw
}

/** The --devnet nodes, then the --rpc URLs; with neither, `.devnet/devnet.json` under `cwd` if present. */
export async function resolveTargets(opts: { devnet?: string; rpc?: readonly string[] }, cwd = process.cwd()): Promise<StatusTarget[]> {
  const targets: StatusTarget[] = []
  if (opts.devnet !== undefined) targets.push(...(await readDevnetTargets(resolve(cwd, opts.devnet))))
  for (const raw of opts.rpc ?? []) for (const part of raw.split(',')) if (part.trim()) targets.push({ rpcUrl: checkUrl(part.trim()) })
  if (targets.length > 0) return targets
  const fallback = resolve(cwd, DEFAULT_DEVNET_DIR)
  if (await exists(join(fallback, 'devnet.json'))) return readDevnetTargets(fallback)
  throw new ConfigError('rpc', 'no nodes to check', { details: `pass --rpc <url> (repeatable) or --devnet <dir>; there is no ${DEFAULT_DEVNET_DIR}/devnet.json here` })
}

// ---- collecting ------------------------------------------------------------------------------

export type Health = 'up' | 'not ready' | 'down'

export interface NodeStatus {
  name: string
  address: Address | null
  rpcUrl: string
  health: Health
  /** Why the node is down or not ready (empty when up). */
  reasons: string[]
  height: number | null
  peers: number | null
  /** Best height among the nodes that answered, minus this node's height. */
  lag: number | null
  /** Whether the node is a validator at the best node's head; null when unknown. */
  validator: boolean | null
  /** Last block in the seal window that carries this node's commit seal; null if none (or unknown). */
  lastSealedBlock: number | null
  /** The /ready answer, or null when the node has no /ready endpoint or is down. */
  ready: boolean | null
  genesis: string | null
}

export interface NetworkStatus {
  healthy: boolean
  bestHeight: number | null
  /** Blocks whose seals were counted (on the best node), or null if signer metrics were unavailable. */
  sealWindow: { from: number; to: number } | null
  /** The validator set at the best head and where it was read: governance state, else the node's consensus view. */
  validators: { source: 'governance' | 'consensus'; addresses: Address[] } | null
  /** Validators of that set that are not among the nodes asked and did not seal or propose in the seal window. */
  silentValidators: Address[]
  nodes: NodeStatus[]
}

export interface StatusOptions {
  /** Per request; default 3000 ms. */
  timeoutMs?: number
  /** More blocks behind the best node than this is "not ready". Default 5. */
  maxLag?: number
  /** Blocks counted for "last sealed", ending at the best height. Default 100. */
  sealWindow?: number
}

interface Probe {
  target: StatusTarget
  error?: string
  height?: number
  peers?: number
  info?: NodeInfo
  ready: ReadyProbe
}

async function probeNode(target: StatusTarget, timeoutMs: number): Promise<Probe> {
  const [batch, ready] = await Promise.all([
    rpcBatch(target.rpcUrl, [{ method: 'eth_blockNumber' }, { method: 'net_peerCount' }, { method: 'admin_nodeInfo' }], timeoutMs).catch((err: unknown) => err),
    probeReady(target.rpcUrl, timeoutMs),
  ])
  if (!Array.isArray(batch)) return { target, error: errorMessage(batch), ready }
  const [height, peers, info] = batch as unknown[]
  if (height instanceof RpcCallError) return { target, error: height.shortMessage, ready }
  const h = hexQuantity.safeParse(height)
  if (!h.success) return { target, error: 'eth_blockNumber: not a hex quantity', ready }
  const p = hexQuantity.safeParse(peers)
  const i = nodeInfoSchema.safeParse(info)
  return { target, height: h.data, ready, ...(p.success ? { peers: p.data } : {}), ...(i.success ? { info: i.data } : {}) }
}

/** The most common value (ties: the first seen). */
function majority(values: string[]): string | undefined {
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  let best: string | undefined
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)!) best = v
  return best
}

/** Asks every node at once; never throws for a node that is down. */
export async function collectStatus(targets: readonly StatusTarget[], opts: StatusOptions = {}): Promise<NetworkStatus> {
  const timeoutMs = opts.timeoutMs ?? 3000
  const maxLag = opts.maxLag ?? 5
  const windowSize = opts.sealWindow ?? 100
  const probes = await Promise.all(targets.map((t) => probeNode(t, timeoutMs)))
  const up = probes.filter((p) => p.height !== undefined)
  const bestHeight = up.length ? Math.max(...up.map((p) => p.height!)) : null

  // Seals are counted on the highest node, so every row is measured over the same blocks.
  let sealWindow: NetworkStatus['sealWindow'] = null
  let sealed: Map<Address, number | null> | undefined
  let active = new Set<Address>()
  const best = up.find((p) => p.height === bestHeight)
  if (best && bestHeight !== null && bestHeight > 0) {
    const from = Math.max(1, bestHeight - windowSize + 1)
    try {
      const metrics = signerMetricsSchema.parse(await rpcCall(best.target.rpcUrl, 'qbft_getSignerMetrics', [`0x${from.toString(16)}`, `0x${bestHeight.toString(16)}`], timeoutMs))
      sealed = new Map(metrics.map((m) => [m.address, m.lastSealedBlockNumber]))
      active = new Set(metrics.filter((m) => m.lastSealedBlockNumber !== null || (m.lastProposedBlockNumber ?? null) !== null).map((m) => m.address))
      sealWindow = { from, to: bestHeight }
    } catch {
      // Shown as unknown ("?") in the rows.
    }
  }
  // The validator set: the governance state where there is one (a removed validator's old seals do
  // not make it one), else what the node's consensus uses at its head.
  const validators = best ? await validatorSet(best.target.rpcUrl, timeoutMs) : null
  const listed = new Set(probes.flatMap((p) => { const a = p.target.address ?? p.info?.id.toLowerCase(); return a ? [a] : [] }))
  // A block carries the seals of the first quorum only, so over a few blocks a live validator may
  // have none: call one silent only over at least two proposer rotations (a young chain has fewer).
  const telling = validators && sealWindow && sealWindow.to - sealWindow.from + 1 >= 2 * validators.addresses.length
  const silentValidators = validators && telling ? validators.addresses.filter((v) => !listed.has(v) && !active.has(v)) : []
  const mainGenesis = majority(up.flatMap((p) => (p.info?.genesis ? [p.info.genesis] : [])))

  const nodes = probes.map((p): NodeStatus => {
    const address = (p.target.address ?? (p.info?.id.toLowerCase() as Address | undefined)) ?? null
    const name = p.target.name ?? p.info?.name ?? new URL(p.target.rpcUrl).host
    const validator = validators && address ? validators.addresses.includes(address) : null
    const lastSealedBlock = sealed && address ? (sealed.get(address) ?? null) : null
    const base = { name, address, rpcUrl: p.target.rpcUrl, validator, lastSealedBlock, genesis: p.info?.genesis ?? null }
    if (p.height === undefined) {
      return { ...base, health: 'down', reasons: [p.error ?? 'no answer'], height: null, peers: null, lag: null, ready: null }
    }
    const lag = bestHeight! - p.height
    const reasons: string[] = []
    if (p.ready.available && !p.ready.ready) reasons.push(...p.ready.failing)
    if (lag > maxLag) reasons.push(`${lag} blocks behind (more than ${maxLag})`)
    // A node catching up one block is normal; only a real gap (seen by the node itself) counts.
    const sync = p.info?.sync
    if (sync?.syncing && sync.highestKnownBlock - p.height > maxLag && lag <= maxLag) reasons.push(`syncing: ${sync.highestKnownBlock - p.height} blocks behind its peers`)
    if (p.peers === 0 && targets.length > 1) reasons.push('no peers')
    if (mainGenesis !== undefined && p.info?.genesis !== undefined && p.info.genesis !== mainGenesis) reasons.push(`another chain (genesis ${p.info.genesis.slice(0, 10)}…)`)
    return {
      ...base,
      health: reasons.length ? 'not ready' : 'up',
      reasons,
      height: p.height,
      peers: p.peers ?? null,
      lag,
      ready: p.ready.available ? p.ready.ready : null,
    }
  })
  return { healthy: nodes.every((n) => n.health === 'up') && silentValidators.length === 0, bestHeight, sealWindow, validators, silentValidators, nodes }
}

/** gov_getValidators on a governed chain, else qbft_getValidatorsByBlockNumber at the head; null if neither answers. */
async function validatorSet(rpcUrl: string, timeoutMs: number): Promise<NetworkStatus['validators']> {
  try {
    return { source: 'governance', addresses: addressList.parse(await rpcCall(rpcUrl, 'gov_getValidators', [], timeoutMs)) }
  } catch {
    try {
      return { source: 'consensus', addresses: addressList.parse(await rpcCall(rpcUrl, 'qbft_getValidatorsByBlockNumber', ['latest'], timeoutMs)) }
    } catch {
      return null
    }
  }
}

// ---- output ----------------------------------------------------------------------------------

function healthText(n: NodeStatus): string {
  return n.reasons.length ? `${n.health}: ${n.reasons.join('; ')}` : n.health
}

function lastSealedText(n: NodeStatus, status: NetworkStatus): string {
  if (status.bestHeight === 0) return '-'
  if (n.validator === null) return '?'
  if (!n.validator) return 'not validator'
  if (n.lastSealedBlock === null) return `none in last ${status.sealWindow!.to - status.sealWindow!.from + 1}`
  return `#${n.lastSealedBlock}`
}

export function formatStatusTable(status: NetworkStatus, opts: { colour?: boolean } = {}): string {
  const num = (v: number | null) => (v === null ? '-' : String(v))
  const columns: Column<NodeStatus>[] = [
    { header: 'NODE', cell: (n) => n.name },
    { header: 'ADDRESS', cell: (n) => n.address ?? '?' },
    { header: 'RPC', cell: (n) => n.rpcUrl.replace(/\/$/, '') },
    { header: 'HEIGHT', cell: (n) => num(n.height), align: 'right' },
    { header: 'PEERS', cell: (n) => num(n.peers), align: 'right', colour: (n) => (n.peers === 0 ? 'yellow' : undefined) },
    { header: 'LAST SEALED', cell: (n) => lastSealedText(n, status), align: 'right', colour: (n) => (n.validator && n.lastSealedBlock === null ? 'yellow' : undefined) },
    { header: 'LAG', cell: (n) => num(n.lag), align: 'right', colour: (n) => (n.lag !== null && n.lag > 0 ? 'yellow' : undefined) },
    { header: 'HEALTH', cell: healthText, colour: (n) => (n.health === 'up' ? 'green' : n.health === 'down' ? 'red' : 'yellow') },
  ]
  const unhealthy = status.nodes.filter((n) => n.health !== 'up').length
  const silent = status.silentValidators.length
  const summary =
    `${status.nodes.length} node${status.nodes.length === 1 ? '' : 's'}` +
    (status.bestHeight !== null ? `, best height ${status.bestHeight}` : '') +
    (status.sealWindow ? `, seals counted over blocks ${status.sealWindow.from}-${status.sealWindow.to}` : '') +
    (status.validators ? `, ${status.validators.addresses.length} validators (${status.validators.source})` : '') +
    (unhealthy || silent ? `: ${[unhealthy ? `${unhealthy} not healthy` : '', silent ? `${silent} validator${silent === 1 ? '' : 's'} not listed here and silent` : ''].filter(Boolean).join(', ')}` : ': all healthy')
  const silentLines = status.silentValidators.map((v) => `validator ${v} (not among the nodes asked) has not sealed or proposed in blocks ${status.sealWindow!.from}-${status.sealWindow!.to}`)
  return `${renderTable(columns, status.nodes, { colour: opts.colour ?? false })}\n${[...silentLines, summary].join('\n')}\n`
}

export interface StatusCommandOptions extends StatusOptions {
  devnet?: string
  rpc?: string[]
  json?: boolean
}

/** The `quorate status` command: prints the table (or JSON) and returns the exit code. */
export async function runStatus(opts: StatusCommandOptions, io: { out: (text: string) => void; colour?: boolean; cwd?: string }): Promise<number> {
  const targets = await resolveTargets(opts, io.cwd)
  const status = await collectStatus(targets, opts)
  io.out(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status, { colour: io.colour ?? false }))
  return status.healthy ? 0 : 1
}
