/**
 * The pension example, short (3 participants, 1 month), on its own devnet of real node processes:
 * fund B admitted by vote and its node started, contracts approved by vote before deployment, the
 * collection voted in, contributions, statements, a value transfer, consent granted and withdrawn,
 * one erasure. Then the nodes are stopped and their data folders are scanned as a privacy officer
 * would: every file's raw bytes, and every private record the node holds, decrypted with the node's
 * own key (records are encrypted at rest, so a raw scan alone could not find them even before
 * erasure). The scan must find the personal data of a participant who was not erased on the funds'
 * nodes (so it can find what it looks for), none at all on the regulator's node, and none of the
 * erased participant's on any member node. The same scenario's public steps then run on Anvil.
 */
import { readdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScenario, type ScenarioParticipant, type ScenarioResult } from '../../examples/pension/scenario.js'
import type { PartyId } from '../../examples/pension/app/index.js'
import { readKeyFile } from '../../src/node/keyfile.js'
import { findText } from '../../src/privacy/erasure-proof.js'
import { openPrivateStore } from '../../src/privacy/store.js'
import { quorate } from '../helpers/gov-cli.js'
import { tempDir } from '../helpers/tmp.js'

const portFree = (port: number) =>
  new Promise<boolean>((res) => {
    const srv = createServer()
    srv.once('error', () => res(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)))
  })

/** `n` consecutive free ports (the devnet numbers its nodes' ports from a base). */
async function freePorts(n: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 40_000)
    const free = await Promise.all(Array.from({ length: n }, (_, i) => portFree(base + i)))
    if (free.every(Boolean)) return base
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await filesUnder(p)))
    else if (e.isFile()) out.push(p)
  }
  return out
}

const needles = (p: ScenarioParticipant) => [p.person.name, p.person.birthDate, String(p.person.salary)]

interface Found {
  text: string
  where: string
}

/**
 * Looks for `texts` in a stopped node's folder: each file's raw bytes (as text and as hex), and the
 * plaintext of every private record it holds (opened with its node key, as the node would).
 * Raw bytes are matched as `quorate data verify-erasure --text` matches them: a whole word, JSON-escaped
 * or hex (a salary's five digits occur by chance inside the hex keys of the chain store).
 */
async function scanNode(dataDir: string, texts: string[]): Promise<Found[]> {
  const found: Found[] = []
  for (const file of await filesUnder(dataDir)) {
    const bytes = await readFile(file)
    for (const text of texts) {
      if (findText(bytes, text) >= 0) found.push({ text, where: file })
    }
  }
  const store = await openPrivateStore(join(dataDir, 'private'), await readKeyFile(join(dataDir, 'node.key')))
  try {
    for (const meta of await store.list()) {
      const record = await store.get(meta.collection, meta.key)
      if (!record) continue
      for (const text of texts) if (JSON.stringify(record).includes(text)) found.push({ text, where: `record ${meta.collection}/${meta.key}` })
    }
  } finally {
    await store.close()
  }
  return found
}

let tmp: Awaited<ReturnType<typeof tempDir>>
let result: ScenarioResult | undefined
const lines: string[] = []

beforeAll(async () => {
  tmp = await tempDir('quorate-pension-')
})

afterAll(async () => {
  await result?.stop()
  await tmp?.cleanup()
})

