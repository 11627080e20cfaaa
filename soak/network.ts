/**
 * The soak's network: a TestNetwork of validator processes on loopback whose P2P links all run
 * through a RelayMesh (so partitions can be made), and one node whose chain folder is a small
 * tmpfs mounted here (so its disk can be filled). Mounting needs root, as the disk-full test does.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CONFIG_FILE } from '../src/node/config.js'
import { TestNetwork } from '../bench/lib/quorate-network.js'
import { freePort } from '../bench/lib/quorate-node.js'
import { RelayMesh } from './relay.js'
import { SoakError } from './errors.js'

export interface SoakNetworkOptions {
  validators: number
  /** The node whose chain folder is a tmpfs of `diskMb`; undefined: none. */
  diskNode: number | undefined
  diskMb: number
  blockPeriodMs: number
}

export class SoakNetwork {
  private constructor(
    readonly net: TestNetwork,
    readonly mesh: RelayMesh,
    private readonly mounted: string | undefined,
  ) {}

  static async create(dir: string, opts: SoakNetworkOptions): Promise<SoakNetwork> {
    // A node restarted on a loaded machine may take long to load its code: that is not a fault of the node.
    const net = await TestNetwork.create(dir, { validators: opts.validators, blockPeriodMs: opts.blockPeriodMs, emptyBlockPeriodMs: opts.blockPeriodMs * 2, readyTimeoutMs: 120_000 })
    const p2pPorts = net.nodes.map((n) => n.p2pPort!)
    const mesh = await RelayMesh.start(p2pPorts, () => freePort())
    let mounted: string | undefined
    try {
      // Each node dials every other through its own relay of that direction.
      for (const [a, node] of net.nodes.entries()) {
        const file = join(node.dataDir, CONFIG_FILE)
        const config = JSON.parse(await readFile(file, 'utf8')) as { p2p: { peers: { url: string; address: string }[] } }
        config.p2p.peers = net.nodes.flatMap((peer, b) => (b === a ? [] : [{ url: `wss://127.0.0.1:${mesh.port(a, b)}`, address: peer.address }]))
        await writeFile(file, `${JSON.stringify(config, null, 2)}\n`)
      }
      if (opts.diskNode !== undefined) {
        const chainDir = join(net.nodes[opts.diskNode]!.dataDir, 'chain')
        await mkdir(chainDir, { recursive: true })
        try {
          execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.diskMb}M`, 'tmpfs', chainDir], { stdio: 'pipe' })
        } catch (err) {
          throw new SoakError(`the disk-full fault needs a small file system: \`mount -t tmpfs\` on ${chainDir} failed (run as root, or leave disk-full out with --faults)`, { cause: err })
        }
        mounted = chainDir
      }
    } catch (err) {
      await mesh.close()
      throw err
    }
    return new SoakNetwork(net, mesh, mounted)
  }

  get size(): number {
    return this.net.nodes.length
  }

  url(i: number): string {
    return this.net.url(i)
  }

  chainDir(i: number): string {
    return join(this.net.nodes[i]!.dataDir, 'chain')
  }

  /** Deletes a stopped node's chain (keys and config stay). A mount point is emptied, not removed. */
  async wipe(i: number): Promise<void> {
    const dir = this.chainDir(i)
    if (dir === this.mounted) {
      for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true })
    } else {
      await this.net.wipe(i)
    }
  }

  /** Sends a signal to a running node (SIGSTOP/SIGCONT); false when it is not running. */
  signal(i: number, signal: 'SIGSTOP' | 'SIGCONT'): boolean {
    const p = this.net.processes[i]
    if (!p || p.child.exitCode !== null) return false
    return p.child.kill(signal)
  }

  running(i: number): boolean {
    const p = this.net.processes[i]
    return p !== undefined && p.child.exitCode === null
  }

  /** Stops everything the soak started; the data folder stays for a look. */
  async close(): Promise<void> {
    for (let i = 0; i < this.size; i++) this.signal(i, 'SIGCONT')
    await Promise.all(this.net.nodes.map((_, i) => this.net.kill(i)))
    await this.mesh.close()
    if (this.mounted) {
      try {
        execFileSync('umount', [this.mounted], { stdio: 'pipe' })
      } catch {
        execFileSync('umount', ['-l', this.mounted], { stdio: 'pipe' })
      }
    }
  }
}
