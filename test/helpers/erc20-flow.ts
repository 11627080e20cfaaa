/**
 * The ERC-20 flow an application developer runs against a node, once with ethers v6 and once with
 * viem 2: deploy Token, transfer, read balances, find the Transfer event by eth_getLogs and by a
 * WebSocket `logs` subscription, mine a reverting transfer (status 0), and read revert reasons of
 * failing eth_calls. Works against any JSON-RPC endpoint (HTTP + WebSocket).
 *
 * The helpers only observe and report: tests assert on the returned `Erc20FlowResult`. They throw
 * `Erc20FlowError` only when a step cannot go on at all (a timeout, a missing receipt).
 */
import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Wallet,
  WebSocketProvider,
  isError,
  type InterfaceAbi,
  type Log as EthersLog,
  type TransactionReceipt as EthersReceipt,
} from 'ethers'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  webSocket,
  type Log as ViemLog,
  type TransactionReceipt as ViemReceipt,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { tokenArtifact } from '../../bench/lib/token.js'
import { QuorateError } from '../../src/errors.js'
import type { Address, Hex } from '../../src/types.js'

export interface Erc20FlowParams {
  rpcUrl: string
  wsUrl: string
  /** At least two funded keys: [0] deploys and sends, [1] receives and sends the failing transfers. */
  privateKeys: Hex[]
  /** Per-step timeout (receipts, subscription events); default 20 s. */
  timeoutMs?: number
}

/** What the flow deploys and moves; tests compare the observations with these. */
export const ERC20_FLOW = {
  name: 'Quorate Test Token',
  symbol: 'QTT',
  decimals: 18,
  initialSupply: 1_000_000n * 10n ** 18n,
  transferAmount: 1_234n * 10n ** 18n,
  /** Explicit gas limit of the reverting transfer, so no gas estimation stops it before the chain. */
  revertGasLimit: 100_000n,
  revertReason: 'Token: insufficient balance',
} as const

export interface TransferLog {
  from: Address
  to: Address
  value: bigint
  txHash: Hex
  blockNumber: bigint
}

export interface Erc20FlowResult {
  library: 'ethers' | 'viem'
  chainId: bigint
  /** Lower-case addresses. */
  deployer: Address
  recipient: Address
  token: {
    address: Address
    deployTxHash: Hex
    /** 1 success, 0 reverted. */
    deployStatus: number
    /** Length in bytes of eth_getCode at the token address. */
    codeSize: number
    name: string
    symbol: string
    decimals: number
    totalSupply: bigint
  }
  transfer: { txHash: Hex; status: number; blockNumber: bigint }
  balancesAfterTransfer: { deployer: bigint; recipient: bigint }
  logs: {
    /** eth_getLogs through the library's raw log call (provider.getLogs / getLogs). */
    getLogs: TransferLog[]
    /** eth_getLogs through the contract abstraction (contract.queryFilter / getContractEvents). */
    contractEvents: TransferLog[]
    /** The Transfer event delivered by a WebSocket `logs` subscription. */
    subscription: TransferLog
  }
  revertedTransfer: {
    txHash: Hex
    status: number
    gasLimit: bigint
    gasUsed: bigint
    /** How the library reported it: ethers' error code on wait(), viem's receipt status string. */
    reportedAs: string
  }
  balancesAfterRevert: { deployer: bigint; recipient: bigint }
  /** Revert of eth_call `transfer` beyond the caller's balance (a `require` reason string). */
  callRevert: { reason: string | undefined }
  /** Revert of eth_call `transferChecked` beyond the caller's balance (custom error). */
  customErrorRevert: { errorName: string | undefined; args: readonly unknown[] }
}

export class Erc20FlowError extends QuorateError {
  override name = 'Erc20FlowError'
  constructor(library: 'ethers' | 'viem', step: string, message: string, opts: { cause?: unknown } = {}) {
    super('ERC20_FLOW_FAILED', `${library} ERC-20 flow, step "${step}": ${message}`, opts)
  }
}

function lower(address: string): Address {
  return address.toLowerCase() as Address
}

