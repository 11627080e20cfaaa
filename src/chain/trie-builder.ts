/**
 * Builds a Merkle Patricia trie from all of its entries at once, bottom-up in one pass over the
 * keys sorted (geth's StackTrie does the same for snapshots and genesis): every node is encoded and
 * hashed exactly once, where inserting key by key into an MPT re-hashes the path of every insert.
 * Used for the genesis state, whose allocation can hold millions of accounts.
 *
 * The result is the trie an `MerklePatriciaTrie` with key hashing would hold: keys are given
 * already hashed (keccak-256, 32 bytes); nodes whose RLP is shorter than 32 bytes are embedded in
 * their parent, every other node (and the root) is stored under its hash.
 */
import { RLP, type NestedUint8Array } from '@ethereumjs/rlp'
import { KECCAK256_RLP } from '@ethereumjs/util'

export interface TrieEntry {
  /** The hashed key, 32 bytes. */
  key: Uint8Array
  /** The stored value (already RLP where the trie stores RLP). */
  value: Uint8Array
}

/** Receives each stored node: its hash and its RLP. */
export type TrieNodeSink = (hash: Uint8Array, node: Uint8Array) => void

type NodeRef = Uint8Array | NestedUint8Array

function nibble(key: Uint8Array, i: number): number {
  const b = key[i >> 1]!
  return i & 1 ? b & 0x0f : b >> 4
}

/** Hex-prefix encoding of the nibbles key[from..to) (Yellow Paper appendix C). */
function hexPrefix(key: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const len = to - from
  const out = new Uint8Array((len >> 1) + 1)
  const flag = (leaf ? 2 : 0) + (len & 1)
  let o = 0
  let i = from
  if (len & 1) {
    out[0] = (flag << 4) | nibble(key, i++)
  } else {
    out[0] = flag << 4
  }
  o = 1
  for (; i < to; i += 2) out[o++] = (nibble(key, i) << 4) | nibble(key, i + 1)
  return out
}

/**
 * The root of the trie holding `entries` (keys unique, 32 bytes; sorted here). `sink` receives every
 * node stored by hash, the root included; an empty trie has the empty root and no node.
 */
export function buildTrie(entries: TrieEntry[], hash: (data: Uint8Array) => Uint8Array, sink?: TrieNodeSink): Uint8Array {
  if (entries.length === 0) return KECCAK256_RLP
  const sorted = [...entries].sort((a, b) => compareBytes(a.key, b.key))
  for (let i = 1; i < sorted.length; i++) {
    if (compareBytes(sorted[i - 1]!.key, sorted[i]!.key) === 0) throw new RangeError('buildTrie: duplicate key')
  }
  const keyNibbles = sorted[0]!.key.length * 2

  const store = (node: NestedUint8Array, root: boolean): NodeRef => {
    const encoded = RLP.encode(node)
    if (encoded.length < 32 && !root) return node
    const h = hash(encoded)
    sink?.(h, encoded)
    return h
  }

  // Builds the subtrie of sorted[lo, hi) whose keys share their first `depth` nibbles.
  const build = (lo: number, hi: number, depth: number, root: boolean): NodeRef => {
    const first = sorted[lo]!.key
    if (hi - lo === 1) return store([hexPrefix(first, depth, keyNibbles, true), sorted[lo]!.value], root)
    // Sorted keys: the prefix all of them share is the one the first and the last share.
    const last = sorted[hi - 1]!.key
    let common = depth
    while (nibble(first, common) === nibble(last, common)) common++
    const children: NodeRef[] = []
    let i = lo
    for (let n = 0; n < 16; n++) {
      let j = i
      while (j < hi && nibble(sorted[j]!.key, common) === n) j++
      children.push(j > i ? build(i, j, common + 1, false) : new Uint8Array(0))
      i = j
    }
    const branch = [...children, new Uint8Array(0)] as NestedUint8Array
    if (common === depth) return store(branch, root)
    return store([hexPrefix(first, depth, common, false), store(branch, false)] as NestedUint8Array, root)
  }

  const root = build(0, sorted.length, 0, true)
  return root as Uint8Array
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}
