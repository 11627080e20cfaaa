/**
 * A Quorate network of real node processes on loopback, for integration tests and benchmarks:
 * data folders from `initNetwork` (one shared genesis, every node dials every listening node), free
 * ports, the development accounts prefunded, and per-node start/stop/kill.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { devAccounts, type DevAccount } from '../../src/crypto/dev-accounts.js'
import { createNetworkKeys, initNetwork, writeNetworkFiles, type NetworkNode } from '../../src/node/init.js'
import type { Consortium } from '../../src/governance/consortium.js'
import { consortiumGenesis } from '../../src/governance/genesis.js'
import { freePort, rpc, startNodeProcess, type NodeProcess } from './quorate-node.js'

export interface NetworkOptions {
  validators: number
  /** Extra nodes whose keys are not validators (allowed to connect). */
  observers?: number
  /** Indexes of nodes that listen on nothing and only dial out. */
  outboundOnly?: number[]
  blockPeriodMs?: number
  emptyBlockPeriodMs?: number
  chainId?: number
  /**
   * Makes a governed chain: given the generated nodes (in order: validators first, then observers),
   * return the consortium (parties, admins, accounts, policies) whose genesis the network starts from.
   */
  consortium?: (nodes: NetworkNode[]) => Consortium
  /** How long a started node may take to answer RPC (default 30 s; a loaded machine may need more). */
  readyTimeoutMs?: number
  /** Extra arguments for node itself in every node process (e.g. `--cpu-prof`). */
  nodeArgs?: string[]
  /** Every node's log level instead of its config's. */
  logLevel?: string
}

export class TestNetwork {
  readonly processes: (NodeProcess | undefined)[]

  private constructor(
    readonly dir: string,
    readonly nodes: NetworkNode[],
    readonly accounts: DevAccount[],
    private readonly readyTimeoutMs: number | undefined,
    private readonly nodeArgs: string[] = [],
    private readonly logLevel?: string,
  ) {
    this.processes = nodes.map(() => undefined)
  }

  static async create(dir: string, opts: NetworkOptions): Promise<TestNetwork> {
    const count = opts.validators + (opts.observers ?? 0)
    const specs = []
    for (let i = 0; i < count; i++) {
      specs.push({
        name: `node-${i + 1}`,
        dataDir: join(dir, `node-${i + 1}`),
        rpcPort: await freePort(),
        ...(opts.outboundOnly?.includes(i) ? {} : { p2pPort: await freePort() }),
        validator: i < opts.validators,
      })
    }
    const accounts = devAccounts(10)
    const alloc = Object.fromEntries(accounts.map((a) => [a.address, { balance: (10n ** 24n).toString() }]))
    const config = {
      chainId: opts.chainId ?? 1337,
      blockPeriodMs: opts.blockPeriodMs ?? 500,
      emptyBlockPeriodMs: opts.emptyBlockPeriodMs ?? 1000,
      qbft: { requestTimeoutMs: 2000, maxRoundTimeoutMs: 8000 },
    }
    let nodes: NetworkNode[]
    if (opts.consortium) {
      // A governed chain: the consortium file (with node names) gets the generated node keys.
      nodes = await createNetworkKeys(specs)
      // The periods go into the consortium too: the chain parameters contract starts from them.
      const consortium = withEncryptionKeys({ ...opts.consortium(nodes), blockPeriodMs: config.blockPeriodMs, emptyBlockPeriodMs: config.emptyBlockPeriodMs }, nodes)
      const genesis = await consortiumGenesis(consortium)
      await writeNetworkFiles(nodes, { ...genesis, config: { ...genesis.config, ...config, governance: genesis.config.governance }, alloc: { ...genesis.alloc, ...alloc } })
    } else {
      nodes = await initNetwork(specs, { config, alloc })
    }
    return new TestNetwork(dir, nodes, accounts, opts.readyTimeoutMs, opts.nodeArgs, opts.logLevel)
  }

  url(i: number): string {
    return this.nodes[i]!.rpcUrl
  }

  async start(...indexes: number[]): Promise<void> {
    const which = indexes.length ? indexes : this.nodes.map((_, i) => i)
    const opts = { nodeArgs: this.nodeArgs, ...(this.logLevel ? { logLevel: this.logLevel } : {}), ...(this.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: this.readyTimeoutMs }) }
    // All settle before a failure is thrown, so that the nodes that did start are held (and stopped by stopAll).
    const started = await Promise.allSettled(which.map(async (i) => (this.processes[i] = await startNodeProcess(this.nodes[i]!.dataDir, this.nodes[i]!.rpcPort, opts))))
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
  }

  async stop(i: number): Promise<void> {
    await this.processes[i]?.stop()
    this.processes[i] = undefined
  }

  async kill(i: number): Promise<void> {
    await this.processes[i]?.kill()
    this.processes[i] = undefined
  }

  /** Deletes a stopped node's chain (keys and config stay): it must sync from its peers. */
  async wipe(i: number): Promise<void> {
    await rm(join(this.nodes[i]!.dataDir, 'chain'), { recursive: true, force: true })
  }

  async height(i: number): Promise<number> {
    return Number(await rpc<string>(this.url(i), 'eth_blockNumber'))
  }

  async hashAt(i: number, n: number): Promise<string | undefined> {
    const block = await rpc<{ hash: string } | null>(this.url(i), 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
    return block?.hash
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p?.stop()))
    this.processes.fill(undefined)
  }
}

/** Fills in each consortium node's X25519 key from its generated `encryption.key` (unless the file names one). */
function withEncryptionKeys(c: Consortium, nodes: NetworkNode[]): Consortium {
  const keys = new Map(nodes.map((n) => [n.address.toLowerCase(), n.encryptionKey]))
  return { ...c, parties: c.parties.map((p) => ({ ...p, nodes: p.nodes.map((n) => ({ ...n, encryptionKey: n.encryptionKey ?? keys.get(n.address.toLowerCase()) })) })) }
}
