/**
 * `quorate doctor --data-dir <dir>`: checks a node's data folder and surroundings and says what to
 * fix, one line per check (OK / WARN / FAIL, SKIP when a check needs something that already failed):
 * the folder, config.json, the node key (valid, not readable by others), the genesis, the TLS pair,
 * whether the node runs, its RPC and P2P ports, the proxy, each configured peer, the clock, disk space.
 *
 * It only reads and probes: it never changes a file, opens the chain database only when no node
 * holds it (to read the stored genesis hash; a running node is asked over RPC instead), and never
 * sends anything but a TCP connect (or an HTTP CONNECT through the proxy)
 * to a peer's P2P port. Clock skew is measured only against what it can honestly see: the node's own
 * latest block if it runs, and the HTTP Date of peers' RPC given with --peer-rpc.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { randomBytes } from 'node:crypto'
import { access, constants, readFile, stat, statfs, unlink, writeFile } from 'node:fs/promises'
import { connect, createServer, isIP } from 'node:net'
import { join, resolve } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import { z } from 'zod'
import { createChainCommon } from '../chain/common.js'
import { createGenesisBlock, genesisStateRoot, parseGenesis, type Genesis } from '../chain/genesis.js'
import { privateKeyToAddress } from '../crypto/keys.js'
import { ChainStore } from '../chain/store.js'
import { ConfigError, errorMessage } from '../errors.js'
import { START_FAILURES } from '../node/start-failure.js'
import { connectThroughProxy, resolveProxy, stripBrackets } from '../network/proxy.js'
import { loadNodeConfig, readJsonFile, type NodeConfig } from '../node/config.js'
import { readKeyFile } from '../node/keyfile.js'
import type { Address } from '../types.js'
import { hexQuantity, nodeInfoSchema, probeReady, type NodeInfo } from './status.js'
import { fetchFailureReason, NodeUnreachableError, rpcCall } from '../rpc/http-client.js'
import { renderTable, type Colour } from './table.js'
import { GovReader, type NodeInfo as NodeInfoRow, type PartyInfo } from './gov.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  /** Stable id, e.g. `node-key`, `rpc-port`, `peer:wss://host:port`. */
  id: string
  /** What was checked, for people. */
  title: string
  status: CheckStatus
  message: string
  /** What to do about a WARN or FAIL. */
  fix?: string
}

export interface DoctorOptions {
  dataDir: string
  /** RPC URLs of peers to compare the clock and genesis with. */
  peerRpc?: readonly string[]
  /** Per network probe; default 3000 ms. */
  timeoutMs?: number
  /** WARN below this much free disk; default 10 GiB. */
  diskWarnBytes?: number
  /** FAIL below this much free disk; default 1 GiB. */
  diskFailBytes?: number
  /** Environment for HTTPS_PROXY / NO_PROXY; default process.env. */
  env?: Record<string, string | undefined>
}

export interface DoctorReport {
  dataDir: string
  /** No check failed (warnings allowed). */
  ok: boolean
  checks: CheckResult[]
}

const GiB = 1024 ** 3
/** Blocks stamped this far ahead of a node's clock are refused (consensus/qbft-block.ts). */
const FUTURE_BLOCK_LIMIT_S = 15
const SKEW_WARN_MS = 2000
const SKEW_FAIL_MS = 10_000

const ok = (id: string, title: string, message: string): CheckResult => ({ id, title, status: 'ok', message })
const warn = (id: string, title: string, message: string, fix: string): CheckResult => ({ id, title, status: 'warn', message, fix })
const fail = (id: string, title: string, message: string, fix: string): CheckResult => ({ id, title, status: 'fail', message, fix })
const skip = (id: string, title: string, message: string): CheckResult => ({ id, title, status: 'skip', message })

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0')
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

/** The address to reach a server listening on `host` from this machine. */
function localHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '::1'
  return host
}

// ---- the data folder -------------------------------------------------------------------------

