/**
 * Checkpoints of an event stream: the position (block number, log index, block hash) of the last
 * event a consumer has handled. The consumer persists one after handling an event (its ack); a
 * stream started from a store resumes right after it, so no event is lost or handled twice.
 */
import { open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import type { Hex } from '../../types.js'
import { LedgerError } from '../errors.js'

export interface Checkpoint {
  blockNumber: bigint
  logIndex: number
  /** The hash of the event's block: a resumed stream checks the chain still holds that block. */
  blockHash: Hex
}

/**
 * A checkpoint as stored, with the consumer's own `state` beside it (JSON): what the consumer must
 * change atomically with the checkpoint, e.g. the length of the output it wrote up to this event.
 */
export interface SavedCheckpoint extends Checkpoint {
  state?: unknown
}

/** Where a consumer keeps its checkpoint. `save` must be durable when it resolves. */
export interface CheckpointStore {
  load(): Promise<SavedCheckpoint | undefined>
  save(checkpoint: Checkpoint, state?: unknown): Promise<void>
}

/** Whether the log at (`blockNumber`, `logIndex`) comes after `cp` in chain order. */
export function isAfter(blockNumber: bigint, logIndex: number, cp: Checkpoint | undefined): boolean {
  if (!cp) return true
  return blockNumber > cp.blockNumber || (blockNumber === cp.blockNumber && logIndex > cp.logIndex)
}

const FileSchema = z.strictObject({
  version: z.literal(1),
  blockNumber: z.string().regex(/^\d+$/),
  logIndex: z.number().int().nonnegative(),
  blockHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  state: z.unknown().optional(),
})

/** Checkpoints in memory: for tests and consumers whose side effects are not durable either. */
export function memoryCheckpointStore(initial?: SavedCheckpoint): CheckpointStore & { current(): SavedCheckpoint | undefined } {
  let saved = initial
  return {
    load: async () => saved,
    save: async (cp, state) => {
      saved = state === undefined ? { ...cp } : { ...cp, state }
    },
    current: () => saved,
  }
}

/**
 * A checkpoint file, replaced atomically: written to a temporary file beside it, flushed to disk,
 * renamed over the old one and the folder flushed, so a crash at any point leaves either the old or
 * the new checkpoint, never a torn one.
 */
export function fileCheckpointStore(path: string): CheckpointStore {
  return {
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT') return undefined
        throw new LedgerError('INVALID_INPUT', `cannot read the checkpoint file ${path}`, { cause: err })
      }
      let parsed: z.output<typeof FileSchema>
      try {
        parsed = FileSchema.parse(JSON.parse(text))
      } catch (err) {
        throw new LedgerError('INVALID_INPUT', `the checkpoint file ${path} is not a checkpoint`, { cause: err })
      }
      const cp: SavedCheckpoint = { blockNumber: BigInt(parsed.blockNumber), logIndex: parsed.logIndex, blockHash: parsed.blockHash as Hex }
      if (parsed.state !== undefined) cp.state = parsed.state
      return cp
    },
    async save(cp, state) {
      const body = JSON.stringify({ version: 1, blockNumber: cp.blockNumber.toString(), logIndex: cp.logIndex, blockHash: cp.blockHash, ...(state === undefined ? {} : { state }) })
      await writeFileAtomic(path, body)
    },
  }
}

/** Replaces `path` with `text`: temp file, fsync, rename, fsync of the folder. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    const fh = await open(tmp, 'w', 0o600)
    try {
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
