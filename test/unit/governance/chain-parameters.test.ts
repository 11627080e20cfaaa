/**
 * ChainParameters (0x…1002) in a real EVM beside the governance contract: only an approved
 * SetChainParameters proposal schedules a change; notice, ranges and names are refused with custom
 * errors that the proposal's ProposalFailed event carries; a schedule applies from its activation
 * block (as read for the child of a parent), a later decision replaces one not yet active and folds
 * one already active. And the node's reader of it (GovernedChainParams) and the protocol check.
 */
import { createBlock } from '@ethereumjs/block'
import { createAddressFromString } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import { decodeErrorResult, encodeFunctionData, type Hex } from 'viem'
import { blockOptions } from '../../../src/chain/common.js'
import { checkProtocol, fixedParams, ProtocolUnsupportedError, RELEASE_PROTOCOLS, type ChainParams } from '../../../src/chain/params.js'
import { GovernedChainParams, type StateCaller } from '../../../src/governance/chain-parameters.js'
import { decodeDecision, encodeDecision, type ChainParameterChange } from '../../../src/governance/decisions.js'
import { decodeReason } from '../../../src/cli/gov.js'
import {
  CHAIN_PARAMETERS,
  chainParametersAbi,
  common,
  Decision,
  GENESIS_PARAMS,
  GovernanceChain,
  keys,
  names,
  node,
  State,
  type DecodedEvent,
} from './governance-vm.js'

const k = keys()
const VOTERS = [k[0]!, k[1]!, k[2]!] // 3 of 4 voting parties: > 50%

interface Params {
  blockPeriodMs: bigint
  emptyBlockPeriodMs: bigint
  gasLimit: bigint
  protocol: string
}

const payload = (change: ChainParameterChange) => encodeDecision({ decision: 'SetChainParameters', ...change })

/** Decides a SetChainParameters proposal; returns its final state and the events of the votes. */
async function decide(chain: GovernanceChain, change: ChainParameterChange): Promise<{ state: number; events: DecodedEvent[] }> {
  const { id, events } = await chain.decide(VOTERS, Decision.SetChainParameters, payload(change))
  return { state: (await chain.proposal(id)).state, events }
}

/** The custom error a failed SetChainParameters proposal carries, by name and arguments. */
function failure(events: DecodedEvent[]): { errorName: string; args: readonly unknown[] } {
  const failed = events.find((e) => e.eventName === 'ProposalFailed')
  if (!failed) throw new Error(`no ProposalFailed among ${names(events).join(', ')}`)
  const decoded = decodeErrorResult({ abi: chainParametersAbi, data: failed.args.reason as Hex })
  return { errorName: decoded.errorName, args: decoded.args ?? [] }
}

const paramsAt = (chain: GovernanceChain, n: bigint) => chain.read<Params>('parametersAt', [n], chainParametersAbi, CHAIN_PARAMETERS)
const scheduled = (chain: GovernanceChain) => chain.read<readonly [bigint, Params]>('scheduled', [], chainParametersAbi, CHAIN_PARAMETERS)

