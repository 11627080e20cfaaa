/**
 * FlatStateManager: the EVM state of one block as flat maps in front of the Merkle trie.
 *
 * Reads go to the block's changes, then to a clean cache of what the trie holds at the current
 * root, then to the trie itself (`store.trieDb`). Writes stay in the maps; the trie is updated once,
 * when `getStateRoot()` (or `flush()`) is called at the end of a block, each storage trie in one
 * pass. Checkpoints are journaled: a checkpoint is a mark in the journal (O(1)), a revert undoes
 * the entries written since (O(changes)), so a transaction never copies the state.
 *
 * It extends MerkleStateManager only so that it can stand wherever one is expected (genesis
 * writing, `BlockExecutor.stateManager`); every method that reads or writes state is overridden,
 * and the parent's own trie caches are never used for state reads.
 *
 * Original storage values (EIP-1283/2200 SSTORE gas): the inherited `originalStorageCache` keeps
 * the first value `getStorage` gives for a slot in a transaction. The EVM asks for it before its
 * first SSTORE to that slot, so it is the value at the start of the transaction (after a contract
 * (re-)creation wiped the storage, zero, as in geth). It is cleared when the outermost checkpoint
 * closes and by runTx after every transaction, as MerkleStateManager does.
 *
 * Must not: write to the trie inside a checkpoint, or keep anything of the trie across a
 * `setStateRoot` to another root.
 */
