/**
 * The SDK examples run as an application runs them (compiled, importing `quorate/sdk`): the same
 * hello code on a Quorate node and on Anvil, and the tour of every action on an embedded chain.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAnvil, type AnvilNode } from '../helpers/anvil.js'
import { TestNetwork } from '../helpers/network.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const node = (script: string, ...args: string[]) => run(process.execPath, [`dist/examples/sdk/${script}`, ...args], { timeout: 60_000 })

describe('SDK examples', () => {
  let net: TestNetwork
  let anvil: AnvilNode
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    const tmp = await tempDir('quorate-sdk-example-')
    cleanup = tmp.cleanup
    net = await TestNetwork.create(tmp.dir, { validators: 1, blockPeriodMs: 250 })
    ;[anvil] = await Promise.all([startAnvil(), net.start()])
  }, 120_000)

  afterAll(async () => {
    await anvil?.stop()
    await net?.stopAll()
    await cleanup?.()
  })

  it('hello: the same application code on Quorate and on Anvil, only the fabric changed', async () => {
    const [onQuorate, onAnvil] = await Promise.all([node('hello.js', 'quorate', net.url(0)), node('hello.js', 'anvil', anvil.rpcUrl)])
    expect(onQuorate.stdout.trim()).toBe('count is 42 on quorate')
    expect(onAnvil.stdout.trim()).toBe('count is 42 on evm')
  })

  it('tour: every action on an embedded chain', async () => {
    const { stdout } = await node('tour.js')
    expect(stdout.trim().split('\n')).toEqual([
      'fabric embedded, chain 1337, finality instant, private data false',
      expect.stringMatching(/^add\(5\) final in block \d+$/),
      'count 5',
      'increment needs more than 21000 gas',
      'max 100, positive(0) failure',
      'count after three parallel adds 11',
      'reverted: TooLarge(1000, 100)',
      'private data: privateData is not supported by the embedded fabric',
    ])
  })
})
