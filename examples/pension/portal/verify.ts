/**
 * The participant's own check of a yearly statement: recompute the hash of the statement document
 * and compare it with the hash the fund published on chain. Verified means both exist and are equal;
 * a document the fund changed after publishing, or a hash never published, is not verified.
 */
import { statementHash, type StatementDocument } from '../app/pension.js'
import type { StatementCheck } from './model.js'

export function checkStatement(year: number, chainHash: `0x${string}` | undefined, document: StatementDocument | undefined): StatementCheck {
  const computedHash = document === undefined ? undefined : statementHash(document)
  return {
    year,
    contributionsCents: document === undefined ? undefined : BigInt(document.contributionsCents),
    accruedPensionCents: document === undefined ? undefined : BigInt(document.accruedPensionCents),
    chainHash,
    computedHash,
    verified: computedHash !== undefined && chainHash !== undefined && computedHash.toLowerCase() === chainHash.toLowerCase(),
  }
}