import type { AccountFields, Common, StorageDump, StorageRange } from '@ethereumjs/common'
import type { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { CODEHASH_PREFIX, MerkleStateManager } from '@ethereumjs/statemanager'
import {
  Account,
  bytesToUnprefixedHex,
  concatBytes,
  createAccountFromRLP,
  equalsBytes,
  KECCAK256_NULL,
  KECCAK256_RLP,
  unpadBytes,
  unprefixedHexToBytes,
  type Address,
  type BatchDBOp,
  type DB,
} from '@ethereumjs/util'
import { keccak256 } from '../crypto/native.js'
import { QuorateError } from '../errors.js'
import type { AccountChange, StateChanges } from './state-changes.js'
import { readTrie, updateTrie, type TrieNodeStore, type TrieWrite } from '../chain/trie.js'

export class FlatStateError extends QuorateError {
  override name = 'FlatStateError'
}

/** What the trie stores for an account (RLP [nonce, balance, storageRoot, codeHash]); never mutated. */
interface AccountRecord {
  readonly nonce: bigint
  readonly balance: bigint
  readonly storageRoot: Uint8Array
  readonly codeHash: Uint8Array
}

/** `null`: the account does not exist. */
type AccountState = AccountRecord | null

/** Storage slot (unprefixed hex of the 32-byte key) → value without leading zeros (empty = zero). */
type Slots = Map<string, Uint8Array>

/** One undo step. `had`: the key was in the block's change map before (with `prev`). */
type JournalEntry =
  | { kind: 'account'; addr: string; had: boolean; prev: AccountState | undefined }
  | { kind: 'slot'; addr: string; slot: string; had: boolean; prev: Uint8Array | undefined }
  | { kind: 'wipe'; addr: string; prevSlots: Slots | undefined; wasWiped: boolean }

export interface FlatStateOptions {
  /** The account trie (over the store's trie DB), at the root the state starts from. */
  trie: MerklePatriciaTrie
  common: Common
  /**
   * Clean entries (accounts + storage slots) kept across blocks; past this the clean cache is
   * dropped after the next state root. Default 250,000.
   */
  maxCleanEntries?: number
  /** Called between trie writes when the block's changes are written out; may yield to the event loop (see Pacer). */
  pace?: () => Promise<void>
}

const EMPTY: Uint8Array = new Uint8Array(0)

function recordOf(account: Account): AccountRecord {
  return { nonce: account.nonce, balance: account.balance, storageRoot: account.storageRoot, codeHash: account.codeHash }
}

function accountOf(r: AccountRecord): Account {
  return new Account(r.nonce, r.balance, r.storageRoot, r.codeHash)
}

const NEW_ACCOUNT: AccountRecord = { nonce: 0n, balance: 0n, storageRoot: KECCAK256_RLP, codeHash: KECCAK256_NULL }

export class FlatStateManager extends MerkleStateManager {
  // --- the block's changes (journaled) ---
  private dirtyAccounts = new Map<string, AccountState>()
  private dirtySlots = new Map<string, Slots>()
  /** Accounts whose storage was wiped in this block (deleted or re-created): the trie's slots no longer count. */
  private wiped = new Set<string>()
  /** Code put in this block and not yet in the trie DB, by unprefixed code hash. */
  private newCode = new Map<string, Uint8Array>()
  private journal: JournalEntry[] = []
  private marks: number[] = []

  // --- what the trie holds at its current root (never journaled) ---
  private cleanAccounts = new Map<string, AccountState>()
  private cleanSlots = new Map<string, Slots>()
  private cleanSlotCount = 0
  /** Code by unprefixed code hash (content-addressed, so valid at any root). */
  private codeCache = new Map<string, Uint8Array>()
  private codeCacheBytes = 0

  /** What the last write of a block's changes into the trie changed (see `written`). */
  private lastWritten: StateChanges = { accounts: [], codes: [] }

  private readonly hashFn: (data: Uint8Array) => Uint8Array
  private readonly maxCleanEntries: number
  private readonly pace: (() => Promise<void>) | undefined

  constructor(opts: FlatStateOptions) {
    super({ trie: opts.trie, common: opts.common })
    this.hashFn = opts.common.customCrypto.keccak256 ?? keccak256
    this.maxCleanEntries = opts.maxCleanEntries ?? 250_000
    this.pace = opts.pace
  }

  /** Open checkpoints (0 between transactions). */
  get checkpointDepth(): number {
    return this.marks.length
  }

  // ─── accounts ──────────────────────────────────────────────────────────────

  override async getAccount(address: Address): Promise<Account | undefined> {
    const r = await this.accountState(bytesToUnprefixedHex(address.bytes), address.bytes)
    return r === null ? undefined : accountOf(r)
  }

  override async putAccount(address: Address, account: Account | undefined): Promise<void> {
    const addr = bytesToUnprefixedHex(address.bytes)
    if (account === undefined) {
      this.setAccount(addr, null)
      this.wipeStorage(addr)
    } else {
      this.setAccount(addr, recordOf(account))
    }
  }

  override async deleteAccount(address: Address): Promise<void> {
    const addr = bytesToUnprefixedHex(address.bytes)
    this.setAccount(addr, null)
    this.wipeStorage(addr)
  }

  override async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const addr = bytesToUnprefixedHex(address.bytes)
    const r = (await this.accountState(addr, address.bytes)) ?? NEW_ACCOUNT
    this.setAccount(addr, {
      nonce: fields.nonce ?? r.nonce,
      balance: fields.balance ?? r.balance,
      storageRoot: fields.storageRoot ?? r.storageRoot,
      codeHash: fields.codeHash ?? r.codeHash,
    })
  }

  // ─── code ──────────────────────────────────────────────────────────────────

  override async putCode(address: Address, value: Uint8Array): Promise<void> {
    const codeHash = this.hashFn(value)
    const hashKey = bytesToUnprefixedHex(codeHash)
    if (value.length > 0 && !this.codeCache.has(hashKey)) this.newCode.set(hashKey, value)
    const addr = bytesToUnprefixedHex(address.bytes)
    const r = (await this.accountState(addr, address.bytes)) ?? NEW_ACCOUNT
    this.setAccount(addr, { ...r, codeHash })
  }

  override async getCode(address: Address): Promise<Uint8Array> {
    const r = await this.accountState(bytesToUnprefixedHex(address.bytes), address.bytes)
    if (r === null || equalsBytes(r.codeHash, KECCAK256_NULL)) return EMPTY
    return this.codeByHash(r.codeHash)
  }

  override async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length
  }

  // ─── storage ───────────────────────────────────────────────────────────────

  override async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    if (key.length !== 32) throw new FlatStateError('STATE_BAD_STORAGE_KEY', 'storage key must be 32 bytes long')
    const addr = bytesToUnprefixedHex(address.bytes)
    const slot = bytesToUnprefixedHex(key)
    const dirty = this.dirtySlots.get(addr)?.get(slot)
    if (dirty !== undefined) return dirty
    if (this.wiped.has(addr)) return EMPTY
    // A miss reads what the trie holds for this account, whatever the block did to the account record.
    return this.cleanStorage(addr, address.bytes, slot, key)
  }

  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    if (key.length !== 32) throw new FlatStateError('STATE_BAD_STORAGE_KEY', 'storage key must be 32 bytes long')
    if (value.length > 32) throw new FlatStateError('STATE_BAD_STORAGE_VALUE', 'storage value cannot be longer than 32 bytes')
    const addr = bytesToUnprefixedHex(address.bytes)
    if ((await this.accountState(addr, address.bytes)) === null) {
      throw new FlatStateError('STATE_NO_ACCOUNT', `putStorage() called on the non-existing account 0x${addr}`)
    }
    const slot = bytesToUnprefixedHex(key)
    let slots = this.dirtySlots.get(addr)
    if (slots === undefined) {
      slots = new Map()
      this.dirtySlots.set(addr, slots)
    }
    if (this.marks.length > 0) this.journal.push({ kind: 'slot', addr, slot, had: slots.has(slot), prev: slots.get(slot) })
    slots.set(slot, unpadBytes(value).slice()) // a copy: the caller may reuse its buffer
  }

  /** Empties the account's storage (contract (re-)creation); creates the account if missing, as MerkleStateManager does. */
  override async clearStorage(address: Address): Promise<void> {
    const addr = bytesToUnprefixedHex(address.bytes)
    const r = (await this.accountState(addr, address.bytes)) ?? NEW_ACCOUNT
    this.wipeStorage(addr)
    this.setAccount(addr, { ...r, storageRoot: KECCAK256_RLP })
  }

  // ─── checkpoints ───────────────────────────────────────────────────────────

  override async checkpoint(): Promise<void> {
    this.marks.push(this.journal.length)
  }

  override async commit(): Promise<void> {
    if (this.marks.pop() === undefined) throw new FlatStateError('STATE_NO_CHECKPOINT', 'commit() without an open checkpoint')
    if (this.marks.length === 0) {
      // Nothing can revert past the outermost checkpoint.
      this.journal.length = 0
      this.originalStorageCache.clear()
    }
  }

  override async revert(): Promise<void> {
    const mark = this.marks.pop()
    if (mark === undefined) throw new FlatStateError('STATE_NO_CHECKPOINT', 'revert() without an open checkpoint')
    undo(this.journal, mark, this.dirtyAccounts, this.dirtySlots, this.wiped)
    this.journal.length = mark
    if (this.marks.length === 0) this.originalStorageCache.clear()
  }

  // ─── roots ─────────────────────────────────────────────────────────────────

  /** Writes the block's changes into the trie (between transactions only). */
  override async flush(): Promise<void> {
    if (this.marks.length > 0) {
      throw new FlatStateError('STATE_CHECKPOINT_OPEN', 'the state cannot be written to the trie inside a checkpoint', {
        details: 'commit or revert every checkpoint (finish the transaction) before asking for the state root',
      })
    }
    await this.writeOut()
  }

  override async getStateRoot(): Promise<Uint8Array> {
    await this.flush()
    return this._trie.root()
  }

  /** What the last `getStateRoot()` (or `flush()`) wrote: the changes of the block just executed. */
  get written(): StateChanges {
    return this.lastWritten
  }

  /**
   * Takes a block's changes as if its transactions had run (between blocks only); `getStateRoot()`
   * then writes them and gives the root to check. Throws STATE_BAD_CHANGES for changes that cannot
   * stand whatever the root: code that is neither given nor stored under an account's code hash.
   */
  async applyChanges(changes: StateChanges): Promise<void> {
    if (this.marks.length > 0 || this.dirtyAccounts.size > 0 || this.dirtySlots.size > 0) {
      throw new FlatStateError('STATE_CHECKPOINT_OPEN', 'state changes are applied between blocks only')
    }
    for (const code of changes.codes) {
      const hashKey = bytesToUnprefixedHex(this.hashFn(code))
      if (!this.codeCache.has(hashKey)) this.newCode.set(hashKey, code)
    }
    for (const { address, account, wiped, slots } of changes.accounts) {
      const addr = bytesToUnprefixedHex(address)
      if (wiped || account === null) this.wipeStorage(addr)
      if (account === null) {
        this.setAccount(addr, null)
        continue
      }
      const before = await this.cleanAccount(addr, address)
      // Recomputed by the write when the storage changed; otherwise the account keeps its own.
      const storageRoot = before === null || wiped ? KECCAK256_RLP : before.storageRoot
      this.setAccount(addr, { ...account, storageRoot })
      if (slots.length > 0) {
        let dirty = this.dirtySlots.get(addr)
        if (dirty === undefined) {
          dirty = new Map()
          this.dirtySlots.set(addr, dirty)
        }
        for (const [key, value] of slots) dirty.set(bytesToUnprefixedHex(key), value)
      }
      if (!equalsBytes(account.codeHash, KECCAK256_NULL) && (before === null || !equalsBytes(before.codeHash, account.codeHash))) {
        if ((await this.codeByHash(account.codeHash)).length === 0) {
          this.dropChanges()
          throw new FlatStateError('STATE_BAD_CHANGES', `invalid state changes: no code for account 0x${addr}'s code hash`)
        }
      }
    }
  }

  /**
   * Moves to `stateRoot`, dropping the block's changes. The clean cache mirrors the trie at its
   * current root, so it is kept only when the root does not change and `clearCache` is false.
   */
  override async setStateRoot(stateRoot: Uint8Array, clearCache = true): Promise<void> {
    if (!equalsBytes(stateRoot, this._trie.EMPTY_TRIE_ROOT) && !(await this._trie.checkRoot(stateRoot))) {
      throw new FlatStateError('STATE_ROOT_MISSING', 'the state trie does not contain this state root', {
        details: `root 0x${bytesToUnprefixedHex(stateRoot)}: the block's state was never written to this database`,
      })
    }
    this.dropChanges()
    if (clearCache || !equalsBytes(stateRoot, this._trie.root())) this.dropClean()
    this._trie.root(stateRoot)
    this._storageTries = {}
  }

  override async hasStateRoot(root: Uint8Array): Promise<boolean> {
    return this._trie.checkRoot(root)
  }

  override clearCaches(): void {
    this.dropClean()
  }

  override async dumpStorage(address: Address): Promise<StorageDump> {
    await this.flush()
    this._storageTries = {}
    return super.dumpStorage(address)
  }

  override async dumpStorageRange(address: Address, startKey: bigint, limit: number): Promise<StorageRange> {
    await this.flush()
    this._storageTries = {}
    return super.dumpStorageRange(address, startKey, limit)
  }

  /**
   * A state over the same trie DB at the last fully committed point: the block's changes are
   * copied (as if every open checkpoint were reverted), caches are not.
   */
  override shallowCopy(): FlatStateManager {
    const common = this.common.copy()
    common.setHardfork(this.common.hardfork())
    const copy = new FlatStateManager({ trie: this._trie.shallowCopy(false), common, maxCleanEntries: this.maxCleanEntries })
    copy.dirtyAccounts = new Map(this.dirtyAccounts)
    copy.dirtySlots = new Map([...this.dirtySlots].map(([addr, slots]) => [addr, new Map(slots)]))
    copy.wiped = new Set(this.wiped)
    copy.newCode = new Map(this.newCode)
    const journal = this.journal.map((e): JournalEntry => (e.kind === 'wipe' && e.prevSlots ? { ...e, prevSlots: new Map(e.prevSlots) } : e))
    undo(journal, 0, copy.dirtyAccounts, copy.dirtySlots, copy.wiped)
    return copy
  }

  // ─── internals ─────────────────────────────────────────────────────────────

  private setAccount(addr: string, state: AccountState): void {
    if (this.marks.length > 0) {
      this.journal.push({ kind: 'account', addr, had: this.dirtyAccounts.has(addr), prev: this.dirtyAccounts.get(addr) })
    }
    this.dirtyAccounts.set(addr, state)
  }

  private wipeStorage(addr: string): void {
    if (this.marks.length > 0) {
      this.journal.push({ kind: 'wipe', addr, prevSlots: this.dirtySlots.get(addr), wasWiped: this.wiped.has(addr) })
    }
    this.dirtySlots.set(addr, new Map())
    this.wiped.add(addr)
  }

  private async accountState(addr: string, addressBytes: Uint8Array): Promise<AccountState> {
    const dirty = this.dirtyAccounts.get(addr)
    if (dirty !== undefined) return dirty
    return this.cleanAccount(addr, addressBytes)
  }

  private async cleanAccount(addr: string, addressBytes: Uint8Array): Promise<AccountState> {
    const clean = this.cleanAccounts.get(addr)
    if (clean !== undefined) return clean
    const rlp = await readTrie(this.nodes, this._trie.root(), this.hashFn(addressBytes))
    const state = rlp === undefined ? null : recordOf(createAccountFromRLP(rlp))
    this.cleanAccounts.set(addr, state)
    return state
  }

  private async cleanStorage(addr: string, addressBytes: Uint8Array, slot: string, key: Uint8Array): Promise<Uint8Array> {
    let slots = this.cleanSlots.get(addr)
    const cached = slots?.get(slot)
    if (cached !== undefined) return cached
    const account = await this.cleanAccount(addr, addressBytes)
    let value = EMPTY
    if (account !== null && !equalsBytes(account.storageRoot, KECCAK256_RLP)) {
      const raw = await readTrie(this.nodes, account.storageRoot, this.hashFn(key))
      if (raw !== undefined) value = RLP.decode(raw) as Uint8Array
    }
    if (slots === undefined) {
      slots = new Map()
      this.cleanSlots.set(addr, slots)
    }
    slots.set(slot, value)
    this.cleanSlotCount++
    return value
  }

  /** The trie nodes, by hash, as the trie itself reads and writes them. */
  private get nodes(): TrieNodeStore {
    return this._trie.database()
  }

  private async codeByHash(codeHash: Uint8Array): Promise<Uint8Array> {
    const hashKey = bytesToUnprefixedHex(codeHash)
    const code = this.newCode.get(hashKey) ?? this.codeCache.get(hashKey)
    if (code !== undefined) return code
    const stored = await this._trie.database().get(concatBytes(CODEHASH_PREFIX, codeHash))
    if (stored === undefined) return EMPTY // not cached: putCode of this code must still write it
    this.cacheCode(hashKey, stored)
    return stored
  }

  private cacheCode(hashKey: string, code: Uint8Array): void {
    if (this.codeCacheBytes + code.length > 64 * 1024 * 1024) {
      this.codeCache.clear()
      this.codeCacheBytes = 0
    }
    this.codeCache.set(hashKey, code)
    this.codeCacheBytes += code.length
  }

  /**
   * The block's changes into the trie: each touched storage trie, then the account trie, each in
   * one pass (chain/trie.ts: every node on the written paths read and hashed once).
   */
  private async writeOut(): Promise<void> {
    const changes: StateChanges = { accounts: [], codes: [] }
    this.lastWritten = changes
    if (this.dirtyAccounts.size === 0 && this.dirtySlots.size === 0) return
    const addrs = new Set([...this.dirtyAccounts.keys(), ...this.dirtySlots.keys()])
    const accountWrites: TrieWrite[] = []
    for (const addr of addrs) {
      await this.pace?.()
      const addressBytes = unprefixedHexToBytes(addr)
      const dirty = this.dirtyAccounts.get(addr)
      const before = await this.cleanAccount(addr, addressBytes)
      let account = dirty !== undefined ? dirty : before
      if (account === null) {
        if (before !== null) accountWrites.push({ key: this.hashFn(addressBytes), value: null })
        this.setClean(addr, null, undefined, true)
        changes.accounts.push({ address: addressBytes, account: null, wiped: true, slots: [] })
        continue
      }
      const wiped = this.wiped.has(addr)
      const slots = this.dirtySlots.get(addr)
      const change: AccountChange = { address: addressBytes, account: null, wiped, slots: [] }
      if (wiped || (slots !== undefined && slots.size > 0)) {
        const writes: TrieWrite[] = []
        for (const [slot, value] of slots ?? []) {
          const key = unprefixedHexToBytes(slot)
          writes.push({ key: this.hashFn(key), value: value.length > 0 ? RLP.encode(value) : null })
          change.slots.push([key, value])
        }
        const storageRoot = await updateTrie(this.nodes, wiped || before === null ? KECCAK256_RLP : before.storageRoot, writes, this.hashFn)
        account = { ...account, storageRoot }
      }
      if (!equalsBytes(account.codeHash, KECCAK256_NULL)) {
        const hashKey = bytesToUnprefixedHex(account.codeHash)
        const code = this.newCode.get(hashKey)
        if (code !== undefined) {
          await this._trie.database().put(concatBytes(CODEHASH_PREFIX, account.codeHash), code)
          this.newCode.delete(hashKey)
          this.cacheCode(hashKey, code)
          changes.codes.push(code)
        }
      }
      if (before === null || !sameRecord(before, account)) accountWrites.push({ key: this.hashFn(addressBytes), value: accountOf(account).serialize() })
      this.setClean(addr, account, slots, wiped)
      change.account = { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash }
      changes.accounts.push(change)
    }
    await this.pace?.()
    this._trie.root(await updateTrie(this.nodes, this._trie.root(), accountWrites, this.hashFn))
    this.dropChanges()
    this._storageTries = {}
    if (this.cleanAccounts.size + this.cleanSlotCount > this.maxCleanEntries) this.dropClean()
  }

  private setClean(addr: string, account: AccountState, slots: Slots | undefined, wiped: boolean): void {
    this.cleanAccounts.set(addr, account)
    let clean = this.cleanSlots.get(addr)
    if (wiped && clean !== undefined) {
      this.cleanSlotCount -= clean.size
      this.cleanSlots.delete(addr)
      clean = undefined
    }
    if (account !== null && slots !== undefined && slots.size > 0) {
      if (clean === undefined) {
        clean = new Map()
        this.cleanSlots.set(addr, clean)
      }
      for (const [slot, value] of slots) {
        if (!clean.has(slot)) this.cleanSlotCount++
        clean.set(slot, value)
      }
    }
  }

  private dropChanges(): void {
    this.dirtyAccounts = new Map()
    this.dirtySlots = new Map()
    this.wiped = new Set()
    this.newCode = new Map()
    this.journal = []
    this.marks = []
    this.originalStorageCache.clear()
  }

  private dropClean(): void {
    this.cleanAccounts = new Map()
    this.cleanSlots = new Map()
    this.cleanSlotCount = 0
  }
}

