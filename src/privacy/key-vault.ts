/**
 * KeyVault: the data keys of private records, sealed off the record store. Each record's random
 * data key is wrapped (ChaCha20-Poly1305 from @noble/ciphers) under a key-encryption key and kept
 * in a file of its own under `<data>/private/keys` (folder 0700, files 0600), named by a hash of
 * the record's collection and key (never the key itself). Destroying a data key overwrites its
 * file with zeros, syncs it and unlinks it: the record's ciphertext, wherever a copy survives, can
 * no longer be opened (crypto-shredding).
 *
 * The key-encryption key comes from a KeyWrapper. The default one derives it with HKDF-SHA256
 * from the node key, or with scrypt from an operator passphrase (QUORATE_PRIVATE_PASSPHRASE) and a
 * random salt kept beside the keys. A KMS or PKCS#11 token plugs in as another KeyWrapper (wrap
 * and unwrap are async so a remote call fits): the KEK then never enters this process.
 * This module does not know records or LevelDB; it stores opaque 32-byte keys under an id.
 */
import { mkdir, open as openFile, readFile, rename, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { openAtRest, sealAtRest } from './envelope.js'
import { randomBytes } from '@noble/ciphers/utils.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { scrypt } from '@noble/hashes/scrypt.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'

/** Wraps and unwraps data keys. Implement it for a KMS or a PKCS#11 token (e.g. CKM_AES_KEY_WRAP_KWP). */
export interface KeyWrapper {
  /** A short name for logs and docs: `node-key`, `passphrase`, `kms:<key arn>`. */
  readonly name: string
  wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<Uint8Array>
  /** Throws if the wrapped key was altered or was wrapped under another KEK. */
  unwrap(wrapped: Uint8Array, aad: Uint8Array): Promise<Uint8Array>
}

export const PASSPHRASE_ENV = 'QUORATE_PRIVATE_PASSPHRASE'
const KEK_INFO = new TextEncoder().encode('quorate/private-data/kek/v1')
const SALT_FILE = 'kek.salt'

/** A wrapper holding its KEK in memory: the data key sealed as records are at rest (nonce || ChaCha20-Poly1305). */
export function localKeyWrapper(kek: Uint8Array, name: string): KeyWrapper {
  if (kek.length !== 32) throw new QuorateError('INVALID_INPUT', 'a key-encryption key must be 32 bytes')
  return {
    name,
    wrap: async (dataKey, aad) => sealAtRest(kek, dataKey, aad),
    unwrap: async (wrapped, aad) => {
      try {
        return openAtRest(kek, wrapped, aad)
      } catch {
        throw new QuorateError('PRIVATE_KEY_UNWRAP_FAILED', 'a data key does not unwrap: the key file was altered, or the key-encryption key changed', {
          details: `was the node key or ${PASSPHRASE_ENV} changed since the records were stored?`,
        })
      }
    },
  }
}

/**
 * The default KEK: scrypt(passphrase, salt) when `passphrase` is set (the salt is created once in
 * the vault folder), else HKDF-SHA256(node key). A passphrase keeps the data keys safe from someone
 * who copies the data folder with its node key file.
 */
export async function defaultKeyWrapper(dir: string, nodeKey: Uint8Array, passphrase: string | undefined): Promise<KeyWrapper> {
  if (passphrase === undefined || passphrase === '') return localKeyWrapper(hkdf(sha256, nodeKey, undefined, KEK_INFO, 32), 'node-key')
  await ensureDir(dir)
  const saltFile = join(dir, SALT_FILE)
  let salt: Uint8Array
  try {
    salt = new Uint8Array(await readFile(saltFile))
  } catch {
    salt = randomBytes(16)
    await writeFile(saltFile, salt, { mode: 0o600, flag: 'wx' })
  }
  return localKeyWrapper(scrypt(new TextEncoder().encode(passphrase), salt, { N: 2 ** 15, r: 8, p: 1, dkLen: 32 }), 'passphrase')
}

async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
}

/** Overwrites a file with zeros, syncs and unlinks it, so its bytes are in no file any more. */
export async function shredFile(file: string): Promise<void> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return
  }
  const fh = await openFile(file, 'r+')
  try {
    await fh.write(new Uint8Array(size), 0, size, 0)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rm(file, { force: true })
}

export class KeyVault {
  private constructor(
    readonly dir: string,
    private readonly wrapper: KeyWrapper,
  ) {}

  static async open(dir: string, wrapper: KeyWrapper): Promise<KeyVault> {
    await ensureDir(dir)
    return new KeyVault(dir, wrapper)
  }

  get wrapperName(): string {
    return this.wrapper.name
  }

  private file(id: string): string {
    return join(this.dir, `${bytesToHex(sha256(new TextEncoder().encode(id))).slice(2)}.key`)
  }

  private aad(id: string): Uint8Array {
    return new TextEncoder().encode(`quorate/private-data/data-key/v1/${id}`)
  }

  /** Stores a data key under `id` (replacing an older one); returns the wrapped bytes as written. */
  async put(id: string, dataKey: Uint8Array): Promise<Uint8Array> {
    const wrapped = await this.wrapper.wrap(dataKey, this.aad(id))
    const file = this.file(id)
    const tmp = `${file}.tmp`
    await writeFile(tmp, wrapped, { mode: 0o600 })
    const old = await readFile(file).catch(() => undefined)
    // The replaced key is shredded, not left in a freed block of the same file.
    if (old) await shredFile(file)
    await rename(tmp, file)
    return wrapped
  }

  async get(id: string): Promise<Uint8Array | undefined> {
    let wrapped: Uint8Array
    try {
      wrapped = new Uint8Array(await readFile(this.file(id)))
    } catch {
      return undefined
    }
    return this.wrapper.unwrap(wrapped, this.aad(id))
  }

  /** The wrapped bytes as stored (for erasure fingerprints), or undefined. */
  async raw(id: string): Promise<Uint8Array | undefined> {
    return readFile(this.file(id)).then((b) => new Uint8Array(b), () => undefined)
  }

  /** Destroys a data key: the record it opened is unreadable from here on, wherever its ciphertext is. */
  async destroy(id: string): Promise<void> {
    await shredFile(this.file(id))
  }
}