export async function checkDataDir(dataDir: string): Promise<{ result: CheckResult; exists: boolean }> {
  const title = 'data folder'
  let isDir: boolean
  try {
    isDir = (await stat(dataDir)).isDirectory()
  } catch {
    return { exists: false, result: fail('data-dir', title, `${dataDir} does not exist`, `create the node with \`quorate init --data-dir ${dataDir}\`, or pass the right --data-dir`) }
  }
  if (!isDir) return { exists: false, result: fail('data-dir', title, `${dataDir} is not a folder`, 'pass the node data folder (the one holding config.json) as --data-dir') }
  const probe = join(dataDir, `.doctor-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(probe, '', { flag: 'wx' })
    await unlink(probe)
    const chain = join(dataDir, 'chain')
    const hasChain = await access(chain).then(
      () => true,
      () => false,
    )
    if (hasChain) await access(chain, constants.W_OK)
  } catch (err) {
    return {
      exists: true,
      result: fail('data-dir', title, `${dataDir} is not writable: ${errorMessage(err)}`, 'give the account that runs the node write access to the folder and its chain/ subfolder (chown/chmod)'),
    }
  }
  return { exists: true, result: ok('data-dir', title, `${dataDir} is writable`) }
}

export async function checkConfig(dataDir: string): Promise<{ result: CheckResult; config?: NodeConfig }> {
  const title = 'config'
  try {
    const config = await loadNodeConfig(dataDir)
    return { config, result: ok('config', title, `config.json is valid (name "${config.name}")`) }
  } catch (err) {
    if (err instanceof ConfigError) {
      const fix =
        err.code === 'CONFIG_UNKNOWN_KEY'
          ? `remove or rename "${err.field}" in config.json (keys: docs/cli.md)`
          : err.field
            ? `correct the field "${err.field}" in config.json (fields: docs/cli.md)`
            : 'create it with `quorate init`, or restore it from your backup'
      const also = err.code === 'CONFIG_UNKNOWN_KEY' ? /also unknown: .*/.exec(err.details ?? '')?.[0] : undefined
      return { result: fail('config', title, also ? `${err.shortMessage}; ${also}` : err.shortMessage, fix) }
    }
    throw err
  }
}

/** The node key: readable, a valid secp256k1 key, and readable by its owner only. */
export async function checkNodeKey(file: string): Promise<{ result: CheckResult; address?: Address }> {
  const title = 'node key'
  let key: Uint8Array
  try {
    key = await readKeyFile(file)
  } catch (err) {
    return {
      result: fail('node-key', title, errorMessage(err), `restore ${file} from your backup: the key is the node's identity (a new key is a new node, which governance must admit)`),
    }
  }
  const address = privateKeyToAddress(key)
  if (process.platform === 'win32') return { address, result: ok('node-key', title, `valid, node address ${address}`) }
  const mode = (await stat(file)).mode
  if (mode & 0o007) {
    return { address, result: fail('node-key', title, `${file} is readable by every user (mode ${octal(mode)}); node address ${address}`, `chmod 600 ${file}`) }
  }
  if (mode & 0o070) {
    return { address, result: warn('node-key', title, `${file} is readable by its group (mode ${octal(mode)}); node address ${address}`, `chmod 600 ${file}`) }
  }
  return { address, result: ok('node-key', title, `valid, mode ${octal(mode)}, node address ${address}`) }
}

/** The genesis block hash a node would write for `genesis` (what Node.open compares against). */
export async function genesisHashOf(genesis: Genesis): Promise<string> {
  const common = createChainCommon(BigInt(genesis.config.chainId), genesis.gasLimit)
  const block = createGenesisBlock(genesis, common, genesisStateRoot(genesis))
  return bytesToHex(block.hash())
}

export async function checkGenesis(file: string, address: Address | undefined): Promise<{ result: CheckResult; genesis?: Genesis; hash?: string }> {
  const title = 'genesis'
  let genesis: Genesis
  try {
    genesis = parseGenesis(await readJsonFile(file, 'genesis file'), file)
  } catch (err) {
    const field = err instanceof ConfigError && err.field ? ` (field "${err.field}")` : ''
    return { result: fail('genesis', title, `${errorMessage(err)}${field}`, "use the consortium's genesis file unchanged: every node of a chain needs the same one") }
  }
  const hash = await genesisHashOf(genesis)
  const role = address === undefined ? '' : genesis.validators.includes(address) ? ', this node is a genesis validator' : ', this node is not a genesis validator'
  return { genesis, hash, result: ok('genesis', title, `chain id ${genesis.config.chainId}, ${genesis.validators.length} validators, hash ${hash}${role}`) }
}

const NEW_TLS_PAIR = (dir: string) =>
  `restore the pair, or make a new one (peers check identity in the signed handshake, not the certificate): openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=quorate -keyout ${join(dir, 'tls.key')} -out ${join(dir, 'tls.crt')}`

