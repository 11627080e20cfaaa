/**
 * The ERC-20 transfer workload of `bench:node` and `bench:network`, against any Ethereum JSON-RPC
 * endpoint over HTTP, or several nodes of one network.
 *
 * Set-up (not measured): the funder (dev account 0) deploys Token, gives each fresh sender the
 * tokens it will move and, if gas is not free, the ether to pay for it. Measured: N transfers
 * signed beforehand with explicit nonces, sent with eth_sendRawTransaction, each sender's in nonce
 * order (one submission in flight per sender, as Hardhat 2 does not queue future nonces), senders
 * in parallel, while new blocks are watched by polling. Throughput runs from the first submit to
 * the last inclusion seen; latency is submit → inclusion seen, per transaction.
 *
 * On a network, the senders are spread round-robin over the nodes' RPC URLs (`submitUrls`), so the
 * load enters through every node, while set-up, the block watcher and receipts use one node
 * (`rpcUrl`): in QBFT a block in a node's chain is final, so "inclusion seen" there is finality.
 * An optional window bounds each sender's transactions that are submitted but not yet seen in a
 * block, so that a long run measures a steady state instead of the drain of one queue. An optional
 * rate offers the transfers at a fixed pace instead (open loop, senders taking turns): the latency
 * then is that of the chain at that load, not of a queue the senders keep full.
 */
import { randomBytes } from 'node:crypto'
import { ContractFactory, Interface, Signature, Transaction, type InterfaceAbi } from 'ethers'
import { QuorateError } from '../../src/errors.js'
import { bytesToHex, hexToBytes, privateKeyToAddress, sign, generatePrivateKey } from '../../src/crypto/keys.js'
import type { Address, Hex } from '../../src/types.js'
import { JsonRpcError, JsonRpcHttpClient, hexToBigint, toHexQuantity, type RpcCall, type RpcOutcome } from './json-rpc.js'
import { tokenArtifact } from './token.js'

export interface Erc20BenchOptions {
  /** The node that runs the set-up and whose chain is watched for the transactions (and read for receipts). */
  rpcUrl: string
  /** Nodes of the same network that take the measured transfers, sender i on `submitUrls[i % n]`; default [rpcUrl]. */
  submitUrls?: string[]
  /** Most transactions per sender submitted and not yet seen in a block; default unbounded. */
  window?: number
  /** Offered load in transfers per second, all senders together; default: as fast as each sender's submits return. */
  rate?: number
  /** Pays for the set-up: deploys Token and funds the senders. */
  funderKey: Hex
  /** Measured transfers; default 2000. */
  txCount?: number
  /** Parallel senders; default 20. */
  senders?: number
  /** Gas limit of each transfer; default 60000. */
  gasLimit?: number
  /** Block polling interval; default 20 ms (it bounds the latency resolution). */
  pollMs?: number
  /** Whole run (set-up and measurement) must end within this; default 300 s. */
  timeoutMs?: number
  log?: (message: string) => void
}

export interface Erc20BenchResult {
  /** The watched node. */
  rpcUrl: string
  /** The nodes the measured transfers were sent to. */
  submitUrls: string[]
  /** Per-sender bound on transactions in flight; null when unbounded. */
  window: number | null
  /** Offered load (transfers per second); null when the senders sent as fast as they could. */
  rate: number | null
  chainId: number
  clientVersion: string
  txCount: number
  senders: number
  gasPrice: bigint
  /** Transactions the node accepted (eth_sendRawTransaction answered with their hash). */
  accepted: number
  /** Transactions the node refused at submission; later nonces of that sender are not sent. */
  rejected: number
  /** Receipts with status 1 / status 0. */
  succeeded: number
  reverted: number
  /** Distinct blocks that hold the measured transactions. */
  blocks: number
  /** First submit → last inclusion seen. */
  durationMs: number
  txPerSecond: number
  /**
   * The chain's own rate, without the run's ramp-up and drain: the transactions of the blocks after
   * the first, over the time from the first block seen to the last; NaN with fewer than 2 blocks.
   */
  chainTxPerSecond: number
  /** Submit → inclusion seen by the block watcher (resolution: the polling interval). */
  latencyMs: { p50: number; p95: number; max: number }
  /** Round trip of eth_sendRawTransaction alone (on an automining node it includes the mining). */
  submitMs: { p50: number; p95: number }
  /** Set-up (deploy + funding), not part of the figures above. */
  setupMs: number
}

