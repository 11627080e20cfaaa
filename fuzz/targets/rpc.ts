/**
 * JSON-RPC (src/rpc/dispatch.ts and every method's params schema) on a real node: a governed devnet
 * node opened from a temp folder (real LevelDB, the genesis with the governance contract, eth_call
 * workers running), not started (no P2P, no block production). The dispatcher gets the node's eth,
 * filter, misc, qbft and gov methods and is fed random text, requests and batches whose params mix
 * well-formed values with the ones that break parsers (leading zeros, 257-bit quantities, odd hex,
 * wrong case, lone surrogates, huge numbers, deep nesting, wrong types) and valid raw transactions.
 *
 * Properties: handle() always settles within the bound; the answer is well-formed JSON-RPC 2.0
 * (each response has jsonrpc "2.0" and exactly one of result and error, errors an integer code and
 * a message); no error is -32603 (an unexpected exception, or an error code without a JSON-RPC
 * mapping), and nothing is logged at error level.
 */
import { Writable } from 'node:stream'
import { createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx'
import fc from 'fast-check'
import { pino } from 'pino'
import { createChainCommon } from '../../src/chain/common.js'
import { prepareDevnet } from '../../src/cli/devnet.js'
import { devAccounts } from '../../src/crypto/dev-accounts.js'
import { loadNodeConfig } from '../../src/node/config.js'
import { Node } from '../../src/node/node.js'
import { RpcDispatcher, type CallScope } from '../../src/rpc/dispatch.js'
import { RpcErrorCode } from '../../src/rpc/errors.js'
import { ethMethods } from '../../src/rpc/eth.js'
import { Filters } from '../../src/rpc/filters.js'
import { govMethods } from '../../src/rpc/gov.js'
import { miscMethods } from '../../src/rpc/misc.js'
import { qbftMethods } from '../../src/rpc/qbft.js'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Finding, type FuzzTarget } from '../lib/target.js'

const CHAIN_ID = 1337
const common = createChainCommon(BigInt(CHAIN_ID), 30_000_000n)
const accounts = devAccounts(3)

/** The devnet's consortium file, from fuzz/targets (run by vitest) or dist/fuzz/targets (npm run fuzz). */
const CONSORTIUM = ['../../examples/consortium/devnet.yaml', '../../../examples/consortium/devnet.yaml']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((p) => existsSync(p))

