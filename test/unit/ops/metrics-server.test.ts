/**
 * The separate metrics listener on a real socket: it answers its routes (GET and HEAD), 404s any
 * other path (JSON-RPC included), and a busy port fails with METRICS_PORT_IN_USE naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { silentLogger } from '../../../src/ops/logger.js'
import { createMetrics } from '../../../src/ops/metrics.js'
import { MetricsServer } from '../../../src/ops/metrics-server.js'
import { metricsRoute } from '../../../src/ops/node-metrics.js'

const servers: MetricsServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

async function start(port = 0): Promise<{ server: MetricsServer; url: string }> {
  const metrics = createMetrics(new Registry(), { processMetrics: false })
  metrics.chain.height.set(42)
  const server = new MetricsServer({ host: '127.0.0.1', port }, [metricsRoute(metrics)], silentLogger())
  servers.push(server)
  const { port: bound } = await server.start()
  return { server, url: `http://127.0.0.1:${bound}` }
}

describe('MetricsServer', () => {
  it('serves /metrics and nothing else', async () => {
    const { url } = await start()
    const res = await fetch(`${url}/metrics`)
    expect(res.status).toBe(200)
    expect(await res.text()).toMatch(/^ethereum_blockchain_height 42$/m)
    expect((await fetch(`${url}/metrics`, { method: 'HEAD' })).status).toBe(200)
    expect((await fetch(`${url}/`, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' })).status).toBe(404)
    expect((await fetch(`${url}/dashboard`)).status).toBe(404)
  })

  it('refuses a busy port with METRICS_PORT_IN_USE', async () => {
    const { server } = await start()
    const taken = server.address()!.port
    const second = new MetricsServer({ host: '127.0.0.1', port: taken }, [], silentLogger())
    servers.push(second)
    await expect(second.start()).rejects.toMatchObject({ code: 'METRICS_PORT_IN_USE', field: 'metrics.port' })
  })
})