export class BenchError extends QuorateError {
  override name = 'BenchError'
  constructor(shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super('BENCH_FAILED', shortMessage, opts)
  }
}

export interface SignedTx {
  raw: Hex
  hash: Hex
}

interface TxTiming {
  submittedAt: number
  includedAt: number
  block: bigint
}

/** Bounds of the block watcher's look-ahead (blocks asked for per poll). */
const BLOCK_WINDOW_MIN = 4
const BLOCK_WINDOW_MAX = 256

interface TrackResult {
  timings: Map<Hex, TxTiming>
  /** eth_sendRawTransaction round trips of accepted transactions. */
  submitRoundTrips: number[]
  accepted: number
  rejected: number
  firstSubmitAt: number
  lastIncludedAt: number
  rejections: string[]
}

interface LegacyFields {
  chainId: bigint
  nonce: number
  gasPrice: bigint
  gasLimit: bigint
  to: Address | null
  data: Hex
  value: bigint
}

/** Signs a legacy (EIP-155) transaction with the project's native secp256k1. */
export function signLegacyTx(privateKey: Uint8Array, fields: LegacyFields): SignedTx {
  const tx = Transaction.from({ type: 0, ...fields })
  const sig = sign(hexToBytes(tx.unsignedHash as Hex), privateKey)
  tx.signature = Signature.from({ r: bytesToHex(sig.subarray(0, 32)), s: bytesToHex(sig.subarray(32, 64)), v: 27 + sig[64]! })
  return { raw: tx.serialized as Hex, hash: tx.hash as Hex }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const CONNECTION_FAILURES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])
const ATTEMPTS = 5

/**
 * A request that failed on its connection, without an answer: typically a pooled keep-alive socket
 * that the node had closed as idle while the client, its event loop late on a loaded machine, still
 * counted it as fresh. Such a request may be re-sent; the pause lets the client see the other
 * sockets the node closed meanwhile, so the next attempt does not pick one of them.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof JsonRpcError) || err.rpcCode !== undefined) return false
  return err.walk((e) => typeof e === 'object' && e !== null && CONNECTION_FAILURES.has(String((e as { code?: unknown }).code))) !== undefined
}

/** Runs `fn`, again (up to ATTEMPTS times) after a connection failure; `retried` tells it a retry is under way. */
export async function retryingConnection<T>(fn: (retried: boolean) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt > 1)
    } catch (err) {
      if (attempt >= ATTEMPTS || !isConnectionFailure(err)) throw err
      await sleep(25 * 2 ** (attempt - 1))
    }
  }
}

const batch = (client: JsonRpcHttpClient, calls: RpcCall[]): Promise<RpcOutcome[]> => retryingConnection(() => client.batch(calls))
const blockNumber = async (client: JsonRpcHttpClient): Promise<bigint> => hexToBigint(await retryingConnection(() => client.request('eth_blockNumber')), 'eth_blockNumber')

/**
 * eth_sendRawTransaction of a signed transaction. When a connection failure is retried, the first
 * attempt may have reached the node: "already known" or "nonce too low" then mean it did.
 */
async function sendRaw(client: JsonRpcHttpClient, tx: SignedTx): Promise<void> {
  const hash = await retryingConnection(async (retried) => {
    try {
      return await client.request('eth_sendRawTransaction', [tx.raw])
    } catch (err) {
      if (retried && err instanceof JsonRpcError && /already known|nonce too low/i.test(err.message)) return tx.hash
      throw err
    }
  })
  if (typeof hash !== 'string' || hash.toLowerCase() !== tx.hash) {
    throw new BenchError(`eth_sendRawTransaction answered ${JSON.stringify(hash)}, expected the transaction hash ${tx.hash}`)
  }
}

