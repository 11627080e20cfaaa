/**
 * Commands that talk to one node (gov, party offboard, data) find it without `--rpc`: QUORATE_RPC
 * when set, else the local node's default JSON-RPC port, as docs/cli.md and the business-as-usual
 * runbook say (`quorate gov list --state open` with no flag). The built CLI is run as a process.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_RPC_URL, defaultRpcUrl, RPC_URL_ENV } from '../../../src/cli/rpc-option.js'
import { CLI } from '../../helpers/node-process.js'
import { startFakeNode, type FakeNode } from './helpers.js'

const run = promisify(execFile)
const nodes: FakeNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close()
})

describe('the --rpc default', () => {
  it('is QUORATE_RPC when set, else http://127.0.0.1:8545', () => {
    expect(DEFAULT_RPC_URL).toBe('http://127.0.0.1:8545')
    expect(defaultRpcUrl({})).toBe(DEFAULT_RPC_URL)
    expect(defaultRpcUrl({ [RPC_URL_ENV]: '' })).toBe(DEFAULT_RPC_URL)
    expect(defaultRpcUrl({ [RPC_URL_ENV]: 'http://10.0.0.5:9545' })).toBe('http://10.0.0.5:9545')
  })

  it('`quorate gov list --state open` without --rpc asks the node of QUORATE_RPC, and its help names the default', async () => {
    const node = await startFakeNode({ methods: { gov_getProposals: () => [], gov_getParties: () => [] } })
    nodes.push(node)
    const env = { ...process.env, [RPC_URL_ENV]: node.url, NO_COLOR: '1' }
    const r = await run(process.execPath, [CLI, 'gov', 'list', '--state', 'open'], { env }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }))
    expect(node.seen.some((m) => m.startsWith('gov_')), `${r.stdout}${r.stderr}`).toBe(true)
    const { [RPC_URL_ENV]: _unset, ...without } = env
    const help = await run(process.execPath, [CLI, 'gov', 'list', '--help'], { env: without })
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`--rpc <url> a node RPC URL (default: $${RPC_URL_ENV}, else ${DEFAULT_RPC_URL})`)
  })
})
