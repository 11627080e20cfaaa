/**
 * Every crash or hang the fuzzers found, with the exact counterexample, checked by the same property
 * that found it. Each entry names the target, the seed and path of the run that found it, and the fix.
 */
import { describe, expect, it } from 'vitest'
import { decodeMessage, QbftMessageError } from '../../../src/consensus/qbft/index.js'
import { decodeExtraData, ExtraDataError } from '../../../src/chain/extra-data.js'
import { checkExtraData } from '../../../fuzz/targets/qbft-extra-data.js'
import { checkQbftBytes, ops as qbftOps } from '../../../fuzz/targets/qbft-message.js'

const bytes = (parts: string[]): Uint8Array => new Uint8Array(Buffer.from(parts.join(''), 'hex'))

describe('fuzz regressions', () => {
  // qbft-message, seed 1945105512: a Proposal whose block header held an empty RLP list in place of
  // its base fee (0xc0 where 0x80 belongs). ethereumjs read the list as 0, so the block re-encoded to
  // other bytes under the same hash: one proposal had many wire forms, each passing gossip
  // de-duplication. Fix: the QBFT block codec refuses a block that is not in canonical encoding.
  const PROPOSAL_LIST_IN_HEADER_FIELD = bytes([
    'f904db12f867e38080a086014b71b554d593d1db31acb9e522b48bd6cadaaa156af9948d91b12e183d24b841bb3db1a486fa04da32a32c159017d71d',
    '5f419e99175eabcf2a0bbc4930dc6dab3fc0ed27e9ab8fdf17c23bc86679b9b08dc3b27e036770d02ef15aae1a6d0e3b00b902c0f902bdf902b7a026',
    '113cec106e91fb1374ebc705cfa2567d27d9932912516221bcd8ed855bf0b1a000cc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd',
    '40d49347942d00a0b9e25235acb6187fe54fa0fea812c77231a00000000000000000000000000000000000000000000000000000000000000000a056',
    'e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5',
    'e363b421b901000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '000000000000000000000000000000000000000000000080018401c9c38080846553f101b87cf87aa000000000000000000000000000000000000000',
    '00000000000000000000000000f854943eea25034397b249a3ed8614bb4d0533e5b03594942d00a0b9e25235acb6187fe54fa0fea812c7723194019b',
    '4ee7ad22ffd4c215e5f424faf4c75577dc369464c05352ff46bb41b3454a4c804156cf7bf66b6ec080c0a00000000000000000000000000000000000',
    '000000000000000000000000000000880000000000000000c0a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b4218080',
    'a00000000000000000000000000000000000000000000000000000000000000000c0c0c0f8c0f86de98080e68401000000a000000000000000000000',
    '00000000000000000000000000000000000000000000b841798e9c019c21cbd1b5ce0cec769f92e00d4e1a7ed250fd3fba20a218690790cd050b3a5b',
    'f16f814d4fa79791115ec84b1431d4bcec83065c8d6a14cb77bc96c601f84fcb88010000000000000080c0b841f813b428db54a5527d1993a422c840',
    '5dcac3ffa3923b0a28e0adb220ac0228cd670fbe29255c908480b0a57f11a1f3b5e09631a53cf6d04941367afabffdd14e01f8eaf873ef8801000000',
    '000000008401000000a086014b71b554d593d1db31acb9e522b48bd6cadaaa156af9948d91b12e183d24b8419b2c535167c1f3e9e3f3600bc7d1a9c1',
    '4c60ca881d48de2b9191613ee91604420525cd8cddc0e34aa33f35241cfaf971a58f3bccdac9c36e0c4b500ffefcd96900f873ef8801000000000000',
    '008401000000a086014b71b554d593d1db31acb9e522b48bd6cadaaa156af9948d91b12e183d24b8419b2c535167c1f3e9e3f3600bc7d1a9c14c60ca',
    '881d48de2b9191613ee91604420525cd8cddc0e34aa33f35241cfaf971a58f3bccdac9c36e0c4b500ffefcd96900',
  ])

  it('qbft-message: a proposal whose block is not canonically encoded is refused as a bad message', () => {
    expect(() => checkQbftBytes(PROPOSAL_LIST_IN_HEADER_FIELD)).not.toThrow()
    let error: unknown
    try {
      decodeMessage(PROPOSAL_LIST_IN_HEADER_FIELD, qbftOps)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(QbftMessageError)
    expect((error as QbftMessageError).code).toBe('QBFT_BAD_MESSAGE')
  })

  // qbft-extra-data, seed 6221062: a validator vote whose kind byte was 0x02. It was read as "remove"
  // and re-encoded as 0x00, so two extraData spellings meant one vote (and an empty kind did too).
  // Fix: the vote kind must be the single byte 0x00 or 0x01, and the round has no leading zero byte.
  const VOTE_KIND_2 = bytes([
    'f865a00000000000000000000000000000000000000000000000000000000000000000ea94000000000000000000000000000000000000000094000000',
    '0000000000000000000000000000000000d69400000000000000000000000000000000000081000280c0',
  ])

  it('qbft-extra-data: a vote kind other than 0 or 1 is refused, so every accepted extraData has one encoding', () => {
    expect(() => checkExtraData(VOTE_KIND_2)).not.toThrow()
    expect(() => decodeExtraData(VOTE_KIND_2)).toThrow(ExtraDataError)
    // The same extraData with the kind 0x01 is a valid "add" vote.
    const add = VOTE_KIND_2.slice()
    add[add.length - 3] = 0x01
    expect(decodeExtraData(add).vote).toEqual({ address: '0x0000000000000000000000000000000000008100', add: true })
  })
})