interface TrackOptions {
  /** Chain i is sent through `submitters[i % submitters.length]`; default: the watched node. */
  submitters?: JsonRpcHttpClient[]
  /** Most transactions per chain submitted and not yet seen in a block. */
  window?: number
  /** Transactions per second offered, all chains together (chain c's i-th is due at i × chains + c turns). */
  rate?: number
  pollMs: number
  deadline: number
}

/**
 * Sends each chain of transactions in order (awaiting each submit, and with a window, waiting for
 * earlier ones to be seen in a block), all chains in parallel, and watches new blocks on `rpc`
 * until every accepted transaction is included or the deadline passes.
 */
async function submitAndTrack(rpc: JsonRpcHttpClient, chains: SignedTx[][], opts: TrackOptions): Promise<TrackResult> {
  const { pollMs, deadline } = opts
  const submitters = opts.submitters && opts.submitters.length > 0 ? opts.submitters : [rpc]
  const window = opts.window ?? Number.POSITIVE_INFINITY
  const timings = new Map<Hex, TxTiming>()
  const submittedAt = new Map<Hex, number>()
  /** Which chain a transaction belongs to, and how many of each chain's were seen in a block. */
  const chainOf = new Map<Hex, number>()
  const included = chains.map(() => 0)
  for (const [c, chain] of chains.entries()) {
    for (const tx of chain) {
      submittedAt.set(tx.hash, Number.NaN)
      chainOf.set(tx.hash, c)
    }
  }
  let accepted = 0
  let rejected = 0
  const rejections: string[] = []
  const submitRoundTrips: number[] = []
  let submitting = true
  // Senders held by the window wait for the watcher's next progress (or its end).
  let watcherDone = false
  let wake: () => void = () => undefined
  let progressed = new Promise<void>((r) => (wake = r))
  const signalProgress = (): void => {
    const w = wake
    progressed = new Promise<void>((r) => (wake = r))
    w()
  }
  const startBlock = await blockNumber(rpc)
  const firstSubmitAt = performance.now()

  const sendChain = async (chain: SignedTx[], c: number): Promise<void> => {
    const submitter = submitters[c % submitters.length]!
    for (let i = 0; i < chain.length; i++) {
      const tx = chain[i]!
      if (opts.rate !== undefined) {
        const wait = firstSubmitAt + ((i * chains.length + c) * 1000) / opts.rate - performance.now()
        if (wait > 0) await sleep(wait)
      }
      while (i - included[c]! >= window && !watcherDone && performance.now() <= deadline) await progressed
      if (performance.now() > deadline || watcherDone) {
        rejected += chain.length - i
        rejections.push(watcherDone ? 'the block watcher stopped while submitting' : 'deadline passed while submitting')
        return
      }
      const sentAt = performance.now()
      submittedAt.set(tx.hash, sentAt)
      try {
        await sendRaw(submitter, tx)
        accepted++
        submitRoundTrips.push(performance.now() - sentAt)
      } catch (err) {
        // The rest of this sender's nonces cannot be mined without this one.
        rejected += chain.length - i
        if (rejections.length < 5) rejections.push((err as Error).message)
        return
      }
    }
  }

  // One round trip per poll: ask for the next `lookAhead` block numbers at once and keep the leading
  // blocks that exist. An automining node makes a block per transaction, and a watcher that first
  // asked eth_blockNumber and then fetched blocks would fall behind it (each of its requests waits
  // behind the senders' in the node's queue), inflating the latencies it reports.
  const watch = async (): Promise<number> => {
    let next = startBlock + 1n
    let lookAhead = BLOCK_WINDOW_MIN
    let lastIncludedAt = firstSubmitAt
    for (;;) {
      if (!submitting && timings.size >= accepted) return lastIncludedAt
      if (performance.now() > deadline) {
        throw new BenchError(`${accepted - timings.size} of ${accepted} accepted transactions were not included before the deadline`)
      }
      const calls = []
      for (let i = 0n; i < BigInt(lookAhead); i++) calls.push({ method: 'eth_getBlockByNumber', params: [toHexQuantity(next + i), false] })
      const outcomes = await batch(rpc, calls)
      const seenAt = performance.now()
      let found = 0
      for (const outcome of outcomes) {
        if (!outcome.ok) throw outcome.error
        const block = outcome.result as { transactions?: unknown } | null
        if (block === null) break
        if (!Array.isArray(block.transactions)) throw new BenchError(`block ${next} has no transaction list`)
        for (const h of block.transactions) {
          const hash = String(h).toLowerCase() as Hex
          const sent = submittedAt.get(hash)
          if (sent === undefined || timings.has(hash)) continue
          timings.set(hash, { submittedAt: sent, includedAt: seenAt, block: next })
          included[chainOf.get(hash)!]!++
          lastIncludedAt = seenAt
        }
        next++
        found++
      }
      lookAhead = Math.min(BLOCK_WINDOW_MAX, Math.max(BLOCK_WINDOW_MIN, found * 2))
      if (found > 0) signalProgress()
      else await sleep(pollMs)
    }
  }

  const watcher = watch().finally(() => {
    watcherDone = true
    signalProgress()
  })
  // Keep the watcher's rejection handled while the submissions run.
  watcher.catch(() => undefined)
  try {
    await Promise.all(chains.map(sendChain))
  } finally {
    submitting = false
  }
  const lastIncludedAt = await watcher
  return { timings, submitRoundTrips, accepted, rejected, firstSubmitAt, lastIncludedAt, rejections }
}

