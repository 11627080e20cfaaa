/**
 * Start-up checks without a process: the exit-code table against docs/operations.md, unknown config
 * keys with their did-you-mean, the genesis hash covering every config field, and `quorate doctor`
 * comparing genesis.json with the chain stored in the data folder.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { describe, expect, it } from 'vitest'
import { createChainCommon } from '../../../src/chain/common.js'
import { GENESIS_FINALITY } from '../../../src/chain/finality.js'
import { createGenesisBlock, parseGenesis, writeGenesisState, type GenesisInput } from '../../../src/chain/genesis.js'
import { ChainStore } from '../../../src/chain/store.js'
import { checkStoredGenesis, genesisHashOf, runDoctor } from '../../../src/cli/doctor.js'
import { ConfigError, START_FAILURE_CODES, StartError } from '../../../src/errors.js'
import { parseConfigText } from '../../../src/node/config.js'
import { createNodeKeys, writeNodeFiles } from '../../../src/node/init.js'
import { COMMAND_OUTCOMES, EXIT_CLASSES, START_FAILURES, describeStartFailure, exitCodeFor } from '../../../src/node/start-failure.js'
import { didYouMean } from '../../../src/validation.js'
import { tempDir } from '../../helpers/tmp.js'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')

describe('exit codes', () => {
  it('docs/operations.md lists each class with its exit code and every start-failure code in its class row', async () => {
    const doc = await readFile(resolve(ROOT, 'docs/operations.md'), 'utf8')
    const section = doc.slice(doc.indexOf('## Start-up failures and exit codes'), doc.indexOf('## Config keys are checked'))
    const rows = new Map(
      [...section.matchAll(/^\| (\d+) \| ([^|]+) \| (.+) \|$/gm)].map((m) => [Number(m[1]), { meaning: m[2]!.trim(), codes: [...m[3]!.matchAll(/`([A-Z0-9_]+)`/g)].map((c) => c[1]!) }]),
    )
    for (const cls of Object.values(EXIT_CLASSES)) expect(rows.get(cls.exit)?.meaning, `exit ${cls.exit}`).toBe(cls.meaning)
    for (const code of START_FAILURE_CODES) {
      const exit = EXIT_CLASSES[START_FAILURES[code].class].exit
      expect(rows.get(exit)?.codes, `${code} in the row of exit ${exit}`).toContain(code)
    }
    for (const [code, cls] of Object.entries(COMMAND_OUTCOMES)) expect(rows.get(EXIT_CLASSES[cls].exit)?.codes, `${code} in its row`).toContain(code)
    const documented = [...rows.values()].flatMap((r) => r.codes).filter((c) => c !== 'INTERNAL')
    expect(documented.sort()).toEqual([...START_FAILURE_CODES, ...Object.keys(COMMAND_OUTCOMES)].sort())
  })

  it('maps errors to their class, and anything else to 1', () => {
    expect(exitCodeFor(new ConfigError('rpc.port', 'bad'))).toBe(2)
    expect(exitCodeFor(new StartError('P2P_PORT_IN_USE', 'busy'))).toBe(4)
    expect(exitCodeFor(new StartError('TLS_INVALID', 'bad pem'))).toBe(5)
    expect(exitCodeFor(new Error('boom'))).toBe(1)
    expect(describeStartFailure(new StartError('GENESIS_MISMATCH', 'other genesis'))).toMatchObject({ code: 'GENESIS_MISMATCH', exit: 3, fix: START_FAILURES.GENESIS_MISMATCH.fix })
    expect(describeStartFailure(new Error('boom'))).toMatchObject({ code: 'INTERNAL', exit: 1, msg: 'boom' })
  })
})

describe('config keys', () => {
  const parse = (config: unknown): ConfigError => {
    try {
      parseConfigText(JSON.stringify(config), 'config.json')
    } catch (err) {
      if (err instanceof ConfigError) return err
      throw err
    }
    throw new Error('accepted')
  }

  it('refuses unknown keys at any depth, naming the path and the likely key', () => {
    expect(parse({ logLvl: 'debug' })).toMatchObject({ code: 'CONFIG_UNKNOWN_KEY', field: 'logLvl', shortMessage: 'logLvl: unknown key; did you mean logLevel?' })
    expect(parse({ p2p: { peer: [] } }).shortMessage).toBe('p2p.peer: unknown key; did you mean p2p.peers?')
    expect(parse({ p2p: { peerBudget: { requestBurts: 5 } } }).shortMessage).toBe('p2p.peerBudget.requestBurts: unknown key; did you mean p2p.peerBudget.requestBurst?')
    expect(parse({ p2p: { peers: [{ url: 'wss://a:1', adress: '0x' }] } }).field).toBe('p2p.peers.0.adress')
    expect(parse({ rpc: { auth: { apikeys: [] } } }).shortMessage).toMatch(/did you mean rpc\.auth\.apiKeys\?/)
  })

  it('names every unknown key, and lists the allowed keys when none is close', () => {
    const err = parse({ logLvl: 'debug', p2p: { peer: [] }, zzzzzz: 1 })
    expect(err.details).toMatch(/also unknown: .*p2p\.peer \(did you mean p2p\.peers\?\)/)
    expect(err.details).toMatch(/zzzzzz \(allowed here: name, genesisFile/)
    expect(parse({ constructor: 1 }).field).toBe('constructor')
  })

  it('accepts every documented key and suggests only close names', () => {
    expect(parseConfigText(JSON.stringify({ name: 'a', logLevel: 'debug', p2p: { peers: [], peerBudget: { requestBurst: 5 } }, rpc: { auth: { apiKeys: [] } } }), 'x').name).toBe('a')
    expect(didYouMean('peer', ['peers', 'listen'])).toBe('peers')
    expect(didYouMean('LOGLEVEL', ['logLevel'])).toBe('logLevel')
    expect(didYouMean('banana', ['peers', 'listen'])).toBeUndefined()
  })
})

describe('genesis hash', () => {
  const base: GenesisInput = { config: { chainId: 1337 }, validators: ['0x1111111111111111111111111111111111111111'] }
  const hash = (g: GenesisInput) => genesisHashOf(parseGenesis(g))

  it('changes with every field of config, and not with a default written out', async () => {
    const h0 = await hash(base)
    const variants: GenesisInput['config'][] = [
      { chainId: 1338 },
      { chainId: 1337, blockPeriodMs: 2000 },
      { chainId: 1337, emptyBlockPeriodMs: 20_000 },
      { chainId: 1337, qbft: { requestTimeoutMs: 3000 } },
      { chainId: 1337, qbft: { maxRoundTimeoutMs: 60_000 } },
      { chainId: 1337, governance: { requireCodeApproval: false } },
      { chainId: 1337, governance: {} },
    ]
    const hashes = await Promise.all(variants.map((config) => hash({ ...base, config })))
    expect(new Set([h0, ...hashes]).size).toBe(variants.length + 1)
    expect(await hash({ ...base, config: { chainId: 1337, emptyBlockPeriodMs: 10_000, qbft: { requestTimeoutMs: 2000 } } })).toBe(h0)
  })

  it('refuses an unknown genesis key', () => {
    expect(() => parseGenesis({ ...base, config: { chainId: 1, emptyBlockPeriod: 5 } })).toThrow(/config\.emptyBlockPeriod: unknown key; did you mean config\.emptyBlockPeriodMs\?/)
  })
})

describe('doctor: genesis.json against the stored chain', () => {
  it('fails when genesis.json no longer matches block 0 of chain/, with a fix start really has', async () => {
    const tmp = await tempDir()
    try {
      const dir = join(tmp.dir, 'node')
      const { address } = await createNodeKeys(dir)
      await writeNodeFiles(dir, { config: { chainId: 1337 }, validators: [address] }, { rpc: { port: 1 } })
      const genesisFile = join(dir, 'genesis.json')
      const genesis = parseGenesis(JSON.parse(await readFile(genesisFile, 'utf8')))
      expect((await checkStoredGenesis(dir, genesis, await genesisHashOf(genesis))).message).toMatch(/no chain stored yet/)
      // Store block 0 as Node.open does.
      const common = createChainCommon(1337n, genesis.gasLimit)
      const store = await ChainStore.open(join(dir, 'chain'), common)
      await store.commit({ block: createGenesisBlock(genesis, common, await writeGenesisState(genesis, new MerkleStateManager({ common }))), finality: GENESIS_FINALITY, receipts: [] })
      await store.close()
      expect(await checkStoredGenesis(dir, genesis, await genesisHashOf(genesis))).toMatchObject({ status: 'ok' })

      const changed = JSON.parse(await readFile(genesisFile, 'utf8')) as { config: Record<string, unknown> }
      changed.config.emptyBlockPeriodMs = 30_000
      await writeFile(genesisFile, JSON.stringify(changed))
      const report = await runDoctor({ dataDir: dir, diskWarnBytes: 0, diskFailBytes: 0, timeoutMs: 500, env: {} })
      const check = report.checks.find((c) => c.id === 'genesis-stored')
      expect(check).toMatchObject({ status: 'fail', message: expect.stringContaining('GENESIS_MISMATCH') })
      expect(check?.fix).toMatch(/chain\/ folder aside/)
      expect(check?.fix).not.toMatch(/--reset/)
      expect(report.ok).toBe(false)
    } finally {
      await tmp.cleanup()
    }
  })
})
