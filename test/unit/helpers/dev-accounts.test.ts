/** Dev accounts (src/crypto/dev-accounts.ts) checked against viem's and ethers' own HD derivation. */
import { HDNodeWallet } from 'ethers'
import { bytesToHex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { DEV_MNEMONIC, deriveAccounts, devAccounts } from '../../../src/crypto/dev-accounts.js'
import { QuorateError } from '../../../src/errors.js'

describe('devAccounts', () => {
  it("derives the same 10 addresses and keys as viem's mnemonicToAccount", () => {
    const ours = devAccounts()
    expect(ours).toHaveLength(10)
    for (let i = 0; i < 10; i++) {
      const viemAccount = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i })
      const key = viemAccount.getHdKey().privateKey
      expect(key).not.toBeNull()
      expect(ours[i]!.address).toBe(viemAccount.address.toLowerCase())
      expect(ours[i]!.privateKey).toBe(bytesToHex(key!))
    }
  })

  it("matches ethers' HDNodeWallet at m/44'/60'/0'/0/i", () => {
    const ours = devAccounts(3)
    for (let i = 0; i < 3; i++) {
      const wallet = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`)
      expect(ours[i]).toEqual({ address: wallet.address.toLowerCase(), privateKey: wallet.privateKey })
    }
  })

  it('gives the well-known first Hardhat account', () => {
    expect(devAccounts(1)[0]).toEqual({
      address: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
      privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    })
  })

  it('derives more than 10 accounts and returns copies callers cannot corrupt', () => {
    const twelve = devAccounts(12)
    expect(twelve).toHaveLength(12)
    expect(new Set(twelve.map((a) => a.address)).size).toBe(12)
    expect(twelve[11]!.address).toBe(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 11 }).address.toLowerCase())
    twelve[0]!.privateKey = '0x00'
    expect(devAccounts(1)[0]!.privateKey).not.toBe('0x00')
  })

  it('applies a BIP-39 passphrase', () => {
    const plain = deriveAccounts(DEV_MNEMONIC, 1)[0]!
    const salted = deriveAccounts(DEV_MNEMONIC, 1, { passphrase: 'quorate' })[0]!
    expect(salted.address).not.toBe(plain.address)
    expect(salted.address).toBe(mnemonicToAccount(DEV_MNEMONIC, { passphrase: 'quorate' }).address.toLowerCase())
  })

  it('rejects a mnemonic with a bad checksum or unknown word with MNEMONIC_INVALID', () => {
    for (const bad of ['test test test test test test test test test test test test', 'test test test test test test test test test test test jnuk']) {
      let caught: unknown
      try {
        deriveAccounts(bad, 1)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(QuorateError)
      expect((caught as QuorateError).code).toBe('MNEMONIC_INVALID')
    }
  })

  it('rejects a negative count', () => {
    expect(() => deriveAccounts(DEV_MNEMONIC, -1)).toThrow(/non-negative integer/)
    expect(deriveAccounts(DEV_MNEMONIC, 0)).toEqual([])
  })
})
