/**
 * A node whose disk fills up says so and recovers by itself (the finding: on a full disk /ready
 * blamed "no quorum", and after a failed write the node stayed stuck until restarted).
 *
 * The chain folder of a real node process is a small tmpfs (this needs root, as in CI); a ballast
 * file fills it. /ready and /health must then report the `disk` check failing with "disk full",
 * and blocks stop; once the ballast is deleted, the check clears and blocks continue without a
 * restart. Transfers keep arriving throughout, so the block whose write fails changes state: after
 * recovery and a restart, the state of every block must still be readable. The tmpfs is mounted on `<dataDir>/chain` rather than the whole data folder so that the
 * node's log (written by the test harness into the data folder) keeps working while the disk is full.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createChainCommon } from '../../src/chain/common.js'
import { tempDir } from '../helpers/tmp.js'
import type { DevAccount } from '../../src/crypto/dev-accounts.js'
import { initDevChain, rpc, startNodeProcess, waitFor, type DevChain, type NodeProcess } from '../helpers/node-process.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let chain: DevChain
let node: NodeProcess | undefined
let mounted: string | undefined

beforeAll(async () => {
  tmp = await tempDir()
  chain = await initDevChain(tmp.dir, { blockPeriodMs: 100, genesis: { config: { chainId: 1337, blockPeriodMs: 100, emptyBlockPeriodMs: 100 } } })
  const chainDir = join(tmp.dir, 'chain')
  await mkdir(chainDir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16M', 'tmpfs', chainDir], { stdio: 'pipe' })
  } catch (err) {
    throw new Error(`this test needs a small file system: \`mount -t tmpfs -o size=16M tmpfs ${chainDir}\` failed (run the tests as root, as CI does): ${String(err)}`)
  }
  mounted = chainDir
})

afterAll(async () => {
  await node?.kill()
  if (mounted) execFileSync('umount', [mounted])
  await tmp.cleanup()
})

interface Check {
  name: string
  ok: boolean
  reason?: string
}
async function ready(url: string): Promise<{ status: number; checks: Check[] }> {
  const res = await fetch(`${url}/ready`)
  return { status: res.status, checks: ((await res.json()) as { checks: Check[] }).checks }
}
const diskOf = (checks: Check[]): Check => checks.find((c) => c.name === 'disk')!

/** Writes zeros to `file` until the file system refuses. */
async function fillDisk(file: string): Promise<void> {
  const chunk = Buffer.alloc(256 * 1024)
  const fh = await open(file, 'w')
  try {
    for (;;) {
      try {
        await fh.write(chunk)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
        throw err
      }
    }
    // The last partial chunk: fill what is left byte-wise in smaller pieces.
    for (let size = 65536; size >= 1; size = Math.floor(size / 4)) {
      for (;;) {
        try {
          await fh.write(Buffer.alloc(size))
        } catch {
          break
        }
      }
    }
  } finally {
    await fh.close().catch(() => undefined)
  }
}

describe('disk full', () => {
  it('/ready reports the disk check, blocks stop, and after space is freed the node recovers without a restart', async () => {
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    const url = node.rpcUrl
    await waitFor('a few blocks', async () => Number(await rpc<string>(url, 'eth_blockNumber')) >= 5)
    const before = await ready(url)
    expect(diskOf(before.checks)).toMatchObject({ ok: true })

    // Transfers of 1 wei each, one every 50 ms, for as long as the episode lasts.
    const common = createChainCommon(1337n, 50_000_000n)
    const [from, to] = chain.accounts as [DevAccount, DevAccount]
    const accepted: string[] = []
    let sending = true
    const load = (async () => {
      for (let nonce = 0n; sending; ) {
        const tx = createFeeMarket1559Tx({ nonce, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, gasLimit: 21_000n, to: to.address, value: 1n }, { common }).sign(hexToBytes(from.privateKey))
        // Reads may fail for a moment while the node reopens its database: then send the same nonce again.
        const hash = await rpc<string>(url, 'eth_sendRawTransaction', [bytesToHex(tx.serialize())]).catch(() => undefined)
        if (hash) {
          accepted.push(hash)
          nonce++
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    await waitFor('transfers being mined', async () => Number(await rpc<string>(url, 'eth_getTransactionCount', [from.address, 'latest'])) >= 3)

    const ballast = join(mounted!, 'ballast')
    await fillDisk(ballast)

    const failing = await waitFor('the disk check to fail', async () => {
      const r = await ready(url)
      return !diskOf(r.checks).ok && r
    })
    expect(failing.status).toBe(503)
    expect(diskOf(failing.checks).reason).toMatch(/chain store: disk full/)
    // Liveness stays 200 (a restart does not free space) and shows the same check.
    const health = await fetch(`${url}/health`)
    expect(health.status).toBe(200)
    expect(diskOf(((await health.json()) as { checks: Check[] }).checks)).toMatchObject({ ok: false })
    // No blocks are committed meanwhile, and RPC keeps answering reads from the database, across
    // several of the store's recovery attempts (the soak found them failing with "Database is not
    // open": each attempt closed the database, and reopening it on the full disk failed).
    const stuck = Number(await rpc<string>(url, 'eth_blockNumber'))
    for (let i = 0; i < 12; i++) {
      const receipt = await rpc<{ transactionHash: string } | null>(url, 'eth_getTransactionReceipt', [accepted[0]])
      expect(receipt?.transactionHash, `read ${i} on the full disk`).toBe(accepted[0])
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(Number(await rpc<string>(url, 'eth_blockNumber'))).toBe(stuck)
    expect(diskOf((await ready(url)).checks).ok).toBe(false)

    await rm(ballast)
    await waitFor('the disk check to clear', async () => diskOf((await ready(url)).checks).ok, 30_000)
    await waitFor('blocks to continue', async () => Number(await rpc<string>(url, 'eth_blockNumber')) >= stuck + 5, 30_000)
    const after = await ready(url)
    expect(after.status).toBe(200)
    sending = false
    await load
    for (const hash of accepted) await waitFor(`receipt of ${hash}`, () => rpc(url, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined))
    const balanceBefore = BigInt(await rpc<string>(url, 'eth_getBalance', [to.address, '0x0']))

    // The chain is intact after the episode: a clean restart opens it and it continues.
    expect(await node.stop()).toBe(0)
    node = await startNodeProcess(chain.dataDir, chain.rpcPort)
    const head = Number(await rpc<string>(node.rpcUrl, 'eth_blockNumber'))
    expect(head).toBeGreaterThanOrEqual(stuck + 5)
    // Every block's state is on disk, including that of the block written after recovery.
    for (let n = 1; n <= head; n++) {
      const received = BigInt(await rpc<string>(node.rpcUrl, 'eth_getBalance', [to.address, `0x${n.toString(16)}`])) - balanceBefore
      const sent = BigInt(await rpc<string>(node.rpcUrl, 'eth_getTransactionCount', [from.address, `0x${n.toString(16)}`]))
      expect(received, `balance at block ${n}`).toBe(sent)
    }
    expect(BigInt(await rpc<string>(node.rpcUrl, 'eth_getBalance', [to.address, 'latest'])) - balanceBefore).toBe(BigInt(accepted.length))
    await waitFor('blocks after the restart', async () => Number(await rpc<string>(node!.rpcUrl, 'eth_blockNumber')) > head)
    await node.kill()
    node = undefined
  }, 120_000)
})