/** The TLS certificate and key exist, parse, and belong together (same public key). */
export async function checkTls(certFile: string, keyFile: string, opts: { needed: boolean; now?: number }): Promise<CheckResult> {
  const title = 'TLS pair'
  const dir = resolve(certFile, '..')
  const read = (file: string) => readFile(file, 'utf8').then(
    (text) => ({ text }),
    (err: NodeJS.ErrnoException) => ({ error: `cannot read ${file} (${err.code ?? err.message})` }),
  )
  const [certRead, keyRead] = await Promise.all([read(certFile), read(keyFile)])
  if (!('text' in certRead) || !('text' in keyRead)) {
    if (!opts.needed) return ok('tls', title, 'not needed: the node does not listen (p2p.listen is not set)')
    const errors = [certRead, keyRead].flatMap((r) => ('error' in r ? [r.error] : []))
    return fail('tls', title, errors.join('; '), NEW_TLS_PAIR(dir))
  }
  const certPem = certRead.text
  const keyPem = keyRead.text
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch (err) {
    return fail('tls', title, `${certFile} is not a PEM certificate: ${errorMessage(err)}`, NEW_TLS_PAIR(dir))
  }
  let certKey: Buffer
  let ownKey: Buffer
  try {
    const privateKey = createPrivateKey(keyPem)
    ownKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' })
    certKey = cert.publicKey.export({ type: 'spki', format: 'der' })
  } catch (err) {
    return fail('tls', title, `${keyFile} is not a PEM private key: ${errorMessage(err)}`, NEW_TLS_PAIR(dir))
  }
  if (!certKey.equals(ownKey)) return fail('tls', title, `${keyFile} is not the key of ${certFile} (their public keys differ)`, NEW_TLS_PAIR(dir))
  const now = opts.now ?? Date.now()
  const expires = new Date(cert.validTo).getTime()
  if (expires < now) return warn('tls', title, `matching pair, but the certificate expired on ${cert.validTo}`, `${NEW_TLS_PAIR(dir)} (peers do not check expiry, so this is not urgent)`)
  const keyMode = process.platform === 'win32' ? 0 : (await stat(keyFile)).mode
  if (keyMode & 0o007) return warn('tls', title, `matching pair, but ${keyFile} is readable by every user (mode ${octal(keyMode)})`, `chmod 600 ${keyFile}`)
  const days = Math.floor((expires - now) / 86_400_000)
  if (days < 30) return warn('tls', title, `matching pair; the certificate expires in ${days} days (${cert.validTo})`, NEW_TLS_PAIR(dir))
  return ok('tls', title, `matching pair, valid until ${cert.validTo}`)
}

// ---- the running node and its ports ----------------------------------------------------------

export interface RunningProbe {
  url: string
  /** This node answers on its RPC port. */
  self?: NodeInfo
  /** Another Quorate node answers there (its address). */
  other?: string
  /** Something answered that is not a Quorate node RPC. */
  foreign?: string
}

async function probeRunning(config: NodeConfig, address: Address | undefined, timeoutMs: number): Promise<RunningProbe> {
  const url = `http://${hostForUrl(localHost(config.rpc.host))}:${config.rpc.port}`
  try {
    const info = nodeInfoSchema.parse(await rpcCall(url, 'admin_nodeInfo', [], timeoutMs))
    if (address === undefined || info.id.toLowerCase() === address) return { url, self: info }
    return { url, other: info.id }
  } catch (err) {
    if (err instanceof NodeUnreachableError && /ECONNREFUSED|EADDRNOTAVAIL|ENOTFOUND/.test(err.shortMessage)) return { url }
    return { url, foreign: errorMessage(err) }
  }
}

async function checkRunning(probe: RunningProbe, timeoutMs: number): Promise<CheckResult> {
  const title = 'node'
  if (probe.self) {
    const head = probe.self.head ? `, head #${probe.self.head.number}` : ''
    const ready = await probeReady(probe.url, timeoutMs)
    if (ready.available && !ready.ready) {
      return warn('node', title, `running (${probe.url}${head}) but not ready: ${ready.failing.join('; ')}`, 'see the node log; `quorate status` shows how it compares with the other nodes')
    }
    return ok('node', title, `running, answers on ${probe.url} as ${probe.self.id}${head}${ready.available ? ', ready' : ''}`)
  }
  if (probe.other) return ok('node', title, `not running (another Quorate node, ${probe.other}, answers on ${probe.url})`)
  if (probe.foreign) return ok('node', title, `not running as this node (something else is on ${probe.url}: ${probe.foreign})`)
  return ok('node', title, `not running (nothing answers on ${probe.url})`)
}

/** Tries to listen on host:port; undefined if it could, else the error. */
export function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((res) => {
    const srv = createServer()
    srv.once('error', (err: NodeJS.ErrnoException) => res(err))
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => res(undefined)))
  })
}

