import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../bench/lib/quorate-node.js'
import { RelayMesh } from '../../../soak/relay.js'

let servers: Server[] = []
let mesh: RelayMesh

/** Two "nodes": TCP servers that answer each line with `<name>:<line>`. */
beforeAll(async () => {
  const ports: number[] = []
  for (const name of ['a', 'b']) {
    const server = createServer((s) => s.on('data', (d) => s.write(`${name}:${d.toString()}`)))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    servers.push(server)
    ports.push((server.address() as { port: number }).port)
  }
  mesh = await RelayMesh.start(ports, () => freePort())
})

afterAll(async () => {
  await mesh.close()
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  servers = []
})

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
  })
}

/** Sends `text` and resolves with the answer, or with 'closed' when the connection ends first. */
function ask(s: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d) => resolve(d.toString()))
    s.once('close', () => resolve('closed'))
    s.write(text)
  })
}

describe('soak relay mesh', () => {
  it('forwards each direction to its node, cuts both directions on a partition and heals', async () => {
    const ab = await connect(mesh.port(0, 1))
    const ba = await connect(mesh.port(1, 0))
    expect(await ask(ab, 'hi')).toBe('b:hi')
    expect(await ask(ba, 'hi')).toBe('a:hi')

    const closed = new Promise((r) => ab.once('close', r))
    mesh.partition([0], 2)
    await closed
    expect(ab.destroyed).toBe(true)
    // New connections across the cut are accepted and dropped at once, in both directions.
    for (const port of [mesh.port(0, 1), mesh.port(1, 0)]) {
      const s = await connect(port)
      expect(await ask(s, 'again')).toBe('closed')
    }

    mesh.heal()
    const healed = await connect(mesh.port(0, 1))
    expect(await ask(healed, 'back')).toBe('b:back')
    healed.destroy()
    ba.destroy()
  })
})
