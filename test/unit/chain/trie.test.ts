import { describe, expect, it } from 'vitest'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, bytesToUnprefixedHex, KECCAK256_RLP, MapDB, ValueEncoding } from '@ethereumjs/util'
import { keccak256 } from '../../../src/crypto/native.js'
import { buildTrie, readTrie, TrieError, updateTrie, type TrieNodeStore, type TrieWrite } from '../../../src/chain/trie.js'

/** A seeded generator (xorshift32), so a failure names the inputs that made it. */
function random(seed: number) {
  let x = seed || 1
  const next = (): number => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
  return {
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
  }
}

function nodeStore(db: MapDB<string, Uint8Array>): TrieNodeStore & { puts: number } {
  const store = {
    puts: 0,
    get: (hash: Uint8Array) => db.get(bytesToUnprefixedHex(hash)),
    put: async (hash: Uint8Array, node: Uint8Array) => {
      store.puts++
      await db.put(bytesToUnprefixedHex(hash), node)
    },
  }
  return store
}

const copy = (db: MapDB<string, Uint8Array>) => new MapDB<string, Uint8Array>(new Map(db._database))
const mpt = (db: MapDB<string, Uint8Array>, root?: Uint8Array) => new MerklePatriciaTrie({ db, valueEncoding: ValueEncoding.Bytes, ...(root ? { root } : {}) })

