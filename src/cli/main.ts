#!/usr/bin/env node
/**
 * The `quorate` command. Every subcommand has --help; bad flags or config files end with an error
 * that names the field, and exit code 2; the other exit codes are in src/node/start-failure.ts.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { basename, resolve } from 'node:path'
import { QuorateError, ConfigError } from '../errors.js'
import { createLogger } from '../ops/logger.js'
import { loadNodeConfig, type NodeConfig } from '../node/config.js'
import type { RunningNode } from '../node/run.js'
import { exitCodeFor, logStartFailure } from '../node/start-failure.js'
import { createNodeKeys, writeNodeFiles } from '../node/init.js'
import { DEFAULT_CONSORTIUM, runDevnet } from './devnet.js'
import { runStatus } from './status.js'
import { runDoctorCommand } from './doctor.js'
import { shouldColour } from './table.js'
import { devAccounts } from '../crypto/dev-accounts.js'
import { govCommand, usageExitCodes } from './gov.js'
import { dataCommand } from './data.js'
import { keysCommand } from './node-keys.js'
import { recoveryCommand } from './recovery.js'
import { TxNotFinalError } from '../governance/client.js'
import { rpcKeyCommand } from './rpc-key.js'
import { initFromConsortium, initFromConsortiumText, partyCommand } from './party.js'
import { listenForStop, type StopSignals } from './stop-signals.js'

// `quorate gov list | head`: the reader is gone, so is the need to write; no stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be an integer`)
    const n = Number(value)
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`)
    return n
  }
}

/** For repeatable options: `--rpc a --rpc b` (or `--rpc a,b`). */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

// A bad flag exits 2 (usage), in every command defined below.
const program = usageExitCodes(
  new Command()
    .name('quorate')
    .description('Quorate: a consortium blockchain with QBFT finality, on-chain governance and GDPR-aware private data')
    .version('0.1.0'),
)

program
  .command('init')
  .description('create a node: key, TLS certificate, and (for a new chain) a genesis in which this node is the validator, or with --consortium the consortium\'s genesis')
  .requiredOption('--data-dir <dir>', 'the node data folder to create')
  .option('--chain-id <id>', 'chain id of a new chain', int('--chain-id', 1, 2 ** 53 - 1), 1337)
  .option('--rpc-port <port>', 'JSON-RPC port (HTTP and WebSocket)', int('--rpc-port', 0, 65535), 8545)
  .option('--p2p-port <port>', 'P2P listening port', int('--p2p-port', 0, 65535), 30303)
  .option('--dev-accounts', 'prefund the ten accounts of the development mnemonic', false)
  .option('--consortium <file>', "write the consortium file's genesis (governance on chain); uses the node key already in --data-dir, or creates one")
  .option('--node <name>', 'with --consortium: this node\'s name in the consortium file (checked against the key)')
  .action(async (o: { dataDir: string; chainId: number; rpcPort: number; p2pPort: number; devAccounts: boolean; consortium?: string; node?: string }, cmd: Command) => {
    const dataDir = resolve(o.dataDir)
    if (o.consortium !== undefined) {
      for (const flag of ['chainId', 'devAccounts'] as const) {
        if (cmd.getOptionValueSource(flag) === 'cli') throw new ConfigError(flag === 'chainId' ? '--chain-id' : '--dev-accounts', 'cannot be combined with --consortium: the chain id and balances come from the consortium file, so that every node derives the same genesis')
      }
      const opts = { dataDir, consortium: resolve(o.consortium), node: o.node, rpcPort: o.rpcPort, p2pPort: o.p2pPort }
      process.stdout.write(initFromConsortiumText(opts, await initFromConsortium(opts)))
      return
    }
    if (o.node !== undefined) throw new ConfigError('--node', 'applies only with --consortium')
    const { address } = await createNodeKeys(dataDir)
    const alloc = o.devAccounts ? Object.fromEntries(devAccounts(10).map((a) => [a.address, { balance: (10n ** 22n).toString() }])) : {}
    await writeNodeFiles(dataDir, { config: { chainId: o.chainId }, validators: [address], alloc }, { rpc: { port: o.rpcPort }, p2p: { listen: { port: o.p2pPort } } })
    console.log(`initialised ${dataDir}\n  node address ${address}\n  start it with: quorate start --data-dir ${dataDir}`)
  })