function sameRecord(a: AccountRecord, b: AccountRecord): boolean {
  return a.nonce === b.nonce && a.balance === b.balance && equalsBytes(a.storageRoot, b.storageRoot) && equalsBytes(a.codeHash, b.codeHash)
}

/** Undoes journal entries down to `mark`, newest first. */
function undo(journal: JournalEntry[], mark: number, accounts: Map<string, AccountState>, slotsByAddr: Map<string, Slots>, wiped: Set<string>): void {
  for (let i = journal.length - 1; i >= mark; i--) {
    const e = journal[i]!
    if (e.kind === 'account') {
      if (e.had) accounts.set(e.addr, e.prev as AccountState)
      else accounts.delete(e.addr)
    } else if (e.kind === 'slot') {
      const slots = slotsByAddr.get(e.addr)
      if (slots === undefined) continue
      if (e.had) slots.set(e.slot, e.prev as Uint8Array)
      else slots.delete(e.slot)
    } else {
      if (e.prevSlots !== undefined) slotsByAddr.set(e.addr, e.prevSlots)
      else slotsByAddr.delete(e.addr)
      if (!e.wasWiped) wiped.delete(e.addr)
    }
  }
}

/**
 * A bounded read-through cache of trie nodes and code in front of the store's trie DB, shared by
 * the account trie and every storage trie of one state (an MPT's shallow copies share its DB).
 * Keys are content hashes and the store never deletes, so an entry can never go stale.
 */
