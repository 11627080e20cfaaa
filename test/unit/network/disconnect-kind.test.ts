import { describe, expect, it } from 'vitest'
import { disconnectKind } from '../../../src/network/errors.js'

describe('disconnectKind: a bounded label for quorate_p2p_peer_disconnects_total', () => {
  it('keeps this node\'s own reasons, prefixes the peer\'s known ones with REMOTE_', () => {
    expect(['SHUTDOWN', 'DUPLICATE', 'BANNED', 'UNKNOWN_NODE', 'PING_TIMEOUT'].map(disconnectKind)).toEqual(['SHUTDOWN', 'DUPLICATE', 'BANNED', 'UNKNOWN_NODE', 'PING_TIMEOUT'])
    expect(disconnectKind('remote: SHUTDOWN')).toBe('REMOTE_SHUTDOWN')
    expect(disconnectKind('remote: PING_TIMEOUT')).toBe('REMOTE_PING_TIMEOUT')
  })

  it('folds free text from the peer, bare socket closes and anything else into three values', () => {
    expect(disconnectKind('remote: going away for lunch 0x1234')).toBe('REMOTE_OTHER')
    expect(disconnectKind('closed (1006)')).toBe('CLOSED')
    expect(disconnectKind('closed (1000)')).toBe('CLOSED')
    expect(disconnectKind('an operator said so')).toBe('OTHER')
  })
})
