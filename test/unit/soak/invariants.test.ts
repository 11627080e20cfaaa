import { describe, expect, it } from 'vitest'
import { ChainAgreement, lostTransactions, violations, worst, type Observations, type Recovery } from '../../../soak/invariants.js'

const limits = { livenessMs: 10_000, catchUpMs: 60_000 }
const clean: Observations = { forks: [], lost: [], recoveries: [], incidents: [], acknowledged: 3 }
const recovery = (seq: number, livenessMs: number | undefined, catchUpMs: number | undefined): Recovery => ({ seq, kind: 'kill', nodes: [1], livenessMs, catchUpMs })

describe('soak invariant checker', () => {
  it('passes nodes that agree on every height', () => {
    const chain = new ChainAgreement()
    for (let node = 0; node < 4; node++) for (let h = 1; h <= 5; h++) expect(chain.record(node, h, `0xAB${h}`)).toBeUndefined()
    expect(chain.forks).toEqual([])
    expect(chain.heights).toBe(5)
    expect(violations({ ...clean, forks: chain.forks }, limits)).toEqual([])
  })

  it('fails on a fork: two hashes at one height', () => {
    const chain = new ChainAgreement()
    chain.record(0, 7, '0xaaa')
    chain.record(1, 7, '0xAAA') // the same hash in another case is not a fork
    const fork = chain.record(2, 7, '0xbbb')
    expect(fork).toEqual({ height: 7, first: { node: 0, hash: '0xaaa' }, other: { node: 2, hash: '0xbbb' } })
    // One fork per height, however many nodes see it.
    expect(chain.record(3, 7, '0xccc')).toBeUndefined()
    expect(chain.forks).toHaveLength(1)
    expect(violations({ ...clean, forks: chain.forks }, limits)).toEqual(['fork at height 7: node-1 has 0xaaa, node-3 has 0xbbb'])
  })

  it('fails when an acknowledged transaction is missing on a node', () => {
    const acked = ['0x01', '0x02', '0x03']
    const full = new Set(acked)
    const lost = lostTransactions(acked, 3, (node) => (node === 1 ? new Set(['0x01']) : full))
    expect(lost).toEqual([
      { node: 1, hash: '0x02' },
      { node: 1, hash: '0x03' },
    ])
    expect(violations({ ...clean, lost }, limits)).toEqual(['node-2 is missing 2 of 3 acknowledged transactions (e.g. 0x02)'])
    expect(lostTransactions(acked, 3, () => full)).toEqual([])
  })

  it('fails a recovery slower than the limits or one that never came', () => {
    const recoveries = [recovery(1, 900, 1200), recovery(2, 12_500, 13_000), recovery(3, undefined, undefined), recovery(4, 500, 70_000)]
    expect(violations({ ...clean, recoveries }, limits)).toEqual([
      'fault 2 (kill node-2): the first new block came 12.5 s after it healed (limit 10 s)',
      'fault 3 (kill node-2): no new block after it healed',
      'fault 3 (kill node-2): the faulted node did not catch up with the network',
      'fault 4 (kill node-2): the faulted node caught up 70.0 s after it healed (limit 60 s)',
    ])
    expect(worst(recoveries, 'livenessMs')?.seq).toBe(3)
    expect(worst(recoveries.slice(0, 2), 'livenessMs')?.seq).toBe(2)
    expect(violations({ ...clean, recoveries: recoveries.slice(0, 1) }, limits)).toEqual([])
  })

  it('fails on an incident (a hang, a node that would not start)', () => {
    expect(violations({ ...clean, incidents: ['node-4 hung on a full disk'] }, limits)).toEqual(['node-4 hung on a full disk'])
  })
})
