/**
 * Every SDK action once, on an embedded chain (no node to run): the code docs/sdk.md quotes.
 *
 *   node dist/examples/sdk/tour.js
 */
import {
  createLedgerClient,
  deployContract,
  embedded,
  estimateGas,
  isLedgerError,
  readBatch,
  readContract,
  requireCapability,
  RevertedError,
  waitForFinal,
  writeContract,
  type LedgerClient,
} from 'quorate/sdk'
import { counterArtifact } from './counter.js'

const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

export async function tour(client: LedgerClient): Promise<string[]> {
  const out: string[] = []
  const { abi } = counterArtifact

  // capabilities
  const caps = await client.capabilities()
  out.push(`fabric ${caps.fabric}, chain ${caps.chainId}, finality ${caps.finality.kind}, private data ${caps.privateData}`)

  // deploy
  const { address } = await deployContract(client, { artifact: counterArtifact, args: [100n] })

  // write and wait for finality
  const hash = await writeContract(client, { address, abi, functionName: 'add', args: [5n] })
  const receipt = await waitForFinal(client, { hash })
  out.push(`add(5) final in block ${receipt.blockNumber}`)

  // read (the result is a bigint: typed from the `as const` ABI)
  const count: bigint = await readContract(client, { address, abi, functionName: 'count' })
  out.push(`count ${count}`)

  // estimate
  const gas = await estimateGas(client, { address, abi, functionName: 'increment' })
  out.push(`increment needs ${gas > 21_000n ? 'more' : 'less'} than 21000 gas`)

  // batch reads
  const [max, positive] = await readBatch(client, {
    contracts: [
      { address, abi, functionName: 'max' },
      { address, abi, functionName: 'positive', args: [0n] },
    ],
  })
  out.push(`max ${max.status === 'success' ? max.result : '?'}, positive(0) ${positive.status}`)

  // many writes from one account at once: the client's nonce manager orders them
  const hashes = await Promise.all([1n, 2n, 3n].map((n) => writeContract(client, { address, abi, functionName: 'add', args: [n] })))
  await Promise.all(hashes.map((h) => waitForFinal(client, { hash: h })))
  out.push(`count after three parallel adds ${await readContract(client, { address, abi, functionName: 'count' })}`)

  // errors: a stable code on every fabric, the revert decoded
  try {
    await writeContract(client, { address, abi, functionName: 'add', args: [1000n] })
  } catch (err) {
    if (err instanceof RevertedError) out.push(`reverted: ${err.revert.errorName}(${err.revert.args?.join(', ')})`)
    else throw err
  }

  // features some fabrics lack
  try {
    await requireCapability(client, 'privateData')
    out.push('private data: offered')
  } catch (err) {
    if (isLedgerError(err, 'NOT_SUPPORTED_BY_FABRIC')) out.push(`private data: ${err.shortMessage}`)
    else throw err
  }
  return out
}

if (process.argv[1]?.endsWith('tour.js')) {
  const client = createLedgerClient({ fabric: embedded(), account: DEV_KEY })
  tour(client)
    .then((lines) => console.log(lines.join('\n')))
    .finally(() => client.close())
    .catch((err: unknown) => {
      console.error(err)
      process.exit(1)
    })
}