const hexOf = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`

/** Values that sit on the edges of the Ethereum JSON encodings. */
const quantityArb = fc.oneof(
  fc.constantFrom('0x', '0x0', '0x00', '0x01', '0x1', '0xG', '0X1', '1', '-0x1', '0x' + 'f'.repeat(64), '0x1' + '0'.repeat(64), '0x' + 'f'.repeat(65), ' 0x1', '0x1 '),
  fc.bigInt({ min: 0n, max: 2n ** 260n }).map((n) => `0x${n.toString(16)}`),
  fc.nat().map((n) => `0x${n.toString(16)}`),
)
const dataArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map(hexOf),
  fc.constantFrom('0x', '0x0', '0xabc', '0xZZ', 'deadbeef', '0x' + '00'.repeat(200_000)),
)
const addressArb = fc.oneof(
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map(hexOf),
  fc.constantFrom(...accounts.map((a) => a.address), '0x' + '00'.repeat(20), '0x' + 'AB'.repeat(20), '0x' + '00'.repeat(19), '0x' + '00'.repeat(21), '0x0000000000000000000000000000000000001000'),
)
const hashArb = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hexOf), fc.constant('0x' + '00'.repeat(31)))
const tagArb = fc.constantFrom('latest', 'earliest', 'pending', 'safe', 'finalized', 'Latest', 'LATEST', '', 'genesis')
const weirdStringArb = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\ud800', 'a\udc00b', '\u0000', '💥', 'x'.repeat(10_000)))
const numberArb = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e308, -1, 2 ** 53, 2 ** 53 + 2, 0.5))
const FIELDS = [
  'from', 'to', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'value', 'data', 'input', 'nonce', 'accessList', 'type', 'chainId',
  'fromBlock', 'toBlock', 'address', 'topics', 'blockHash', 'blockNumber', 'requireCanonical', 'blockCount', 'newestBlock', 'rewardPercentiles',
]
const scalarArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: quantityArb, weight: 4 },
  { arbitrary: dataArb, weight: 3 },
  { arbitrary: addressArb, weight: 3 },
  { arbitrary: hashArb, weight: 2 },
  { arbitrary: tagArb, weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: numberArb, weight: 1 },
  { arbitrary: weirdStringArb, weight: 1 },
)
const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 5 }),
  ),
})).value

/** Signed raw transactions (some valid for the devnet accounts, some for another chain). */
const rawTxArb = fc.tuple(fc.nat({ max: 2 }), fc.bigInt({ min: 0n, max: 3n }), fc.boolean(), fc.uint8Array({ maxLength: 8 })).map(([i, nonce, typed, data]) => {
  const key = accounts[i]!.privateKey
  const keyBytes = new Uint8Array(Buffer.from(key.slice(2), 'hex'))
  const fields = { nonce, gasLimit: 50_000n, to: accounts[(i + 1) % 3]!.address, value: 1n, data: new Uint8Array(data) }
  const tx = typed ? createFeeMarket1559Tx({ ...fields, chainId: BigInt(CHAIN_ID) }, { common }).sign(keyBytes) : createLegacyTx(fields, { common }).sign(keyBytes)
  return hexOf(tx.serialize())
})

function requestArb(methods: string[]): fc.Arbitrary<Record<string, unknown>> {
  const name = fc.oneof({ arbitrary: fc.constantFrom(...methods), weight: 8 }, fc.constantFrom('eth_nope', '', 'rpc.discover', '__proto__', 'constructor'))
  const params = fc.oneof(
    { arbitrary: fc.array(valueArb, { maxLength: 4 }), weight: 8 },
    { arbitrary: rawTxArb.map((raw) => [raw]), weight: 1 },
    { arbitrary: valueArb, weight: 1 },
  )
  return fc.record(
    {
      jsonrpc: fc.oneof({ arbitrary: fc.constant('2.0'), weight: 12 }, fc.constantFrom('1.0', 2, null)),
      id: fc.oneof(fc.nat(), fc.string({ maxLength: 6 }), fc.constant(null), fc.constantFrom({}, [1], 1.5, true)),
      method: name,
      params,
    },
    { requiredKeys: ['jsonrpc', 'method'] },
  )
}

function textArb(methods: string[]): fc.Arbitrary<string> {
  const request = requestArb(methods)
  return fc.oneof(
    { arbitrary: request.map((r) => JSON.stringify(r)), weight: 10 },
    { arbitrary: fc.array(request, { minLength: 1, maxLength: 4 }).map((rs) => JSON.stringify(rs)), weight: 2 },
    { arbitrary: fc.tuple(request.map((r) => JSON.stringify(r)), fc.nat()).map(([t, cut]) => t.slice(0, cut % (t.length + 1))), weight: 1 },
    { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
    { arbitrary: fc.constantFrom('', '[]', '[[]]', 'null', '{}', '[1,2]', '"x"', '{"jsonrpc":"2.0","method":"eth_blockNumber"}', '[' + '['.repeat(5000) + ']'.repeat(5000) + ']'), weight: 1 },
  )
}

interface JsonRpcResponse {
  jsonrpc?: unknown
  id?: unknown
  result?: unknown
  error?: { code?: unknown; message?: unknown }
}

function checkResponse(r: JsonRpcResponse, text: string): void {
  if (typeof r !== 'object' || r === null || r.jsonrpc !== '2.0') throw new Finding('crash', `not a JSON-RPC 2.0 response: ${JSON.stringify(r).slice(0, 200)} for ${text.slice(0, 300)}`)
  if (('result' in r) === ('error' in r)) throw new Finding('crash', `a response needs exactly one of result and error: ${JSON.stringify(r).slice(0, 200)}`)
  if (r.error !== undefined) {
    const code = r.error.code
    if (!Number.isInteger(code) || typeof r.error.message !== 'string') throw new Finding('crash', `malformed error object ${JSON.stringify(r.error)}`)
    if (code === RpcErrorCode.INTERNAL_ERROR) throw new Finding('crash', `internal error (${String(r.error.message)}) for ${text.slice(0, 400)}`)
  }
}

export async function createTarget(): Promise<FuzzTarget<string>> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-fuzz-rpc-'))
  const devnet = await prepareDevnet({ dataDir: dir, consortium: CONSORTIUM, validators: 4, rpcPort: 1, p2pPort: 1, chainId: CHAIN_ID, blockPeriodMs: 1000, reset: false })
  const dataDir = devnet.nodes[0]!.dataDir
  const failures: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue
        const entry = JSON.parse(line) as { level: number; msg: string; err?: { message?: string; stack?: string } }
        if (entry.level >= 50 || entry.msg.includes('no JSON-RPC mapping')) failures.push(`${entry.msg}: ${entry.err?.stack ?? entry.err?.message ?? ''}`)
      }
      done()
    },
  })
  const logger = pino({ level: 'warn', base: undefined }, sink)
  const node = await Node.open(dataDir, await loadNodeConfig(dataDir), { logger })
  node.callPool.start()
  const filters = new Filters(node, { maxFilters: 64, maxFiltersPerClient: 16 })
  const dispatcher = new RpcDispatcher(
    {
      methods: {
        ...ethMethods(node),
        ...filters.methods(),
        ...miscMethods(node, { peerCount: () => 0 }),
        ...qbftMethods(node),
        ...(node.governance ? govMethods(node, node.governance) : {}),
      },
    },
    { logger },
  )
  const stats: Record<string, number> = {}
  const count = (key: string): void => {
    stats[key] = (stats[key] ?? 0) + 1
  }
  const scope = (): CallScope => ({ ctx: { transport: 'http', remoteAddress: '127.0.0.1' }, end: () => {} })
  return {
    name: 'rpc',
    description: `JSON-RPC dispatcher and params schemas of ${dispatcher.methodNames.length} methods on a real governed node: clean JSON-RPC answers only, no -32603`,
    arbitrary: textArb(dispatcher.methodNames),
    inputMs: 10_000,
    stats,
    async check(text) {
      failures.length = 0
      let out: string | undefined
      try {
        out = await dispatcher.handle(text, scope)
      } catch (err) {
        throw new Finding('crash', `dispatcher.handle rejected (it must answer): ${String(err)}`, { cause: err })
      }
      // Logs are written through a stream: let the sink see this input's lines.
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (failures.length > 0) throw new Finding('crash', `logged at error level for ${text.slice(0, 400)}: ${failures.join('; ')}`)
      if (out === undefined) return
      let parsed: unknown
      try {
        parsed = JSON.parse(out)
      } catch {
        throw new Finding('crash', `the answer is not JSON: ${out.slice(0, 200)}`)
      }
      for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
        checkResponse(r as JsonRpcResponse, text)
        count((r as JsonRpcResponse).error ? String((r as JsonRpcResponse).error!.code) : 'result')
      }
    },
    async close() {
      filters.close()
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
