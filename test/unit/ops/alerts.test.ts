/**
 * Active alerts read over real HTTP from a small server that answers like Alertmanager's
 * `/api/v2/alerts` and Prometheus' `/api/v1/alerts` (a stand-in: neither is installed here).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activeAlerts } from '../../../src/ops/alerts.js'

let server: Server
let base: string
const asked: string[] = []

const ALERTMANAGER = [
  {
    labels: { alertname: 'QuorateNodeDown', severity: 'warning', instance: '127.0.0.1:8548' },
    annotations: { summary: 'node-4 is not scraped' },
    startsAt: '2026-01-01T10:00:00Z',
    status: { state: 'active' },
  },
  { labels: { alertname: 'QuorateChainStalled', severity: 'critical', node: 'node-1' }, annotations: { description: 'no block for 60 s' }, status: { state: 'active' } },
]
const PROMETHEUS = {
  status: 'success',
  data: {
    alerts: [
      { labels: { alertname: 'QuoratePeersLow', severity: 'critical' }, annotations: {}, state: 'pending', activeAt: '2026-01-01T10:01:00Z' },
      { labels: { alertname: 'QuorateRoundChangesRising', severity: 'warning' }, annotations: {}, state: 'firing', activeAt: '2026-01-01T10:00:30Z' },
      { labels: { alertname: 'QuorateChainStalled', severity: 'critical' }, annotations: {}, state: 'firing', activeAt: '2026-01-01T10:00:00Z' },
    ],
  },
}

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? '')
    const body = req.url?.startsWith('/am/api/v2/alerts') ? ALERTMANAGER : req.url?.startsWith('/prom/api/v1/alerts') ? PROMETHEUS : req.url?.startsWith('/bad/') ? { nonsense: true } : undefined
    if (!body) return res.writeHead(404).end('not found')
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((done) => server.close(() => done())))

describe('activeAlerts', () => {
  it('reads Alertmanager v2 active alerts, critical first, with summary and instance', async () => {
    const a = await activeAlerts({ alertmanagerUrl: `${base}/am/` })
    expect(asked.at(-1)).toBe('/am/api/v2/alerts?active=true&silenced=false&inhibited=false')
    expect(a.source).toBe('alertmanager')
    expect(a.error).toBeUndefined()
    expect(a.alerts).toEqual([
      { name: 'QuorateChainStalled', severity: 'critical', state: 'active', since: null, summary: 'no block for 60 s', instance: 'node-1' },
      { name: 'QuorateNodeDown', severity: 'warning', state: 'active', since: '2026-01-01T10:00:00Z', summary: 'node-4 is not scraped', instance: '127.0.0.1:8548' },
    ])
  })

  it('reads Prometheus v1 alerts when only Prometheus is configured: firing ones first, pending ones (not paged yet) after them', async () => {
    const a = await activeAlerts({ prometheusUrl: `${base}/prom` })
    expect(a.source).toBe('prometheus')
    expect(a.alerts.map((x) => [x.name, x.state])).toEqual([
      ['QuorateChainStalled', 'firing'],
      ['QuorateRoundChangesRising', 'firing'],
      ['QuoratePeersLow', 'pending'],
    ])
  })

  it('answers "none" without a URL, and an error (not an exception) for a bad or absent source', async () => {
    expect(await activeAlerts({})).toEqual({ source: 'none', alerts: [] })
    const notFound = await activeAlerts({ alertmanagerUrl: `${base}/missing` })
    expect(notFound.error).toBe('alertmanager answered HTTP 404')
    const malformed = await activeAlerts({ alertmanagerUrl: `${base}/bad` })
    expect(malformed.error).toMatch(/^cannot read alertmanager/)
    const closed = await activeAlerts({ prometheusUrl: 'http://127.0.0.1:9' })
    expect(closed.error).toMatch(/^cannot read prometheus/)
    expect(closed.alerts).toEqual([])
  })
})