program
  .command('start')
  .description('run a node from its data folder')
  .requiredOption('--data-dir <dir>', 'the node data folder (made by `quorate init`)')
  .option('--rpc-port <port>', 'override the JSON-RPC port', int('--rpc-port', 0, 65535))
  .option('--rpc-host <host>', 'override the JSON-RPC listen address')
  .addOption(new Option('--log-level <level>', 'override logLevel of config.json').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .action(async (o: { dataDir: string; rpcPort?: number; rpcHost?: string; logLevel?: NodeConfig['logLevel'] }) => {
    const dataDir = resolve(o.dataDir)
    // Until the config names the node, its folder does; every failure from here is one fatal JSON line.
    let logger = createLogger({ level: o.logLevel, node: basename(dataDir) })
    let running: RunningNode
    let signals: StopSignals
    try {
      const config = await loadNodeConfig(dataDir)
      if (o.rpcPort !== undefined) config.rpc.port = o.rpcPort
      if (o.rpcHost !== undefined) config.rpc.host = o.rpcHost
      if (o.logLevel !== undefined) config.logLevel = o.logLevel
      logger = createLogger({ level: config.logLevel, node: config.name })
      // Loaded here: the node's modules take a second to load, which no other command needs to pay.
      const { startNode } = await import('../node/run.js')
      // Heard from here: JSON-RPC answers before the node is fully up, and a stop asked for then must not kill it.
      signals = listenForStop()
      running = await startNode(dataDir, config, logger)
    } catch (err) {
      process.exit(logStartFailure(logger, err))
    }
    await new Promise<void>((done) => {
      signals.whenStarted(() => {
        logger.info('stopping')
        running.stop().then(done, (err: unknown) => {
          logger.error({ err }, 'error while stopping')
          done()
        })
      })
    })
  })

program
  .command('devnet')
  .description('run a local consortium: validators as separate processes, dev accounts prefunded; Ctrl-C stops it, running again resumes')
  .option('--data-dir <dir>', 'where the devnet keeps its nodes', '.devnet')
  .option('--consortium <file>', 'consortium file (parties, nodes, policies) for a governed chain', DEFAULT_CONSORTIUM)
  .option('--validators <n>', 'a plain chain (no governance) of n validator nodes instead; 1 = a single-node chain', int('--validators', 1, 16))
  .option('--rpc-port <port>', 'RPC port of the first node; node i uses port + i - 1', int('--rpc-port', 1, 65535), 8545)
  .option('--p2p-port <port>', 'P2P port of the first node', int('--p2p-port', 1, 65535), 30303)
  .option('--chain-id <id>', 'chain id', int('--chain-id', 1, 2 ** 53 - 1), 1337)
  .option('--block-period-ms <ms>', 'minimum time between blocks', int('--block-period-ms', 50, 3_600_000), 1000)
  .option('--reset', 'delete the devnet folder and start a new chain', false)
  .action(async (o: { dataDir: string; consortium: string; validators?: number; rpcPort: number; p2pPort: number; chainId: number; blockPeriodMs: number; reset: boolean }) => {
    const plain = o.validators !== undefined
    process.exitCode = await runDevnet(
      { ...o, dataDir: resolve(o.dataDir), consortium: plain ? undefined : resolve(o.consortium), validators: o.validators ?? 0 },
      (line) => console.log(line),
    )
  })

program
  .command('status')
  .description('one row per node: height, peers, last sealed block, lag and health; exit code 1 if a node is down or not ready')
  .option('--devnet <dir>', 'read the nodes from <dir>/devnet.json (default: .devnet/devnet.json if no --rpc is given)')
  .option('--rpc <url>', 'a node RPC URL; repeat for each node', collect, [])
  .option('--json', 'print JSON instead of a table', false)
  .option('--max-lag <blocks>', 'more blocks behind the best node than this is "not ready"', int('--max-lag', 0, 1_000_000), 5)
  .option('--timeout <ms>', 'how long to wait for each node', int('--timeout', 100, 600_000), 3000)
  .action(async (o: { devnet?: string; rpc: string[]; json: boolean; maxLag: number; timeout: number }) => {
    const out = (text: string) => process.stdout.write(text)
    process.exitCode = await runStatus({ ...o, timeoutMs: o.timeout }, { out, colour: !o.json && shouldColour(process.stdout) })
  })

program
  .command('doctor')
  .description('check a node data folder and its surroundings, and say what to fix; exit code 1 if a check fails')
  .requiredOption('--data-dir <dir>', 'the node data folder')
  .option('--peer-rpc <url>', "a peer's RPC URL to compare clock and genesis with; repeatable", collect, [])
  .option('--disk-warn-gb <gb>', 'warn below this much free disk', int('--disk-warn-gb', 0, 1_000_000), 10)
  .option('--disk-fail-gb <gb>', 'fail below this much free disk', int('--disk-fail-gb', 0, 1_000_000), 1)
  .option('--timeout <ms>', 'how long to wait for each network probe', int('--timeout', 100, 600_000), 3000)
  .option('--json', 'print JSON instead of lines', false)
  .action(async (o: { dataDir: string; peerRpc: string[]; diskWarnGb: number; diskFailGb: number; timeout: number; json: boolean }) => {
    const out = (text: string) => process.stdout.write(text)
    process.exitCode = await runDoctorCommand(
      { dataDir: resolve(o.dataDir), peerRpc: o.peerRpc, diskWarnBytes: o.diskWarnGb * 1024 ** 3, diskFailBytes: o.diskFailGb * 1024 ** 3, timeoutMs: o.timeout, json: o.json },
      { out, colour: !o.json && shouldColour(process.stdout) },
    )
  })

program.addCommand(govCommand())
program.addCommand(partyCommand())
program.addCommand(dataCommand())
program.addCommand(rpcKeyCommand())
program.addCommand(keysCommand())
program.addCommand(recoveryCommand())

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`error: ${err.message}`)
  else if (err instanceof TxNotFinalError) console.error(`pending [${err.code}]: ${err.message}`)
  else if (err instanceof QuorateError) console.error(`error [${err.code}]: ${err.message}`)
  else console.error(err)
  // One table of exit codes for every command (docs/operations.md "Exit codes").
  process.exit(exitCodeFor(err))
})