describe('the pension example', () => {
  it('plays a short year on its own devnet: governance, contributions, statements, a transfer, consent, erasure', async () => {
    const [rpcPort, p2pPort] = [await freePorts(5), await freePorts(5)]
    result = await runScenario({ fabric: 'quorate', dataDir: tmp.dir, rpcPort, p2pPort, participants: 3, months: 1, year: 2026, out: (l) => lines.push(l) })
    const out = lines.join('\n')
    expect(out).toContain('deploying before the vote is refused: contract code not approved')
    expect(out).toMatch(/AddParty fundb: proposal #\d+ approved/)
    expect(out).toMatch(/ApproveCode ValueTransfer .* approved/)
    expect(out).toMatch(/SetCollection pension-participants: proposal #\d+ approved/)
    expect(result.unsupported).toEqual([])
    const seen = result.seen
    expect(seen.insurer.join('\n')).toMatch(/before consent: .*refused .*never given/)
    expect(seen.insurer.join('\n')).toMatch(/with consent: .*granted: read Anneke Visser-Bruinsma's data/)
    expect(seen.insurer.join('\n')).toMatch(/after withdrawal: .*refused .*withdrawn/)
    expect(seen.regulator.join('\n')).toMatch(/personal data of participant 1: refused: .*not a member/)
    expect(seen.regulator.join('\n')).toMatch(/transfer #0: pensionfund -> fundb, settled/)
    expect(seen.participant.join('\n')).toContain('participant 1: a statement with a changed amount does not verify')
    expect(seen.participant.filter((l) => /statement 2026 of fund A verified/.test(l))).toHaveLength(3)
    expect(seen.participant.join('\n')).toMatch(/insurer read person for retirement-advice: granted/)
    for (const party of ['pensionfund', 'fundb', 'employer'] as const) expect(seen[party].join('\n')).toMatch(/after erasure, participant 3's personal data: gone/)
    const view = await result.app.entitlements(result.people[0]!.participant, { years: [2026] })
    expect(view.holders).toEqual(['pensionfund', 'fundb'])
    expect(view.perFund.flatMap((f) => f.statements.map((s) => s.valid))).toEqual([true, true])
  }, 240_000)

  it('the regulator\'s node holds none of the personal data; the same scan finds it on the funds\' nodes', async () => {
    if (!result) throw new Error('the scenario did not run')
    const dirs = result.devnet!.nodeDirs
    const kept = result.people[0]!
    await result.stop()
    // The scan can find what it looks for: the funds' nodes hold participant 1's data.
    for (const party of ['pensionfund', 'fundb'] as const) {
      const found = await scanNode(dirs[party], needles(kept))
      expect(found.map((f) => f.text), `${party} holds participant 1's data`).toEqual(expect.arrayContaining(needles(kept)))
    }
    expect(await scanNode(dirs.regulator, result.people.flatMap(needles))).toEqual([])
  }, 60_000)

  it('the erased participant\'s data is gone from every member node', async () => {
    if (!result) throw new Error('the scenario did not run')
    const dirs = result.devnet!.nodeDirs
    const erased = result.people[2]!
    await result.stop()
    for (const party of ['pensionfund', 'fundb', 'employer', 'insurer'] as PartyId[]) {
      expect(await scanNode(dirs[party], needles(erased)), `${party} after erasure`).toEqual([])
    }
    // The project's own erasure check agrees on the nodes that erased it (fingerprints of its ciphertext and keys, and the texts).
    const request = /erasure request #(\d+)/.exec(lines.join('\n'))?.[1]
    expect(request).toBeDefined()
    for (const party of ['pensionfund', 'fundb', 'employer'] as const) {
      const r = await quorate(['data', 'verify-erasure', request!, '--data-dir', dirs[party], ...needles(erased).flatMap((t) => ['--text', t])])
      expect(r.code, `${party}: ${r.stdout}${r.stderr}`).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ clean: true })
    }
  }, 60_000)

  it('runs the same scenario\'s public steps unchanged on Anvil; private and governance steps are not supported there', async () => {
    const anvilLines: string[] = []
    const anvil = await runScenario({ fabric: 'evm', dataDir: join(tmp.dir, 'anvil'), rpcPort: 0, p2pPort: 0, participants: 3, months: 1, year: 2026, out: (l) => anvilLines.push(l) })
    try {
      const out = anvilLines.join('\n')
      expect(out).toContain('admit fund B (AddParty, AddNode): not supported by this fabric')
      expect(out).toContain('personal data (priv_putRecord): not supported by this fabric')
      expect(out).toContain('erasure (priv_requestErasure): not supported by this fabric')
      expect(out).toMatch(/#0 requested .*regulator sees: requested/)
      expect(out).toMatch(/fund A settled; regulator sees: settled; holders now: fundb/)
      expect(anvil.seen.participant.filter((l) => /statement 2026 of fund A verified/.test(l))).toHaveLength(3)
      expect(anvil.seen.regulator.join('\n')).toMatch(/3 contributions on chain: 3 acknowledged/)
      expect(anvil.unsupported).toContain('consent (priv_setConsent)')
    } finally {
      await anvil.stop()
    }
  }, 60_000)
})
