/**
 * Hosts in Linux network namespaces that a test makes and removes itself: a "lan" namespace holding
 * a bridge, one namespace per host joined to the bridge by a veth pair (both ends are created inside
 * the test's namespaces, never in the root one), iptables rules per host, processes started inside a
 * host, and a host's loopback TCP port reached from the test through a Unix socket relay (the file
 * system is shared by all namespaces; the network is not). Nothing of the root namespace
 * (interfaces, routes, iptables rules) is read or changed.
 *
 * Needs root, iproute2, iptables and conntrack in the kernel (.ci/run installs the Debian packages).
 * Namespace names carry the creating process id: namespaces of a process that died without
 * cleaning up are removed by the next lab.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, closeSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const PREFIX = 'qfw'
/** `ip netns exec <ns>` bind-mounts the files of /etc/netns/<ns>/ over those of /etc/ for the command. */
const ETC_NETNS = '/etc/netns'

export interface LabHost {
  name: string
  /** The namespace's name (`ip netns exec <ns> …`). */
  ns: string
  ip: string
}

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

function run(argv: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: opts.timeoutMs ?? 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      if (code !== 0 && !opts.allowFail) reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.trim() || err?.message}`))
      else resolve({ code, stdout, stderr })
    })
  })
}

/** Why namespaces cannot be used here, or undefined when they can. */
export async function netnsUnavailable(tools: string[] = ['ip', 'iptables']): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  for (const tool of tools) {
    if ((await run(['sh', '-c', `command -v ${tool}`], { allowFail: true })).code !== 0) return `${tool} is not installed (Debian: apt-get install iptables tinyproxy)`
  }
  return undefined
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes namespaces left by labs whose process is gone (a killed test run). */
async function sweepStale(): Promise<void> {
  const { stdout } = await run(['ip', 'netns', 'list'], { allowFail: true })
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const m = new RegExp(`^${PREFIX}(\\d+)x`).exec(name)
    if (m && !alive(Number(m[1]))) {
      await run(['ip', 'netns', 'del', name], { allowFail: true })
      rmSync(join(ETC_NETNS, name), { recursive: true, force: true })
    }
  }
}

export class NetnsLab {
  readonly hosts = new Map<string, LabHost>()
  private readonly lan: string
  private readonly children = new Set<ChildProcess>()
  private readonly relays = new Map<string, string>()
  private namespaces: string[] = []
  private etcDirs: string[] = []
  private nextIp = 11
  private readonly onExit = (): void => this.destroySync()

  private constructor(
    /** A folder of the test for relay sockets and logs. */
    readonly dir: string,
    private readonly id: string,
    /** The first three octets of the lan's /24. */
    readonly subnet: string,
  ) {
    this.lan = `${id}-lan`
  }

  static async create(dir: string, subnet = '10.50.0'): Promise<NetnsLab> {
    await sweepStale()
    const lab = new NetnsLab(dir, `${PREFIX}${process.pid}x${randomBytes(3).toString('hex')}`, subnet)
    process.once('exit', lab.onExit)
    await lab.addNamespace(lab.lan)
    await lab.ip(lab.lan, 'link', 'add', 'br0', 'type', 'bridge')
    await lab.ip(lab.lan, 'link', 'set', 'br0', 'up')
    return lab
  }

  private async addNamespace(ns: string): Promise<void> {
    await run(['ip', 'netns', 'add', ns])
    this.namespaces.push(ns)
    await this.ip(ns, 'link', 'set', 'lo', 'up')
  }

  private ip(ns: string, ...args: string[]): Promise<ExecResult> {
    return run(['ip', '-n', ns, ...args])
  }

  /** A host on the lan at `<subnet>.<n>` (n counts up from 11, or `octet`). */
  async addHost(name: string, octet?: number): Promise<LabHost> {
    const ns = `${this.id}-${name}`
    const ip = `${this.subnet}.${octet ?? this.nextIp++}`
    await this.addNamespace(ns)
    const port = `p${this.hosts.size}`
    // Both ends are created in the test's namespaces: the lan end `pN`, the host's end `eth0`.
    await this.ip(this.lan, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    await this.ip(this.lan, 'link', 'set', port, 'master', 'br0', 'up')
    await this.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0')
    await this.ip(ns, 'link', 'set', 'eth0', 'up')
    const host = { name, ns, ip }
    this.hosts.set(name, host)
    return host
  }

  host(name: string): LabHost {
    const h = this.hosts.get(name)
    if (!h) throw new Error(`no host ${name}`)
    return h
  }

  /**
   * Names only this host resolves (its own /etc/hosts, through /etc/netns/<ns>/hosts): e.g. a
   * proxy that resolves the peers' names while the hosts behind it resolve nothing. Set it before
   * starting the host's processes.
   */
  async setHostsFile(host: LabHost, names: Record<string, string>): Promise<void> {
    const dir = join(ETC_NETNS, host.ns)
    await mkdir(dir, { recursive: true })
    this.etcDirs.push(dir)
    const lines = ['127.0.0.1 localhost', ...Object.entries(names).map(([name, ip]) => `${ip} ${name}`)]
    await writeFile(join(dir, 'hosts'), `${lines.join('\n')}\n`)
  }

  /** Runs a command inside a host and waits for it. */
  exec(host: LabHost, argv: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
    return run(['ip', 'netns', 'exec', host.ns, ...argv], opts)
  }

  /** `iptables <args>` inside a host (its own tables; the root namespace's are not touched). */
  async iptables(host: LabHost, ...args: string[]): Promise<void> {
    await this.exec(host, ['iptables', '-w', ...args])
  }

  /** The lan side of a host's cable down or up (a pulled cable). */
  async cable(host: LabHost, up: boolean): Promise<void> {
    const index = [...this.hosts.values()].indexOf(host)
    await this.ip(this.lan, 'link', 'set', `p${index}`, up ? 'up' : 'down')
  }

  /** Starts a long-running process inside a host, its output appended to `logFile`; killed by destroy(). */
  spawn(host: LabHost, argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const log = openSync(logFile, 'a')
    // `ip netns exec` execs the command in place: the child's pid is the command's own.
    const child = spawn('ip', ['netns', 'exec', host.ns, ...argv], { stdio: ['ignore', log, log], env })
    closeSync(log)
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  /**
   * A Unix socket in the test's folder that forwards each connection to 127.0.0.1:`port` inside
   * `host` (one relay process per host and port).
   */
  async relay(host: LabHost, port: number): Promise<string> {
    const key = `${host.name}:${port}`
    const existing = this.relays.get(key)
    if (existing) return existing
    const socketPath = join(this.dir, `${host.name}-${port}.sock`)
    const script = `
      const net = require('node:net'); const fs = require('node:fs')
      const [path, port] = [process.argv[1], Number(process.argv[2])]
      fs.rmSync(path, { force: true })
      net.createServer((c) => {
        const u = net.connect(port, '127.0.0.1')
        c.pipe(u).pipe(c)
        u.on('error', () => c.destroy()); c.on('error', () => u.destroy())
      }).listen(path)`
    const child = this.spawn(host, [process.execPath, '-e', script, socketPath, String(port)], join(this.dir, `relay-${host.name}-${port}.log`))
    for (let i = 0; i < 100 && !existsSync(socketPath); i++) {
      if (child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 50))
    }
    if (!existsSync(socketPath)) throw new Error(`the relay to ${key} did not start`)
    this.relays.set(key, socketPath)
    return socketPath
  }

  /**
   * Tries a TCP connection from `from` to ip:port: `open`, `refused` (a RST: nothing listens, no
   * firewall in the way) or `blocked` (no answer within `timeoutMs`, or refused locally).
   */
  async probe(from: LabHost, ip: string, port: number, timeoutMs = 1000): Promise<'open' | 'refused' | 'blocked'> {
    // bash's /dev/tcp: no process start-up of its own to wait for, unlike a node script.
    const seconds = (timeoutMs / 1000).toFixed(1)
    const { code, stderr } = await this.exec(from, ['timeout', seconds, 'bash', '-c', `exec 3<>/dev/tcp/${ip}/${port}`], { allowFail: true })
    if (code === 0) return 'open'
    return /refused/i.test(stderr) ? 'refused' : 'blocked'
  }

  /** Kills every process still running in the lab, then deletes its namespaces. */
  async destroy(): Promise<void> {
    process.off('exit', this.onExit)
    await Promise.all(
      [...this.children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGKILL')
        await exited
      }),
    )
    for (const ns of this.namespaces.reverse()) await run(['ip', 'netns', 'del', ns], { allowFail: true })
    this.namespaces = []
    for (const dir of this.etcDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    const left = (await run(['ip', 'netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${this.id}-`))
    if (left.length) throw new Error(`network namespaces left behind: ${left.join(', ')}`)
  }

  /** The last resort on process exit: synchronous. */
  private destroySync(): void {
    for (const child of this.children) child.kill('SIGKILL')
    for (const ns of this.namespaces.reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns])
      } catch {
        // gone already
      }
    }
    for (const dir of this.etcDirs) rmSync(dir, { recursive: true, force: true })
  }
}

/** One JSON-RPC call over a Unix socket (a relay). */
export function rpcOverSocket<T = unknown>(socketPath: string, method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
    const req = request({ socketPath, path: '/', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: T; error?: { message: string } }
          if (json.error) reject(new Error(`${method}: ${json.error.message}`))
          else resolve(json.result as T)
        } catch (err) {
          reject(err as Error)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method}: no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** GET a path over a Unix socket: status and parsed JSON body. */
export function getOverSocket<T = unknown>(socketPath: string, path: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T })
        } catch (err) {
          reject(err as Error)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer`)))
    req.on('error', reject)
    req.end()
  })
}
