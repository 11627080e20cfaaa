import { describe, expect, it } from 'vitest'
import { createNonceManager } from '../../../src/sdk/nonce-manager.js'

const A = '0x00000000000000000000000000000000000000aa'

describe('nonce manager', () => {
  it('gives parallel sends from one account consecutive nonces, submitted in call order', async () => {
    let fetches = 0
    const nm = createNonceManager({ fetchNonce: async () => (fetches++, 5) })
    const submitted: number[] = []
    const sends = Array.from({ length: 20 }, (_, i) =>
      nm.send(A, async (nonce) => {
        // Later calls finish sooner: order must still be the call order.
        await new Promise((r) => setTimeout(r, 20 - i))
        submitted.push(nonce)
        return nonce
      }),
    )
    expect(await Promise.all(sends)).toEqual(Array.from({ length: 20 }, (_, i) => 5 + i))
    expect(submitted).toEqual(Array.from({ length: 20 }, (_, i) => 5 + i))
    expect(fetches).toBe(1)
  })

  it('asks the ledger again and retries after a nonce error; other errors do not spend a retry', async () => {
    let ledger = 3
    const nm = createNonceManager({ fetchNonce: async () => ledger, isNonceError: (e) => (e as Error).message === 'nonce too low' })
    expect(await nm.send(A, async (n) => n)).toBe(3)
    ledger = 9 // someone else sent 6 transactions from this account
    const tried: number[] = []
    const got = await nm.send(A, async (n) => {
      tried.push(n)
      if (n < 9) throw new Error('nonce too low')
      return n
    })
    expect(tried).toEqual([4, 9])
    expect(got).toBe(9)
    await expect(nm.send(A, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await nm.send(A, async (n) => n)).toBe(9) // the failed send's nonce was not taken for granted
  })
})
