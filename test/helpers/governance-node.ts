/**
 * A validator run inside the test process from the data folder of a network node, with the node's
 * own P2P and JSON-RPC ports, so the test can reach into it. With `unsafeSkipTxAdmission` it ignores
 * account permissions in its pool and in the blocks it builds: a byzantine proposer. Its log lines
 * are kept in memory (debug level) for the test to read.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { loadNodeConfig } from '../../src/node/config.js'
import { CLIENT_VERSION, Node } from '../../src/node/node.js'
import { ethMethods } from '../../src/rpc/eth.js'
import { govMethods } from '../../src/rpc/gov.js'
import { miscMethods } from '../../src/rpc/misc.js'
import { qbftMethods } from '../../src/rpc/qbft.js'
import { RpcServer } from '../../src/rpc/server.js'

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

export interface InProcessNode {
  node: Node
  rpcUrl: string
  logs: LogLine[]
  stop(): Promise<void>
}

export async function startInProcessNode(dataDir: string, opts: { unsafeSkipTxAdmission?: boolean } = {}): Promise<InProcessNode> {
  const config = await loadNodeConfig(dataDir)
  const logs: LogLine[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine)
      done()
    },
  })
  const logger = pino({ level: 'debug', base: undefined }, sink)
  const node = await Node.open(dataDir, config, { logger, ...(opts.unsafeSkipTxAdmission ? { unsafeSkipTxAdmission: true } : {}) })
  const rpc = new RpcServer(
    {
      host: config.rpc.host,
      port: config.rpc.port,
      methods: { ...ethMethods(node), ...miscMethods(node, { peerCount: () => node.peerCount() }), ...qbftMethods(node), ...(node.governance ? govMethods(node, node.governance) : {}) },
      banner: { client: CLIENT_VERSION, chainId: Number(node.chainId) },
    },
    { logger: logger.child({ module: 'rpc' }) },
  )
  try {
    await rpc.start()
    await node.start()
  } catch (err) {
    await rpc.stop()
    await node.stop()
    throw err
  }
  return {
    node,
    rpcUrl: `http://${config.rpc.host}:${rpc.address().port}`,
    logs,
    stop: async () => {
      await rpc.stop()
      await node.stop()
    },
  }
}
