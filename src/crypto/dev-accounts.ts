/**
 * Development accounts: the well-known keys derived from a BIP-39 mnemonic along the Ethereum path
 * m/44'/60'/0'/0/i, the same ones Hardhat, Anvil and Ganache pre-fund. The devnet funds them so that
 * tools work out of the box. These keys are public knowledge: never fund them on a real network.
 *
 * BIP-39 and BIP-32 come from @scure/bip39 and @scure/bip32 (audited, and what viem and ethers'
 * peers use), not from hand-rolled code.
 */
import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist as english } from '@scure/bip39/wordlists/english'
import { bytesToHex } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { privateKeyToAddress } from './keys.js'

/** The mnemonic of Hardhat's, Anvil's and Ganache's default accounts. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'

/** BIP-44 path prefix for Ethereum accounts; account i is `${ETH_BASE_PATH}/${i}`. */
export const ETH_BASE_PATH = "m/44'/60'/0'/0"

export interface DevAccount {
  /** Lower-case hex, as `privateKeyToAddress` returns it. */
  address: Address
  privateKey: Hex
}

export interface DeriveOptions {
  /** BIP-39 passphrase (the "25th word"); default none. */
  passphrase?: string
  /** Default m/44'/60'/0'/0. */
  basePath?: string
}

export class InvalidMnemonicError extends QuorateError {
  override name = 'InvalidMnemonicError'
  constructor() {
    super('MNEMONIC_INVALID', 'The mnemonic is not a valid English BIP-39 phrase (wrong word, word count or checksum)', {
      details: 'Use 12 to 24 words from the BIP-39 English word list, separated by single spaces.',
    })
  }
}

/** Derives `count` accounts (indices 0..count-1) from a BIP-39 mnemonic. */
export function deriveAccounts(mnemonic: string, count: number, opts: DeriveOptions = {}): DevAccount[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new QuorateError('ACCOUNT_COUNT_INVALID', `Account count must be a non-negative integer, got ${count}`)
  }
  const normalized = mnemonic.trim().split(/\s+/).join(' ')
  if (!validateMnemonic(normalized, english)) throw new InvalidMnemonicError()
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(normalized, opts.passphrase ?? ''))
  const base = root.derive(opts.basePath ?? ETH_BASE_PATH)
  const accounts: DevAccount[] = []
  for (let i = 0; i < count; i++) {
    const key = base.deriveChild(i).privateKey
    // A child key is null only with negligible probability (BIP-32 "invalid key"); fail loudly.
    if (!key) throw new QuorateError('HD_DERIVATION_FAILED', `BIP-32 derivation produced no private key at index ${i}`)
    accounts.push({ address: privateKeyToAddress(key), privateKey: bytesToHex(key) as Hex })
  }
  return accounts
}

let cached: DevAccount[] | undefined

/** The first `count` (default 10) accounts of DEV_MNEMONIC. Derived once per process. */
export function devAccounts(count = 10): DevAccount[] {
  if (!cached || cached.length < count) cached = deriveAccounts(DEV_MNEMONIC, Math.max(count, 10))
  return cached.slice(0, count).map((a) => ({ ...a }))
}