/** The source ports the OS gives to outgoing connections (Linux), or undefined if unknown. */
async function ephemeralPortRange(): Promise<[number, number] | undefined> {
  try {
    const [lo, hi] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number)
    return lo !== undefined && hi !== undefined && Number.isInteger(lo) && Number.isInteger(hi) ? [lo, hi] : undefined
  } catch {
    return undefined
  }
}

async function checkPortFree(id: string, title: string, field: string, host: string, port: number): Promise<CheckResult> {
  const where = `${hostForUrl(host)}:${port}`
  if (port === 0) return ok(id, title, `${field} is 0: the node takes any free port`)
  const err = await tryListen(host, port)
  if (!err) return ok(id, title, `${where} is free`)
  switch (err.code) {
    case 'EADDRINUSE': {
      const listening = await tcpConnect(localHost(host), port, 1000).then(
        () => true,
        () => false,
      )
      const range = listening ? undefined : await ephemeralPortRange()
      if (range && port >= range[0] && port <= range[1]) {
        // Linux refuses to listen on a port that a live outgoing connection uses as its source port.
        return warn(
          id,
          title,
          `${where} cannot be listened on now, though nothing listens on it: it is in ${range[0]}-${range[1]}, the range this machine gives to outgoing connections, so one is probably using it as its source port`,
          `it frees when that connection closes; to avoid this, choose a ${field} below ${range[0]}`,
        )
      }
      return fail(id, title, `${where} is in use by another process (or by this node started with other ports)`, `stop that process (find it with \`ss -ltnp 'sport = :${port}'\`), or change ${field} in config.json`)
    }
    case 'EADDRNOTAVAIL':
      return fail(id, title, `${host} is not an address of this machine`, `set ${field.replace(/port$/, 'host')} to an address of this machine, or 0.0.0.0 for all`)
    case 'EACCES':
      return fail(id, title, `${where}: no permission to listen (ports below 1024 need privileges)`, `use a port of 1024 or above in ${field}`)
    default:
      return fail(id, title, `cannot listen on ${where}: ${err.message}`, `change ${field} in config.json`)
  }
}

async function checkRpcPort(config: NodeConfig, probe: RunningProbe): Promise<CheckResult> {
  const where = `${hostForUrl(config.rpc.host)}:${config.rpc.port}`
  if (probe.self) return ok('rpc-port', 'RPC port', `${where} is in use by this node`)
  if (probe.other) return fail('rpc-port', 'RPC port', `${where} is in use by another Quorate node (${probe.other})`, 'stop that node, or give this one another rpc.port in config.json')
  return checkPortFree('rpc-port', 'RPC port', 'rpc.port', config.rpc.host, config.rpc.port)
}

async function checkP2pPort(config: NodeConfig, probe: RunningProbe): Promise<CheckResult> {
  const title = 'P2P port'
  const listen = config.p2p.listen
  if (!listen) return ok('p2p-port', title, 'none: the node only dials out (p2p.listen is not set)')
  const where = `${hostForUrl(listen.host)}:${listen.port}`
  if (probe.self) {
    const running = probe.self.listenAddr ? Number(new URL(probe.self.listenAddr).port) : undefined
    if (running === listen.port || (listen.port === 0 && running !== undefined)) return ok('p2p-port', title, `${where} is in use by this node`)
    const now = running === undefined ? 'does not listen' : `listens on port ${running}`
    return warn('p2p-port', title, `the running node ${now}, but config.json says ${where}`, 'restart the node to apply config.json')
  }
  return checkPortFree('p2p-port', title, 'p2p.listen.port', listen.host, listen.port)
}

// ---- the network around it -------------------------------------------------------------------

