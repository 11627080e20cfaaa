/**
 * Serves the portal for an ecosystem the scenario set up, from the deployment file it wrote:
 *
 *   node dist/examples/pension/portal/main.js <data dir>/pension.json [--port 8080]
 *
 * Development only: no login, loopback only, and it signs with the development keys in the file.
 */
import { startPortal } from './server.js'

async function main(argv: string[]): Promise<void> {
  const file = argv.find((a) => !a.startsWith('--'))
  const portAt = argv.indexOf('--port')
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : 8080
  if (!file || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: node dist/examples/pension/portal/main.js <pension.json> [--port 8080]')
    process.exit(2)
  }
  const portal = await startPortal({ deploymentFile: file, port, out: (line) => console.log(`${line} (Ctrl-C to stop)`) })
  const stop = () => {
    void portal.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