function asBigint(value: unknown, what: string): bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${what}: expected a bigint, got ${typeof value}`)
  return value
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what}: expected a string, got ${typeof value}`)
  return value
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A promise with its resolve function, for events delivered to callbacks. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function requireKeys(library: 'ethers' | 'viem', keys: Hex[]): [Hex, Hex] {
  const [a, b] = keys
  if (!a || !b) throw new Erc20FlowError(library, 'setup', `needs at least two private keys, got ${keys.length}`)
  return [a, b]
}

// ---------------------------------------------------------------------------------------------
// ethers v6
// ---------------------------------------------------------------------------------------------

export async function runErc20FlowEthers(params: Erc20FlowParams): Promise<Erc20FlowResult> {
  const timeoutMs = params.timeoutMs ?? 20_000
  const [deployerKey, recipientKey] = requireKeys('ethers', params.privateKeys)
  const { abi: viemAbi, bytecode } = tokenArtifact()
  // The same JSON ABI; ethers types it as mutable JSON fragments, viem as readonly `Abi`.
  const abi = viemAbi as unknown as InterfaceAbi
  // Poll fast and never serve cached block numbers: a dev node mines on every transaction.
  const provider = new JsonRpcProvider(params.rpcUrl, undefined, { pollingInterval: 50, cacheTimeout: -1 })
  const ws = new WebSocketProvider(params.wsUrl)
  const fail = (step: string, message: string, cause?: unknown): Erc20FlowError =>
    new Erc20FlowError('ethers', step, message, cause === undefined ? {} : { cause })
  try {
    const network = await provider.getNetwork()
    const deployer = new Wallet(deployerKey, provider)
    const recipient = new Wallet(recipientKey, provider)

    // Deploy.
    const factory = new ContractFactory(abi, bytecode, deployer)
    const deployed = await factory.deploy(ERC20_FLOW.name, ERC20_FLOW.symbol, ERC20_FLOW.initialSupply)
    const deployTx = deployed.deploymentTransaction()
    if (!deployTx) throw fail('deploy', 'ContractFactory.deploy returned no deployment transaction')
    const deployReceipt = await deployTx.wait(1, timeoutMs)
    if (!deployReceipt?.contractAddress) throw fail('deploy', `no receipt with a contract address for ${deployTx.hash}`)
    const tokenAddress = deployReceipt.contractAddress
    const token = new Contract(tokenAddress, abi, deployer)
    const code = await provider.getCode(tokenAddress)

    // Subscribe over WebSocket before the transfer. `provider.on` has queued eth_subscribe when it
    // resolves; the eth_blockNumber that follows on the same socket is answered after it.
    await ws.getNetwork()
    const transferTopics = await token.filters.Transfer!(deployer.address, recipient.address).getTopicFilter()
    const seen = deferred<EthersLog>()
    const filter = { address: tokenAddress, topics: transferTopics }
    await ws.on(filter, (log: EthersLog) => seen.resolve(log))
    await ws.send('eth_blockNumber', [])

    // Successful transfer.
    const transferTx = await token.getFunction('transfer')(recipient.address, ERC20_FLOW.transferAmount)
    const transferReceipt = await withTimeout(provider.waitForTransaction(asString(transferTx.hash, 'tx hash'), 1, timeoutMs), timeoutMs, () =>
      fail('transfer', `no receipt within ${timeoutMs} ms`),
    )
    if (!transferReceipt) throw fail('transfer', 'no receipt')
    const subscribed = await withTimeout(seen.promise, timeoutMs, () =>
      fail('subscription', `no Transfer log arrived over the WebSocket logs subscription within ${timeoutMs} ms`),
    )

    const balanceOf = async (address: string): Promise<bigint> =>
      asBigint(await token.getFunction('balanceOf').staticCall(address), 'balanceOf')
    const balancesAfterTransfer = { deployer: await balanceOf(deployer.address), recipient: await balanceOf(recipient.address) }

    // eth_getLogs, raw and through the contract.
    const block = transferReceipt.blockNumber
    const rawLogs = await provider.getLogs({ ...filter, fromBlock: block, toBlock: block })
    const events = await token.queryFilter(token.filters.Transfer!(deployer.address, recipient.address), block, block)
    const decode = (log: EthersLog): TransferLog => {
      const parsed = token.interface.parseLog({ topics: [...log.topics], data: log.data })
      if (!parsed || parsed.name !== 'Transfer') throw fail('logs', `log ${log.transactionHash}#${log.index} is not a Transfer event`)
      return {
        from: lower(asString(parsed.args[0], 'from')),
        to: lower(asString(parsed.args[1], 'to')),
        value: asBigint(parsed.args[2], 'value'),
        txHash: log.transactionHash as Hex,
        blockNumber: BigInt(log.blockNumber),
      }
    }

    // Revert reasons of failing eth_calls (the recipient holds exactly transferAmount).
    const recipientToken = new Contract(tokenAddress, abi, recipient)
    const tooMuch = ERC20_FLOW.transferAmount + 1n
    let callReason: string | undefined
    try {
      await recipientToken.getFunction('transfer').staticCall(deployer.address, tooMuch)
      throw fail('call revert', 'eth_call of transfer beyond the balance did not revert')
    } catch (err) {
      if (!isError(err, 'CALL_EXCEPTION')) throw err
      callReason = err.reason ?? undefined
    }
    let customErrorName: string | undefined
    let customErrorArgs: readonly unknown[] = []
    try {
      await recipientToken.getFunction('transferChecked').staticCall(deployer.address, tooMuch)
      throw fail('custom error', 'eth_call of transferChecked beyond the balance did not revert')
    } catch (err) {
      if (!isError(err, 'CALL_EXCEPTION')) throw err
      customErrorName = err.revert?.name
      customErrorArgs = err.revert ? [...err.revert.args] : []
    }

    // A transfer that reverts on chain. The explicit gasLimit skips estimateGas, which would refuse it.
    const revertTx = await recipientToken.getFunction('transfer')(deployer.address, tooMuch, { gasLimit: ERC20_FLOW.revertGasLimit })
    let revertReceipt: EthersReceipt | null = null
    let reportedAs = 'no error'
    try {
      revertReceipt = await revertTx.wait(1, timeoutMs)
    } catch (err) {
      if (!isError(err, 'CALL_EXCEPTION')) throw fail('reverted transfer', 'wait() failed with something other than CALL_EXCEPTION', err)
      reportedAs = err.code
      revertReceipt = err.receipt ?? null
    }
    if (!revertReceipt) throw fail('reverted transfer', `no receipt for ${asString(revertTx.hash, 'tx hash')}`)
    const balancesAfterRevert = { deployer: await balanceOf(deployer.address), recipient: await balanceOf(recipient.address) }

    return {
      library: 'ethers',
      chainId: network.chainId,
      deployer: lower(deployer.address),
      recipient: lower(recipient.address),
      token: {
        address: lower(tokenAddress),
        deployTxHash: deployTx.hash as Hex,
        deployStatus: deployReceipt.status ?? -1,
        codeSize: (code.length - 2) / 2,
        name: asString(await token.getFunction('name').staticCall(), 'name'),
        symbol: asString(await token.getFunction('symbol').staticCall(), 'symbol'),
        decimals: Number(asBigint(await token.getFunction('decimals').staticCall(), 'decimals')),
        totalSupply: asBigint(await token.getFunction('totalSupply').staticCall(), 'totalSupply'),
      },
      transfer: { txHash: transferReceipt.hash as Hex, status: transferReceipt.status ?? -1, blockNumber: BigInt(transferReceipt.blockNumber) },
      balancesAfterTransfer,
      logs: { getLogs: rawLogs.map(decode), contractEvents: events.map(decode), subscription: decode(subscribed) },
      revertedTransfer: {
        txHash: revertReceipt.hash as Hex,
        status: revertReceipt.status ?? -1,
        gasLimit: asBigint(revertTx.gasLimit, 'gasLimit'),
        gasUsed: revertReceipt.gasUsed,
        reportedAs,
      },
      balancesAfterRevert,
      callRevert: { reason: callReason },
      customErrorRevert: { errorName: customErrorName, args: customErrorArgs },
    }
  } finally {
    await ws.destroy()
    provider.destroy()
  }
}

