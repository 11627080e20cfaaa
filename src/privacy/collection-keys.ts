/**
 * The per-collection secret that keys the on-chain ids of a collection's records (record.ts
 * `collectionIds`): who makes it, how member nodes get it, where it is kept. It must never reach a
 * node outside the collection: with it, anyone can test a guessed subject (a BSN) against anchors.
 *
 * - Made once, by the collection's **keeper**: the active node of the controlling party with the
 *   lowest address (every node computes the same one from governance). Only the keeper generates;
 *   everyone else asks, so two members never mint two secrets for one collection.
 * - Handed out over P2P (`private/collection-key`, request/response) by any node that holds it, to
 *   an active node of a member party only, sealed to that node's governance-registered X25519 key
 *   (the same envelope as records; the associated data binds collection and recipient).
 * - Kept in `<data>/private/collection-keys/<collection>.key` (0600, folder 0700), sealed to this
 *   node's own encryption key: the file alone reveals nothing without `encryption.key`.
 *
 * It does not rotate the secret (a member removed later keeps the old one; see docs/privacy.md).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hexToBytes } from '@ethereumjs/util'
import { randomBytes } from '@noble/ciphers/utils.js'
import { z } from 'zod'
import type { RequestHandler } from '../network/host.js'
import type { Address } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { hexString } from '../validation.js'
import type { CollectionInfo, MemberNode } from './anchors.js'
import { open, seal, type EncryptionKeyPair, type Envelope } from './envelope.js'
import { NotMemberError, PrivateDataError } from './errors.js'
import { collectionIds, shortId, type CollectionIds } from './record.js'

export const COLLECTION_KEY_PROTOCOL = 'private/collection-key'

/** The governance reads the exchange needs (PrivacyChain provides them). */
export interface CollectionKeyChain {
  collection(id: string): Promise<CollectionInfo | undefined>
  partyOf(node: Address): Promise<string | undefined>
  memberNodes(parties: readonly string[]): Promise<MemberNode[]>
}

/** The P2P host calls the exchange needs. */
export interface CollectionKeyHost {
  handle(protocol: string, handler: RequestHandler): void
  unhandle(protocol: string): void
  isConnected(peer: Address): boolean
  request(peer: Address, protocol: string, payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array>
}

const EnvelopeSchema = z.object({ v: z.literal(1), epk: hexString, nonce: hexString, ct: hexString }).strict()
const RequestSchema = z.object({ collection: shortId }).strict()

function aad(collection: string, recipient: Address): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['quorate/private-data/collection-key/v1', collection, recipient.toLowerCase()]))
}

export class CollectionKeys {
  private readonly cache = new Map<string, Uint8Array>()
  private readonly lock = new Mutex()

  constructor(
    private readonly dir: string,
    private readonly self: Address,
    private readonly keys: EncryptionKeyPair,
    private readonly chain: CollectionKeyChain,
    /** A getter: the node's host exists only once the node started. */
    private readonly host: () => CollectionKeyHost | undefined,
    private readonly opts: { timeoutMs: number; log?: (msg: string, fields: Record<string, unknown>) => void } = { timeoutMs: 5000 },
  ) {}

  start(): void {
    this.host()?.handle(COLLECTION_KEY_PROTOCOL, (from, payload) => this.answer(from, payload))
  }

  stop(): void {
    this.host()?.unhandle(COLLECTION_KEY_PROTOCOL)
  }

  /** The keyed on-chain ids of a collection; this node must be a member (else NotMemberError). */
  async ids(collection: string): Promise<CollectionIds> {
    return collectionIds(collection, await this.secret(collection))
  }

