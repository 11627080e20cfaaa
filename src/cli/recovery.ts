/**
 * `quorate recovery`: the config side of recovering a halted chain (docs/runbooks/recovery.md).
 * `override` makes this node decide blocks from --from-block with the given validators instead of
 * the governance state; `close` ends the open override at --to-block, once a governance vote has made
 * the state agree. Both edit `consensus.validatorOverrides` in the node's config.json (validated
 * before writing); the node reads it at start. It holds no consensus logic of its own.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { ConfigError } from '../errors.js'
import { CONFIG_FILE, parseConfigText } from '../node/config.js'
import type { ValidatorOverride } from '../consensus/validator-override.js'

type RawConfig = Record<string, unknown> & { consensus?: { validatorOverrides?: ValidatorOverride[] } & Record<string, unknown> }

async function editOverrides(dataDir: string, edit: (list: ValidatorOverride[]) => ValidatorOverride[]): Promise<ValidatorOverride[]> {
  const file = join(dataDir, CONFIG_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError('--data-dir', `no ${CONFIG_FILE} in ${dataDir}`)
  }
  const raw = JSON.parse(text) as RawConfig
  const list = edit([...(raw.consensus?.validatorOverrides ?? [])])
  const next: RawConfig = { ...raw, consensus: { ...raw.consensus, validatorOverrides: list } }
  const out = `${JSON.stringify(next, null, 2)}\n`
  parseConfigText(out, file) // refuse to write a config the node would refuse
  await writeFile(file, out)
  return list
}

export async function addOverride(dataDir: string, fromBlock: number, validators: string[]): Promise<ValidatorOverride[]> {
  for (const v of validators) if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new ConfigError('--validators', `"${v}" is not an address`)
  if (validators.length === 0) throw new ConfigError('--validators', 'give at least one validator')
  return editOverrides(dataDir, (list) => {
    const open = list.find((o) => o.toBlock === undefined)
    if (open) throw new ConfigError('--from-block', `an override from block ${open.fromBlock} is still open; close it first (quorate recovery close --to-block <n>)`)
    return [...list, { fromBlock, validators: validators.map((v) => v.toLowerCase() as ValidatorOverride['validators'][number]) }]
  })
}

export async function closeOverride(dataDir: string, toBlock: number): Promise<ValidatorOverride[]> {
  return editOverrides(dataDir, (list) => {
    const open = list.find((o) => o.toBlock === undefined)
    if (!open) throw new ConfigError('--to-block', 'there is no open validator override to close')
    if (toBlock < open.fromBlock) throw new ConfigError('--to-block', `the open override starts at block ${open.fromBlock}; --to-block must not be below it`)
    return list.map((o) => (o === open ? { ...o, toBlock } : o))
  })
}

function describe(list: readonly ValidatorOverride[]): string {
  return list.map((o) => `  blocks ${o.fromBlock}..${o.toBlock ?? '(open)'}: ${o.validators.join(', ')}`).join('\n')
}

const blockNumber = (flag: string) => (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${flag} must be a block number above 0`)
  return Number(v)
}

export function recoveryCommand(): Command {
  const cmd = new Command('recovery').description('recover a chain halted because too few validators are left for a vote (docs/runbooks/recovery.md)')
  cmd
    .command('override')
    .description('from --from-block, decide blocks with these validators instead of the governance state (restart the node to apply)')
    .requiredOption('--data-dir <dir>', 'the node folder')
    .requiredOption('--from-block <n>', 'the first block the override decides: the halted head + 1', blockNumber('--from-block'))
    .requiredOption('--validators <list>', 'comma-separated node addresses of the surviving validators')
    .action(async (o: { dataDir: string; fromBlock: number; validators: string }) => {
      const list = await addOverride(resolve(o.dataDir), o.fromBlock, o.validators.split(',').map((v) => v.trim()).filter(Boolean))
      process.stdout.write(`validator overrides of ${resolve(o.dataDir)}:\n${describe(list)}\nrestart the node to apply it; every surviving node needs the same override\n`)
    })
  cmd
    .command('close')
    .description('end the open override at --to-block (the block whose state the governance vote made agree); restart the node to apply')
    .requiredOption('--data-dir <dir>', 'the node folder')
    .requiredOption('--to-block <n>', 'the last block the override decides', blockNumber('--to-block'))
    .action(async (o: { dataDir: string; toBlock: number }) => {
      const list = await closeOverride(resolve(o.dataDir), o.toBlock)
      process.stdout.write(`validator overrides of ${resolve(o.dataDir)}:\n${describe(list)}\nkeep this entry: nodes that sync these blocks later verify them with it\n`)
    })
  return cmd
}
