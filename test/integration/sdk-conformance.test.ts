/**
 * The SDK's conformance suite: the same application tests, through the same client API, on four
 * ledgers: an embedded single-validator Quorate chain (in-process), a 4-node Quorate network of
 * processes, Anvil and Hardhat 2. Every public-contract test passes on all four; features a fabric
 * lacks (private data, governance) answer NotSupportedByFabric there, and capabilities() says so
 * up front.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { counterArtifact } from '../../examples/sdk/counter.js'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import {
  createLedgerClient,
  deployContract,
  embedded,
  estimateGas,
  evm,
  getParties,
  getPrivateCollections,
  isLedgerError,
  LedgerError,
  NotSupportedByFabric,
  quorate,
  readBatch,
  readContract,
  requireCapability,
  RevertedError,
  BlockNotReachedError,
  waitForBlock,
  waitForFinal,
  writeContract,
  type Capabilities,
  type Fabric,
  type LedgerClient,
} from '../../src/sdk/index.js'
import { startAnvil } from '../helpers/anvil.js'
import { startHardhatNode } from '../helpers/hardhat.js'
import { freePort } from '../../bench/lib/quorate-node.js'
import { TestNetwork } from '../helpers/network.js'
import { privacyConsortium } from '../helpers/privacy-consortium.js'
import { tempDir } from '../helpers/tmp.js'
import type { Consortium } from '../../src/governance/consortium.js'
import type { NetworkNode } from '../../src/node/init.js'

const dev = devAccounts(6)
const [alice, bob] = dev.map((a) => a.privateKey)

/**
 * The Quorate network is a consortium (private data and governance on): four parties, one
 * validator each, admins dev accounts 2–5; alice may deploy and transact, bob is not listed.
 */
function sdkConsortium(nodes: NetworkNode[]): Consortium {
  const c = privacyConsortium('sdk', ['p1', 'p2', 'p3', 'p4'], dev.slice(2, 6).map((a) => a.address), nodes)
  return {
    ...c,
    requireCodeApproval: false,
    parties: c.parties.map((p, i) => (i === 0 ? { ...p, accounts: [{ address: dev[0]!.address, permissions: ['transact', 'deploy', 'call'] }] } : p)),
  }
}
const MAX = 100n
const CONCURRENT_WRITES = 200

interface Ledger {
  /** A fabric on this ledger (a new one each call, sharing the ledger). */
  fabric(): Fabric
  /** A fabric of the same kind that cannot reach its ledger. */
  unreachable(): Promise<Fabric>
  expected: Partial<Capabilities>
  stop(): Promise<void>
}

interface Case {
  name: string
  start(): Promise<Ledger>
}

const CASES: Case[] = [
  {
    name: 'embedded',
    async start() {
      // One chain for the suite: every client of this case shares it through one fabric.
      const shared = embedded()
      const closed = embedded()
      await closed.close()
      return {
        fabric: () => ({ ...shared, close: async () => undefined }),
        unreachable: async () => closed,
        expected: { fabric: 'embedded', finality: { kind: 'instant' }, privateData: false, governance: false, events: true },
        stop: () => shared.close(),
      }
    },
  },
  {
    name: 'quorate (4 nodes)',
    async start() {
      const { dir, cleanup } = await tempDir('quorate-sdk-')
      const net = await TestNetwork.create(dir, { validators: 4, blockPeriodMs: 250, consortium: sdkConsortium })
      await net.start()
      return {
        fabric: () => quorate({ url: net.url(0) }),
        unreachable: async () => quorate({ url: `http://127.0.0.1:${await freePort()}`, retryCount: 0 }),
        expected: { fabric: 'quorate', chainId: 1337, finality: { kind: 'instant' }, privateData: true, accessLog: true, governance: true, events: true },
        stop: async () => {
          await net.stopAll()
          await cleanup()
        },
      }
    },
  },
  {
    name: 'anvil',
    async start() {
      // Interval mining with short epochs: the `finalized` tag trails the head by two blocks.
      const anvil = await startAnvil({ blockTimeSeconds: 0.5, slotsInAnEpoch: 1 })
      return {
        fabric: () => evm({ url: anvil.rpcUrl, confirmations: 'finalized' }),
        unreachable: async () => evm({ url: `http://127.0.0.1:${await freePort()}`, retryCount: 0 }),
        expected: { fabric: 'evm', chainId: 31337, finality: { kind: 'finalized-tag' }, privateData: false, accessLog: false, governance: false, events: true },
        stop: () => anvil.stop(),
      }
    },
  },
  {
    name: 'hardhat',
    async start() {
      // Automine: a block per transaction, final (for this test) at inclusion.
      const hh = await startHardhatNode()
      return {
        fabric: () => evm({ url: hh.rpcUrl, confirmations: 0 }),
        unreachable: async () => evm({ url: `ws://127.0.0.1:${await freePort()}`, retryCount: 0, timeoutMs: 2_000 }),
        expected: { fabric: 'evm', chainId: 31337, finality: { kind: 'confirmations', depth: 0 }, privateData: false, governance: false, events: true },
        stop: () => hh.stop(),
      }
    },
  },
]