// ---------------------------------------------------------------------------------------------
// viem 2
// ---------------------------------------------------------------------------------------------

export async function runErc20FlowViem(params: Erc20FlowParams): Promise<Erc20FlowResult> {
  const timeoutMs = params.timeoutMs ?? 20_000
  const [deployerKey, recipientKey] = requireKeys('viem', params.privateKeys)
  const { abi, bytecode } = tokenArtifact()
  const fail = (step: string, message: string, cause?: unknown): Erc20FlowError =>
    new Erc20FlowError('viem', step, message, cause === undefined ? {} : { cause })

  // The chain is whatever the endpoint says it is.
  const chainId = await createPublicClient({ transport: http(params.rpcUrl) }).getChainId()
  const chain = defineChain({
    id: chainId,
    name: `JSON-RPC chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [params.rpcUrl], webSocket: [params.wsUrl] } },
  })
  const client = createPublicClient({ chain, transport: http(params.rpcUrl), pollingInterval: 50, cacheTime: 0 })
  const wsClient = createPublicClient({ chain, transport: webSocket(params.wsUrl, { reconnect: false }) })
  const deployer = privateKeyToAccount(deployerKey)
  const recipient = privateKeyToAccount(recipientKey)
  const wallet = createWalletClient({ chain, transport: http(params.rpcUrl), account: deployer })
  const receiptOf = (hash: Hex, step: string): Promise<ViemReceipt> =>
    client.waitForTransactionReceipt({ hash, timeout: timeoutMs, pollingInterval: 50 }).catch((err: unknown) => {
      throw fail(step, `no receipt for ${hash} within ${timeoutMs} ms`, err)
    })
  const status = (r: ViemReceipt): number => (r.status === 'success' ? 1 : 0)
  const read = (functionName: string, args: readonly unknown[] = []): Promise<unknown> =>
    client.readContract({ address: tokenAddress, abi, functionName, args })
  let tokenAddress: Address = '0x'
  let unwatch: (() => void) | undefined

  try {
    // Deploy.
    const deployTxHash = await wallet.deployContract({ abi, bytecode, args: [ERC20_FLOW.name, ERC20_FLOW.symbol, ERC20_FLOW.initialSupply] })
    const deployReceipt = await receiptOf(deployTxHash, 'deploy')
    if (!deployReceipt.contractAddress) throw fail('deploy', `receipt of ${deployTxHash} has no contract address`)
    tokenAddress = deployReceipt.contractAddress
    const code = await client.getCode({ address: tokenAddress })

    // Subscribe over WebSocket. watchContractEvent sends eth_subscribe from an async task and gives
    // no ready signal; with the socket already open, two sequential round trips on the same socket
    // make sure the subscription was requested (and, answered in order, made) first.
    await wsClient.getChainId()
    const seen = deferred<ViemLog>()
    const subscriptionError = deferred<Error>()
    unwatch = wsClient.watchContractEvent({
      address: tokenAddress,
      abi,
      eventName: 'Transfer',
      args: { from: deployer.address, to: recipient.address },
      onLogs: (logs) => {
        if (logs[0]) seen.resolve(logs[0])
      },
      onError: (err) => subscriptionError.resolve(err),
    })
    await wsClient.request({ method: 'eth_blockNumber' })
    await wsClient.request({ method: 'eth_blockNumber' })

    // Successful transfer.
    const transferHash = await wallet.writeContract({ address: tokenAddress, abi, functionName: 'transfer', args: [recipient.address, ERC20_FLOW.transferAmount] })
    const transferReceipt = await receiptOf(transferHash, 'transfer')
    const subscribed = await withTimeout(
      Promise.race([
        seen.promise,
        subscriptionError.promise.then((err) => {
          throw fail('subscription', 'the WebSocket logs subscription failed', err)
        }),
      ]),
      timeoutMs,
      () => fail('subscription', `no Transfer log arrived over the WebSocket logs subscription within ${timeoutMs} ms`),
    )

    const balanceOf = async (address: Address): Promise<bigint> => asBigint(await read('balanceOf', [address]), 'balanceOf')
    const balancesAfterTransfer = { deployer: await balanceOf(deployer.address), recipient: await balanceOf(recipient.address) }

    // eth_getLogs, raw (event filter) and through the contract abstraction.
    const transferEvent = abi.find((item) => item.type === 'event' && item.name === 'Transfer')
    if (!transferEvent || transferEvent.type !== 'event') throw fail('logs', 'Token ABI has no Transfer event')
    const block = transferReceipt.blockNumber
    const rawLogs = await client.getLogs({
      address: tokenAddress,
      event: transferEvent,
      args: { from: deployer.address, to: recipient.address },
      fromBlock: block,
      toBlock: block,
    })
    const events = await client.getContractEvents({
      address: tokenAddress,
      abi,
      eventName: 'Transfer',
      args: { from: deployer.address, to: recipient.address },
      fromBlock: block,
      toBlock: block,
    })
    const decode = (log: ViemLog): TransferLog => {
      const args = (log as { args?: unknown }).args
      if (!args || typeof args !== 'object') throw fail('logs', `log ${log.transactionHash} was not decoded`)
      const { from, to, value } = args as Record<string, unknown>
      if (!log.transactionHash || log.blockNumber === null) throw fail('logs', 'log is pending (no transaction hash or block)')
      return {
        from: lower(asString(from, 'from')),
        to: lower(asString(to, 'to')),
        value: asBigint(value, 'value'),
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
      }
    }

    // Revert reasons of failing eth_calls (the recipient holds exactly transferAmount).
    const tooMuch = ERC20_FLOW.transferAmount + 1n
    const revertOf = async (functionName: string): Promise<ContractFunctionRevertedError> => {
      try {
        await client.simulateContract({ account: recipient, address: tokenAddress, abi, functionName, args: [deployer.address, tooMuch] })
      } catch (err) {
        const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : null
        if (reverted instanceof ContractFunctionRevertedError) return reverted
        throw fail('call revert', `eth_call of ${functionName} failed without ContractFunctionRevertedError`, err)
      }
      throw fail('call revert', `eth_call of ${functionName} beyond the balance did not revert`)
    }
    const callRevert = await revertOf('transfer')
    const customRevert = await revertOf('transferChecked')

    // A transfer that reverts on chain. The explicit gas skips estimateGas, which would refuse it.
    const revertHash = await wallet.writeContract({
      account: recipient,
      address: tokenAddress,
      abi,
      functionName: 'transfer',
      args: [deployer.address, tooMuch],
      gas: ERC20_FLOW.revertGasLimit,
    })
    const revertReceipt = await receiptOf(revertHash, 'reverted transfer')
    const revertTx = await client.getTransaction({ hash: revertHash })
    const balancesAfterRevert = { deployer: await balanceOf(deployer.address), recipient: await balanceOf(recipient.address) }

    return {
      library: 'viem',
      chainId: BigInt(chainId),
      deployer: lower(deployer.address),
      recipient: lower(recipient.address),
      token: {
        address: lower(tokenAddress),
        deployTxHash,
        deployStatus: status(deployReceipt),
        codeSize: code ? (code.length - 2) / 2 : 0,
        name: asString(await read('name'), 'name'),
        symbol: asString(await read('symbol'), 'symbol'),
        decimals: Number(await read('decimals')),
        totalSupply: asBigint(await read('totalSupply'), 'totalSupply'),
      },
      transfer: { txHash: transferReceipt.transactionHash, status: status(transferReceipt), blockNumber: transferReceipt.blockNumber },
      balancesAfterTransfer,
      logs: { getLogs: rawLogs.map(decode), contractEvents: events.map(decode), subscription: decode(subscribed) },
      revertedTransfer: {
        txHash: revertReceipt.transactionHash,
        status: status(revertReceipt),
        gasLimit: revertTx.gas,
        gasUsed: revertReceipt.gasUsed,
        reportedAs: revertReceipt.status,
      },
      balancesAfterRevert,
      callRevert: { reason: callRevert.reason },
      customErrorRevert: { errorName: customRevert.data?.errorName, args: customRevert.data?.args ?? [] },
    }
  } finally {
    unwatch?.()
    const rpc = await wsClient.transport.getRpcClient()
    rpc.close()
  }
}
