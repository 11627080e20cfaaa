/**
 * PrivacyService: private data on one node. It owns the record store and the access log (LevelDBs
 * under `<data>/private`), the `private/deliver` P2P protocol, and the node key's anchor, erasure
 * and deletion-confirmation transactions. It reacts to the chain: an ErasureRequested event makes
 * every member erase and confirm, and records past their retention are purged and confirmed the
 * same way. A deletion stays owed (a durable marker in the store) until its confirmation is in a
 * final block: confirmations are retried with backoff and at start-up, never dropped on a failure.
 * It enforces membership and purposes for reads; it sends a record only to nodes of member parties
 * holding a grant for one of its purposes (and refuses to store one it receives otherwise), purges
 * and confirms what it holds of a collection its party was voted out of, and keeps no plaintext
 * outside the at-rest encrypted store. On-chain ids are keyed by the collection secret
 * (CollectionKeys), which only member nodes hold.
 */
import { join } from 'node:path'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { randomBytes } from '@noble/ciphers/utils.js'
import { decodeEventLog, encodeEventTopics } from 'viem'
import type { Logger } from 'pino'
import { readKeyFile } from '../node/keyfile.js'
import type { BlockFeed } from '../node/ports.js'
import type { BlockRecord } from '../chain/store.js'
import { errorMessage } from '../errors.js'
import type { GovernanceView } from '../governance/view.js'
import { MAX_LOG_RANGE, queryLogs, type LogReader } from '../rpc/logs.js'
import { RemoteRequestError } from '../network/errors.js'
import type { Address, Hex } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { PRIVATE_DATA_ANCHORS_ADDRESS } from './address.js'
import { AccessLog, verifyAccessLogExport, type AccessEvent, type AccessLogExport, type AnchoredHead, type Verification } from './access-log.js'
import { PrivacyChain, type CollectionInfo, type MemberNode, type PrivacyChainNode } from './anchors.js'
import { CollectionKeys, type CollectionKeyHost } from './collection-keys.js'
import { DeliverySchema, mayHold, recipients, verifyDelivery, type Withheld } from './delivery.js'
import { governanceArtifacts } from '../governance/artifacts.js'
import { bytes32ToPartyId } from '../governance/decisions.js'
import { chainLogHeadAnchor, LOG_HEAD_ABI, LogHeadAnchorer, type LogHeadAnchor } from './log-anchor.js'
import { seal, type EncryptionKeyPair } from './envelope.js'
import { basisFor, consentedSet, consentGrants, consentKey, consentRefusal, consentsOf, type ConsentInput, type ConsentState } from './consent.js'
import { ConsentMissingError, NotMemberError, PrivateDataError, PurposeNotAllowedError } from './errors.js'
import { ENCRYPTION_KEY_FILE, readEncryptionKeyFile } from './keys.js'
import { encodeRecord, recordAad, recordHash, toBytes32, type CollectionIds, type PrivateRecord, type RecordMeta } from './record.js'
import { appendReceipt, readReceipt, scanForErased, type ErasureScan } from './erasure-proof.js'
import { openPrivateStore, type ConfirmKind, type PrivateStore, type ToConfirm } from './store.js'

export const DELIVER_PROTOCOL = 'private/deliver'

export interface PrivacyOptions {
  /** How often records past retention are looked for, and pending deliveries retried (default 2 s). */
  sweepIntervalMs?: number
  /** How long a put waits for each member's acknowledgement (default 5 s). */
  ackTimeoutMs?: number
  /** Anchor the access log head on chain at least this often while it grows (default 60 s). */
  logAnchorIntervalMs?: number
  /** ... and as soon as this many entries were appended since the last anchor (default 100). */
  logAnchorEntries?: number
  /**
   * Where log heads are anchored. Default: PrivateDataAnchors' `anchorAccessLogHead` when the
   * genesis contract has it; `null` turns anchoring off (verification then has no on-chain head).
   */
  logHeadAnchor?: LogHeadAnchor | null
}

export interface PutInput {
  collection: string
  key: string
  subject: string
  purposes: string[]
  data: string
  /** At most the collection's retention (the default). */
  retentionSeconds?: number
}

export interface PutResult {
  collection: string
  key: string
  recordHash: Hex
  keyId: Hex
  expiresAt: number
  txHash: Hex
  /** Member nodes that acknowledged the record. */
  delivered: Address[]
  /** Member nodes not reachable now: the record is sent when they connect. */
  pending: Address[]
  /** Member nodes never sent the record: their party holds no grant for any of its purposes. */
  withheld: Withheld[]
}

export interface ReadResult {
  collection: string
  key: string
  subject: string
  purposes: string[]
  data: string
  expiresAt: number
  writer: Address
  writtenAt: number
  recordHash: Hex
}

const now = () => Math.floor(Date.now() / 1000)

/** The P2P host calls private data needs: the request protocols (deliveries, collection keys), and the peers (connected, newly connected) to retry what is pending for them. */
export interface PrivacyHost extends CollectionKeyHost {
  peers(): readonly { readonly address: Address }[]
  on(event: 'peer:connect', listener: (peer: Address) => void): unknown
  off(event: 'peer:connect', listener: (peer: Address) => void): unknown
}

/**
 * What private data reads from the node besides the chain side (anchors.ts): its data folder and
 * node key file, the block feed it reacts to, logs of the anchors contract, and the P2P host
 * (present once the node started).
 */
export interface PrivacyNode extends PrivacyChainNode, BlockFeed {
  readonly dataDir: string
  readonly config: PrivacyChainNode['config'] & { readonly nodeKeyFile: string }
  readonly store: PrivacyChainNode['store'] & LogReader
  readonly host: PrivacyHost | undefined
}

