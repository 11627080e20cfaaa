/**
 * `quorate data`: private data collections from the command line, through a node's priv_* RPC.
 * put / get / list / erase / log / verify, and verify-erasure (offline, on a data folder); each prints JSON (records and logs are structured).
 * A refusal (not a member, purpose not allowed, not the controller) ends with exit code 1 and the
 * node's message.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { errorMessage } from '../errors.js'
import { verifyAccessLogExport, type AccessLogExport } from '../privacy/access-log.js'
import { PrivateDataClient } from '../privacy/client.js'
import { readReceipt, scanForErased } from '../privacy/erasure-proof.js'
import { rpcOption } from './rpc-option.js'

function positive(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`)
    return Number(v)
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter(Boolean)]
}

async function run(fn: () => Promise<unknown>): Promise<void> {
  try {
    const out = await fn()
    if (out !== undefined) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`)
    process.exitCode = 1
  }
}

const OWN_NODE_RPC = 'the RPC URL of your own node (a member of the collection)'

export function dataCommand(): Command {
  const data = new Command('data').description('private data collections: put, get, list, erase records; export and verify the access log')
  data
    .command('collections')
    .description('the collections, their members, purposes with legal basis, and retention')
    .addOption(rpcOption(OWN_NODE_RPC))
    .action((o: { rpc: string }) => run(() => new PrivateDataClient(o.rpc).collections()))
  data
    .command('put')
    .description('write a record: anchored on chain, sent encrypted to every member node')
    .argument('<collection>')
    .argument('<key>')
    .requiredOption('--subject <id>', 'pseudonymous id of the data subject')
    .requiredOption('--purpose <purpose>', 'a purpose the record is collected for; repeatable', collect, [])
    .option('--data <text>', 'the record (text or JSON)')
    .option('--data-file <file>', 'read the record from a file')
    .option('--retention <seconds>', 'shorter retention than the collection\'s', positive('--retention'))
    .addOption(rpcOption(OWN_NODE_RPC))
    .action((collection: string, key: string, o: { subject: string; purpose: string[]; data?: string; dataFile?: string; retention?: number; rpc: string }) =>
      run(async () => {
        if ((o.data === undefined) === (o.dataFile === undefined)) throw new InvalidArgumentError('give exactly one of --data and --data-file')
        const text = o.data ?? (await readFile(o.dataFile!, 'utf8'))
        return new PrivateDataClient(o.rpc).put({ collection, key, subject: o.subject, purposes: o.purpose, data: text, ...(o.retention ? { retentionSeconds: o.retention } : {}) })
      }),
    )
  data
    .command('get')
    .description('read a record for a declared purpose (logged; refused if the purpose is not allowed)')
    .argument('<collection>')
    .argument('<key>')
    .requiredOption('--purpose <purpose>', 'why you read it')
    .option('--subject <id>', 'the data subject the record is about (a refusal is logged under it)')
    .addOption(rpcOption(OWN_NODE_RPC))
    .action((collection: string, key: string, o: { purpose: string; subject?: string; rpc: string }) => run(() => new PrivateDataClient(o.rpc).get(collection, key, o.purpose, o.subject)))
  data
    .command('list')
    .description('records this node holds in a collection (no data, no subjects)')
    .argument('<collection>')
    .addOption(rpcOption(OWN_NODE_RPC))
    .action((collection: string, o: { rpc: string }) => run(() => new PrivateDataClient(o.rpc).list(collection)))
  data
    .command('erase')
    .description('request erasure of a record or of all records of a subject (controlling party only)')
    .argument('<collection>')
    .option('--key <key>', 'the record to erase')
    .option('--subject <id>', 'erase every record of this data subject')
    .addOption(rpcOption(OWN_NODE_RPC))
    .action((collection: string, o: { key?: string; subject?: string; rpc: string }) =>
      run(async () => {
        if ((o.key === undefined) === (o.subject === undefined)) throw new InvalidArgumentError('give exactly one of --key and --subject')
        return new PrivateDataClient(o.rpc).erase(collection, o.key !== undefined ? { key: o.key } : { subject: o.subject! })
      }),
    )
  data
    .command('log')
    .description("export the node's signed access log of one data subject")
    .argument('<subject>')
    .option('--out <file>', 'write the export to a file instead of stdout')
    .addOption(rpcOption(OWN_NODE_RPC))
    .action((subject: string, o: { out?: string; rpc: string }) =>
      run(async () => {
        const exported = await new PrivateDataClient(o.rpc).accessLog(subject)
        if (!o.out) return exported
        await writeFile(o.out, `${JSON.stringify(exported, null, 2)}\n`)
        return undefined
      }),
    )
  data
    .command('verify')
    .description('verify an exported access log (offline, or with --rpc also against the head its node anchored on chain); with --rpc and no file, the node\'s whole log')
    .argument('[file]', 'an export written by `quorate data log --out`')
    .option('--rpc <url>', 'a node that checks against the chain (the export\'s log head anchored on chain), or whose whole log to verify')
    .option('--node <address>', 'the node the export must come from')
    .action((file: string | undefined, o: { rpc?: string; node?: string }) =>
      run(async () => {
        const exported = file !== undefined ? (JSON.parse(await readFile(file, 'utf8')) as AccessLogExport) : undefined
        const offline = exported !== undefined ? verifyAccessLogExport(exported, o.node as `0x${string}` | undefined) : undefined
        const result = offline !== undefined
          ? o.rpc && offline.valid
            ? await new PrivateDataClient(o.rpc).verifyAccessLog(exported)
            : offline
          : o.rpc
            ? await new PrivateDataClient(o.rpc).verifyAccessLog()
            : (() => {
                throw new InvalidArgumentError('give an export file, or --rpc to verify the node\'s whole log')
              })()
        if (!result.valid) process.exitCode = 1
        return result
      }),
    )
  data
    .command('verify-erasure')
    .description("scan every file of a node's data folder for the bytes of the records an erasure request removed (offline; works while the node runs)")
    .argument('<request>', 'the erasure request id (0: records purged at the end of their retention)', (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('<request> must be a non-negative integer')
      return Number(v)
    })
    .requiredOption('--data-dir <dir>', 'the node data folder')
    .option('--text <text>', 'also look for this text as a whole word, JSON-escaped or hex (the plaintext, the subject, the record key: the node never kept them); repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--text-file <file>', 'also look for the contents of this file; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action((request: number, o: { dataDir: string; text: string[]; textFile: string[] }) =>
      run(async () => {
        const dataDir = resolve(o.dataDir)
        const receipt = await readReceipt(join(dataDir, 'private'), request)
        if (!receipt) throw new InvalidArgumentError(`${dataDir} holds no erasure receipt for request ${request} (private/erasures/${request}.json): this node erased nothing for it`)
        const texts = [...o.text, ...(await Promise.all(o.textFile.map((f) => readFile(f, 'utf8'))))]
        const scan = await scanForErased(dataDir, receipt, texts)
        if (!scan.clean) process.exitCode = 1
        return scan
      }),
    )
  return data
}
