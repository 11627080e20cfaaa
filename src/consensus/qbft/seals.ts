/**
 * Commit-seal verification for blocks that arrive outside consensus (block sync, import): a block
 * is final when it carries seals over its digest from a quorum of distinct validators of its
 * parent's validator set (spec: `ValidNewBlock`). Pure; the caller computes the digest.
 */
import { hexToBytes } from '@ethereumjs/util'
import { recoverAddress } from '../../crypto/keys.js'
import type { Address, Hex } from '../../types.js'
import { quorumSize } from './quorum.js'

export interface SealCheck {
  /** A quorum of seals, each from a distinct validator; no seal from anyone else, no duplicates. */
  ok: boolean
  /** Distinct validators whose valid seals were found, in seal order. */
  signers: Address[]
}

export function verifyCommitSeals(digest: Hex, seals: readonly Uint8Array[], validators: readonly Address[]): SealCheck {
  const signers: Address[] = []
  if (validators.length === 0 || !/^0x[0-9a-fA-F]{64}$/.test(digest)) return { ok: false, signers }
  const hash = hexToBytes(digest)
  const members = new Set(validators.map((v) => v.toLowerCase()))
  const seen = new Set<string>()
  let clean = true
  for (const seal of seals) {
    const signer = recoverAddress(hash, seal)
    if (signer === undefined || !members.has(signer) || seen.has(signer)) {
      clean = false
      continue
    }
    seen.add(signer)
    signers.push(signer)
  }
  return { ok: clean && signers.length >= quorumSize(validators.length), signers }
}
