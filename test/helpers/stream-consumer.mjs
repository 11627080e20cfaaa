// An event-stream consumer as an application would write one, run as its own process so a test can
// kill it with SIGKILL at any point. For each batch it appends one line per event to the output
// file, flushes it, then acks the batch: the checkpoint and the output length are saved together
// (atomically). On start it cuts the output back to the length saved with the checkpoint, so lines
// written after the last ack (and lost to a kill) are written again once, not twice.
// Usage: node stream-consumer.mjs <config.json>; exits 0 once the event numbered `lastSeq` is in the output.
import { open, readFile, truncate } from 'node:fs/promises'
import { Buffer } from 'node:buffer'
import process from 'node:process'
import { createPublicClient, http } from 'viem'
import { createEventStream, fileCheckpointStore } from '../../dist/src/sdk/streams/index.js'

const config = JSON.parse(await readFile(process.argv[2], 'utf8'))
const store = fileCheckpointStore(config.checkpoint)
const saved = await store.load()
let bytes = saved?.state?.bytes ?? 0
const out = await open(config.out, 'a')
await truncate(config.out, bytes)
// Killed after acking the last event: nothing is left to deliver.
if (saved?.state?.last === config.lastSeq) process.exit(0)

// A generous timeout: the test machine may be busy; a failed request ends the process (the test shows why).
const client = createPublicClient({ transport: http(config.rpcUrl, { timeout: 30_000 }) })
const stream = createEventStream({
  client,
  address: config.address,
  abi: config.abi,
  eventName: config.eventName,
  fromBlock: BigInt(config.fromBlock),
  checkpoint: store,
  finality: config.finality,
  maxBlockRange: BigInt(config.maxBlockRange),
  batchSize: config.batchSize,
  pollingIntervalMs: 50,
})
for await (const batch of stream.batches()) {
  const text = batch.events.map((e) => `${e.args.seq} ${e.blockNumber} ${e.logIndex} ${e.blockHash}\n`).join('')
  await out.write(text, null, 'utf8')
  await out.sync()
  bytes += Buffer.byteLength(text)
  const last = Number(batch.events.at(-1).args.seq)
  await batch.ack({ bytes, last })
  // The last event the test emits: what came before is checked by the test (gaps, duplicates).
  if (last === config.lastSeq) break
}
await out.close()