/** Fetches receipts in batches; returns how many have status 1 and 0 (missing ones count in neither). */
async function receiptStatuses(rpc: JsonRpcHttpClient, hashes: Hex[]): Promise<{ succeeded: number; reverted: number; contractAddress?: Address }> {
  let succeeded = 0
  let reverted = 0
  let contractAddress: Address | undefined
  for (let i = 0; i < hashes.length; i += 100) {
    const outcomes = await batch(rpc, hashes.slice(i, i + 100).map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })))
    for (const outcome of outcomes) {
      if (!outcome.ok) throw outcome.error
      const receipt = outcome.result as { status?: string; contractAddress?: string | null } | null
      if (!receipt) continue
      if (receipt.status === '0x1') succeeded++
      else reverted++
      if (receipt.contractAddress) contractAddress = receipt.contractAddress.toLowerCase() as Address
    }
  }
  return contractAddress ? { succeeded, reverted, contractAddress } : { succeeded, reverted }
}

/**
 * Waits until every node has `height` blocks, so that a sender's first transaction meets its
 * funding on whichever node it is sent to.
 */
async function waitForHeight(nodes: JsonRpcHttpClient[], height: bigint, deadline: number): Promise<void> {
  for (const node of nodes) {
    for (;;) {
      const at = await blockNumber(node)
      if (at >= height) break
      if (performance.now() > deadline) throw new BenchError(`${node.url} is at block ${at}, behind the set-up's block ${height}, at the deadline`)
      await sleep(50)
    }
  }
}

export interface Erc20Setup {
  chainId: bigint
  gasPrice: bigint
  clientVersion: string
  token: Address
  /** Fresh senders, each holding the tokens (and ether for gas) for its transfers. */
  senders: { key: Uint8Array; address: Address; transfers: number }[]
  setupMs: number
}

/**
 * The set-up of the workload (not measured): the funder deploys Token and gives each fresh sender
 * `perSender[i]` tokens and, if gas is not free, the ether to pay for them.
 */
