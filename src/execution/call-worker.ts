/**
 * A call worker (worker_threads): runs clients' eth_call and eth_estimateGas with its own VM, off
 * the node's event loop, one job at a time. The EVM loop is synchronous, so the CallPool stops an
 * overlong job by terminating this thread; nothing here needs to clean up.
 *
 * It cannot open the chain database (the main process holds its lock): trie nodes and code,
 * BLOCKHASH and governance's code approval are read from the main thread (call-protocol.ts). Trie
 * nodes are content-addressed, so the worker's node cache never goes stale across blocks.
 *
 * Must not: write anything the main thread would see (calls always revert their state).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Block, createBlockHeaderFromRLP } from '@ethereumjs/block'
import type { BatchDBOp, DB } from '@ethereumjs/util'
import { blockOptions, createChainCommon } from '../chain/common.js'
import { QuorateError } from '../errors.js'
import { enforceCodeApproval } from '../governance/enforce.js'
import { CallExecutor } from './call.js'
import { toWireError, type CallJob, type CallWorkerData, type MainToWorker, type ReadValue, type WorkerRead, type WorkerToMain } from './call-protocol.js'
import type { ExecutionSource } from './executor.js'

const port = parentPort
if (!port) throw new Error('call-worker.js runs as a worker thread (new Worker), not as a script')
const data = workerData as CallWorkerData

const send = (msg: WorkerToMain): void => port.postMessage(msg)

const waiting = new Map<number, { resolve: (v: ReadValue) => void; reject: (e: Error) => void }>()
let nextRid = 0

function read(r: WorkerRead): Promise<ReadValue> {
  const rid = nextRid++
  return new Promise((resolve, reject) => {
    waiting.set(rid, { resolve, reject })
    send({ type: 'read', rid, read: r })
  })
}

/** Reads fall through to the main thread's store; writes (none are expected: calls revert) stay here. */
class ProxiedTrieDb implements DB<string, Uint8Array> {
  private local = new Map<string, Uint8Array>()
  async get(key: string): Promise<Uint8Array | undefined> {
    const mine = this.local.get(key)
    if (mine !== undefined) return mine
    return (await read({ kind: 'trieNode', key })) as Uint8Array | undefined
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    this.local.set(key, value)
  }
  async del(): Promise<void> {}
  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.local.set(op.key, op.value)
  }
  shallowCopy(): DB<string, Uint8Array> {
    return this
  }
  async open(): Promise<void> {}
}

const source: ExecutionSource = {
  trieDb: new ProxiedTrieDb(),
  async getBlockByNumber(number) {
    const hash = (await read({ kind: 'blockHash', number })) as Uint8Array | undefined
    return hash ? { hash: () => hash } : undefined
  },
}

const common = createChainCommon(data.chainId, data.gasLimit)
let current = -1

const ready = (async () => {
  const calls = await CallExecutor.create(common, source)
  if (data.codeApproval) {
    enforceCodeApproval(calls.evm, { isCodeApproved: async (_block, codeHash) => (await read({ kind: 'codeApproved', job: current, codeHash })) === true }, () => calls.block)
  }
  return calls
})()

async function run(job: CallJob): Promise<void> {
  current = job.id
  try {
    const calls = await ready
    const block = new Block(createBlockHeaderFromRLP(job.header, blockOptions(common)), [], [], [], blockOptions(common))
    const value = job.kind === 'call' ? await calls.call(block, job.req) : await calls.estimateGas(block, job.req)
    send({ type: 'done', id: job.id, value })
  } catch (err) {
    send({ type: 'failed', id: job.id, error: toWireError(err) })
  }
}

port.on('message', (msg: MainToWorker) => {
  if (msg.type === 'job') {
    void run(msg)
    return
  }
  const w = waiting.get(msg.rid)
  if (!w) return
  waiting.delete(msg.rid)
  if (msg.error !== undefined) w.reject(new QuorateError('CALL_READ_FAILED', `reading the chain for the call failed: ${msg.error}`))
  else w.resolve(msg.value)
})

void ready.then(
  () => send({ type: 'ready' }),
  (err: unknown) => {
    throw err
  },
)