export class TrieNodeCache implements DB<string, Uint8Array> {
  private entries = new Map<string, Uint8Array>()
  private bytes = 0

  constructor(
    private readonly db: DB<string, Uint8Array>,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = this.entries.get(key)
    if (hit !== undefined) return hit
    const value = await this.db.get(key)
    if (value !== undefined) this.remember(key, value)
    return value
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.db.put(key, value)
    this.remember(key, value)
  }

  async del(key: string): Promise<void> {
    this.forget(key)
    await this.db.del(key)
  }

  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    await this.db.batch(ops)
    for (const op of ops) {
      if (op.type === 'put') this.remember(op.key, op.value)
      else this.forget(op.key)
    }
  }

  shallowCopy(): DB<string, Uint8Array> {
    return this
  }

  async open(): Promise<void> {
    await this.db.open()
  }

  private remember(key: string, value: Uint8Array): void {
    this.forget(key)
    this.entries.set(key, value)
    this.bytes += key.length + value.length
    if (this.bytes <= this.maxBytes) return
    // Oldest first (Map order) down to 90%, so eviction is amortised O(1).
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes * 0.9) break
      this.entries.delete(k)
      this.bytes -= k.length + v.length
    }
  }

  private forget(key: string): void {
    const old = this.entries.get(key)
    if (old === undefined) return
    this.entries.delete(key)
    this.bytes -= key.length + old.length
  }
}
