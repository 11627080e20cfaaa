/**
 * Merkle Patricia tries written many keys at once, each new node encoded and hashed exactly once
 * (geth's StackTrie and its commit of a block's dirty paths do the same):
 *
 * - `buildTrie`: a trie from all of its entries (the genesis state, a block's transactions or
 *   receipts), bottom-up in one pass over the keys sorted.
 * - `updateTrie`: writes into a stored trie. The written paths are walked together, each node on
 *   them read once; MerklePatriciaTrie.put reads the path from the root again and re-hashes every
 *   node on it for every key, so the top of a trie written N times in a block was hashed N times.
 *
 * The result is the trie a MerklePatriciaTrie holds: nodes whose RLP is shorter than 32 bytes are
 * embedded in their parent, every other node and the root are stored under their hash. Keys are
 * given as the trie uses them (already hashed where the trie hashes keys), and no key may be a
 * prefix of another (true of 32-byte hashes and of the RLP-encoded indexes of transactions and
 * receipts), so no value ever sits in a branch. Nodes are never deleted (the store keeps every
 * state). test/unit/chain/trie.test.ts holds the roots and stored nodes equal to
 * MerklePatriciaTrie's over random writes and deletions.
 */
import { RLP, type NestedUint8Array } from '@ethereumjs/rlp'
import { equalsBytes, KECCAK256_RLP } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'

export interface TrieEntry {
  key: Uint8Array
  /** The stored value (already RLP where the trie stores RLP). */
  value: Uint8Array
}

/** One write into a stored trie: the value to store under `key`, or null to delete it. */
export interface TrieWrite {
  key: Uint8Array
  value: Uint8Array | null
}

/** Receives each node stored by hash: its hash and its RLP. */
export type TrieNodeSink = (hash: Uint8Array, node: Uint8Array) => void

/** Where a stored trie's nodes are: read by hash, new ones put under their hash. */
export interface TrieNodeStore {
  get(hash: Uint8Array): Promise<Uint8Array | undefined>
  put(hash: Uint8Array, node: Uint8Array): Promise<void>
}

export class TrieError extends QuorateError {
  override name = 'TrieError'
}

type Nibbles = number[]
/** A child: the hash of a stored node, or a node in memory (decoded, embedded, or new). */
type Ref = Uint8Array | TrieNode
type TrieNode =
  | { kind: 'leaf'; path: Nibbles; value: Uint8Array }
  | { kind: 'ext'; path: Nibbles; child: Ref }
  | { kind: 'branch'; children: (Ref | null)[] }

const EMPTY = new Uint8Array(0)

/**
 * The root of the trie holding `entries` (keys distinct; sorted here). `sink` receives every node
 * stored by hash, the root included; an empty trie has the empty root and no node.
 */
export function buildTrie(entries: readonly TrieEntry[], hash: (data: Uint8Array) => Uint8Array, sink?: TrieNodeSink): Uint8Array {
  const writer = new TrieWriter(hash, sink ?? (() => {}))
  return writer.root(writer.build(sortedWrites(entries), 0))
}

/**
 * The root of the trie at `root` after `writes` (keys distinct). New nodes go to `store`; an empty
 * trie has the empty root. Throws TRIE_NODE_MISSING when a node on a written path is not stored.
 */
export async function updateTrie(store: TrieNodeStore, root: Uint8Array, writes: readonly TrieWrite[], hash: (data: Uint8Array) => Uint8Array): Promise<Uint8Array> {
  if (writes.length === 0) return root
  const puts: Promise<void>[] = []
  const writer = new TrieWriter(hash, (h, node) => void puts.push(store.put(h, node)))
  const resolve = async (ref: Ref): Promise<TrieNode> => {
    if (!(ref instanceof Uint8Array)) return ref
    const bytes = await store.get(ref)
    if (bytes === undefined) throw new TrieError('TRIE_NODE_MISSING', `trie node ${Buffer.from(ref).toString('hex')} is not stored`)
    return fromRaw(RLP.decode(bytes) as NestedUint8Array)
  }

  const update = async (ref: Ref | null, ops: TrieWrite[], depth: number): Promise<TrieNode | null> => {
    if (ref === null) return writer.build(ops, depth)
    const node = await resolve(ref)
    if (node.kind === 'leaf') {
      // The leaf becomes one more write, unless a write replaces or deletes it.
      const key = nibblesToBytes([...nibbles(ops[0]!.key, 0, depth), ...node.path])
      return writer.build(ops.some((o) => equalsBytes(o.key, key)) ? ops : insertSorted(ops, { key, value: node.value }), depth)
    }
    if (node.kind === 'ext') {
      let shared = node.path.length
      for (const o of ops) shared = Math.min(shared, matching(o.key, depth, node.path))
      if (shared === node.path.length) return extend(node.path, await update(node.child, ops, depth + shared))
      // Some writes leave the extension's path at `shared`: a branch there, the rest of the path below it.
      const children = new Array<Ref | null>(16).fill(null)
      const rest = node.path.slice(shared + 1)
      children[node.path[shared]!] = rest.length > 0 ? { kind: 'ext', path: rest, child: node.child } : node.child
      return extend(node.path.slice(0, shared), await update({ kind: 'branch', children }, ops, depth + shared))
    }
    const children = [...node.children]
    for (const [n, group] of groups(ops, depth)) children[n] = await update(children[n] ?? null, group, depth + 1)
    const left = children.flatMap((c, i) => (c === null ? [] : [i]))
    if (left.length === 0) return null
    if (left.length > 1) return { kind: 'branch', children }
    // One child left: the branch folds into it.
    const i = left[0]!
    const only = children[i]!
    const child = await resolve(only)
    if (child.kind === 'branch') return { kind: 'ext', path: [i], child: only }
    return { ...child, path: [i, ...child.path] }
  }

  const start = equalsBytes(root, KECCAK256_RLP) ? null : root
  const newRoot = writer.root(await update(start, sortedWrites(writes), 0))
  await Promise.all(puts)
  return newRoot
}