export class PrivacyService {
  private readonly chain: PrivacyChain
  /** The per-collection secrets that key on-chain ids (shared only with member nodes). */
  readonly collectionKeys: CollectionKeys
  private readonly eraseLock = new Mutex()
  /** Purges for a collection this party was voted out of, not yet confirmed on chain: collection → key ids. */
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly onBlock = (r: BlockRecord) => void this.handleBlock(r)
  private readonly onConnect = (peer: Address) => void this.retryPending(peer)
  private readonly logHeadAnchor: LogHeadAnchor | undefined
  private readonly anchorer: LogHeadAnchorer | undefined

  private constructor(
    private readonly node: PrivacyNode,
    nodeKey: Uint8Array,
    private readonly keys: EncryptionKeyPair,
    readonly store: PrivateStore,
    readonly log: AccessLog,
    private readonly logger: Logger,
    private readonly opts: Required<Omit<PrivacyOptions, 'logHeadAnchor'>> & Pick<PrivacyOptions, 'logHeadAnchor'>,
  ) {
    this.chain = new PrivacyChain(node, nodeKey)
    this.collectionKeys = new CollectionKeys(join(node.dataDir, 'private', 'collection-keys'), node.address.toLowerCase() as Address, keys, this.chain, () => node.host, { timeoutMs: opts.ackTimeoutMs, log: (msg, fields) => logger.info(fields, msg) })
    this.logHeadAnchor = opts.logHeadAnchor === null ? undefined : (opts.logHeadAnchor ?? this.chainLogHeadAnchor())
    this.anchorer = this.logHeadAnchor && new LogHeadAnchorer(log, this.logHeadAnchor, { intervalMs: opts.logAnchorIntervalMs, everyEntries: opts.logAnchorEntries }, logger)
  }

  /** The on-chain anchor of log heads, if this chain's PrivateDataAnchors has it (older genesis: none). */
  private chainLogHeadAnchor(): LogHeadAnchor | undefined {
    const abi = governanceArtifacts().PrivateDataAnchors.abi
    if (!abi.some((f) => f.type === 'function' && f.name === 'anchorAccessLogHead')) return undefined
    const chain = this.chain
    return chainLogHeadAnchor({
      send: (fn, args) => chain.send(fn, args, LOG_HEAD_ABI),
      read: (fn, args) => chain.readAnchors<readonly [Hex, bigint, bigint]>(LOG_HEAD_ABI, fn, args),
    })
  }

  /** Appends to the access log and lets the anchorer know (it anchors every N entries). */
  private async record(event: AccessEvent): Promise<void> {
    const entry = await this.log.append(event)
    this.anchorer?.appended(entry.seq + 1)
  }

  static async open(node: PrivacyNode, modules: { logger: Logger }, opts: PrivacyOptions = {}): Promise<PrivacyService> {
    const nodeKey = await readKeyFile(join(node.dataDir, node.config.nodeKeyFile))
    const keys = await readEncryptionKeyFile(join(node.dataDir, ENCRYPTION_KEY_FILE))
    const store = await openPrivateStore(join(node.dataDir, 'private'), nodeKey)
    const log = await AccessLog.open(join(node.dataDir, 'private', 'access-log'), nodeKey).catch(async (err: unknown) => {
      await store.close()
      throw err
    })
    if (log.movedAside) modules.logger.warn({ movedTo: log.movedAside }, 'the access log was of the unsigned format: moved aside (kept as evidence); a new, signed log begins')
    return new PrivacyService(node, nodeKey, keys, store, log, modules.logger, {
      sweepIntervalMs: opts.sweepIntervalMs ?? 2000,
      ackTimeoutMs: opts.ackTimeoutMs ?? 5000,
      logAnchorIntervalMs: opts.logAnchorIntervalMs ?? 60_000,
      logAnchorEntries: opts.logAnchorEntries ?? 100,
      ...(opts.logHeadAnchor !== undefined ? { logHeadAnchor: opts.logHeadAnchor } : {}),
    })
  }

  get encryptionPublicKey(): Hex {
    return bytesToHex(this.keys.publicKey) as Hex
  }

