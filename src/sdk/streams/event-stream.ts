/**
 * Event streams with checkpoints: a contract's events from a block on, decoded, in chain order
 * (block number, then log index), each delivered only once its block is final, each carrying the
 * checkpoint a consumer persists after handling it. A stream started again from the same
 * CheckpointStore resumes right after the last saved checkpoint: with the consumer saving after
 * handling (and its side effect and checkpoint changing together), every event is handled once.
 *
 * Logs are read with eth_getLogs over block ranges of at most `maxBlockRange` blocks, never past
 * the final block, so a reorganisation shallower than the confirmation depth cannot retract a
 * delivered event; a deeper one (or a checkpoint of another chain) is detected by the block hash
 * and stops the stream with an error instead of delivering a different history.
 */
import {
  BaseError,
  decodeEventLog,
  HttpRequestError,
  RpcRequestError,
  SocketClosedError,
  TimeoutError,
  toEventSelector,
  toHex,
  type Abi,
  type AbiEvent,
  type ContractEventName,
  type DecodeEventLogReturnType,
} from 'viem'
import type { Address, Hex } from '../../types.js'
import { LedgerError } from '../errors.js'
import { isAfter, type Checkpoint, type CheckpointStore } from './checkpoint.js'
import type { Finality } from '../fabric.js'
import { checkFinality, finalBlockNumber, type StreamClient } from './finality.js'

export const DEFAULT_MAX_BLOCK_RANGE = 1_000n
export const DEFAULT_BATCH_SIZE = 200
export const DEFAULT_POLLING_INTERVAL_MS = 500

export interface EventStreamOptions<abi extends Abi, eventName extends ContractEventName<abi> | undefined = undefined> {
  client: StreamClient
  /** The contract (or contracts) whose events are streamed. */
  address: Address | readonly Address[]
  abi: abi
  /** One event of the ABI; every (non-anonymous) event of the ABI when left out. */
  eventName?: eventName
  /** Where to start when the store holds no checkpoint yet. */
  fromBlock: bigint
  checkpoint: CheckpointStore
  finality: Finality
  /** The widest block range of one eth_getLogs (ledgers cap it: Quorate at 10,000). */
  maxBlockRange?: bigint
  /** The most events in one batch. */
  batchSize?: number
  pollingIntervalMs?: number
}

/** Where an event is in the chain, and its checkpoint. */
export interface EventPosition {
  address: Address
  blockNumber: bigint
  blockHash: Hex
  logIndex: number
  transactionHash: Hex
  transactionIndex: number
  checkpoint: Checkpoint
}

export type StreamEvent<abi extends Abi, eventName extends ContractEventName<abi> | undefined = undefined> = DecodeEventLogReturnType<abi, eventName> & EventPosition

export interface EventBatch<abi extends Abi, eventName extends ContractEventName<abi> | undefined = undefined> {
  events: StreamEvent<abi, eventName>[]
  /** The checkpoint of the batch's last event. */
  checkpoint: Checkpoint
  /** Persists the batch's checkpoint (and the consumer's `state`) in the stream's store. */
  ack(state?: unknown): Promise<void>
}

export interface EventStream<abi extends Abi, eventName extends ContractEventName<abi> | undefined = undefined> extends AsyncIterable<StreamEvent<abi, eventName>> {
  /** The events in batches (each range read yields at most `batchSize` events per batch). */
  batches(): AsyncIterable<EventBatch<abi, eventName>>
  /** Persists `checkpoint` (an event's or a batch's) and the consumer's `state`. */
  ack(checkpoint: Checkpoint, state?: unknown): Promise<void>
  /** Ends the iteration at the next wait for new blocks. */
  close(): void
}

interface RawLog {
  address: Hex
  topics: Hex[]
  data: Hex
  blockNumber: Hex | null
  blockHash: Hex | null
  logIndex: Hex | null
  transactionHash: Hex | null
  transactionIndex: Hex | null
  removed?: boolean
}

