// A hostile WebSocket client for the JSON-RPC limit tests, run as its own process so that the
// test's probes measure the node and not this flood's busy event loop. It opens `clients`
// connections from `localAddress`, never reads, sends `batch` (a JSON text read from the file
// named by argv) whenever less than 1 MiB waits to go out, and reconnects 200 ms after the node
// drops it. Prints `{ connects, drops }` as JSON on SIGTERM, then exits.
// Usage: node ws-flood.mjs <wsUrl> <localAddress> <clients> <batchFile>
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { setTimeout } from 'node:timers'
import WebSocket from 'ws'

const [url, localAddress, clients, batchFile] = process.argv.slice(2)
const batch = readFileSync(batchFile, 'utf8')
let stop = false
let connects = 0
let drops = 0
const sockets = new Set()

function flood() {
  if (stop) return
  const ws = new WebSocket(url, { localAddress })
  connects++
  sockets.add(ws)
  ws.on('error', () => {})
  ws.on('open', () => {
    ws.pause() // reads nothing from here on
    const pump = () => {
      if (stop || ws.readyState !== WebSocket.OPEN) return
      while (ws.bufferedAmount < 1024 * 1024) ws.send(batch)
      setTimeout(pump, 50)
    }
    pump()
  })
  ws.on('close', () => {
    sockets.delete(ws)
    drops++
    setTimeout(flood, 200) // and comes back
  })
}

for (let i = 0; i < Number(clients); i++) flood()
process.on('SIGTERM', () => {
  stop = true
  for (const ws of sockets) ws.terminate()
  process.stdout.write(`${JSON.stringify({ connects, drops })}\n`, () => process.exit(0))
})
