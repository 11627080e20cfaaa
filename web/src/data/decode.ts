/**
 * Names and decodes what the chain's own contracts emit and take (governance, its proxy, the
 * private-data anchors), with viem and the ABIs the build takes from the node's artifacts.
 */
import { decodeEventLog, decodeFunctionData, type Abi } from 'viem'
import { abis, addresses } from 'virtual:known-abis'
import type { Hex, RpcLog } from '../rpc/types.js'

export interface Decoded {
  contract: string
  name: string
  args: [string, string][]
}

const WITH_EVENTS = Object.entries(abis).filter(([, abi]) => abi.some((i) => i.type === 'event' || i.type === 'function'))

/** The contract a governed chain holds at this address, if any. */
export function knownContract(address: string | null | undefined): string | undefined {
  if (!address) return undefined
  const a = address.toLowerCase()
  return Object.entries(addresses).find(([, at]) => at.toLowerCase() === a)?.[0]
}

/** ABIs to try for an address: its own contract's first, then every other known one (a proxy's events, a library). */
function candidates(address: string | null | undefined): [string, Abi][] {
  const own = knownContract(address)
  return [...WITH_EVENTS.filter(([n]) => n === own), ...WITH_EVENTS.filter(([n]) => n !== own)]
}

export function decodeLog(log: Pick<RpcLog, 'address' | 'topics' | 'data'>): Decoded | undefined {
  if (log.topics.length === 0) return undefined
  for (const [contract, abi] of candidates(log.address)) {
    try {
      const d = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true })
      return { contract, name: d.eventName ?? '(anonymous)', args: namedArgs(d.args) }
    } catch {
      // not this ABI
    }
  }
  return undefined
}

export function decodeCall(to: string | null, input: Hex): Decoded | undefined {
  if (!to || input.length < 10) return undefined
  const own = knownContract(to)
  if (!own) return undefined
  for (const [contract, abi] of candidates(to)) {
    try {
      const d = decodeFunctionData({ abi, data: input })
      const args = d.args ?? []
      const fn = abi.find((i) => i.type === 'function' && i.name === d.functionName && i.inputs.length === args.length)
      const names = fn && fn.type === 'function' ? fn.inputs.map((p, i) => p.name || String(i)) : []
      return { contract, name: d.functionName, args: args.map((v, i) => [names[i] ?? String(i), show(v)]) }
    } catch {
      // not this ABI
    }
  }
  return undefined
}

function namedArgs(args: unknown): [string, string][] {
  if (args === undefined || args === null) return []
  if (Array.isArray(args)) return args.map((v, i) => [String(i), show(v)])
  return Object.entries(args as Record<string, unknown>).map(([k, v]) => [k, show(v)])
}

/** Party and collection ids are short texts in a bytes32: "employer" reads better than 0x656d… */
function bytes32Text(hex: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) return undefined
  const bytes = hex.slice(2).match(/../g)!.map((b) => parseInt(b, 16))
  const end = bytes.indexOf(0)
  if (end <= 0 || bytes.slice(end).some((b) => b !== 0)) return undefined
  const text = String.fromCharCode(...bytes.slice(0, end))
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'string') {
    const text = bytes32Text(v)
    return text === undefined ? v : `"${text}" (${v.slice(0, 10)}…)`
  }
  if (typeof v === 'boolean' || typeof v === 'number') return String(v)
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))
}
