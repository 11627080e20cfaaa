/**
 * The SDK's ten lines of application code, run unchanged on a Quorate node or on Anvil: the fabric
 * is the one value that differs.
 *
 *   node dist/examples/sdk/hello.js quorate http://127.0.0.1:8545
 *   node dist/examples/sdk/hello.js anvil http://127.0.0.1:8545
 */
import { createLedgerClient, deployContract, evm, quorate, readContract, waitForFinal, writeContract, type Fabric } from 'quorate/sdk'
import { counterArtifact } from './counter.js'

/**
 * Account 4 of the development mnemonic: funded by Anvil and Hardhat, and on the devnet an account of
 * the pension fund permitted to deploy and transact. Public knowledge: never fund it elsewhere.
 */
const DEV_KEY = '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a'

export async function hello(fabric: Fabric): Promise<bigint> {
  const client = createLedgerClient({ fabric, account: DEV_KEY })
  const counter = await deployContract(client, { artifact: counterArtifact, args: [100n] })
  const hash = await writeContract(client, { address: counter.address, abi: counterArtifact.abi, functionName: 'add', args: [42n] })
  await waitForFinal(client, { hash })
  const count = await readContract(client, { address: counter.address, abi: counterArtifact.abi, functionName: 'count' })
  console.log(`count is ${count} on ${(await client.capabilities()).fabric}`)
  await client.close()
  return count
}

const [ledger, url = 'http://127.0.0.1:8545'] = process.argv.slice(2)
if (ledger === 'quorate' || ledger === 'anvil') {
  // The one value to change. Anvil automines a block per transaction: final at inclusion here.
  const fabric = ledger === 'quorate' ? quorate({ url }) : evm({ url, confirmations: 0 })
  hello(fabric).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
