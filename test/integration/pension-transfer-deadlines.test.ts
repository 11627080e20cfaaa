/**
 * The value transfer's deadlines, on Anvil (whose clock a test may move: `evm_increaseTime`): each
 * step is refused once its deadline has passed (30 days to quote, 30 to accept, 14 to settle), the
 * transfer can then be closed as expired by anyone (here the regulator), not before; a transfer whose
 * steps come in time settles. The ecosystem is set up as the scenario sets it up on Anvil (the
 * governance and private-data steps are not offered there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPensionAnvil, type PensionAnvil } from '../../examples/pension/network.js'
import { setUpEcosystem } from '../../examples/pension/app/setup.js'
import type { PensionApp } from '../../examples/pension/app/index.js'
import { isLedgerError } from 'quorate/sdk'

const DAY = 24 * 3600

let anvil: PensionAnvil
let app: PensionApp

/** Moves Anvil's clock forward and mines a block at the new time. */
async function later(seconds: number): Promise<void> {
  for (const [method, params] of [['evm_increaseTime', [seconds]], ['evm_mine', []]] as const) {
    const res = await fetch(anvil.anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
    const body = (await res.json()) as { error?: { message: string } }
    if (body.error) throw new Error(`${method}: ${body.error.message}`)
  }
}

async function newTransfer(ref: string): Promise<bigint> {
  const { participant, key } = await app.registerParticipant({ fund: 'pensionfund', externalRef: ref })
  return app.requestTransfer({ participant, participantKey: key, from: 'pensionfund', to: 'fundb' })
}

beforeAll(async () => {
  anvil = await startPensionAnvil()
  app = await setUpEcosystem({
    fabric: 'evm',
    parties: anvil.parties,
    step: (_label, fn) => fn().catch((err: unknown) => (isLedgerError(err, 'NOT_SUPPORTED_BY_FABRIC') ? undefined : Promise.reject(err))),
  })
}, 60_000)

afterAll(async () => {
  await app?.close()
  await anvil?.anvil.stop()
})

describe('value transfer deadlines', () => {
  it('a quote after 30 days is refused; the transfer expires then, not before, and only once', async () => {
    const id = await newTransfer('deadline-quote')
    await expect(app.expireTransfer(id)).rejects.toThrow(/NotExpired/)
    await later(30 * DAY + 60)
    await expect(app.quoteTransfer(id, 1_000_00n)).rejects.toThrow(/DeadlinePassed/)
    expect((await app.transfer(id)).status).toBe('requested')
    await app.expireTransfer(id)
    expect((await app.transfer(id)).status).toBe('expired')
    await expect(app.expireTransfer(id)).rejects.toThrow(/WrongStatus/)
  })

  it('an acceptance after the quote\'s 30 days, and a settlement after 14 days, are refused and the transfer expires', async () => {
    const quoted = await newTransfer('deadline-accept')
    await app.quoteTransfer(quoted, 2_000_00n)
    await later(30 * DAY + 60)
    await expect(app.acceptTransfer(quoted)).rejects.toThrow(/DeadlinePassed/)
    await app.expireTransfer(quoted, 'employer')
    expect((await app.transfer(quoted)).status).toBe('expired')

    const accepted = await newTransfer('deadline-settle')
    await app.quoteTransfer(accepted, 3_000_00n)
    await app.acceptTransfer(accepted)
    await later(14 * DAY + 60)
    await expect(app.settleTransfer(accepted)).rejects.toThrow(/DeadlinePassed/)
    await app.expireTransfer(accepted)
    expect((await app.transfer(accepted)).status).toBe('expired')
  })

  it('a transfer whose every step comes before its deadline settles', async () => {
    const id = await newTransfer('deadline-in-time')
    await later(29 * DAY)
    await app.quoteTransfer(id, 4_000_00n)
    await later(29 * DAY)
    await app.acceptTransfer(id)
    await later(13 * DAY)
    await app.settleTransfer(id)
    expect((await app.transfer(id)).status).toBe('settled')
    await expect(app.expireTransfer(id)).rejects.toThrow(/WrongStatus/)
  })
})
