/**
 * CallExecutor: read-only access to the state of any stored block (no pruning, so every block's
 * state is there): accounts, code, storage, eth_call and gas estimation. It has its own VM so it
 * never disturbs block building, and runs one request at a time because its state follows the block
 * asked about. Calls run as unsigned transactions from `from` inside a journal checkpoint that is
 * always reverted, so they never change state; runTx gives the exact gas rules of a real transaction.
 * A call the transaction rules refuse (gas below intrinsic, a contract as sender, ...) is the
 * client's mistake: CallInvalidError, never an internal error.
 *
 * It runs on the thread that calls it: the node keeps one for its own reads (governance, anchors,
 * the pool's account reads), and the eth_call workers (call-worker.ts) each run one for clients.
 * Must not: take a client's gas unbounded on the main thread (that is CallPool's job).
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createFeeMarket1559Tx, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { createAddressFromString, createZeroAddress, equalsBytes, EthereumJSError, type Address as EthAddress } from '@ethereumjs/util'
import { runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { bytesToHex } from '@ethereumjs/util'
import { QuorateError } from '../errors.js'
import type { Address, Hex } from '../types.js'
import { Mutex } from '../util/mutex.js'
import { createExecutionVM, type ExecutionSource } from './executor.js'
import { decodeRevertReason } from './revert.js'

export interface CallRequest {
  from?: Address
  to?: Address
  gas?: bigint
  value?: bigint
  data?: Uint8Array
  accessList?: { address: Address; storageKeys: Hex[] }[]
}

export class ExecutionRevertedError extends QuorateError {
  override name = 'ExecutionRevertedError'
  constructor(returnData: Uint8Array) {
    const reason = decodeRevertReason(returnData)
    super('EXECUTION_REVERTED', reason !== undefined ? `execution reverted: ${reason}` : 'execution reverted', { data: bytesToHex(returnData) })
  }
}

export class ExecutionFailedError extends QuorateError {
  override name = 'ExecutionFailedError'
  constructor(reason: string) {
    super('EXECUTION_FAILED', `execution failed: ${reason}`)
  }
}

/** The transaction rules refuse the call as asked (-32000 with the reason, as geth answers). */
export class CallInvalidError extends QuorateError {
  override name = 'CallInvalidError'
  constructor(reason: string) {
    super('CALL_INVALID', reason)
  }
}

/**
 * ethereumjs throws plain Errors for a transaction it refuses, worded for its own logs
 * (`<reason> (vm hf=… -> block … -> tx …)`): keep the reason, in geth's words where a client may
 * match on them.
 */