export async function setUpErc20(opts: {
  rpc: JsonRpcHttpClient
  submitters?: JsonRpcHttpClient[]
  funderKey: Hex
  perSender: number[]
  gasLimit: bigint
  pollMs: number
  deadline: number
  log: (message: string) => void
}): Promise<Erc20Setup> {
  const { rpc, pollMs, deadline, log, perSender, gasLimit } = opts
  // Set-up reads only: re-sent after a connection failure like the measured requests.
  const request = (method: string, params: unknown[] = []): Promise<unknown> => retryingConnection(() => rpc.request(method, params))
  const chainId = hexToBigint(await request('eth_chainId'), 'eth_chainId')
  const gasPrice = hexToBigint(await request('eth_gasPrice'), 'eth_gasPrice')
  const clientVersion = String(await request('web3_clientVersion').catch(() => 'unknown'))
  const { abi, bytecode } = tokenArtifact()
  const iface = new Interface(abi as unknown as InterfaceAbi)
  const setupStart = performance.now()
  const funderKey = hexToBytes(opts.funderKey)
  const funder = privateKeyToAddress(funderKey)
  let funderNonce = Number(hexToBigint(await request('eth_getTransactionCount', [funder, 'pending']), 'eth_getTransactionCount'))
  const supply = BigInt(perSender.reduce((a, b) => a + b, 0)) * 10n
  const deployData = (await new ContractFactory(abi as unknown as InterfaceAbi, bytecode).getDeployTransaction('Bench Token', 'BENCH', supply)).data as Hex
  const deployGas = hexToBigint(await request('eth_estimateGas', [{ from: funder, data: deployData }]), 'eth_estimateGas')
  const deploy = signLegacyTx(funderKey, { chainId, nonce: funderNonce++, gasPrice, gasLimit: (deployGas * 12n) / 10n, to: null, data: deployData, value: 0n })
  log(`set-up: deploying Token from ${funder}`)
  const deployed = await submitAndTrack(rpc, [[deploy]], { pollMs, deadline })
  if (deployed.accepted !== 1) throw new BenchError(`Token deployment was refused: ${deployed.rejections.join('; ')}`)
  const deployStatus = await receiptStatuses(rpc, [deploy.hash])
  if (deployStatus.succeeded !== 1 || !deployStatus.contractAddress) throw new BenchError(`Token deployment ${deploy.hash} failed on chain`)
  const token = deployStatus.contractAddress

  const senders = perSender.map((transfers) => {
    const key = generatePrivateKey()
    return { key, address: privateKeyToAddress(key), transfers }
  })
  const funding: SignedTx[] = []
  for (const s of senders) {
    if (gasPrice > 0n) {
      const ether = 2n * BigInt(s.transfers) * gasLimit * gasPrice
      funding.push(signLegacyTx(funderKey, { chainId, nonce: funderNonce++, gasPrice, gasLimit: 21_000n, to: s.address, data: '0x', value: ether }))
    }
    const data = iface.encodeFunctionData('transfer', [s.address, BigInt(s.transfers)]) as Hex
    funding.push(signLegacyTx(funderKey, { chainId, nonce: funderNonce++, gasPrice, gasLimit: 100_000n, to: token, data, value: 0n }))
  }
  log(`set-up: funding ${senders.length} senders (${funding.length} transactions)`)
  const funded = await submitAndTrack(rpc, [funding], { pollMs, deadline })
  if (funded.rejected > 0) throw new BenchError(`funding the senders was refused: ${funded.rejections.join('; ')}`)
  const fundingStatus = await receiptStatuses(rpc, funding.map((t) => t.hash))
  if (fundingStatus.succeeded !== funding.length) throw new BenchError(`${funding.length - fundingStatus.succeeded} funding transactions failed on chain`)
  await waitForHeight((opts.submitters ?? []).filter((s) => s !== rpc), await blockNumber(rpc), deadline)
  return { chainId, gasPrice, clientVersion, token, senders, setupMs: performance.now() - setupStart }
}

/** Every sender's transfers (1 token each to a random address), signed beforehand so that signing is not measured. */
export function signTransfers(setup: Erc20Setup, gasLimit: bigint): SignedTx[][] {
  const iface = new Interface(tokenArtifact().abi as unknown as InterfaceAbi)
  const { chainId, gasPrice, token } = setup
  return setup.senders.map((s) =>
    Array.from({ length: s.transfers }, (_, nonce) => {
      const recipient = bytesToHex(randomBytes(20)) as Address
      const data = iface.encodeFunctionData('transfer', [recipient, 1n]) as Hex
      return signLegacyTx(s.key, { chainId, nonce, gasPrice, gasLimit, to: token, data, value: 0n })
    }),
  )
}

