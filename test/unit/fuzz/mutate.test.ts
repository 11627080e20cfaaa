/**
 * The mutations the fuzz targets apply (fuzz/lib/mutate.ts) do what they claim, and each RLP decoder
 * refuses a valid input whose prefix claims 2^64-1 bytes at once, with its typed error (no attempt
 * to allocate what the prefix claims).
 */
import { RLP } from '@ethereumjs/rlp'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { decodeExtraData, encodeExtraData, ExtraDataError } from '../../../src/chain/extra-data.js'
import { decodeMessage, encodeMessage, privateKeySigner, QbftMessageError, signPayload } from '../../../src/consensus/qbft/index.js'
import { keccak256 } from '../../../src/crypto/native.js'
import { TxPool, TxPoolError } from '../../../src/execution/txpool.js'
import type { Hex } from '../../../src/types.js'
import { mutate } from '../../../fuzz/lib/mutate.js'
import { ops } from '../../../fuzz/targets/qbft-message.js'

const VALID = RLP.encode([Uint8Array.of(1, 2, 3), [new Uint8Array(60)]])

describe('fuzz mutations', () => {
  it('flip, truncate, insert, delete and duplicate change the bytes as named', () => {
    expect(mutate(Uint8Array.of(0, 0), { op: 'flip', at: 1, bit: 7 })).toEqual(Uint8Array.of(0, 0x80))
    expect(mutate(VALID, { op: 'truncate', at: 5 })).toEqual(VALID.subarray(0, 5))
    expect(mutate(Uint8Array.of(1, 2, 3), { op: 'insert', at: 1, bytes: Uint8Array.of(9) })).toEqual(Uint8Array.of(1, 9, 2, 3))
    expect(mutate(Uint8Array.of(1, 2, 3), { op: 'delete', at: 1, count: 1 })).toEqual(Uint8Array.of(1, 3))
    expect(mutate(Uint8Array.of(1, 2, 3), { op: 'duplicate', at: 1, count: 2 })).toEqual(Uint8Array.of(1, 2, 3, 2, 3))
  })

  it('a length lie changes the length of an RLP prefix, a huge length claims 2^(8w)-1 bytes', () => {
    // VALID = f8 45 | 83 010203 | f8 3e ... : the first prefix at or after 0 is the long list f8 45.
    const lie = mutate(VALID, { op: 'lengthLie', at: 0, delta: 1 })
    expect(lie[1]).toBe(VALID[1]! + 1)
    expect(() => RLP.decode(lie)).toThrow()
    const huge = mutate(VALID, { op: 'hugeLength', at: 2, width: 8 })
    expect([...huge.subarray(2, 11)]).toEqual([0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
  })

  it('each decoder refuses a valid input with a huge length prefix with its typed error', async () => {
    const common = createChainCommon(1337n, 30_000_000n)
    const key = keccak256(Uint8Array.of(1))
    const huge = (data: Uint8Array) => mutate(data, { op: 'hugeLength', at: 0, width: 8 })

    const tx = createFeeMarket1559Tx({ chainId: 1337n, gasLimit: 21_000n, to: `0x${'11'.repeat(20)}` }, { common }).sign(key).serialize()
    const pool = new TxPool({ common, blockGasLimit: 30_000_000n }, { getAccount: async () => ({ nonce: 0n, balance: 0n }) })
    // Skip the type byte: the prefix after it is the transaction's list.
    const hugeTx = new Uint8Array([tx[0]!, ...mutate(tx.subarray(1), { op: 'hugeLength', at: 0, width: 8 })])
    await expect(pool.addRaw(hugeTx)).rejects.toSatisfy((e) => e instanceof TxPoolError && e.code === 'MALFORMED')

    const signer = privateKeySigner(key)
    const prepare = encodeMessage({ type: 'prepare', signed: signPayload('prepare', { height: 1n, round: 0, digest: `0x${'22'.repeat(32)}` as Hex }, signer) }, ops)
    expect(() => decodeMessage(huge(prepare), ops)).toThrow(QbftMessageError)

    const extra = encodeExtraData({ vanity: new Uint8Array(32), validators: [signer.address], round: 0, seals: [] })
    expect(() => decodeExtraData(huge(extra))).toThrow(ExtraDataError)
  })
})
