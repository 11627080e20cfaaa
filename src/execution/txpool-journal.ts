/**
 * The transaction pool's journal (geth's `transactions.rlp`): the pooled transactions written to
 * one file, so a restart does not lose what clients were told was accepted. The file is rewritten
 * whole every `intervalMs` when the pool changed, and at shutdown; at start it is read back and
 * every transaction goes through the pool's normal admission, which drops the ones that became
 * invalid meanwhile (nonce used, funds gone, permission revoked).
 *
 * A rewrite goes to `<file>.tmp` and is renamed over the file, so a crash (even kill -9) leaves
 * the previous complete journal, never a torn one: what a kill loses is at most the changes of the
 * last interval. Format: one RLP list of the transactions' serialized bytes (EIP-2718 envelopes or
 * legacy RLP), in (sender, nonce) order so that re-adding needs no reordering.
 *
 * It owns the file and the timer; it must not decide what is valid (the pool does).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import { errorMessage, QuorateError } from '../errors.js'
import type { Logger } from '../ops/logger.js'
import { Pacer } from '../util/pacer.js'

/** What the journal needs from the pool. */
export interface JournaledPool {
  /** Every pooled transaction, in (sender, nonce) order. */
  transactionsInOrder(): readonly { serialize(): Uint8Array }[]
  addRaw(raw: Uint8Array): Promise<unknown>
  on(event: 'added' | 'removed', listener: () => void): unknown
  off(event: 'added' | 'removed', listener: () => void): unknown
}

export interface TxPoolJournalOptions {
  file: string
  /** How often the file is rewritten when the pool changed; default 10 s. */
  intervalMs?: number
}

export interface TxPoolJournalModules {
  pool: JournaledPool
  logger?: Logger
  /** Told of each write's outcome (an error, or undefined once a write succeeds), e.g. for the disk check. */
  onWrite?: (err: unknown) => void
}

export interface JournalLoadResult {
  loaded: number
  /** Refused by the pool at reload, by error code. */
  dropped: Record<string, number>
}

export const DEFAULT_JOURNAL_INTERVAL_MS = 10_000

export class TxPoolJournal {
  private readonly file: string
  private readonly intervalMs: number
  private readonly pool: JournaledPool
  private readonly logger: Logger | undefined
  private readonly onWrite: ((err: unknown) => void) | undefined
  private timer: NodeJS.Timeout | undefined
  private dirty = false
  private writing: Promise<void> = Promise.resolve()
  /** A full pool takes hundreds of milliseconds to serialize: done in slices, so JSON-RPC and blocks go on meanwhile. */
  private readonly pacer = new Pacer(10)
  private readonly markDirty = (): void => {
    this.dirty = true
  }

  constructor(opts: TxPoolJournalOptions, modules: TxPoolJournalModules) {
    this.file = opts.file
    this.intervalMs = opts.intervalMs ?? DEFAULT_JOURNAL_INTERVAL_MS
    this.pool = modules.pool
    this.logger = modules.logger
    this.onWrite = modules.onWrite
  }

  /** Reads the journal back into the pool. A missing file is an empty journal; an unreadable one is logged and ignored. */
  async load(): Promise<JournalLoadResult> {
    const result: JournalLoadResult = { loaded: 0, dropped: {} }
    let bytes: Uint8Array
    try {
      bytes = await readFile(this.file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger?.warn({ file: this.file, err: errorMessage(err) }, 'cannot read the txpool journal; starting with an empty pool')
      return result
    }
    let raws: Uint8Array[]
    try {
      const decoded = RLP.decode(bytes)
      if (!Array.isArray(decoded) || decoded.some((d) => !(d instanceof Uint8Array))) throw new Error('not a list of transactions')
      raws = decoded as Uint8Array[]
    } catch (err) {
      this.logger?.warn({ file: this.file, err: errorMessage(err) }, 'the txpool journal is corrupt; starting with an empty pool')
      return result
    }
    for (const raw of raws) {
      try {
        await this.pool.addRaw(raw)
        result.loaded++
      } catch (err) {
        const code = err instanceof QuorateError ? err.code : 'UNKNOWN'
        result.dropped[code] = (result.dropped[code] ?? 0) + 1
      }
    }
    this.logger?.info({ file: this.file, loaded: result.loaded, dropped: result.dropped }, 'reloaded the txpool journal')
    return result
  }

  /** Starts rewriting the file every interval in which the pool changed. */
  start(): void {
    if (this.timer) return
    this.pool.on('added', this.markDirty)
    this.pool.on('removed', this.markDirty)
    this.timer = setInterval(() => {
      if (this.dirty) void this.write()
    }, this.intervalMs)
    this.timer.unref()
  }

  /**
   * Stops the timer and writes the pool one last time. Without a start() first it writes nothing:
   * a node stopped before it loaded the journal must not overwrite it with an empty pool.
   */
  async stop(): Promise<void> {
    if (!this.timer) return
    clearInterval(this.timer)
    this.timer = undefined
    this.pool.off('added', this.markDirty)
    this.pool.off('removed', this.markDirty)
    await this.write()
  }

  /** Rewrites the journal now (serialised with any write in progress). Never throws: failures are logged and reported. */
  write(): Promise<void> {
    const next = this.writing.then(() => this.writeNow())
    this.writing = next
    return next
  }

  private async writeNow(): Promise<void> {
    this.dirty = false
    const txs: Uint8Array[] = []
    this.pacer.start()
    for (const tx of this.pool.transactionsInOrder()) {
      txs.push(tx.serialize())
      await this.pacer.pace()
    }
    const tmp = `${this.file}.tmp`
    try {
      await mkdir(dirname(this.file), { recursive: true })
      await writeFile(tmp, RLP.encode(txs), { flush: true })
      await rename(tmp, this.file)
      this.onWrite?.(undefined)
      this.logger?.debug({ file: this.file, transactions: txs.length }, 'wrote the txpool journal')
    } catch (err) {
      this.dirty = true // try again next interval
      await rm(tmp, { force: true }).catch(() => undefined)
      this.onWrite?.(err)
      this.logger?.warn({ file: this.file, err: errorMessage(err) }, 'cannot write the txpool journal; retrying next interval')
    }
  }
}