describe('updateTrie and readTrie: many writes into a stored trie at once, and reads', () => {
  // Seeds 3, 6, …: keys crowd into a few top nibbles, so extensions form, split and fold back.
  // Seeds 1, 4, …: keys share 30 bytes, so short leaves and branches are embedded in their parents.
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('gives MerklePatriciaTrie\'s root, and a trie it reads back, over random puts, updates and deletions (seed %i)', async (seed) => {
    const r = random(seed * 7919)
    const db = new MapDB<string, Uint8Array>()
    const reference = mpt(db)
    const live = new Map<string, Uint8Array>()
    const prefix = r.bytes(30)
    const key = () => (seed % 3 === 0 ? Uint8Array.from([r.int(2), r.int(3), ...r.bytes(30)]) : seed % 3 === 1 ? Uint8Array.from([...prefix, r.int(3), ...r.bytes(1)]) : r.bytes(32))
    // Values short and long: nodes below 32 bytes are embedded in their parent.
    const value = () => r.bytes(r.int(3) === 0 ? 1 + r.int(3) : 1 + r.int(40))
    for (let round = 0; round < 6; round++) {
      const writes: TrieWrite[] = []
      const seen = new Set<string>()
      const count = round === 0 ? r.int(60) : 1 + r.int(40)
      const existing = [...live.keys()]
      for (let i = 0; i < count; i++) {
        const pick = r.int(4)
        const k = pick < 2 || existing.length === 0 ? key() : Buffer.from(existing[r.int(existing.length)]!, 'hex')
        const id = bytesToUnprefixedHex(k)
        if (seen.has(id)) continue
        seen.add(id)
        writes.push({ key: k, value: pick === 3 ? null : value() })
      }
      const before = copy(db)
      const beforeRoot = reference.root()
      for (const w of writes) {
        if (w.value) await reference.put(w.key, w.value)
        else await reference.del(w.key)
        if (w.value) live.set(bytesToUnprefixedHex(w.key), w.value)
        else live.delete(bytesToUnprefixedHex(w.key))
      }
      const root = await updateTrie(nodeStore(before), beforeRoot, writes, keccak256)
      expect(bytesToHex(root), `round ${round}, ${writes.length} writes`).toBe(bytesToHex(reference.root()))
      // Every node the new trie needs was written: a trie over only the old nodes plus those reads each key.
      const readBack = mpt(before, root)
      for (const [k, v] of live) {
        expect(bytesToHex((await readBack.get(Buffer.from(k, 'hex')))!)).toBe(bytesToHex(v))
        expect(bytesToHex((await readTrie(nodeStore(before), root, Buffer.from(k, 'hex')))!)).toBe(bytesToHex(v))
      }
      // Keys not in the trie (deleted ones, near misses of live ones, random ones) read as absent.
      const absent = [...writes.filter((w) => w.value === null).map((w) => w.key), ...[...live.keys()].slice(0, 5).map((k) => Uint8Array.from(Buffer.from(k, 'hex'), (b, i) => (i === 31 ? b ^ 1 : b))), key()]
      for (const k of absent) {
        if (live.has(bytesToUnprefixedHex(k))) continue
        expect(await readTrie(nodeStore(before), root, k)).toBeUndefined()
        expect(await readBack.get(k)).toBeNull()
      }
    }
  })

  it('splits a long extension where a new key leaves it, and folds what deletions leave under one', async () => {
    const prefix = new Uint8Array(31).fill(0xab)
    const k = (last: number) => Uint8Array.from([...prefix, last])
    // P+10, P+11 under one branch, P+20 beside it: an extension over a branch over a branch.
    for (const [keys, deleted] of [
      [[0x10, 0x20], [0x20]], // the branch keeps one leaf: extension + leaf fold into one leaf
      [[0x10, 0x11, 0x20], [0x20]], // the branch keeps one branch: the extension grows by a nibble
      [[0x10, 0x11, 0x20], [0x10, 0x11]], // the lower branch goes: one leaf left
    ] as const) {
      const db = new MapDB<string, Uint8Array>()
      const reference = mpt(db)
      for (const last of keys) await reference.put(k(last), Uint8Array.of(last))
      const root = reference.root()
      const before = copy(db)
      for (const last of deleted) await reference.del(k(last))
      const updated = await updateTrie(nodeStore(before), root, deleted.map((last) => ({ key: k(last), value: null })), keccak256)
      expect(bytesToHex(updated), `keys ${keys.join()} less ${deleted.join()}`).toBe(bytesToHex(reference.root()))
    }
    // Keys sharing 31 bytes sit under a 62-nibble extension; keys leaving it at byte 10 (nibble 20 or
    // 21) split it with path left on both sides.
    for (const at of [20, 21]) {
      const db = new MapDB<string, Uint8Array>()
      const reference = mpt(db)
      for (const last of [0x10, 0x11]) await reference.put(k(last), Uint8Array.of(last))
      const root = reference.root()
      const before = copy(db)
      const other = k(0x12)
      other[at >> 1] = at & 1 ? 0xac : 0xbb
      await reference.put(other, Uint8Array.of(7))
      const updated = await updateTrie(nodeStore(before), root, [{ key: other, value: Uint8Array.of(7) }], keccak256)
      expect(bytesToHex(updated), `split at nibble ${at}`).toBe(bytesToHex(reference.root()))
    }
  })

  it('deleting every key gives the empty root; no writes keep the root; writing a key twice is refused', async () => {
    const db = new MapDB<string, Uint8Array>()
    const r = random(99)
    const keys = Array.from({ length: 20 }, () => r.bytes(32))
    const full = await updateTrie(nodeStore(db), KECCAK256_RLP, keys.map((key) => ({ key, value: r.bytes(33) })), keccak256)
    expect(bytesToHex(await updateTrie(nodeStore(db), full, keys.map((key) => ({ key, value: null })), keccak256))).toBe(bytesToHex(KECCAK256_RLP))
    expect(await updateTrie(nodeStore(db), full, [], keccak256)).toBe(full)
    await expect(updateTrie(nodeStore(db), full, [{ key: keys[0]!, value: null }, { key: keys[0]!, value: Uint8Array.of(1) }], keccak256)).rejects.toThrow(TrieError)
  })

  it('hashes each new node once: far fewer node writes than putting key by key', async () => {
    const db = new MapDB<string, Uint8Array>()
    const r = random(5)
    const base = await updateTrie(nodeStore(db), KECCAK256_RLP, Array.from({ length: 5000 }, () => ({ key: r.bytes(32), value: r.bytes(33) })), keccak256)
    const writes = Array.from({ length: 500 }, () => ({ key: r.bytes(32), value: r.bytes(33) }))
    const bulk = nodeStore(copy(db))
    await updateTrie(bulk, base, writes, keccak256)
    let oneByOne = 0
    const counted = copy(db)
    const put = counted.put.bind(counted)
    counted.put = async (k, v) => {
      oneByOne++
      await put(k, v)
    }
    const reference = mpt(counted, base)
    for (const w of writes) await reference.put(w.key, w.value)
    expect(bulk.puts).toBeLessThan(oneByOne * 0.6)
  })

  it('refuses to write below a node the store does not hold', async () => {
    const db = new MapDB<string, Uint8Array>()
    const r = random(3)
    const root = await updateTrie(nodeStore(db), KECCAK256_RLP, Array.from({ length: 50 }, () => ({ key: r.bytes(32), value: r.bytes(40) })), keccak256)
    const err = await updateTrie(nodeStore(new MapDB()), root, [{ key: r.bytes(32), value: Uint8Array.of(1) }], keccak256).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TrieError)
    expect((err as TrieError).code).toBe('TRIE_NODE_MISSING')
  })

  it('buildTrie over RLP-encoded indexes (the keys of a block\'s transactions and receipts) gives MerklePatriciaTrie\'s root', async () => {
    const r = random(11)
    // 0..299 crosses the key lengths of RLP(i): 0x80, 0x01…0x7f, 0x81xx, 0x82xxxx.
    for (const count of [0, 1, 2, 17, 128, 129, 300]) {
      const entries = Array.from({ length: count }, (_, i) => ({ key: RLP.encode(i), value: r.bytes(1 + r.int(120)) }))
      const reference = mpt(new MapDB())
      for (const e of entries) await reference.put(e.key, e.value)
      expect(bytesToHex(buildTrie(entries, keccak256)), `${count} entries`).toBe(bytesToHex(reference.root()))
    }
    // A key that is a prefix of another would need a value in a branch: refused, not built wrong.
    expect(() => buildTrie([{ key: Uint8Array.of(1), value: Uint8Array.of(1) }, { key: Uint8Array.of(1, 2), value: Uint8Array.of(2) }], keccak256)).toThrow(/prefix of another/)
  })
})
