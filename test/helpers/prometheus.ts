/**
 * A real Prometheus and a real Alertmanager (Debian's `prometheus` and `prometheus-alertmanager`
 * packages, installed by .ci/run) on loopback ports, each in its own folder, for tests that read
 * alerts the way an operator's monitoring would serve them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort, waitFor } from '../../bench/lib/quorate-node.js'

export interface Monitor {
  url: string
  stop(): Promise<void>
}

/** An alerting rule of the Prometheus rule file format. */
export interface AlertRule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

const PROMETHEUS = '/usr/bin/prometheus'
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager'

async function launch(bin: string, pkg: string, dir: string, args: (port: number) => string[]): Promise<Monitor> {
  if (!existsSync(bin)) throw new Error(`${bin} is not installed: install Debian's ${pkg} package (.ci/run does)`)
  const port = await freePort()
  const log = openSync(join(dir, 'process.log'), 'w')
  const child: ChildProcess = spawn(bin, args(port), { stdio: ['ignore', log, log] })
  closeSync(log)
  const url = `http://127.0.0.1:${port}`
  let exited = false
  child.once('exit', () => (exited = true))
  const state = await waitFor(`${bin} ready (log: ${join(dir, 'process.log')})`, async () => (exited ? 'exited' : (await fetch(`${url}/-/ready`).then((r) => r.ok)) && 'ready'))
  if (state === 'exited') throw new Error(`${bin} exited at start; see ${join(dir, 'process.log')}`)
  return {
    url,
    stop: async () => {
      if (exited) return
      const gone = new Promise((done) => child.once('exit', done))
      child.kill('SIGTERM')
      await gone
    },
  }
}

/** Alertmanager with one receiver that sends nothing: its API lists the alerts it was given. */
export async function startAlertmanager(dir: string): Promise<Monitor> {
  await mkdir(join(dir, 'data'), { recursive: true })
  const config = join(dir, 'alertmanager.yml')
  await writeFile(config, stringify({ route: { receiver: 'nobody' }, receivers: [{ name: 'nobody' }] }))
  return launch(ALERTMANAGER, 'prometheus-alertmanager', dir, (port) => [
    `--config.file=${config}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=', // no gossip port: a single Alertmanager, loopback only
  ])
}

/** Prometheus scraping `targets` (host:port, /metrics) every second and evaluating `rules` every second. */
export async function startPrometheus(dir: string, opts: { targets: string[]; rules: AlertRule[]; alertmanager?: string }): Promise<Monitor> {
  await mkdir(join(dir, 'data'), { recursive: true })
  const rules = join(dir, 'rules.yml')
  await writeFile(rules, stringify({ groups: [{ name: 'test', rules: opts.rules }] }))
  const config = join(dir, 'prometheus.yml')
  await writeFile(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [rules],
      ...(opts.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager.replace(/^https?:\/\//, '')] }] }] } } : {}),
      scrape_configs: [{ job_name: 'quorate', static_configs: [{ targets: opts.targets }] }],
    }),
  )
  return launch(PROMETHEUS, 'prometheus', dir, (port) => [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`])
}