/**
 * The value under `key` in the stored trie at `root`, or undefined: one read per node on the key's
 * path (what MerklePatriciaTrie.get finds, without its walk machinery). Throws TRIE_NODE_MISSING
 * when a node on the path is not stored.
 */
export async function readTrie(store: Pick<TrieNodeStore, 'get'>, root: Uint8Array, key: Uint8Array): Promise<Uint8Array | undefined> {
  if (equalsBytes(root, KECCAK256_RLP)) return undefined
  let ref: Uint8Array | NestedUint8Array = root
  let depth = 0
  for (;;) {
    let raw: NestedUint8Array
    if (ref instanceof Uint8Array) {
      const bytes = await store.get(ref)
      if (bytes === undefined) throw new TrieError('TRIE_NODE_MISSING', `trie node ${Buffer.from(ref).toString('hex')} is not stored`)
      raw = RLP.decode(bytes) as NestedUint8Array
    } else {
      raw = ref
    }
    if (raw.length === 17) {
      const child = raw[nibble(key, depth)]
      if (child === undefined || (child instanceof Uint8Array && child.length === 0)) return undefined
      ref = child
      depth++
      continue
    }
    const node = fromRaw(raw)
    if (node.kind === 'branch' || matching(key, depth, node.path) !== node.path.length) return undefined
    depth += node.path.length
    if (node.kind === 'leaf') return depth === key.length * 2 ? node.value : undefined
    ref = node.child instanceof Uint8Array ? node.child : (raw[1] as NestedUint8Array)
  }
}

/** Encodes new nodes: those of 32 bytes or more go to the sink under their hash, smaller ones stay embedded. */
class TrieWriter {
  constructor(
    private readonly hash: (data: Uint8Array) => Uint8Array,
    private readonly sink: TrieNodeSink,
  ) {}

  /**
   * The trie of the writes that put a value (deleting a key that is not there does nothing), all
   * sharing their first `depth` nibbles. Below its top node everything is encoded at once.
   */
  build(ops: readonly TrieWrite[], depth: number): TrieNode | null {
    const puts = ops.filter((o): o is TrieEntry => o.value !== null && o.value.length > 0)
    if (puts.length === 0) return null
    if (puts.length === 1) return { kind: 'leaf', path: nibbles(puts[0]!.key, depth, puts[0]!.key.length * 2), value: puts[0]!.value }
    // Sorted keys: the prefix all of them share is the one the first and the last share.
    const first = puts[0]!.key
    const last = puts[puts.length - 1]!.key
    let common = depth
    while (nibble(first, common) === nibble(last, common)) common++
    const children = new Array<Ref | null>(16).fill(null)
    for (const [n, group] of groups(puts, common)) children[n] = this.ref(this.build(group, common + 1)!)
    const branch: TrieNode = { kind: 'branch', children }
    return common === depth ? branch : { kind: 'ext', path: nibbles(first, depth, common), child: this.ref(branch) }
  }

  /** The root: always stored under its hash, however short. */
  root(top: TrieNode | null): Uint8Array {
    if (top === null) return KECCAK256_RLP
    const encoded = RLP.encode(this.raw(top))
    const h = this.hash(encoded)
    this.sink(h, encoded)
    return h
  }

  /** A child as its parent holds it: the hash of a stored node, or the node itself when it is embedded. */
  private ref(node: TrieNode): Ref {
    const encoded = RLP.encode(this.raw(node))
    if (encoded.length < 32) return node
    const h = this.hash(encoded)
    this.sink(h, encoded)
    return h
  }

  private raw(node: TrieNode): NestedUint8Array {
    const child = (r: Ref): Uint8Array | NestedUint8Array => (r instanceof Uint8Array ? r : this.embedOrStore(r))
    if (node.kind === 'leaf') return [hexPrefix(node.path, true), node.value]
    if (node.kind === 'ext') return [hexPrefix(node.path, false), child(node.child)] as NestedUint8Array
    return [...node.children.map((c) => (c === null ? EMPTY : child(c))), EMPTY] as NestedUint8Array
  }