  /** The collection secret: held here, made here (keeper), or fetched from a member node that holds it. */
  async secret(collection: string): Promise<Uint8Array> {
    const held = this.cache.get(collection) ?? (await this.load(collection))
    if (held) return held
    const c = await this.memberCollection(collection)
    return this.lock.run(async () => {
      const again = this.cache.get(collection) ?? (await this.load(collection))
      if (again) return again
      const nodes = await this.chain.memberNodes(c.members)
      const keeper = keeperOf(c, nodes)
      if (keeper === this.self) {
        const fresh = randomBytes(32)
        await this.save(collection, fresh)
        return fresh
      }
      // Ask the keeper first, then any other connected member node that may hold it.
      const order = [...(keeper ? [keeper] : []), ...nodes.map((n) => n.address).filter((a) => a !== keeper && a !== this.self)]
      const errors: string[] = []
      const host = this.host()
      for (const peer of order) {
        if (!host?.isConnected(peer)) continue
        try {
          const answer = await host.request(peer, COLLECTION_KEY_PROTOCOL, new TextEncoder().encode(JSON.stringify({ collection })), this.opts.timeoutMs)
          const envelope = EnvelopeSchema.parse(JSON.parse(new TextDecoder().decode(answer))) as Envelope
          const secret = open(this.keys.secretKey, envelope, aad(collection, this.self))
          if (secret.length !== 32) throw new Error('not a 32-byte secret')
          await this.save(collection, secret)
          return secret
        } catch (err) {
          errors.push(`${peer}: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
      this.opts.log?.('collection secret not available yet', { collection, keeper, asked: errors })
      throw new PrivateDataError('PRIVATE_COLLECTION_KEY_UNAVAILABLE', `this node does not hold the secret of collection "${collection}" and no member node that holds it is connected`, {
        details: `the keeper is ${keeper ?? '(no active node of the controlling party)'}${errors.length ? `; asked: ${errors.join('; ')}` : ''}`,
      })
    })
  }

  /** The `private/collection-key` handler: only to an active node of a member party, sealed to its registered key. */
  private async answer(from: Address, payload: Uint8Array): Promise<Uint8Array> {
    const { collection } = RequestSchema.parse(JSON.parse(new TextDecoder().decode(payload)))
    const c = await this.chain.collection(collection)
    if (!c) throw new PrivateDataError('RESOURCE_NOT_FOUND', `no private data collection "${collection}"`)
    const requester = (await this.chain.memberNodes(c.members)).find((n) => n.address === from.toLowerCase())
    if (!requester) throw new NotMemberError(collection, (await this.chain.partyOf(from)) ?? from)
    let secret = this.cache.get(collection) ?? (await this.load(collection))
    // The keeper makes the secret on the first ask; other nodes only pass on what they hold.
    if (!secret && keeperOf(c, await this.chain.memberNodes(c.members)) === this.self) secret = await this.secret(collection)
    if (!secret) throw new PrivateDataError('PRIVATE_COLLECTION_KEY_UNAVAILABLE', `this node does not hold the secret of collection "${collection}"`)
    return new TextEncoder().encode(JSON.stringify(seal(hexToBytes(requester.encryptionKey), secret, aad(collection, requester.address))))
  }

  private async memberCollection(collection: string): Promise<CollectionInfo> {
    const c = await this.chain.collection(collection)
    if (!c) throw new PrivateDataError('RESOURCE_NOT_FOUND', `no private data collection "${collection}" (collections are created by a SetCollection proposal)`)
    const party = await this.chain.partyOf(this.self)
    if (!party || !c.members.includes(party)) throw new NotMemberError(collection, party ?? this.self)
    return c
  }

  private file(collection: string): string {
    return join(this.dir, `${shortId.parse(collection)}.key`)
  }

  private async load(collection: string): Promise<Uint8Array | undefined> {
    let text: string
    try {
      text = await readFile(this.file(collection), 'utf8')
    } catch {
      return undefined
    }
    const secret = open(this.keys.secretKey, EnvelopeSchema.parse(JSON.parse(text)) as Envelope, aad(collection, this.self))
    this.cache.set(collection, secret)
    return secret
  }

  private async save(collection: string, secret: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const file = this.file(collection)
    await writeFile(`${file}.tmp`, JSON.stringify(seal(this.keys.publicKey, secret, aad(collection, this.self))), { mode: 0o600 })
    await rename(`${file}.tmp`, file)
    this.cache.set(collection, secret)
  }
}

/** The node that makes a collection's secret: the controlling party's active node with the lowest address. */
export function keeperOf(c: CollectionInfo, nodes: readonly MemberNode[]): Address | undefined {
  return nodes
    .filter((n) => n.party === c.controller)
    .map((n) => n.address.toLowerCase() as Address)
    .sort()[0]
}