async function expectLedgerError(p: Promise<unknown>, code: LedgerError['code']): Promise<LedgerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, `expected a LedgerError ${code}`).toBeInstanceOf(LedgerError)
  expect((err as LedgerError).code).toBe(code)
  return err as LedgerError
}

describe.each(CASES)('SDK conformance: $name', (c) => {
  let ledger: Ledger
  let client: LedgerClient
  let counter: `0x${string}`

  beforeAll(async () => {
    ledger = await c.start()
    client = createLedgerClient({ fabric: ledger.fabric(), account: alice, pollingInterval: 100 })
    const deployed = await deployContract(client, { artifact: counterArtifact, args: [MAX] })
    counter = deployed.address
  }, 120_000)

  afterAll(async () => {
    await client?.close()
    await ledger?.stop()
  }, 60_000)

  it('capabilities() says what the fabric offers before anything is tried', async () => {
    const caps = await client.capabilities()
    expect(caps).toMatchObject(ledger.expected)
  })

  it('deploys from an artifact: the contract has code and its constructor ran', async () => {
    expect(await client.public.getCode({ address: counter })).toMatch(/^0x[0-9a-f]{100,}$/)
    expect(await readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'max' })).toBe(MAX)
  })

  it('writes and waits until the transaction is final', async () => {
    const before = await readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'count' })
    const hash = await writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'add', args: [7n] })
    const receipt = await waitForFinal(client, { hash })
    expect(receipt.status).toBe('success')
    const { finality } = await client.capabilities()
    if (finality.kind === 'finalized-tag') {
      const finalized = await client.public.getBlock({ blockTag: 'finalized' })
      expect(finalized.number).toBeGreaterThanOrEqual(receipt.blockNumber)
    }
    expect(await readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'count' })).toBe(before + 7n)
  })

  it('waits for a block: at once for one the ledger has, until it comes for a later one, BlockNotReachedError past the timeout', async () => {
    const head = await client.public.getBlockNumber({ cacheTime: 0 })
    expect(await waitForBlock(client, { blockNumber: head, timeoutMs: 5_000 })).toBeGreaterThanOrEqual(head)
    // Two blocks later: each write waited for before the next, so each is in a block of its own (automining ledgers make none without).
    const later = waitForBlock(client, { blockNumber: head + 2n, timeoutMs: 60_000 })
    for (let i = 0; i < 2; i++) await waitForFinal(client, { hash: await writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'increment' }) })
    expect(await later).toBeGreaterThanOrEqual(head + 2n)
    const far = head + 1_000_000n
    const late = await expectLedgerError(waitForBlock(client, { blockNumber: far, timeoutMs: 300 }), 'UNREACHABLE')
    expect(late).toBeInstanceOf(BlockNotReachedError)
    const { blockNumber, head: lastSeen } = late as BlockNotReachedError
    expect(blockNumber).toBe(far)
    expect(lastSeen !== undefined && lastSeen >= head + 2n && lastSeen < far).toBe(true)
    await expectLedgerError(waitForBlock(client, { blockNumber: -1 }), 'INVALID_INPUT')
  })

  it('decodes a revert: a Solidity custom error with its arguments, and a reason string', async () => {
    const custom = await expectLedgerError(writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'add', args: [MAX + 1n] }), 'REVERTED')
    expect(custom).toBeInstanceOf(RevertedError)
    expect((custom as RevertedError).revert).toMatchObject({ errorName: 'TooLarge', args: [MAX + 1n, MAX] })
    const reason = await expectLedgerError(readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'positive', args: [0n] }), 'REVERTED')
    expect((reason as RevertedError).revert.reason).toBe('n must be positive')
    const estimated = await expectLedgerError(estimateGas(client, { address: counter, abi: counterArtifact.abi, functionName: 'add', args: [MAX + 5n] }), 'REVERTED')
    expect((estimated as RevertedError).revert).toMatchObject({ errorName: 'TooLarge', args: [MAX + 5n, MAX] })
  })

  it('estimates gas', async () => {
    const gas = await estimateGas(client, { address: counter, abi: counterArtifact.abi, functionName: 'increment' })
    expect(gas).toBeGreaterThan(21_000n)
    expect(gas).toBeLessThan(200_000n)
  })

  it('reads in a batch, each result typed and a failing read reported on its own', async () => {
    const count = await readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'count' })
    const results = await readBatch(client, {
      contracts: [
        { address: counter, abi: counterArtifact.abi, functionName: 'count' },
        { address: counter, abi: counterArtifact.abi, functionName: 'max' },
        { address: counter, abi: counterArtifact.abi, functionName: 'positive', args: [3n] },
        { address: counter, abi: counterArtifact.abi, functionName: 'positive', args: [0n] },
      ],
    })
    expect(results.slice(0, 3)).toEqual([
      { status: 'success', result: count },
      { status: 'success', result: MAX },
      { status: 'success', result: 3n },
    ])
    expect(results[3]!.status).toBe('failure')
    expect(isLedgerError(results[3]!.error, 'REVERTED')).toBe(true)
  })

  it(`lands ${CONCURRENT_WRITES} concurrent writes from one account`, async () => {
    const address = privateKeyToAccount(alice!).address
    const before = await readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'bySender', args: [address] })
    const hashes = await Promise.all(Array.from({ length: CONCURRENT_WRITES }, () => writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'increment' })))
    expect(new Set(hashes).size).toBe(CONCURRENT_WRITES)
    const receipts = await Promise.all(hashes.map((hash) => waitForFinal(client, { hash })))
    expect(receipts.filter((r) => r.status === 'success')).toHaveLength(CONCURRENT_WRITES)
    expect(await readContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'bySender', args: [address] })).toBe(before + BigInt(CONCURRENT_WRITES))
  }, 90_000)

  it('recovers when another sender used the account nonce behind its back', async () => {
    // Warm the nonce manager, then spend the next nonce from a second client of the same account.
    await waitForFinal(client, { hash: await writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'increment' }) })
    const other = createLedgerClient({ fabric: ledger.fabric(), account: alice, pollingInterval: 100 })
    await waitForFinal(other, { hash: await writeContract(other, { address: counter, abi: counterArtifact.abi, functionName: 'increment' }) })
    await other.close()
    const receipt = await waitForFinal(client, { hash: await writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'increment' }) })
    expect(receipt.status).toBe('success')
  })

  it('answers bad input with INVALID_INPUT', async () => {
    await expectLedgerError(readContract(client, { address: '0x1234' as `0x${string}`, abi: counterArtifact.abi, functionName: 'count' }), 'INVALID_INPUT')
    // @ts-expect-error: a string where the ABI wants a uint256
    await expectLedgerError(writeContract(client, { address: counter, abi: counterArtifact.abi, functionName: 'add', args: ['seven'] }), 'INVALID_INPUT')
    await expectLedgerError(deployContract(client, { artifact: { abi: counterArtifact.abi, bytecode: '0xzz' as `0x${string}` }, args: [1n] }), 'INVALID_INPUT')
    expect(() => createLedgerClient({ fabric: ledger.fabric(), account: '0x12' })).toThrow(LedgerError)
    const readOnly = createLedgerClient({ fabric: ledger.fabric() })
    await expectLedgerError(writeContract(readOnly, { address: counter, abi: counterArtifact.abi, functionName: 'increment' }), 'INVALID_INPUT')
  })

  it('answers NOT_FOUND for a contract that is not there', async () => {
    const nobody = privateKeyToAccount(bob!).address
    await expectLedgerError(readContract(client, { address: nobody, abi: counterArtifact.abi, functionName: 'count' }), 'NOT_FOUND')
  })

  it('answers UNREACHABLE when the ledger cannot be reached', async () => {
    const gone = createLedgerClient({ fabric: await ledger.unreachable(), account: alice })
    await expectLedgerError(readContract(gone, { address: counter, abi: counterArtifact.abi, functionName: 'count' }), 'UNREACHABLE')
    await expectLedgerError(gone.capabilities(), 'UNREACHABLE')
    await gone.close()
  })

  it('private data and governance: offered where capabilities() says so, NotSupportedByFabric elsewhere', async () => {
    const caps = await client.capabilities()
    for (const feature of ['privateData', 'governance'] as const) {
      if (caps[feature]) {
        await expect(requireCapability(client, feature)).resolves.toMatchObject({ [feature]: true })
      } else {
        const err = await requireCapability(client, feature).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(NotSupportedByFabric)
        expect(err).toMatchObject({ code: 'NOT_SUPPORTED_BY_FABRIC', fabric: caps.fabric, feature })
      }
    }
    // The consortium actions, through the same client: answered where offered, NotSupportedByFabric elsewhere.
    if (caps.privateData) expect(await getPrivateCollections(client)).toEqual([])
    else await expectLedgerError(getPrivateCollections(client), 'NOT_SUPPORTED_BY_FABRIC')
    if (caps.governance) expect((await getParties(client)).map((p) => p.id)).toEqual(['p1', 'p2', 'p3', 'p4'])
    else await expectLedgerError(getParties(client), 'NOT_SUPPORTED_BY_FABRIC')
  })

  it('an account governance does not permit is refused with NOT_PERMITTED (where there is governance)', async () => {
    const caps = await client.capabilities()
    const outsider = createLedgerClient({ fabric: ledger.fabric(), account: bob })
    const write = writeContract(outsider, { address: counter, abi: counterArtifact.abi, functionName: 'increment' })
    if (caps.governance) await expectLedgerError(write, 'NOT_PERMITTED')
    else expect(await waitForFinal(outsider, { hash: await write })).toMatchObject({ status: 'success' })
    await outsider.close()
  })
})