  private embedOrStore(node: TrieNode): Uint8Array | NestedUint8Array {
    const ref = this.ref(node)
    return ref instanceof Uint8Array ? ref : this.raw(ref)
  }
}

/** A path above `child`: merged into a leaf or extension below, none for no path. */
function extend(path: Nibbles, child: TrieNode | null): TrieNode | null {
  if (child === null || path.length === 0) return child
  if (child.kind === 'branch') return { kind: 'ext', path, child }
  return { ...child, path: [...path, ...child.path] }
}

/** Sorted by key; refuses a key twice and a key that is a prefix of another (it would need a branch value). */
function sortedWrites<T extends TrieWrite>(writes: readonly T[]): T[] {
  const sorted = [...writes].sort((a, b) => compareBytes(a.key, b.key))
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!.key
    const b = sorted[i]!.key
    if (compareBytes(a, b.subarray(0, a.length)) === 0) throw new TrieError('TRIE_BAD_KEYS', a.length === b.length ? 'a key is written twice' : 'a key is a prefix of another key')
  }
  return sorted
}

/** Consecutive runs of `ops` (sorted) by their nibble at `depth`. */
function* groups<T extends TrieWrite>(ops: readonly T[], depth: number): Generator<[number, T[]]> {
  for (let i = 0; i < ops.length; ) {
    const n = nibble(ops[i]!.key, depth)
    let j = i
    while (j < ops.length && nibble(ops[j]!.key, depth) === n) j++
    yield [n, ops.slice(i, j)]
    i = j
  }
}

/** A decoded node: 17 items a branch, 2 a leaf or extension (by its hex-prefix flag). */
function fromRaw(raw: NestedUint8Array): TrieNode {
  const child = (item: Uint8Array | NestedUint8Array): Ref | null => {
    if (item instanceof Uint8Array) return item.length === 0 ? null : item
    return fromRaw(item)
  }
  if (raw.length === 17) {
    if (!(raw[16] instanceof Uint8Array) || raw[16].length > 0) throw new TrieError('TRIE_BAD_NODE', 'a stored branch holds a value, which no key set here needs')
    return { kind: 'branch', children: raw.slice(0, 16).map(child) }
  }
  const [key, second] = raw
  if (raw.length !== 2 || !(key instanceof Uint8Array) || key.length === 0 || second === undefined) throw new TrieError('TRIE_BAD_NODE', 'a stored trie node is neither a branch nor a leaf or extension')
  const flag = key[0]! >> 4
  const path: Nibbles = flag & 1 ? [key[0]! & 0x0f] : []
  for (let i = 1; i < key.length; i++) path.push(key[i]! >> 4, key[i]! & 0x0f)
  if (flag & 2) {
    if (!(second instanceof Uint8Array)) throw new TrieError('TRIE_BAD_NODE', 'a leaf value is not a byte string')
    return { kind: 'leaf', path, value: second }
  }
  const next = child(second)
  if (next === null) throw new TrieError('TRIE_BAD_NODE', 'an extension without a child')
  return { kind: 'ext', path, child: next }
}

/** Hex-prefix encoding of a path (Yellow Paper appendix C). */
function hexPrefix(path: Nibbles, leaf: boolean): Uint8Array {
  const odd = path.length & 1
  const out = new Uint8Array((path.length >> 1) + 1)
  out[0] = (((leaf ? 2 : 0) + odd) << 4) | (odd ? path[0]! : 0)
  for (let i = odd, o = 1; i < path.length; i += 2) out[o++] = (path[i]! << 4) | path[i + 1]!
  return out
}

/** The nibble of `key` at `i`; -1 past its end. */
function nibble(key: Uint8Array, i: number): number {
  const b = key[i >> 1]
  if (b === undefined) return -1
  return i & 1 ? b & 0x0f : b >> 4
}

function nibbles(key: Uint8Array, from: number, to: number): Nibbles {
  const out: Nibbles = []
  for (let i = from; i < to; i++) out.push(nibble(key, i))
  return out
}

function nibblesToBytes(path: Nibbles): Uint8Array {
  const out = new Uint8Array(path.length >> 1)
  for (let i = 0; i < out.length; i++) out[i] = (path[2 * i]! << 4) | path[2 * i + 1]!
  return out
}

/** How many nibbles of `path` the key repeats from `depth` on. */
function matching(key: Uint8Array, depth: number, path: Nibbles): number {
  let n = 0
  while (n < path.length && nibble(key, depth + n) === path[n]) n++
  return n
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function insertSorted(ops: TrieWrite[], op: TrieWrite): TrieWrite[] {
  let i = 0
  while (i < ops.length && compareBytes(ops[i]!.key, op.key) < 0) i++
  return [...ops.slice(0, i), op, ...ops.slice(i)]
}