export function createEventStream<const abi extends Abi, eventName extends ContractEventName<abi> | undefined = undefined>(
  opts: EventStreamOptions<abi, eventName>,
): EventStream<abi, eventName> {
  checkFinality(opts.finality)
  const maxRange = opts.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE
  const pollMs = opts.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS
  if (maxRange < 1n) throw new LedgerError('INVALID_INPUT', 'maxBlockRange must be at least 1')
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new LedgerError('INVALID_INPUT', 'batchSize must be at least 1')
  if (opts.fromBlock < 0n) throw new LedgerError('INVALID_INPUT', 'fromBlock must not be negative')
  const events = (opts.abi as Abi).filter((x): x is AbiEvent => x.type === 'event' && !x.anonymous && (opts.eventName === undefined || x.name === opts.eventName))
  if (events.length === 0) throw new LedgerError('INVALID_INPUT', opts.eventName ? `the ABI has no event named ${String(opts.eventName)}` : 'the ABI has no (non-anonymous) events')
  const selectors = [...new Set(events.map((e) => toEventSelector(e)))]
  const addresses = (typeof opts.address === 'string' ? [opts.address] : [...opts.address]).map((a) => a.toLowerCase() as Address)

  let closed = false
  let wake: (() => void) | undefined
  const sleep = (ms: number) =>
    new Promise<void>((res) => {
      const t = setTimeout(res, ms)
      wake = () => {
        clearTimeout(t)
        res()
      }
    })

  const ack = (checkpoint: Checkpoint, state?: unknown) => opts.checkpoint.save(checkpoint, state)

  async function getLogs(from: bigint, to: bigint): Promise<RawLog[]> {
    const filter = { address: addresses.length === 1 ? addresses[0]! : addresses, topics: [selectors], fromBlock: toHex(from), toBlock: toHex(to) }
    return (await guard(() => opts.client.request({ method: 'eth_getLogs', params: [filter] }), 'eth_getLogs')) as RawLog[]
  }

  /** The chain must still hold the checkpoint's block: else a reorg went deeper than finality, or it is another chain. */
  async function checkStillCanonical(cp: Checkpoint): Promise<void> {
    const block = await guard(() => opts.client.getBlock({ blockNumber: cp.blockNumber }), 'eth_getBlockByNumber').catch((err: unknown) => {
      if (err instanceof LedgerError && err.code === 'UNREACHABLE') throw err
      return undefined
    })
    if (!block || block.hash?.toLowerCase() !== cp.blockHash.toLowerCase()) {
      throw new LedgerError('NOT_FOUND', `the checkpoint's block ${cp.blockNumber} (${cp.blockHash}) is not in the chain any more`, {
        details: block ? `the chain holds ${block.hash} at that height: a reorganisation deeper than the finality setting, or a checkpoint of another chain` : 'the ledger has no block at that height',
      })
    }
  }

  function decode(log: RawLog): StreamEvent<abi, eventName> {
    if (log.blockNumber === null || log.logIndex === null || log.blockHash === null || log.transactionHash === null || log.transactionIndex === null) {
      throw new LedgerError('INVALID_INPUT', 'the ledger returned a pending log for a final block range')
    }
    let decoded: { eventName: string; args: unknown }
    try {
      decoded = decodeEventLog({ abi: events, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true }) as { eventName: string; args: unknown }
    } catch (err) {
      throw new LedgerError('INVALID_INPUT', `a log of ${log.address} in block ${BigInt(log.blockNumber)} does not decode with the given ABI`, { cause: err })
    }
    const blockNumber = BigInt(log.blockNumber)
    const logIndex = Number(log.logIndex)
    const position: EventPosition = {
      address: log.address,
      blockNumber,
      blockHash: log.blockHash,
      logIndex,
      transactionHash: log.transactionHash,
      transactionIndex: Number(log.transactionIndex),
      checkpoint: { blockNumber, logIndex, blockHash: log.blockHash },
    }
    return { ...decoded, ...position } as unknown as StreamEvent<abi, eventName>
  }

  async function* batches(): AsyncGenerator<EventBatch<abi, eventName>> {
    const saved = await opts.checkpoint.load()
    let cursor: Checkpoint | undefined = saved && { blockNumber: saved.blockNumber, logIndex: saved.logIndex, blockHash: saved.blockHash }
    if (cursor) await checkStillCanonical(cursor)
    // The checkpoint's block is read again: events after it in the same block are still due.
    let next = cursor ? cursor.blockNumber : opts.fromBlock
    let range = maxRange
    while (!closed) {
      const final = await guard(() => finalBlockNumber(opts.client, opts.finality), 'the final block number')
      if (next > final) {
        await sleep(pollMs)
        continue
      }
      const to = next + range - 1n < final ? next + range - 1n : final
      let logs: RawLog[]
      try {
        logs = await getLogs(next, to)
      } catch (err) {
        // Too many logs or too wide a range for this ledger: halve the range and read again.
        if (err instanceof LedgerError && err.code === 'INVALID_INPUT' && isLimitError(err.cause) && to > next) {
          range = (to - next + 1n) / 2n
          continue
        }
        throw err
      }
      range = maxRange
      const read = logs.filter((l) => !l.removed).map(decode)
      // A log of the checkpoint's block under another hash: that block was replaced.
      const cp = cursor
      if (cp && read.some((e) => e.blockNumber === cp.blockNumber && e.blockHash.toLowerCase() !== cp.blockHash.toLowerCase())) await checkStillCanonical(cp)
      const due = read
        .filter((e) => isAfter(e.blockNumber, e.logIndex, cp))
        .sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
      next = to + 1n
      for (let i = 0; i < due.length && !closed; i += batchSize) {
        const slice = due.slice(i, i + batchSize)
        const checkpoint = slice[slice.length - 1]!.checkpoint
        cursor = checkpoint
        yield { events: slice, checkpoint, ack: (state?: unknown) => ack(checkpoint, state) }
      }
    }
  }

  return {
    batches,
    ack,
    close() {
      closed = true
      wake?.()
    },
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) yield* batch.events
    },
  }
}

function isLimitError(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false
  const rpc = err.walk((e) => e instanceof RpcRequestError)
  return rpc instanceof RpcRequestError && (rpc.code === -32005 || /range|too many|limit/i.test(rpc.details))
}

/** Runs a ledger read; a transport failure becomes UNREACHABLE, a refusal INVALID_INPUT. */
async function guard<T>(fn: () => Promise<T>, what: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof LedgerError) throw err
    const transport = err instanceof BaseError && err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof SocketClosedError)
    if (transport) throw new LedgerError('UNREACHABLE', `${what}: the ledger did not answer`, { cause: err, details: err instanceof BaseError ? err.shortMessage : undefined })
    throw new LedgerError('INVALID_INPUT', `${what} was refused: ${err instanceof BaseError ? err.shortMessage : String(err)}`, { cause: err })
  }
}