/** Transactions of the blocks after the first, per second from the first block seen to the last (see chainTxPerSecond). */
export function chainRate(timings: readonly Pick<TxTiming, 'block' | 'includedAt'>[]): number {
  const blocks = new Map<bigint, { at: number; txs: number }>()
  for (const t of timings) {
    const b = blocks.get(t.block)
    if (b) b.txs++
    else blocks.set(t.block, { at: t.includedAt, txs: 1 })
  }
  const sorted = [...blocks.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, b]) => b)
  if (sorted.length < 2) return Number.NaN
  const span = sorted.at(-1)!.at - sorted[0]!.at
  const txs = sorted.slice(1).reduce((n, b) => n + b.txs, 0)
  return span > 0 ? (txs * 1000) / span : Number.NaN
}

export async function runErc20Bench(opts: Erc20BenchOptions): Promise<Erc20BenchResult> {
  const txCount = opts.txCount ?? 2000
  const senderCount = Math.min(opts.senders ?? 20, txCount)
  if (!Number.isInteger(txCount) || txCount < 1) throw new BenchError(`tx count must be a positive integer, got ${txCount}`)
  if (!Number.isInteger(senderCount) || senderCount < 1) throw new BenchError(`sender count must be a positive integer, got ${senderCount}`)
  const gasLimit = BigInt(opts.gasLimit ?? 60_000)
  const pollMs = opts.pollMs ?? 20
  const deadline = performance.now() + (opts.timeoutMs ?? 300_000)
  const window = opts.window
  if (window !== undefined && (!Number.isInteger(window) || window < 1)) throw new BenchError(`window must be a positive integer, got ${window}`)
  const rate = opts.rate
  if (rate !== undefined && !(rate > 0)) throw new BenchError(`rate must be a positive number of transfers per second, got ${rate}`)
  const log = opts.log ?? ((): void => undefined)
  const rpc = new JsonRpcHttpClient(opts.rpcUrl)
  const submitUrls = opts.submitUrls && opts.submitUrls.length > 0 ? opts.submitUrls : [opts.rpcUrl]
  const submitters = submitUrls.map((url) => (url === opts.rpcUrl ? rpc : new JsonRpcHttpClient(url)))

  const setup = await setUpErc20({ rpc, submitters, funderKey: opts.funderKey, perSender: Array.from({ length: senderCount }, (_, i) => Math.floor(txCount / senderCount) + (i < txCount % senderCount ? 1 : 0)), gasLimit, pollMs, deadline, log })
  const { chainId, gasPrice, clientVersion, setupMs } = setup
  const chains = signTransfers(setup, gasLimit)

  // ---- Measured run. ----
  const spread = submitUrls.length > 1 ? ` through ${submitUrls.length} nodes, watching ${opts.rpcUrl}` : ''
  log(`measuring: ${txCount} transfers from ${senderCount} senders${spread}${window ? `, at most ${window} in flight per sender` : ''}${rate ? `, offered at ${rate} tx/s` : ''}`)
  const run = await submitAndTrack(rpc, chains, { submitters, ...(window ? { window } : {}), ...(rate ? { rate } : {}), pollMs, deadline })
  const durationMs = run.lastIncludedAt - run.firstSubmitAt
  const latencies = [...run.timings.values()].map((t) => t.includedAt - t.submittedAt).sort((a, b) => a - b)
  const roundTrips = run.submitRoundTrips.sort((a, b) => a - b)
  const statuses = await receiptStatuses(rpc, [...run.timings.keys()])
  if (run.rejected > 0) log(`warning: ${run.rejected} transactions refused, e.g. ${run.rejections[0] ?? '?'}`)

  return {
    rpcUrl: opts.rpcUrl,
    submitUrls,
    window: window ?? null,
    rate: rate ?? null,
    chainId: Number(chainId),
    clientVersion,
    txCount,
    senders: senderCount,
    gasPrice,
    accepted: run.accepted,
    rejected: run.rejected,
    succeeded: statuses.succeeded,
    reverted: statuses.reverted,
    blocks: new Set([...run.timings.values()].map((t) => t.block)).size,
    durationMs,
    txPerSecond: durationMs > 0 ? (run.timings.size * 1000) / durationMs : 0,
    chainTxPerSecond: chainRate([...run.timings.values()]),
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? Number.NaN },
    submitMs: { p50: percentile(roundTrips, 50), p95: percentile(roundTrips, 95) },
    setupMs,
  }
}
