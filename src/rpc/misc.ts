/** net_, web3_ and txpool_ methods. */
import { bigIntToHex, bytesToHex, intToHex } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { z } from 'zod'
import type { Node } from '../node/node.js'
import { CLIENT_VERSION } from '../node/node.js'
import { keccak256 } from '../crypto/native.js'
import { formatTransaction } from './format.js'
import { dataSchema } from './schemas.js'
import { method, noParams, type RpcMethods } from './types.js'

export interface PeerCounter {
  peerCount(): number
}

function mapContent(content: Record<string, Record<string, TypedTransaction>>) {
  return Object.fromEntries(
    Object.entries(content).map(([addr, byNonce]) => [addr, Object.fromEntries(Object.entries(byNonce).map(([n, tx]) => [n, formatTransaction(tx)]))]),
  )
}

export function miscMethods(node: Node, peers: PeerCounter): RpcMethods {
  return {
    net_version: noParams(() => node.chainId.toString()),
    net_listening: noParams(() => true),
    net_peerCount: noParams(() => intToHex(peers.peerCount())),
    web3_clientVersion: noParams(() => CLIENT_VERSION),
    web3_sha3: method(z.tuple([dataSchema]), ([data]) => bytesToHex(keccak256(data))),
    txpool_status: noParams(() => {
      const s = node.pool.status()
      return { pending: intToHex(s.pending), queued: intToHex(s.queued) }
    }),
    txpool_content: noParams(() => {
      const c = node.pool.content()
      return { pending: mapContent(c.pending), queued: mapContent(c.queued) }
    }),
    eth_protocolVersion: noParams(() => bigIntToHex(1n)),
  }
}