describe('ChainParameters contract', () => {
  it('starts from the genesis values with nothing scheduled', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    expect(await paramsAt(chain, 1n)).toEqual(GENESIS_PARAMS)
    expect(await paramsAt(chain, 1_000_000n)).toEqual(GENESIS_PARAMS)
    expect((await scheduled(chain))[0]).toBe(0n)
  })

  it('only the governance contract may schedule: anyone else gets NotGovernance(caller)', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    const data = encodeFunctionData({ abi: chainParametersAbi, functionName: 'schedule', args: [payload({ activationBlock: 100, gasLimit: 40_000_000 })] })
    const out = await chain.send(k[0]!, CHAIN_PARAMETERS, data)
    expect(out.ok).toBe(false)
    const err = decodeErrorResult({ abi: chainParametersAbi, data: out.returnData })
    expect({ name: err.errorName, args: err.args?.map((a) => String(a).toLowerCase()) }).toEqual({ name: 'NotGovernance', args: [k[0]!.address.toLowerCase()] })
    expect((await scheduled(chain))[0]).toBe(0n)
  })

  it('an approved proposal schedules the change from its activation block, keeping the values it leaves out', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    const at = Number(chain.nextBlock) + 40
    const { state, events } = await decide(chain, { activationBlock: at, blockPeriodMs: 2000, gasLimit: 40_000_000 })
    expect(state).toBe(State.Approved)
    expect(names(events)).toEqual(['VoteCast', 'VoteCast', 'VoteCast', 'ParametersScheduled', 'ProposalApproved'])
    const event = events.find((e) => e.eventName === 'ParametersScheduled')!
    expect(event.args).toEqual({ activationBlock: BigInt(at), blockPeriodMs: 2000n, emptyBlockPeriodMs: 10_000n, gasLimit: 40_000_000n, protocol: 'quorate/1', replacedActivationBlock: 0n })
    expect(await paramsAt(chain, BigInt(at - 1))).toEqual(GENESIS_PARAMS)
    expect(await paramsAt(chain, BigInt(at))).toEqual({ ...GENESIS_PARAMS, blockPeriodMs: 2000n, gasLimit: 40_000_000n })
    expect(await scheduled(chain)).toEqual([BigInt(at), { ...GENESIS_PARAMS, blockPeriodMs: 2000n, gasLimit: 40_000_000n }])
  })

  it('refuses an activation block without MIN_NOTICE_BLOCKS of notice: ActivationTooSoon(activationBlock, earliest)', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    expect(await chain.read('MIN_NOTICE_BLOCKS', [], chainParametersAbi, CHAIN_PARAMETERS)).toBe(10n)
    // The third vote decides, two blocks after the proposal: its block + 11 is the earliest.
    const deciding = chain.nextBlock + 3n
    const { state, events } = await decide(chain, { activationBlock: Number(deciding + 10n), gasLimit: 40_000_000 })
    expect(state).toBe(State.Failed)
    expect(failure(events)).toEqual({ errorName: 'ActivationTooSoon', args: [deciding + 10n, deciding + 11n] })
    const ok = await decide(chain, { activationBlock: Number(chain.nextBlock + 3n + 11n), gasLimit: 40_000_000 })
    expect(ok.state).toBe(State.Approved)
  })

  it('refuses values out of range, a bad protocol name, and a change of nothing, each with its custom error (already at propose)', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    const at = () => Number(chain.nextBlock) + 100
    const cases: [ChainParameterChange, string, readonly unknown[]][] = [
      [{ activationBlock: at(), blockPeriodMs: 49 }, 'BlockPeriodOutOfRange', [49n, 50n, 3_600_000n]],
      [{ activationBlock: at(), blockPeriodMs: 3_600_001 }, 'BlockPeriodOutOfRange', [3_600_001n, 50n, 3_600_000n]],
      [{ activationBlock: at(), emptyBlockPeriodMs: 86_400_001 }, 'EmptyBlockPeriodOutOfRange', [86_400_001n, 50n, 86_400_000n]],
      [{ activationBlock: at(), gasLimit: 4_999_999 }, 'GasLimitOutOfRange', [4_999_999n, 5_000_000n, 2_000_000_000n]],
      [{ activationBlock: at(), gasLimit: 2_000_000_001 }, 'GasLimitOutOfRange', [2_000_000_001n, 5_000_000n, 2_000_000_000n]],
      [{ activationBlock: at(), protocol: 'Quorate 2' }, 'InvalidProtocolName', ['Quorate 2']],
      [{ activationBlock: at(), protocol: 'q'.repeat(33) }, 'InvalidProtocolName', ['q'.repeat(33)]],
      [{ activationBlock: at() }, 'NothingToChange', []],
    ]
    for (const [change, errorName, args] of cases) {
      // The governance contract simulates the decision when it is proposed: a doomed one is refused then.
      const out = await chain.transact(k[0]!, 'propose', [Decision.SetChainParameters, payload(change), ''])
      expect({ change, ok: out.ok }).toEqual({ change, ok: false })
      const err = decodeErrorResult({ abi: chainParametersAbi, data: out.returnData })
      expect({ errorName: err.errorName, args: err.args ?? [] }).toEqual({ errorName, args })
    }
    // Too little notice already when proposed: earliest is the proposing block + 11.
    const n = chain.nextBlock
    const soon = await chain.transact(k[0]!, 'propose', [Decision.SetChainParameters, payload({ activationBlock: Number(n) + 5, gasLimit: 40_000_000 }), ''])
    const err = decodeErrorResult({ abi: chainParametersAbi, data: soon.returnData })
    expect({ errorName: err.errorName, args: err.args }).toEqual({ errorName: 'ActivationTooSoon', args: [n + 5n, n + 11n] })
    expect(await chain.read('proposalCount')).toBe(0n)
    expect((await scheduled(chain))[0]).toBe(0n)
    // The CLI and the JSON-RPC name such a refusal in words and by its error.
    const out = await chain.transact(k[0]!, 'propose', [Decision.SetChainParameters, payload({ activationBlock: at(), gasLimit: 1 }), ''])
    expect(out.reason).toBe('chain parameters: gas limit 1 is outside 5000000..2000000000 (GasLimitOutOfRange)')
    expect(decodeReason(out.returnData)).toBe(out.reason)
  })

  it('a payload that is not the SetChainParameters layout is refused at propose', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    const out = await chain.transact(k[0]!, 'propose', [Decision.SetChainParameters, '0x1234', ''])
    expect(out.reason).toBe('governance: payload does not match decision type 14 (PayloadMismatch)')
  })

  it('a later decision replaces a change not yet active, and folds one already active into the current values', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    const first = Number(chain.nextBlock) + 50
    expect((await decide(chain, { activationBlock: first, blockPeriodMs: 3000 })).state).toBe(State.Approved)
    // Replaced before it activates: its period change is gone, the new one starts from the current values.
    const second = Number(chain.nextBlock) + 30
    const replaced = await decide(chain, { activationBlock: second, gasLimit: 60_000_000 })
    expect(replaced.events.find((e) => e.eventName === 'ParametersScheduled')!.args.replacedActivationBlock).toBe(BigInt(first))
    expect(await paramsAt(chain, BigInt(first))).toEqual({ ...GENESIS_PARAMS, gasLimit: 60_000_000n })
    // Past `second` the gas limit is in force; a new change builds on it.
    while (chain.nextBlock <= BigInt(second)) await chain.send(k[9]!, node(1), '0x')
    const third = Number(chain.nextBlock) + 20
    const folded = await decide(chain, { activationBlock: third, protocol: 'quorate/2' })
    expect(folded.events.find((e) => e.eventName === 'ParametersScheduled')!.args.replacedActivationBlock).toBe(0n)
    expect(await paramsAt(chain, BigInt(third - 1))).toEqual({ ...GENESIS_PARAMS, gasLimit: 60_000_000n })
    expect(await paramsAt(chain, BigInt(third))).toEqual({ ...GENESIS_PARAMS, gasLimit: 60_000_000n, protocol: 'quorate/2' })
  })
})

