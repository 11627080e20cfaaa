/**
 * Block import: the checks a final block fetched from a peer must pass before it enters the chain,
 * and its entry. For each block, on the head it follows: the structure against the parent (number,
 * parent hash, gas limit, timestamp, validator list), the stored form (round 0, no seals in the
 * header), a quorum of distinct validators' commit seals over its seal digest, and then its body:
 *
 * - a block served with its outcome (receipts and state changes, execution/state-changes.ts) is
 *   applied without running its transactions: the receipts must give the header's receipts root,
 *   bloom and gas used, and the changes its state root. The header is what the quorum sealed, so
 *   a block entered this way is the one the validators executed. Changes that fail a check are
 *   dropped and the block is re-executed instead (counted in `refused`, for the peer's score);
 * - any other block is re-executed with every root checked (state, receipts, gas used, bloom).
 *
 * Only then is it committed. Senders of the transactions of blocks to re-execute are recovered
 * ahead of execution (see `prepare`: off the main thread, sender-recovery.ts), so that execution
 * finds them cached; each block waits only for its own senders.
 *
 * It knows nothing of peers or the wire: block sync (block-sync.ts) hands it decoded blocks.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { decodeExtraData } from '../chain/extra-data.js'
import { sealDigest, type Finality } from '../chain/finality.js'
import type { ChainParamsSource } from '../chain/params.js'
import type { StoredReceipt } from '../chain/receipts.js'
import type { BlockRecord } from '../chain/store.js'
import { verifyCommitSeals } from '../consensus/qbft/index.js'
import { checkStructure } from '../consensus/qbft-block.js'
import type { ValidatorSource } from '../consensus/validators.js'
import type { ExecutedBlock } from '../execution/executor.js'
import { QuorateError } from '../errors.js'

/** A block as a peer serves it: the stored block, its finality proof and, when the peer kept it, its outcome. */
export interface FetchedBlock {
  block: Block
  finality: Finality
  outcome?: { receipts: StoredReceipt[]; changes: Uint8Array }
}

export class SyncError extends QuorateError {
  override name = 'SyncError'
  constructor(reason: string) {
    super('BAD_SYNC_RESPONSE', `invalid sync response: ${reason}`)
  }
}

export interface BlockImportModules {
  common: Common
  /** The head the next block must follow. */
  chain: { readonly head: Block }
  validators: Pick<ValidatorSource, 'validatorsAfter'>
  params: ChainParamsSource
  /**
   * Re-executes a block on its parent's state, or applies its outcome (`apply`); either throws
   * INVALID_BLOCK unless every root matches. Without `apply`, every block is re-executed.
   */
  executor: {
    execute(parent: Block, block: Block): Promise<ExecutedBlock>
    apply?(parent: Block, block: Block, receipts: StoredReceipt[], changes: Uint8Array): Promise<ExecutedBlock>
  }
  /** Enters a checked block into the chain (the node's one commit path). */
  commit: (record: BlockRecord) => Promise<void>
  /**
   * Starts recovering the senders of the blocks' transactions (cached on each): one promise per
   * block, settled once that block's are done. Default: none ahead of execution. A rejection only
   * means the senders are recovered in execution.
   */
  prepare?: (blocks: readonly Block[]) => readonly Promise<void>[]
}

export interface BlockImport {
  /**
   * Checks and commits `blocks` (consecutive) in order; a block at or below the head is skipped.
   * Throws SyncError (or INVALID_BLOCK) at the first block that fails, after committing those before it.
   * `stop()` returning true ends the import early (the node halted).
   */
  importBlocks(blocks: readonly FetchedBlock[], stop?: () => boolean): Promise<ImportResult>
}

export interface ImportResult {
  imported: number
  /** Of those, entered from their outcome without re-execution. */
  applied: number
  /** Blocks whose served outcome failed a check (re-executed instead), with the first reason. */
  refused: number
  refusal?: string
}

export function createBlockImport(m: BlockImportModules): BlockImport {
  return {
    async importBlocks(blocks, stop) {
      const toExecute = blocks.filter((b) => !(b.outcome && m.executor.apply)).map((b) => b.block)
      const prepared = m.prepare?.(toExecute) ?? []
      const ready = new Map(toExecute.map((block, i) => [block, prepared[i]?.catch(() => undefined)]))
      const result: ImportResult = { imported: 0, applied: 0, refused: 0 }
      for (const { block, finality, outcome } of blocks) {
        const parent = m.chain.head
        if (block.header.number <= parent.header.number) continue // became final meanwhile
        if (stop?.()) break
        const [validators, params] = await Promise.all([m.validators.validatorsAfter(parent), m.params.paramsFor(parent)])
        const problem = checkStructure(block, { parent, validators, params })
        if (problem) throw new SyncError(`block ${block.header.number}: ${problem}`)
        if (decodeExtraData(block.header.extraData).round !== 0) throw new SyncError(`block ${block.header.number} is not in stored form (round 0)`)
        const check = verifyCommitSeals(sealDigest(block, finality.round, m.common), finality.seals, validators)
        if (!check.ok) throw new SyncError(`block ${block.header.number} lacks a quorum of valid commit seals (${check.signers.length} of ${validators.length})`)
        let executed: ExecutedBlock | undefined
        if (outcome && m.executor.apply) {
          try {
            executed = await m.executor.apply(parent, block, outcome.receipts, outcome.changes)
            result.applied++
          } catch (err) {
            if (!(err instanceof QuorateError && err.code === 'INVALID_BLOCK')) throw err
            result.refused++
            result.refusal ??= `block ${block.header.number}: ${err.shortMessage}`
          }
        }
        await ready.get(block)
        executed ??= await m.executor.execute(parent, block)
        await m.commit({ block, finality, receipts: executed.receipts, changes: executed.changes })
        result.imported++
      }
      return result
    },
  }
}