export function callInvalid(err: unknown): CallInvalidError {
  const raw = err instanceof Error ? err.message : String(err)
  const reason = raw.replace(/ \(vm hf=[\s\S]*$/, '')
  const intrinsic = /^INTRINSIC_GAS_TOO_LOW: tx gas limit (\d+) is lower than the minimum gas limit of (\d+)/.exec(reason)
  if (intrinsic) return new CallInvalidError(`intrinsic gas too low: gas ${intrinsic[1]}, minimum needed ${intrinsic[2]}`)
  if (reason.includes('EIP-3607')) return new CallInvalidError('sender not an eoa: the from address holds contract code (EIP-3607)')
  return new CallInvalidError(reason)
}

export class CallExecutor {
  private readonly lock = new Mutex()
  private root: Uint8Array | undefined
  /** The block whose state the current request reads (governance reads rules from it). */
  block: Block | undefined

  private constructor(
    private readonly vm: VM,
    private readonly common: Common,
  ) {}

  get evm(): VM['evm'] {
    return this.vm.evm
  }

  static async create(common: Common, store: ExecutionSource): Promise<CallExecutor> {
    return new CallExecutor(await createExecutionVM(common, store), common)
  }

  async getAccount(block: Block, address: Address): Promise<{ nonce: bigint; balance: bigint }> {
    return this.at(block, async () => {
      const acc = await this.vm.stateManager.getAccount(createAddressFromString(address))
      return { nonce: acc?.nonce ?? 0n, balance: acc?.balance ?? 0n }
    })
  }

  async getCode(block: Block, address: Address): Promise<Uint8Array> {
    return this.at(block, () => this.vm.stateManager.getCode(createAddressFromString(address)))
  }

  async getStorage(block: Block, address: Address, slot: Uint8Array): Promise<Uint8Array> {
    return this.at(block, async () => {
      const value = await this.vm.stateManager.getStorage(createAddressFromString(address), slot)
      const out = new Uint8Array(32)
      out.set(value, 32 - value.length)
      return out
    })
  }

  /** eth_call: returns the return data, or throws ExecutionRevertedError with the revert data. */
  async call(block: Block, req: CallRequest): Promise<Uint8Array> {
    const result = await this.at(block, () => this.run(block, req, req.gas ?? block.header.gasLimit))
    return checkResult(result)
  }

  /** eth_estimateGas: the least gas limit with which the call succeeds (binary search above the gas used). */
  async estimateGas(block: Block, req: CallRequest): Promise<bigint> {
    return this.at(block, async () => {
      const cap = req.gas ?? block.header.gasLimit
      const first = await this.run(block, req, cap)
      checkResult(first)
      let lo = first.totalGasSpent - 1n
      let hi = cap
      // Most calls succeed just above the gas they used (the 63/64 rule and refunds aside): try that first.
      const guess = (first.totalGasSpent * 64n) / 63n + 3000n
      if (guess < hi && !(await this.fails(block, req, guess))) hi = guess
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n
        if (await this.fails(block, req, mid)) lo = mid
        else hi = mid
      }
      return hi
    })
  }

  private async fails(block: Block, req: CallRequest, gas: bigint): Promise<boolean> {
    try {
      return (await this.run(block, req, gas)).execResult.exceptionError !== undefined
    } catch {
      return true // e.g. intrinsic gas above the limit
    }
  }

  private async run(block: Block, req: CallRequest, gas: bigint): Promise<RunTxResult> {
    let tx: FeeMarket1559Tx & { getSenderAddress: () => EthAddress }
    try {
      tx = createFeeMarket1559Tx(
        {
          to: req.to,
          gasLimit: gas,
          value: req.value ?? 0n,
          data: req.data ?? new Uint8Array(),
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
          accessList: req.accessList ?? [],
          nonce: 0n,
        },
        { common: this.common, freeze: false },
      ) as FeeMarket1559Tx & { getSenderAddress: () => EthAddress }
    } catch (err) {
      throw callInvalid(err)
    }
    const from = req.from ? createAddressFromString(req.from) : createZeroAddress()
    tx.getSenderAddress = () => from
    await this.vm.evm.journal.checkpoint()
    try {
      return await runTx(this.vm, { tx, block, skipNonce: true, skipBalance: true, skipHardForkValidation: true, skipBlockGasLimitValidation: true })
    } catch (err) {
      // ethereumjs's errors are refusals of the transaction (before anything ran); others (storage) pass as they are.
      throw err instanceof EthereumJSError ? callInvalid(err) : err
    } finally {
      await this.vm.evm.journal.revert()
    }
  }

  private at<T>(block: Block, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      if (!this.root || !equalsBytes(this.root, block.header.stateRoot)) {
        await this.vm.stateManager.setStateRoot(block.header.stateRoot, true)
        this.root = block.header.stateRoot
      }
      this.block = block
      return fn()
    })
  }
}

function checkResult(result: RunTxResult): Uint8Array {
  const err = result.execResult.exceptionError
  if (!err) return result.execResult.returnValue
  if (err.error === 'revert') throw new ExecutionRevertedError(result.execResult.returnValue)
  throw new ExecutionFailedError(err.error)
}