describe('SetChainParameters payload', () => {
  it('encodes absent values as 0 / "" and decodes them back as absent', () => {
    const data = payload({ activationBlock: 120, gasLimit: 40_000_000, protocol: 'quorate/2' })
    expect(decodeDecision(Decision.SetChainParameters, data)).toEqual({ decision: 'SetChainParameters', activationBlock: 120, gasLimit: 40_000_000, protocol: 'quorate/2' })
  })
})

/** Reads ChainParameters from the GovernanceChain's state, the way the node's CallExecutor does. */
function caller(chain: GovernanceChain): StateCaller & { calls: number } {
  const c = {
    calls: 0,
    async call(_block: unknown, req: { to: string; data: Uint8Array }) {
      c.calls++
      const result = await chain.vm.evm.runCall({ to: createAddressFromString(req.to), caller: createAddressFromString(node(0xca11)), data: req.data, gasLimit: 10_000_000n })
      if (result.execResult.exceptionError) throw new Error('reverted')
      return result.execResult.returnValue
    },
  }
  return c
}

const parent = (n: bigint) => createBlock({ header: { number: n, gasLimit: 30_000_000n } }, blockOptions(common))

describe('GovernedChainParams (the node reader)', () => {
  it('gives each parent the parameters of its child: the new values from the block whose parent is activation - 1', async () => {
    const chain = await GovernanceChain.create(undefined, { chainParameters: true })
    const at = Number(chain.nextBlock) + 40
    expect((await decide(chain, { activationBlock: at, emptyBlockPeriodMs: 500, gasLimit: 40_000_000, protocol: 'quorate/2' })).state).toBe(State.Approved)
    const calls = caller(chain)
    const reader = new GovernedChainParams(calls)
    const genesis: ChainParams = { blockPeriodMs: 1000, emptyBlockPeriodMs: 10_000, gasLimit: 30_000_000n, protocol: 'quorate/1' }
    expect(await reader.paramsFor(parent(BigInt(at - 2)))).toEqual(genesis)
    expect(await reader.paramsFor(parent(BigInt(at - 1)))).toEqual({ blockPeriodMs: 1000, emptyBlockPeriodMs: 500, gasLimit: 40_000_000n, protocol: 'quorate/2' })
    // Cached per parent hash: the same parent is read once.
    await reader.paramsFor(parent(BigInt(at - 1)))
    expect(calls.calls).toBe(2)
    expect(await reader.scheduled(parent(0n))).toEqual({ activationBlock: BigInt(at), params: { blockPeriodMs: 1000, emptyBlockPeriodMs: 500, gasLimit: 40_000_000n, protocol: 'quorate/2' } })
  })

  it('without the contract the genesis values hold for every block', async () => {
    const p: ChainParams = { blockPeriodMs: 500, emptyBlockPeriodMs: 1000, gasLimit: 50_000_000n, protocol: 'quorate/1' }
    expect(await fixedParams(p).paramsFor(parent(12345n))).toEqual(p)
  })
})

describe('protocol support', () => {
  it('accepts the protocols of the release and refuses another with the block, the protocol, what is supported and what to do', () => {
    const params: ChainParams = { blockPeriodMs: 1000, emptyBlockPeriodMs: 1000, gasLimit: 30_000_000n, protocol: 'quorate/2' }
    expect(() => checkProtocol(120n, params, RELEASE_PROTOCOLS)).not.toThrow()
    let err: unknown
    try {
      checkProtocol(120n, params, ['quorate/1'])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ProtocolUnsupportedError)
    const e = err as ProtocolUnsupportedError
    expect(e.code).toBe('PROTOCOL_UNSUPPORTED')
    expect(e.shortMessage).toBe(
      'governance scheduled protocol quorate/2 from block 120, but this node supports only quorate/1; it stops at block 119 and will not import or make block 120: upgrade the Quorate software to a release that supports quorate/2',
    )
  })
})