/** Opens and closes a TCP connection to host:port. */
export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => {
    const socket = connect({ host, port })
    const timer = setTimeout(() => {
      socket.destroy()
      rej(new Error(`no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      res()
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      rej(err)
    })
  })
}

function connectHint(err: unknown, host: string, port: number): string {
  const code = (err as { code?: unknown }).code
  if (code === 'ECONNREFUSED') return `${host} answered, but nothing listens on port ${port}: ask that party whether its node runs`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${host} does not resolve: check the peer URL in p2p.peers, or DNS`
  if (err instanceof Error && /no answer within/.test(err.message)) {
    return `a firewall may drop the traffic: ask for outbound TCP to ${host}:${port} to be allowed, or dial through a proxy (p2p.proxy or HTTPS_PROXY)`
  }
  return 'check the peer URL in p2p.peers and the network path to it'
}

function proxySource(config: NodeConfig, env: Record<string, string | undefined>): { raw: string; field: string } | undefined {
  if (config.p2p.proxy) return { raw: config.p2p.proxy, field: 'p2p.proxy' }
  const raw = env.HTTPS_PROXY ?? env.https_proxy
  if (raw !== undefined && raw.trim() !== '') return { raw, field: env.HTTPS_PROXY !== undefined ? 'HTTPS_PROXY' : 'https_proxy' }
  return undefined
}

async function checkProxy(config: NodeConfig, env: Record<string, string | undefined>, timeoutMs: number): Promise<CheckResult> {
  const title = 'proxy'
  const source = proxySource(config, env)
  if (!source) return ok('proxy', title, 'none: peers are dialled directly')
  let proxy: URL | undefined
  try {
    proxy = resolveProxy(new URL('wss://peer.invalid:443'), { proxy: source.raw, noProxy: '' }, env)
  } catch (err) {
    return fail('proxy', title, `${source.field}: ${errorMessage(err)}`, `set ${source.field} to http://host:port (http://user:password@host:port with credentials)`)
  }
  if (!proxy) return ok('proxy', title, 'none: peers are dialled directly')
  const host = stripBrackets(proxy.hostname)
  const port = proxy.port ? Number(proxy.port) : 80
  try {
    await tcpConnect(host, port, timeoutMs)
    return ok('proxy', title, `${hostForUrl(host)}:${port} (from ${source.field}) is reachable`)
  } catch (err) {
    return fail('proxy', title, `cannot reach ${hostForUrl(host)}:${port} (from ${source.field}): ${errorMessage(err)}`, `check ${source.field}, and that this machine may reach the proxy`)
  }
}

async function checkPeers(config: NodeConfig, address: Address | undefined, env: Record<string, string | undefined>, timeoutMs: number): Promise<CheckResult[]> {
  const peers = config.p2p.peers.filter((p) => p.address === undefined || p.address !== address)
  if (peers.length === 0) {
    return [config.p2p.listen ? ok('peers', 'peers', 'none configured: this node waits for others to dial it') : warn('peers', 'peers', 'none configured and no listening port: this node cannot reach anyone', 'add the other nodes to p2p.peers, or set p2p.listen')]
  }
  const outcomes = await Promise.all(
    peers.map(async (peer) => {
      const url = new URL(peer.url)
      const host = stripBrackets(url.hostname)
      const port = url.port ? Number(url.port) : 443
      try {
        const proxy = resolveProxy(url, config.p2p.proxy ? { proxy: config.p2p.proxy } : {}, env)
        if (proxy) {
          const socket = await connectThroughProxy(proxy, host, port, timeoutMs)
          socket.destroy()
          return { peer, reachable: true, message: `reachable through the proxy ${proxy.host}` }
        }
        await tcpConnect(host, port, timeoutMs)
        return { peer, reachable: true, message: 'reachable (direct TCP)' }
      } catch (err) {
        return { peer, reachable: false, message: `not reachable: ${errorMessage(err)}`, fix: err instanceof ConfigError ? 'fix the proxy setting' : connectHint(err, host, port) }
      }
    }),
  )
  const none = outcomes.every((o) => !o.reachable)
  return outcomes.map((o) => {
    const id = `peer:${o.peer.url}`
    const title = `peer ${o.peer.url}`
    if (o.reachable) return ok(id, title, o.message)
    const fix = none && !config.p2p.listen ? `${o.fix}; no peer is reachable and this node does not listen, so it is cut off` : o.fix!
    return none ? fail(id, title, o.message, fix) : warn(id, title, o.message, fix)
  })
}

const latestBlockSchema = z.object({ number: hexQuantity, timestamp: hexQuantity })

/** Skew against the node's own latest block: only a block from the future or a very old head say anything. */
async function checkOwnClock(url: string, genesis: Genesis | undefined, timeoutMs: number): Promise<CheckResult> {
  const title = 'clock (own chain)'
  let block: z.output<typeof latestBlockSchema>
  try {
    block = latestBlockSchema.parse(await rpcCall(url, 'eth_getBlockByNumber', ['latest', false], timeoutMs))
  } catch (err) {
    return skip('clock', title, `cannot read the latest block: ${errorMessage(err)}`)
  }
  if (block.number === 0) return skip('clock', title, 'the chain has no block after genesis yet; pass --peer-rpc <url> to compare with a peer')
  const now = Date.now() / 1000
  const ahead = block.timestamp - now
  if (ahead > SKEW_WARN_MS / 1000) {
    const message = `the latest block (#${block.number}) is stamped ${ahead.toFixed(0)} s ahead of this machine's clock: this clock is behind the proposers'`
    const fix = `synchronise the clock with NTP (chrony/timesyncd); blocks more than ${FUTURE_BLOCK_LIMIT_S} s ahead are refused`
    return ahead * 1000 > SKEW_FAIL_MS ? fail('clock', title, message, fix) : warn('clock', title, message, fix)
  }
  const expected = Math.ceil((genesis?.config.emptyBlockPeriodMs ?? 10_000) / 1000)
  const age = Math.max(0, now - block.timestamp)
  if (age > expected + 10) {
    return warn('clock', title, `the latest block (#${block.number}) is ${age.toFixed(0)} s old (a block is due at least every ${expected} s): the chain has stalled, or this clock is ahead`, 'run `quorate status`; compare clocks with `--peer-rpc <url>`, and synchronise with NTP')
  }
  return ok('clock', title, `latest block #${block.number} is ${age.toFixed(0)} s old (a block is due at least every ${expected} s)`)
}

/** Skew against a peer's HTTP Date (1 s resolution), and whether the peer runs the same genesis. */
async function checkPeerRpc(url: string, genesisHash: string | undefined, timeoutMs: number): Promise<CheckResult[]> {
  const clockId = `clock:${url}`
  const clockTitle = `clock vs ${url}`
  const t0 = Date.now()
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'admin_nodeInfo', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    return [warn(clockId, clockTitle, `no answer from ${url}: ${fetchFailureReason(err, timeoutMs)}`, 'check the --peer-rpc URL, or ask that party whether its RPC is reachable from here')]
  }
  const t1 = Date.now()
  const results: CheckResult[] = []
  const date = Date.parse(res.headers.get('date') ?? '')
  if (Number.isNaN(date)) {
    results.push(skip(clockId, clockTitle, `${url} sent no Date header`))
  } else {
    // The Date header is truncated to the second: its middle is the best estimate.
    const skew = (t0 + t1) / 2 - (date + 500)
    const margin = 500 + (t1 - t0) / 2
    const text = `this clock is ${Math.abs(skew / 1000).toFixed(1)} s ${skew >= 0 ? 'ahead of' : 'behind'} ${url} (±${(margin / 1000).toFixed(1)} s)`
    const fix = `synchronise both clocks with NTP; blocks more than ${FUTURE_BLOCK_LIMIT_S} s ahead of a node's clock are refused`
    const beyond = Math.abs(skew) - margin
    results.push(beyond > SKEW_FAIL_MS ? fail(clockId, clockTitle, text, fix) : beyond > SKEW_WARN_MS ? warn(clockId, clockTitle, text, fix) : ok(clockId, clockTitle, text))
  }
  const body = z.object({ result: nodeInfoSchema }).safeParse(await res.json().catch(() => undefined))
  if (genesisHash !== undefined && body.success && body.data.result.genesis !== undefined) {
    const theirs = body.data.result.genesis
    results.push(
      theirs === genesisHash
        ? ok(`genesis:${url}`, `genesis vs ${url}`, 'same genesis as the peer')
        : fail(`genesis:${url}`, `genesis vs ${url}`, `genesis.json gives ${genesisHash}, the peer runs ${theirs}`, "replace genesis.json with the consortium's file (and delete chain/ if the node already started from the wrong one)"),
    )
  }
  return results
}

/**
 * Whether governance admits this node, read over JSON-RPC (this node's if it runs, else the first
 * --peer-rpc): its address registered and active, its party active; and its validator role.
 */
export async function checkAdmission(rpcUrl: string | undefined, address: Address | undefined, governed: boolean, timeoutMs: number): Promise<CheckResult> {
  const id = 'governance'
  const title = 'governance admission'
  if (!governed) return skip(id, title, 'the genesis has no governance contract: peers admit nodes from their config')
  if (!address) return skip(id, title, 'needs the node key')
  if (!rpcUrl) return skip(id, title, 'not checked: the node is not running; pass --peer-rpc <url> to ask a peer')
  const gov = new GovReader(rpcUrl, timeoutMs)
  let nodes: NodeInfoRow[]
  let parties: PartyInfo[]
  let validators: Address[]
  try {
    ;[nodes, parties, validators] = await Promise.all([gov.nodes(), gov.parties(), gov.validators()])
  } catch (err) {
    return warn(id, title, `cannot read governance from ${rpcUrl}: ${errorMessage(err)}`, 'check the RPC URL and that the gov namespace is granted')
  }
  const node = nodes.find((n) => n.address === address)
  const proposeFix = `ask your sponsor to propose it (quorate gov propose add-node --request join-request.json ...) and the parties to vote`
  if (!node) return fail(id, title, `${address} is not registered in governance (per ${rpcUrl}): every peer refuses its handshake`, proposeFix)
  if (node.status !== 'active') return fail(id, title, `node ${address} is ${node.status} in governance: peers refuse its handshake`, 'a removed node must be added again by an AddNode vote, with a new key')
  const party = parties.find((p) => p.id === node.party)
  if (party?.status !== 'active') return fail(id, title, `node ${address} is active, but its party ${node.party} is ${party?.status ?? 'unknown'}: peers refuse its handshake`, `the parties vote to reinstate ${node.party} (quorate gov propose reinstate-party --party-id ${node.party} ...)`)
  const role = validators.includes(address) ? 'a validator' : node.validator ? 'a validator candidate (it activates itself once synced and connected)' : 'not a validator'
  return ok(id, title, `admitted: node ${address} of party ${party.id} is active, ${role} (per ${rpcUrl})`)
}

function checkRunningGenesis(probe: RunningProbe, genesisHash: string | undefined): CheckResult | undefined {
  if (!probe.self?.genesis || genesisHash === undefined) return undefined
  if (probe.self.genesis === genesisHash) return undefined
  return fail(
    'genesis-running',
    'genesis vs running node',
    `the running node started from genesis ${probe.self.genesis}, but genesis.json now gives ${genesisHash}: it will refuse to restart (GENESIS_MISMATCH)`,
    GENESIS_MISMATCH_FIX,
  )
}

const GENESIS_MISMATCH_FIX = START_FAILURES.GENESIS_MISMATCH.fix

/**
 * genesis.json against the chain stored in the data folder (block 0 of chain/), when no node runs:
 * `quorate start` would refuse a mismatch with GENESIS_MISMATCH. Opens the database only if it exists
 * and no process holds it.
 */
export async function checkStoredGenesis(dataDir: string, genesis: Genesis, genesisHash: string): Promise<CheckResult> {
  const id = 'genesis-stored'
  const title = 'genesis vs stored chain'
  const dir = join(dataDir, 'chain')
  if (!(await access(join(dir, 'CURRENT')).then(() => true, () => false))) return ok(id, title, 'no chain stored yet: the node writes this genesis at its first start')
  let store: ChainStore
  try {
    store = await ChainStore.open(dir, createChainCommon(BigInt(genesis.config.chainId), genesis.gasLimit))
  } catch (err) {
    return skip(id, title, `cannot open the chain database (${errorMessage(err)}); a node that holds it but does not answer on its RPC port?`)
  }
  try {
    const stored = await store.getBlockByNumber(0n)
    if (!stored) return warn(id, title, 'the chain database holds no genesis block', 'move chain/ aside: the node writes the genesis and syncs again from its peers')
    const hash = bytesToHex(stored.hash())
    return hash === genesisHash
      ? ok(id, title, `the stored chain was started from this genesis (${hash})`)
      : fail(id, title, `the stored chain was started from genesis ${hash}, but genesis.json gives ${genesisHash}: the node will refuse to start (GENESIS_MISMATCH)`, GENESIS_MISMATCH_FIX)
  } finally {
    await store.close()
  }
}

export async function checkDisk(dataDir: string, warnBytes: number, failBytes: number): Promise<CheckResult> {
  const title = 'disk space'
  const fs = await statfs(dataDir)
  const free = fs.bavail * fs.bsize
  const total = fs.blocks * fs.bsize
  const text = `${(free / GiB).toFixed(1)} GiB free of ${(total / GiB).toFixed(1)} GiB`
  const fix = 'free space or move the data folder to a larger disk: the chain only grows, and LevelDB needs room to compact'
  if (free < failBytes) return fail('disk', title, `${text} (below ${(failBytes / GiB).toFixed(1)} GiB)`, fix)
  if (free < warnBytes) return warn('disk', title, `${text} (below ${(warnBytes / GiB).toFixed(1)} GiB)`, fix)
  return ok('disk', title, text)
}

// ---- the whole run ---------------------------------------------------------------------------

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const dataDir = resolve(opts.dataDir)
  const timeoutMs = opts.timeoutMs ?? 3000
  const env = opts.env ?? process.env
  const checks: CheckResult[] = []
  const done = (): DoctorReport => ({ dataDir, ok: checks.every((c) => c.status !== 'fail'), checks })

  const dir = await checkDataDir(dataDir)
  checks.push(dir.result)
  if (!dir.exists) return done()

  const { result: configResult, config } = await checkConfig(dataDir)
  checks.push(configResult)
  if (!config) {
    const needs = 'needs a valid config.json'
    for (const [id, title] of [['node-key', 'node key'], ['genesis', 'genesis'], ['tls', 'TLS pair'], ['node', 'node'], ['rpc-port', 'RPC port'], ['p2p-port', 'P2P port'], ['proxy', 'proxy'], ['peers', 'peers']] as const) checks.push(skip(id, title, needs))
    checks.push(await checkDisk(dataDir, opts.diskWarnBytes ?? 10 * GiB, opts.diskFailBytes ?? GiB))
    return done()
  }

  const key = await checkNodeKey(join(dataDir, config.nodeKeyFile))
  checks.push(key.result)
  const genesis = await checkGenesis(join(dataDir, config.genesisFile), key.address)
  checks.push(genesis.result)
  checks.push(await checkTls(join(dataDir, config.p2p.tlsCertFile), join(dataDir, config.p2p.tlsKeyFile), { needed: config.p2p.listen !== undefined }))

  const running = await probeRunning(config, key.address, timeoutMs)
  checks.push(await checkRunning(running, timeoutMs))
  const mismatch = checkRunningGenesis(running, genesis.hash)
  if (mismatch) checks.push(mismatch)
  if (!running.self && genesis.genesis && genesis.hash) checks.push(await checkStoredGenesis(dataDir, genesis.genesis, genesis.hash))
  checks.push(await checkRpcPort(config, running))
  checks.push(await checkP2pPort(config, running))
  checks.push(await checkProxy(config, env, timeoutMs))
  checks.push(...(await checkPeers(config, key.address, env, timeoutMs)))

  checks.push(await checkAdmission(running.self ? running.url : opts.peerRpc?.[0], key.address, genesis.genesis?.config.governance !== undefined, timeoutMs))
  if (running.self) checks.push(await checkOwnClock(running.url, genesis.genesis, timeoutMs))
  for (const url of opts.peerRpc ?? []) checks.push(...(await checkPeerRpc(url, genesis.hash, timeoutMs)))
  if (!running.self && (opts.peerRpc ?? []).length === 0) {
    checks.push(skip('clock', 'clock', 'not measured: the node is not running; pass --peer-rpc <url> to compare with a peer'))
  }

  checks.push(await checkDisk(dataDir, opts.diskWarnBytes ?? 10 * GiB, opts.diskFailBytes ?? GiB))
  return done()
}

const LABEL: Record<CheckStatus, { text: string; colour: Colour }> = {
  ok: { text: 'OK', colour: 'green' },
  warn: { text: 'WARN', colour: 'yellow' },
  fail: { text: 'FAIL', colour: 'red' },
  skip: { text: 'SKIP', colour: 'dim' },
}

/** One line per check: status, what, result, and for WARN/FAIL the fix; then a summary line. */
export function formatDoctorReport(report: DoctorReport, opts: { colour?: boolean } = {}): string {
  const table = renderTable(
    [
      { header: 'STATUS', cell: (c: CheckResult) => LABEL[c.status].text, colour: (c: CheckResult) => LABEL[c.status].colour },
      { header: 'CHECK', cell: (c: CheckResult) => c.title },
      { header: 'RESULT', cell: (c: CheckResult) => (c.fix ? `${c.message} -> fix: ${c.fix}` : c.message) },
    ],
    report.checks,
    { colour: opts.colour ?? false, header: false },
  )
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length
  const fails = count('fail')
  const warns = count('warn')
  const summary = fails
    ? `${fails} FAIL, ${warns} WARN: fix the FAIL lines, then run \`quorate doctor\` again`
    : warns
      ? `no FAIL, ${warns} WARN`
      : 'all checks passed'
  return `quorate doctor: ${report.dataDir}\n${table}${summary}\n`
}

export interface DoctorCommandOptions extends DoctorOptions {
  json?: boolean
}

/** The `quorate doctor` command: prints the report and returns the exit code (1 if any FAIL). */
export async function runDoctorCommand(opts: DoctorCommandOptions, io: { out: (text: string) => void; colour?: boolean }): Promise<number> {
  const report = await runDoctor(opts)
  io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report, { colour: io.colour ?? false }))
  return report.ok ? 0 : 1
}