  /** Call after the node started: answers deliveries, follows the chain, retries and sweeps. */
  start(): void {
    this.node.host?.handle(DELIVER_PROTOCOL, (from, payload) => this.receive(from, payload))
    this.collectionKeys.start()
    this.node.host?.on('peer:connect', this.onConnect)
    this.node.on('block', this.onBlock)
    this.timer = setInterval(() => void this.sweep(), this.opts.sweepIntervalMs)
    this.timer.unref()
    this.anchorer?.start()
    // Erasures decided while this node was down (or between a crash and now) are carried out here.
    void this.eraseLock.run(async () => {
      await this.reconcile()
      await this.confirmPending()
      // Consent withdrawn while this node was down: drop what it held on it.
      await this.dropUnconsented(await this.store.list())
    }).catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'private data reconciliation failed'))
  }

  /** Erases (and confirms) every held record whose anchor another member already marked erased. */
  private async reconcile(): Promise<void> {
    const party = await this.chain.partyOf(this.node.address)
    if (!party) return
    const groups = new Map<string, { collection: string; request: number; held: RecordMeta[] }>()
    for (const m of await this.store.list()) {
      const anchor = await this.chain.anchor(m.collection, (await this.collectionKeys.ids(m.collection)).keyId(m.key))
      if (anchor.erasedAt === 0) continue
      const id = `${m.collection}/${anchor.erasureRequest}`
      const g = groups.get(id) ?? { collection: m.collection, request: anchor.erasureRequest, held: [] }
      g.held.push(m)
      groups.set(id, g)
    }
    for (const g of groups.values()) {
      const reason = g.request === 0 ? 'retention expired' : `erasure request ${g.request}`
      await this.eraseHeld(g.held, g.request, reason)
      for (const m of g.held) await this.record({ party, collection: m.collection, key: m.key, subject: m.subject, purpose: '', action: g.request === 0 ? 'purge' : 'erase', outcome: 'granted', reason })
      this.logger.info({ collection: g.collection, request: g.request, records: g.held.length }, 'carried out an erasure decided while this node was away')
    }
  }

  /**
   * Erases held records with a durable "to confirm" marker each, and adds their fingerprints to
   * the request's erasure receipt (`<data>/private/erasures/<request>.json`). The confirmation
   * itself is sent by `confirmPending`, now and again until it is on chain.
   */
  private async eraseHeld(held: RecordMeta[], request: number, reason: string, kind: ConfirmKind = 'deletion'): Promise<void> {
    const marked = []
    for (const m of held) marked.push({ ...m, confirm: { keyId: (await this.collectionKeys.ids(m.collection)).keyId(m.key), request, kind } })
    const proofs = await this.store.erase(
      marked,
      reason,
      now(),
    )
    if (proofs.length) await appendReceipt(this.privateDir, request, proofs.map((p) => ({ ...p, erasedAt: now(), reason })))
  }

  private get privateDir(): string {
    return join(this.node.dataDir, 'private')
  }

  /**
   * Sends the deletion and removal-purge confirmations still owed (one transaction per collection
   * and request, or per collection for removals, at most 100 records each), at start-up and on every
   * sweep; a failure (pool refusal, revert, timeout) keeps the markers and retries after a backoff
   * (2 s doubling, at most 5 min). A confirmation another attempt already put on chain is
   * recognised and dropped. The markers are in the store, so a restart does not lose them.
   */
  private async confirmPending(): Promise<void> {
    const due = (await this.store.toConfirm()).filter((t) => t.nextAttemptAt <= Date.now())
    const groups = new Map<string, ToConfirm[]>()
    for (const t of due) {
      const g = t.kind === 'removal' ? `${t.collection}/removal` : `${t.collection}/${t.request}`
      groups.set(g, [...(groups.get(g) ?? []), t])
    }
    for (const all of groups.values()) {
      for (let i = 0; i < all.length; i += 100) {
        if (this.stopped) return
        await this.confirmGroup(all.slice(i, i + 100))
      }
    }
  }

  private async confirmGroup(items: ToConfirm[]): Promise<void> {
    const first = items[0]!
    const removal = first.kind === 'removal'
    const what = removal ? 'removal purge' : 'deletion'
    const open: ToConfirm[] = []
    for (const t of items) {
      const confirmed = await (removal ? this.chain.removalPurgeConfirmations(t.collection, t.keyId) : this.chain.deletionConfirmations(t.collection, t.keyId)).catch(() => [] as Address[])
      if (confirmed.includes(this.node.address.toLowerCase() as Address)) await this.store.settleConfirm([t], { ok: true })
      else open.push(t)
    }
    if (open.length === 0) return
    try {
      const { blockNumber } = removal
        ? await this.chain.send('confirmRemovalPurge', [toBytes32(first.collection), open.map((t) => t.keyId)])
        : await this.chain.send('confirmDeletion', [toBytes32(first.collection), open.map((t) => t.keyId), BigInt(first.request)])
      await this.store.settleConfirm(open, { ok: true })
      this.logger.info({ collection: first.collection, ...(removal ? {} : { request: first.request }), records: open.length, block: blockNumber, attempts: first.attempts + 1 }, `${what} confirmed on chain`)
    } catch (err) {
      const delay = Math.min(2000 * 2 ** first.attempts, 300_000)
      await this.store.settleConfirm(open, { ok: false, error: errorMessage(err), nextAttemptAt: Date.now() + delay })
      this.logger.warn({ collection: first.collection, ...(removal ? {} : { request: first.request }), attempt: first.attempts + 1, retryInMs: delay, err: errorMessage(err) }, `${what} confirmation failed; will retry`)
    }
  }

  /**
   * Erasure status per member node: confirmed (at which block, if within the last MAX_LOG_RANGE
   * blocks) or pending since the erasure; and this node's own confirmations still owed for the
   * record (attempts, last error, next attempt).
   */
  async erasureStatus(collection: string, key: string) {
    const kid = (await this.collectionKeys.ids(collection)).keyId(key)
    const anchor = await this.chain.anchor(collection, kid)
    const c = await this.chain.collection(collection)
    const nodes = c ? await this.chain.memberNodes(c.members) : []
    const confirmed = new Set(await this.chain.deletionConfirmations(collection, kid))
    const atBlock = new Map<string, number>()
    if (confirmed.size > 0) {
      const head = this.node.store.head.header.number
      const topics = encodeEventTopics({ abi: this.chain.anchorsAbi, eventName: 'DeletionConfirmed', args: { collection: toBytes32(collection), keyId: kid } } as Parameters<typeof encodeEventTopics>[0])
      const from = head >= MAX_LOG_RANGE ? head - MAX_LOG_RANGE + 1n : 0n
      const logs = await queryLogs(this.node.store, { fromBlock: { kind: 'number', number: from }, toBlock: { kind: 'number', number: head }, address: [PRIVATE_DATA_ANCHORS_ADDRESS as Address], topics: topics.map((t) => (t === null ? null : [t as Hex])) })
      for (const l of logs) if (l.topics[3]) atBlock.set(`0x${l.topics[3].slice(26)}`.toLowerCase(), Number(l.blockNumber))
    }
    const owed = (await this.store.toConfirm()).filter((t) => t.collection === collection && t.keyId === kid)
    return {
      members: nodes.map((n) => {
        const done = confirmed.has(n.address)
        return { node: n.address, party: n.party, status: done ? 'confirmed' : anchor.erasedAt > 0 ? 'pending' : 'not requested', ...(done ? { confirmedAtBlock: atBlock.get(n.address) ?? null } : anchor.erasedAt > 0 ? { pendingSince: anchor.erasedAt } : {}) }
      }),
      thisNode: owed.map(({ kind, request, since, attempts, lastError, nextAttemptAt }) => ({ kind, request, since, attempts, nextAttemptAt, ...(lastError !== undefined ? { lastError } : {}) })),
    }
  }

  /** This node's deletion confirmations still owed: pending since, attempts, last error. */
  async pendingConfirmations(): Promise<ToConfirm[]> {
    return this.store.toConfirm()
  }

  /**
   * Scans this node's whole data folder for the bytes of the records erased by `request` (0:
   * retention purges): their fingerprints from the erasure receipt, and the given texts
   * (plaintext, subject, record key: never kept, so the operator supplies them).
   */
  async verifyErasure(request: number, texts: string[] = []): Promise<ErasureScan> {
    const receipt = await readReceipt(this.privateDir, request)
    if (!receipt) throw new PrivateDataError('RESOURCE_NOT_FOUND', `this node erased no record for erasure request ${request}`)
    return scanForErased(this.node.dataDir, receipt, texts)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.node.off('block', this.onBlock)
    this.node.host?.off('peer:connect', this.onConnect)
    this.node.host?.unhandle(DELIVER_PROTOCOL)
    this.collectionKeys.stop()
    await this.eraseLock.run(async () => undefined)
    this.anchorer?.stop()
    await this.store.close()
    await this.log.close()
  }

  collections(): Promise<CollectionInfo[]> {
    return this.chain.collections()
  }

  async collection(id: string): Promise<CollectionInfo> {
    const c = await this.chain.collection(id)
    if (!c) throw new PrivateDataError('RESOURCE_NOT_FOUND', `no private data collection "${id}" (collections are created by a SetCollection proposal)`)
    return c
  }

  private async myParty(): Promise<string> {
    const party = await this.chain.partyOf(this.node.address)
    if (!party) throw new PrivateDataError('PRIVATE_NOT_ACTIVE', `this node (${this.node.address}) is not an active node of an active party`)
    return party
  }

  private async membership(collectionId: string): Promise<{ c: CollectionInfo; party: string }> {
    const c = await this.collection(collectionId)
    const party = await this.myParty()
    if (!c.members.includes(party)) throw new NotMemberError(collectionId, party)
    return { c, party }
  }

  /** Writes a record: anchor on chain, store here, send to every other member node. */
  async put(input: PutInput, caller?: string): Promise<PutResult> {
    const { c } = await this.membership(input.collection)
    const purposes = [...new Set(input.purposes)]
    const known = new Set(c.grants.map((g) => g.purpose))
    const unknown = purposes.filter((p) => !known.has(p))
    if (unknown.length) throw new PurposeNotAllowedError(`purpose ${unknown.join(', ')} is not a purpose of collection "${c.id}" (it has: ${[...known].join(', ')})`)
    const retention = input.retentionSeconds ?? c.retentionSeconds
    if (retention < 1 || retention > c.retentionSeconds) throw new PrivateDataError('INVALID_INPUT', `retention must be 1 to ${c.retentionSeconds} seconds for collection "${c.id}"`)
    const writtenAt = now()
    // Retention counts from chain time: the contract checks the expiry against block timestamps.
    const expiresAt = Number(this.node.head.header.timestamp) + retention
    const record: PrivateRecord = {
      collection: c.id,
      key: input.key,
      subject: input.subject,
      purposes,
      expiresAt,
      data: input.data,
      writer: this.node.address,
      writtenAt,
      salt: bytesToHex(randomBytes(32)) as Hex,
    }
    const hash = recordHash(record)
    const ids = await this.collectionKeys.ids(c.id)
    const kid = ids.keyId(record.key)
    // Anchored first: a receiving member checks the record against the anchor before storing it.
    const { txHash } = await this.chain.send('anchor', [toBytes32(c.id), kid, hash, ids.subjectId(record.subject), ids.purposesHash(record.key, purposes), BigInt(record.expiresAt)])
    await this.store.put(record)
    await this.record({ party: await this.myParty(), collection: c.id, key: record.key, subject: record.subject, purpose: purposes.join(','), action: 'write', outcome: 'granted', reason: '', ...(caller !== undefined ? { caller } : {}) })
    const others = (await this.chain.memberNodes(c.members)).filter((n) => n.address !== this.node.address)
    const { send: members, withheld } = recipients(c, purposes, others, await this.consentedFor(c, ids.subjectId(record.subject)))
    if (withheld.length) this.logger.info({ collection: c.id, withheld: withheld.map((w) => w.node) }, 'private record withheld from members without a grant (or consent) for its purposes')
    const { delivered, pending } = await this.sendTo(members, record, hash)
    return { collection: c.id, key: record.key, recordHash: hash, keyId: kid, expiresAt: record.expiresAt, txHash: txHash as Hex, delivered, pending, withheld }
  }

  /** Seals a record for each node, keeps it pending, and delivers it now where the node is connected. */
  private async sendTo(nodes: readonly MemberNode[], record: PrivateRecord, hash: Hex): Promise<{ delivered: Address[]; pending: Address[] }> {
    const plaintext = encodeRecord(record)
    const aad = recordAad(record.collection, record.key, hash)
    const delivered: Address[] = []
    const pending: Address[] = []
    await Promise.all(
      nodes.map(async (m) => {
        try {
          const envelope = seal(hexToBytes(m.encryptionKey), plaintext, aad)
          await this.store.addPending({ node: m.address, collection: record.collection, key: record.key, envelope })
          if (await this.deliver(m.address, { collection: record.collection, key: record.key, envelope })) delivered.push(m.address)
          else pending.push(m.address)
        } catch (err) {
          this.logger.warn({ node: m.address, err: errorMessage(err) }, 'cannot seal a record for a member node')
          pending.push(m.address)
        }
      }),
    )
    return { delivered, pending }
  }

  /** The (party, purpose) pairs of consent-based grants the subject consents to now (no chain read without such grants). */
  private async consentedFor(c: CollectionInfo, subjectId: Hex): Promise<Set<string>> {
    if (consentGrants(c.grants).length === 0) return new Set()
    return consentedSet(await consentsOf(c.grants, subjectId, (sid, party, purpose) => this.chain.consent(c.id, sid, party, purpose)))
  }

  /** Sends one pending delivery; true once acknowledged (the pending copy is then dropped). */
  private async deliver(node: Address, d: { collection: string; key: string; envelope: unknown }): Promise<boolean> {
    const host = this.node.host
    if (!host?.isConnected(node)) return false
    try {
      const answer = JSON.parse(new TextDecoder().decode(await host.request(node, DELIVER_PROTOCOL, new TextEncoder().encode(JSON.stringify(d)), this.opts.ackTimeoutMs))) as { ok?: boolean }
      if (answer.ok !== true) return false
      await this.store.removePending(node, d.collection, d.key)
      return true
    } catch (err) {
      // Refused by rule (no longer a member, no grant or no consent for the record's purposes): never
      // retried; a consent given later sends it again (followConsent).
      if (err instanceof RemoteRequestError && (err.remoteCode === 'PRIVATE_NOT_MEMBER' || err.remoteCode === 'PRIVATE_PURPOSE_NOT_ALLOWED' || err.remoteCode === 'PRIVATE_CONSENT_MISSING')) {
        await this.store.removePending(node, d.collection, d.key)
        this.logger.info({ node, collection: d.collection, refused: err.remoteCode }, 'private record refused by the member node by rule; dropped')
        return false
      }
      this.logger.info({ node, collection: d.collection, err: errorMessage(err) }, 'private record not delivered yet; will retry')
      return false
    }
  }

  private async retryPending(peer: Address): Promise<void> {
    if (this.stopped) return
    for (const p of await this.store.pendingFor(peer)) {
      if (this.stopped) return
      if (await this.deliver(peer, p)) this.logger.info({ node: peer, collection: p.collection }, 'delivered a pending private record')
    }
  }

  /** The `private/deliver` handler: accept only a record that matches its anchor, from its writer, for a member. */
  private async receive(from: Address, payload: Uint8Array): Promise<Uint8Array> {
    const d = DeliverySchema.parse(JSON.parse(new TextDecoder().decode(payload)))
    const { c, party } = await this.membership(d.collection)
    if ((await this.store.tombstone(d.collection, d.key)) !== undefined) throw new PrivateDataError('PRIVATE_RECORD_ERASED', 'the record was erased here')
    const ids = await this.collectionKeys.ids(d.collection)
    const kid = ids.keyId(d.key)
    // The anchor is in a block the writer saw final; this node may be a block behind.
    let anchor = await this.chain.anchor(d.collection, kid)
    for (let i = 0; i < 50 && anchor.anchoredAt === 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      anchor = await this.chain.anchor(d.collection, kid)
    }
    if (anchor.writer !== from.toLowerCase()) throw new PrivateDataError('PRIVATE_HASH_MISMATCH', 'the sender is not the writer of the anchored record')
    let record: PrivateRecord
    try {
      record = verifyDelivery(this.keys.secretKey, d, anchor, ids)
      // The chain sees only a keyed commitment to the purposes, so the collection's purposes are checked here.
      const known = new Set(c.grants.map((g) => g.purpose))
      const unknown = record.purposes.filter((p) => !known.has(p))
      if (unknown.length) throw new PurposeNotAllowedError(`record ${d.collection}/${d.key} names purpose ${unknown.join(', ')}, not a purpose of the collection`)
    } catch (err) {
      this.logger.warn({ from, collection: d.collection, err: errorMessage(err) }, 'rejected a private record')
      throw err
    }
    // Checked on the verified record: a writer cannot make this node hold what its party may not use.
    // A party holding it only on consent needs the subject's consent, read at this node's head (which
    // may be a block behind the writer's, that saw the consent: a short wait covers that).
    const sid = ids.subjectId(record.subject)
    let consented = await this.consentedFor(c, sid)
    const onConsent = mayHold(c, party, record.purposes, new Set(c.grants.map((g) => consentKey(g.party, g.purpose))))
    for (let i = 0; i < 30 && onConsent && !mayHold(c, party, record.purposes, consented); i++) {
      await new Promise((r) => setTimeout(r, 100))
      consented = await this.consentedFor(c, sid)
    }
    if (onConsent && !mayHold(c, party, record.purposes, consented)) {
      this.logger.warn({ from, collection: d.collection, purposes: record.purposes }, 'refused a private record this party may hold only with the subject\'s consent, which it has not')
      throw new ConsentMissingError(`party "${party}" may hold record ${d.collection}/${d.key} only with the data subject's consent for ${record.purposes.join(', ')}, which is not given: not stored`)
    }
    if (!mayHold(c, party, record.purposes, consented)) {
      this.logger.warn({ from, collection: d.collection, purposes: record.purposes }, 'refused a private record collected for no purpose granted to this party')
      throw new PurposeNotAllowedError(`party "${party}" holds no grant for any purpose of this record (${record.purposes.join(', ')}) in collection "${c.id}": not stored`)
    }
    await this.store.put(record)
    this.logger.info({ from, collection: d.collection, party }, 'stored a private record')
    return new TextEncoder().encode(JSON.stringify({ ok: true, recordHash: anchor.recordHash }))
  }

  /**
   * Reads a record for a declared purpose; every read and refusal is logged, with the API caller.
   * A refusal is logged under the record's subject when this node holds it, else under the subject
   * the caller named (a non-member holds nothing): so the data subject's export shows it.
   */
  async get(collectionId: string, key: string, purpose: string, caller?: string, namedSubject?: string): Promise<ReadResult> {
    const by = caller !== undefined ? { caller } : {}
    const meta = await this.store.meta(collectionId, key).catch(() => undefined)
    const subject = meta?.subject ?? namedSubject ?? ''
    const party = (await this.chain.partyOf(this.node.address)) ?? ''
    const refuse = async (err: Error): Promise<never> => {
      await this.record({ party, collection: collectionId, key, subject, purpose, action: 'read', outcome: 'refused', reason: errorMessage(err), ...by })
      throw err
    }
    if (meta && namedSubject !== undefined && namedSubject !== meta.subject) return refuse(new PrivateDataError('INVALID_INPUT', `record "${key}" is not about the subject named`))
    const c = await this.collection(collectionId)
    if (!c.members.includes(party)) return refuse(new NotMemberError(collectionId, party || this.node.address))
    const basis = basisFor(c.grants, party, purpose)
    if (basis.kind === 'none') {
      const mine = c.grants.filter((g) => g.party === party).map((g) => g.purpose)
      return refuse(new PurposeNotAllowedError(`purpose "${purpose}" is not allowed for party "${party}" in collection "${collectionId}" (allowed: ${mine.join(', ') || 'none'})`))
    }
    // A grant resting on consent needs the subject's consent on chain now. Without a subject (a
    // record not held, none named) the read is refused below: there is nothing to read.
    let legalBasis = basis.kind === 'other' ? basis.basis : 'consent'
    if (basis.kind === 'consent' && subject !== '') {
      const consent = await this.chain.consent(c.id, (await this.collectionKeys.ids(c.id)).subjectId(subject), party, purpose)
      if (!consent.granted) return refuse(new ConsentMissingError(consentRefusal(consent, 'the data subject', party, purpose, c.id)))
      legalBasis = `consent (given at ${new Date(consent.changedAt * 1000).toISOString()})`
    }
    const record = await this.store.get(collectionId, key)
    if (!record) {
      const erased = await this.store.tombstone(collectionId, key)
      return refuse(new PrivateDataError('RESOURCE_NOT_FOUND', erased ? `record "${key}" was erased (${erased.reason})` : `this node holds no record "${key}" in collection "${collectionId}"`))
    }
    if (!record.purposes.includes(purpose)) return refuse(new PurposeNotAllowedError(`record "${key}" was not collected for purpose "${purpose}" (its purposes: ${record.purposes.join(', ')})`))
    if (record.expiresAt <= now()) return refuse(new PrivateDataError('RESOURCE_NOT_FOUND', `record "${key}" is past its retention and is being purged`))
    await this.record({ party, collection: collectionId, key, subject: record.subject, purpose, action: 'read', outcome: 'granted', reason: `legal basis: ${legalBasis}`, ...by })
    return { collection: record.collection, key: record.key, subject: record.subject, purposes: record.purposes, data: record.data, expiresAt: record.expiresAt, writer: record.writer, writtenAt: record.writtenAt, recordHash: recordHash(record) }
  }

  /** Records held here (no data, no subject). */
  async list(collectionId: string): Promise<Omit<RecordMeta, 'subject'>[]> {
    await this.membership(collectionId)
    return (await this.store.list(collectionId)).map(({ subject: _s, ...rest }) => rest)
  }

  /**
   * Records a data subject's consent, or its withdrawal, for a member party and a purpose the
   * collection grants it on the basis "consent" (controller party only), once final on chain.
   */
  async setConsent(input: ConsentInput, caller?: string): Promise<{ txHash: Hex; blockNumber: number }> {
    const { c, party } = await this.membership(input.collection)
    if (party !== c.controller) throw new PrivateDataError('PRIVATE_NOT_CONTROLLER', `only the controlling party "${c.controller}" may record consent in collection "${c.id}"`)
    if (!c.members.includes(input.party)) throw new NotMemberError(c.id, input.party)
    const onConsent = consentGrants(c.grants)
    if (!onConsent.some((g) => g.party === input.party && g.purpose === input.purpose)) {
      const mine = onConsent.filter((g) => g.party === input.party).map((g) => g.purpose)
      throw new PrivateDataError('PRIVATE_NO_CONSENT_GRANT', `collection "${c.id}" holds no grant with basis "consent" for party "${input.party}" and purpose "${input.purpose}" (its consent-based purposes: ${mine.join(', ') || 'none'})`)
    }
    const ids = await this.collectionKeys.ids(c.id)
    const { txHash, blockNumber } = await this.chain.send('setConsent', [toBytes32(c.id), ids.subjectId(input.subject), toBytes32(input.party), toBytes32(input.purpose), input.granted])
    this.logger.info({ collection: c.id, party: input.party, purpose: input.purpose, granted: input.granted, block: blockNumber }, 'recorded a consent change on chain')
    // In the subject's access log: the export shows when consent was given and withdrawn, beside the reads it allowed.
    const reason = `consent ${input.granted ? 'given' : 'withdrawn'} for party "${input.party}" (block ${blockNumber})`
    await this.record({ party, collection: c.id, key: '', subject: input.subject, purpose: input.purpose, action: 'consent', outcome: 'granted', reason, ...(caller !== undefined ? { caller } : {}) })
    return { txHash: txHash as Hex, blockNumber }
  }

  /** The subject's consent for every consent-based grant of the collection (member nodes: the subject id is keyed). */
  async getConsents(collectionId: string, subject: string): Promise<ConsentState[]> {
    const { c } = await this.membership(collectionId)
    const ids = await this.collectionKeys.ids(c.id)
    return consentsOf(c.grants, ids.subjectId(subject), (sid, party, purpose) => this.chain.consent(c.id, sid, party, purpose))
  }

  /** Asks every member to erase a record or all records of a subject (controller party only). */
  async requestErasure(collectionId: string, target: { key?: string; subject?: string }): Promise<{ requestId: number; txHash: Hex }> {
    const { c, party } = await this.membership(collectionId)
    if (party !== c.controller) throw new PrivateDataError('PRIVATE_NOT_CONTROLLER', `only the controlling party "${c.controller}" may request erasure in collection "${c.id}"`)
    if ((target.key === undefined) === (target.subject === undefined)) throw new PrivateDataError('INVALID_INPUT', 'name either a key or a subject to erase')
    const zero = `0x${'00'.repeat(32)}`
    const ids = await this.collectionKeys.ids(c.id)
    const { txHash, logs } = await this.chain.send('requestErasure', [
      toBytes32(c.id),
      target.key !== undefined ? ids.keyId(target.key) : zero,
      target.subject !== undefined ? ids.subjectId(target.subject) : zero,
    ])
    const ev = logs.map((l) => this.decode(l)).find((e) => e?.eventName === 'ErasureRequested')
    return { requestId: Number((ev?.args as { id?: bigint } | undefined)?.id ?? 0n), txHash: txHash as Hex }
  }

  async accessLog(subject: string): Promise<AccessLogExport> {
    const anchored = await this.logHeadAnchor?.latest(this.node.address)
    return this.log.exportSubject(subject, anchored?.count ?? 0)
  }

  /**
   * Verifies an exported subject log, or (without one) this node's whole log, against the head its
   * node last anchored on chain. A chain that cannot be read is a failed verification, not a pass.
   */
  async verifyAccessLog(exported?: unknown): Promise<Verification> {
    const node = exported === undefined ? this.node.address : (exported as { node?: unknown } | null)?.node
    let anchored: AnchoredHead | undefined
    if (this.logHeadAnchor && typeof node === 'string' && /^0x[0-9a-fA-F]{40}$/.test(node)) {
      try {
        anchored = await this.logHeadAnchor.latest(node as Address)
      } catch (err) {
        return { valid: false, errors: [`cannot read the access log head anchored on chain: ${errorMessage(err)}`] }
      }
    }
    return exported === undefined ? this.log.verify(anchored) : verifyAccessLogExport(exported, undefined, anchored)
  }

  /** Needs the collection secret: only a member node can find a record's anchor by its key. */
  async deletionConfirmations(collection: string, key: string): Promise<Address[]> {
    return this.chain.deletionConfirmations(collection, (await this.collectionKeys.ids(collection)).keyId(key))
  }

  /** Nodes of parties voted out of the collection that confirmed purging the record. */
  async removalPurgeConfirmations(collection: string, key: string): Promise<Address[]> {
    return this.chain.removalPurgeConfirmations(collection, (await this.collectionKeys.ids(collection)).keyId(key))
  }

  async anchorOf(collection: string, key: string) {
    return this.chain.anchor(collection, (await this.collectionKeys.ids(collection)).keyId(key))
  }

  private decode(l: { topics: Hex[]; data: Hex }) {
    try {
      return decodeEventLog({ abi: this.chain.anchorsAbi, topics: l.topics as [Hex, ...Hex[]], data: l.data })
    } catch {
      return undefined
    }
  }

  private async handleBlock(r: BlockRecord): Promise<void> {
    for (const receipt of r.receipts) {
      for (const log of receipt.logs) {
        if (bytesToHex(log[0]).toLowerCase() !== PRIVATE_DATA_ANCHORS_ADDRESS) continue
        const ev = this.decode({ topics: log[1].map((t) => bytesToHex(t) as Hex), data: bytesToHex(log[2]) as Hex })
        if (ev?.eventName === 'ConsentSet') {
          const a = ev.args as unknown as { collection: Hex; subjectId: Hex; party: Hex; purpose: Hex; granted: boolean }
          void this.followConsent(a.collection, a.subjectId, bytes32ToPartyId(a.party), a.granted).catch((err: unknown) =>
            this.logger.error({ err: errorMessage(err) }, 'consent change not followed through'),
          )
          continue
        }
        if (ev?.eventName !== 'ErasureRequested') continue
        const args = ev.args as unknown as { id: bigint; collection: Hex; keyId: Hex; subjectId: Hex }
        void this.eraseLock
          .run(() => this.eraseForRequest(Number(args.id), args.collection, args.keyId, args.subjectId))
          .catch((err: unknown) => this.logger.error({ request: Number(args.id), err: errorMessage(err) }, 'erasure request not carried out'))
      }
    }
  }

  /** The collection an event names (as bytes32) when this node's party is a member, with its keyed ids; else undefined. */
  private async eventCollection(collection32: Hex): Promise<{ collection: CollectionInfo; party: string; ids: CollectionIds } | undefined> {
    const collection = (await this.collections()).find((c) => toBytes32(c.id) === collection32)
    if (!collection) return undefined
    const party = await this.chain.partyOf(this.node.address)
    if (!party || !collection.members.includes(party)) return undefined
    return { collection, party, ids: await this.collectionKeys.ids(collection.id) }
  }

  private async eraseForRequest(requestId: number, collection32: Hex, kid: Hex, sid: Hex): Promise<void> {
    const found = await this.eventCollection(collection32)
    if (!found) return
    const { collection, party, ids } = found
    const held = (await this.store.list(collection.id)).filter((m) => (kid !== `0x${'00'.repeat(32)}` ? ids.keyId(m.key) === kid : ids.subjectId(m.subject) === sid))
    await this.eraseHeld(held, requestId, `erasure request ${requestId}`)
    for (const m of held) await this.record({ party, collection: collection.id, key: m.key, subject: m.subject, purpose: '', action: 'erase', outcome: 'granted', reason: `erasure request ${requestId}` })
    // A record this node never held is confirmed too (it holds nothing of it): same durable marker.
    if (held.length === 0 && kid !== `0x${'00'.repeat(32)}`) await this.store.markToConfirm([{ collection: collection.id, keyId: kid, request: requestId, since: now() }])
    this.logger.info({ request: requestId, collection: collection.id, records: held.length }, 'erased private records; confirming on chain')
    await this.confirmPending()
  }

  /**
   * Follow-through of a ConsentSet event. Withdrawn, on a node of that party: the copies of the
   * subject's records it held only on that consent are dropped. Given, on the node that wrote
   * records of the subject: they are sealed and sent to that party's nodes that may now hold them.
   */
  private async followConsent(collection32: Hex, subjectId: Hex, consentParty: string, granted: boolean): Promise<void> {
    const found = await this.eventCollection(collection32)
    if (!found) return
    const { collection: c, party, ids } = found
    const heldNow = async (): Promise<RecordMeta[]> => (await this.store.list(c.id)).filter((m) => ids.subjectId(m.subject) === subjectId)
    if (!granted) {
      // Listed under the lock: the start-up check may have dropped the same records meanwhile (one purge, one entry in the log).
      if (consentParty === party) await this.eraseLock.run(async () => this.dropUnconsented(await heldNow()))
      return
    }
    const held = await heldNow()
    if (held.length === 0) return
    const me = this.node.address.toLowerCase()
    const written = held.filter((m) => m.writer.toLowerCase() === me)
    if (written.length === 0) return
    const consented = await this.consentedFor(c, subjectId)
    const nodes = (await this.chain.memberNodes([consentParty])).filter((n) => n.address !== me)
    for (const m of written) {
      if (!mayHold(c, consentParty, m.purposes, consented)) continue
      const record = await this.store.get(c.id, m.key)
      if (!record) continue
      const { delivered, pending } = await this.sendTo(nodes, record, m.recordHash)
      this.logger.info({ collection: c.id, party: consentParty, delivered, pending }, 'consent given: sent a private record to the nodes that may now hold it')
    }
  }

  /**
   * Drops (as an erasure does, without tombstone or confirmation: the record is not erased and may
   * come back with consent) the held records this node's party may hold only on a subject's consent
   * that is not given now. The writer keeps its own copy (it sends the record again on consent).
   */
  private async dropUnconsented(held: readonly RecordMeta[]): Promise<void> {
    const party = await this.chain.partyOf(this.node.address)
    if (!party) return
    const me = this.node.address.toLowerCase()
    const byCollection = new Map((await this.chain.collections()).map((c) => [c.id, c]))
    const drop: RecordMeta[] = []
    // The subject's consent is read from the chain once per (collection, subject), not per record.
    const consented = new Map<string, Promise<Set<string>>>()
    for (const m of held) {
      const c = byCollection.get(m.collection)
      if (!c || m.writer.toLowerCase() === me || consentGrants(c.grants).length === 0) continue
      const allConsent = new Set(c.grants.map((g) => consentKey(g.party, g.purpose)))
      if (!mayHold(c, party, m.purposes, allConsent)) continue
      const key = `${c.id}\n${m.subject}`
      let subjectConsent = consented.get(key)
      if (subjectConsent === undefined) {
        subjectConsent = this.collectionKeys.ids(c.id).then((ids) => this.consentedFor(c, ids.subjectId(m.subject)))
        consented.set(key, subjectConsent)
      }
      if (!mayHold(c, party, m.purposes, await subjectConsent)) drop.push(m)
    }
    if (drop.length === 0) return
    await this.store.erase(drop, 'consent withdrawn', now(), { tombstone: false })
    for (const m of drop) {
      await this.record({ party, collection: m.collection, key: m.key, subject: m.subject, purpose: '', action: 'purge', outcome: 'granted', reason: `consent withdrawn: party "${party}" may hold this record only with the data subject's consent for ${m.purposes.join(', ')}` })
    }
    this.logger.info({ records: drop.length }, 'dropped private records held only on a consent that was withdrawn')
  }

  /**
   * Follow-through of a SetCollection vote that removed this node's party from a collection: what
   * it holds of that collection is erased as an erasure is (ciphertext, data key, pending
   * deliveries; a tombstone stays; fingerprints go to the receipt of request 0), logged, and
   * confirmed on chain (`confirmRemovalPurge`) by `confirmPending` from durable markers of kind
   * removal. A suspended party (no active node) keeps its records: suspension is not removal.
   */
  private async purgeRemovedCollections(): Promise<void> {
    const held = await this.store.list()
    if (held.length === 0) return
    const party = await this.chain.partyOf(this.node.address)
    if (!party) return
    const collections = new Map((await this.chain.collections()).map((c) => [c.id, c]))
    const removed = new Map<string, RecordMeta[]>()
    for (const m of held) {
      const c = collections.get(m.collection)
      if (!c || c.members.includes(party)) continue
      removed.set(c.id, [...(removed.get(c.id) ?? []), m])
    }
    for (const [collection, records] of removed) {
      const reason = `party "${party}" was removed from collection "${collection}"`
      await this.eraseHeld(records, 0, reason, 'removal')
      for (const m of records) await this.record({ party, collection, key: m.key, subject: m.subject, purpose: '', action: 'purge', outcome: 'granted', reason })
      this.logger.info({ collection, records: records.length }, 'purged the records of a collection this party was removed from')
    }
    await this.confirmPending()
  }

  /** Purges records past retention (and confirms), and retries deliveries to connected nodes. */
  private async sweep(): Promise<void> {
    if (this.stopped) return
    try {
      await this.eraseLock.run(async () => {
        const chainTime = Number(this.node.head.header.timestamp)
        const expired = (await this.store.list()).filter((m) => m.expiresAt <= chainTime)
        if (expired.length > 0) {
          const party = (await this.chain.partyOf(this.node.address)) ?? ''
          await this.eraseHeld(expired, 0, 'retention expired')
          for (const m of expired) await this.record({ party, collection: m.collection, key: m.key, subject: m.subject, purpose: '', action: 'purge', outcome: 'granted', reason: 'retention expired' })
          this.logger.info({ records: expired.length }, 'purged private records past retention')
        }
        await this.confirmPending()
      })
      await this.eraseLock.run(() => this.purgeRemovedCollections())
      for (const p of this.node.host?.peers() ?? []) await this.retryPending(p.address)
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'private data sweep failed; will retry')
    }
  }
}

/**
 * Opens private data for a governed node, or returns undefined (with a warning) when the node has
 * no encryption key: such a node cannot hold private data but still runs.
 */
export async function openPrivacy(node: PrivacyNode & { readonly governance: GovernanceView | undefined }, logger: Logger, opts: PrivacyOptions = {}): Promise<PrivacyService | undefined> {
  if (!node.governance) return undefined
  try {
    await readEncryptionKeyFile(join(node.dataDir, ENCRYPTION_KEY_FILE))
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'private data is off: this node has no encryption key')
    return undefined
  }
  return PrivacyService.open(node, { logger }, opts)
}
