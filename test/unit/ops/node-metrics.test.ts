/**
 * bindNodeMetrics on a real single-validator node (real LevelDB in a temp folder, real consensus
 * producing blocks, no P2P): heights, seals and proposals of the validator, block time, a
 * transaction's submit-to-final latency, pool rejections by reason, the optional governance and
 * privacy callbacks, LevelDB size, and unbinding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { createLegacyTx } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { devAccounts } from '../../../src/crypto/dev-accounts.js'
import { loadNodeConfig } from '../../../src/node/config.js'
import { createNodeKeys, writeNodeFiles } from '../../../src/node/init.js'
import { Node } from '../../../src/node/node.js'
import { silentLogger } from '../../../src/ops/logger.js'
import { createMetrics, type QuorateMetrics } from '../../../src/ops/metrics.js'
import { bindNodeMetrics, type NodeMetricsBinding } from '../../../src/ops/node-metrics.js'
import type { Address } from '../../../src/types.js'
import { tempDir } from '../../helpers/tmp.js'
import { waitFor } from '../../helpers/node-process.js'
import { parsePromText, samples, valueOf, type Sample } from './prom-text.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let node: Node
let metrics: QuorateMetrics
let binding: NodeMetricsBinding
let validator: Address
let purged = 0
const accounts = devAccounts(2)

async function scrape(): Promise<Sample[]> {
  return parsePromText(await metrics.registry.metrics())
}

beforeAll(async () => {
  tmp = await tempDir()
  const dataDir = tmp.dir
  validator = (await createNodeKeys(dataDir)).address
  await writeNodeFiles(
    dataDir,
    {
      config: { chainId: 1337, blockPeriodMs: 100, emptyBlockPeriodMs: 150 },
      validators: [validator],
      alloc: Object.fromEntries(accounts.map((a) => [a.address, { balance: (10n ** 24n).toString() }])),
    },
    { name: 'ops-test', rpc: { port: 0 }, txpool: { maxTotal: 777 } },
  )
  node = await Node.open(dataDir, await loadNodeConfig(dataDir), { logger: silentLogger() })
  metrics = createMetrics(new Registry(), { processMetrics: false })
  binding = bindNodeMetrics(node, metrics, {
    openProposals: async () => 3,
    privateRecords: async () => 12,
    privatePurges: async () => purged,
  })
  await node.start()
})

afterAll(async () => {
  binding?.unbind()
  await node?.stop()
  await tmp?.cleanup()
})

describe('node metrics on a real node', () => {
  it('reports a rising height, and the lone validator sealing and proposing every block', async () => {
    const first = valueOf(await scrape(), 'ethereum_blockchain_height')!
    await waitFor('three more blocks', async () => Number(node.head.header.number) >= first + 3)
    const s = await scrape()
    const height = valueOf(s, 'ethereum_blockchain_height')!
    expect(height).toBeGreaterThanOrEqual(first + 3)
    expect(valueOf(s, 'ethereum_best_known_block_number')).toBe(height)
    expect(valueOf(s, 'quorate_chain_head_timestamp_seconds')).toBe(Number(node.head.header.timestamp))
    expect(valueOf(s, 'quorate_chain_empty_block_period_seconds')).toBe(0.15)
    // No peers, so no higher block known: nothing to catch up.
    expect(valueOf(s, 'quorate_sync_blocks_behind')).toBe(0)
    expect(valueOf(s, 'quorate_validator_last_sealed_block', { validator })).toBe(height)
    expect(valueOf(s, 'quorate_validator_last_proposed_block', { validator })).toBe(height)
    // Blocks since bind: every one sealed and proposed by the only validator.
    expect(valueOf(s, 'quorate_validator_seals_total', { validator })).toBe(height)
    expect(valueOf(s, 'quorate_validator_proposals_total', { validator })).toBe(height)
    expect(valueOf(s, 'quorate_consensus_is_validator')).toBe(1)
    expect(valueOf(s, 'quorate_consensus_validators')).toBe(1)
    expect(valueOf(s, 'quorate_consensus_round')).toBe(0)
    expect(valueOf(s, 'ethereum_peer_count')).toBe(0)
    // Consecutive blocks decided here: one observation per block after the first.
    expect(valueOf(s, 'quorate_block_time_seconds_count')).toBe(height - 1)
    expect(valueOf(s, 'quorate_block_time_seconds_sum')).toBeGreaterThan(0.1 * (height - 1))
    expect(samples(s, 'quorate_node_info')[0]!.labels).toMatchObject({ address: validator, chain_id: '1337', name: 'ops-test' })
  })

  it('times a transaction from the pool to its final block, and counts refusals by reason', async () => {
    const [a, b] = accounts
    const tx = createLegacyTx({ nonce: 0n, gasPrice: 0n, gasLimit: 21_000n, to: b!.address, value: 1n }, { common: node.common }).sign(hexToBytes(a!.privateKey))
    const before = await scrape()
    expect(valueOf(before, 'quorate_tx_submit_to_final_seconds_count')).toBe(0)
    expect(valueOf(before, 'quorate_txpool_rejected_total', { reason: 'ALREADY_KNOWN' })).toBe(0)
    const sent = Date.now()
    await node.pool.addRaw(tx.serialize())
    await expect(node.pool.addRaw(tx.serialize())).rejects.toMatchObject({ code: 'ALREADY_KNOWN' })
    await expect(node.pool.addRaw(new Uint8Array([0x7f, 1, 2]))).rejects.toMatchObject({ code: 'UNSUPPORTED_TX_TYPE' })
    await waitFor('the transaction to be final', async () => valueOf(await scrape(), 'quorate_tx_submit_to_final_seconds_count') === 1)
    const elapsed = (Date.now() - sent) / 1000
    const s = await scrape()
    const latency = valueOf(s, 'quorate_tx_submit_to_final_seconds_sum')!
    expect(latency).toBeGreaterThan(0)
    expect(latency).toBeLessThanOrEqual(elapsed)
    expect(valueOf(s, 'quorate_chain_transactions_total')).toBe(1)
    expect(valueOf(s, 'quorate_txpool_rejected_total', { reason: 'ALREADY_KNOWN' })).toBe(1)
    expect(valueOf(s, 'quorate_txpool_rejected_total', { reason: 'UNSUPPORTED_TX_TYPE' })).toBe(1)
    expect(valueOf(s, 'quorate_txpool_rejected_total', { reason: 'POOL_FULL' })).toBe(0)
    expect(valueOf(s, 'quorate_txpool_transactions', { state: 'pending' })).toBe(0)
    expect(valueOf(s, 'quorate_txpool_transactions', { state: 'queued' })).toBe(0)
    expect(valueOf(s, 'quorate_txpool_max_transactions')).toBe(777)
    expect(valueOf(s, 'quorate_txpool_max_bytes')).toBe(64 * 1024 * 1024)
    expect(valueOf(s, 'quorate_txpool_bytes')).toBe(0)
  })

  it('reads the optional governance and privacy sources at scrape time', async () => {
    purged = 2
    let s = await scrape()
    expect(valueOf(s, 'quorate_governance_open_proposals')).toBe(3)
    expect(valueOf(s, 'quorate_private_records')).toBe(12)
    expect(valueOf(s, 'quorate_private_purges_total')).toBe(2)
    purged = 5
    s = await scrape()
    expect(valueOf(s, 'quorate_private_purges_total')).toBe(5)
  })

  it('measures the chain database on disk', async () => {
    const s = await scrape()
    expect(valueOf(s, 'quorate_leveldb_size_bytes')).toBeGreaterThan(1000)
    const avail = valueOf(s, 'quorate_data_dir_filesystem_avail_bytes')!
    expect(avail).toBeGreaterThan(0)
    expect(valueOf(s, 'quorate_data_dir_filesystem_size_bytes')).toBeGreaterThanOrEqual(avail)
  })

  it('seeds last sealed and proposed blocks from stored blocks, counts from the bind, and stops at unbind', async () => {
    const late = createMetrics(new Registry(), { processMetrics: false })
    const lateBinding = bindNodeMetrics(node, late, {})
    await lateBinding.seeded
    const lateScrape = async (): Promise<Sample[]> => parsePromText(await late.registry.metrics())
    let s = await lateScrape()
    const height = valueOf(s, 'ethereum_blockchain_height')!
    // Seeded from the stored blocks (a block may have become final between the two reads).
    expect(valueOf(s, 'quorate_validator_last_sealed_block', { validator })).toBeGreaterThanOrEqual(height - 1)
    expect(valueOf(s, 'quorate_validator_last_proposed_block', { validator })).toBeGreaterThanOrEqual(height - 1)
    const sealsAtBind = valueOf(s, 'quorate_validator_seals_total', { validator }) ?? 0
    expect(sealsAtBind).toBeLessThanOrEqual(1)
    await waitFor('two more blocks', async () => Number(node.head.header.number) >= height + 2)
    s = await lateScrape()
    expect(valueOf(s, 'quorate_validator_seals_total', { validator })).toBeGreaterThanOrEqual(2)
    lateBinding.unbind()
    const frozen = valueOf(await lateScrape(), 'quorate_validator_seals_total', { validator })
    const heightAtUnbind = Number(node.head.header.number)
    await waitFor('two more blocks', async () => Number(node.head.header.number) >= heightAtUnbind + 2)
    s = await lateScrape()
    expect(valueOf(s, 'quorate_validator_seals_total', { validator })).toBe(frozen)
    // Nothing refreshes an unbound registry: the height stays where the last scrape left it.
    expect(valueOf(s, 'ethereum_blockchain_height')).toBeLessThan(Number(node.head.header.number))
  })
})
