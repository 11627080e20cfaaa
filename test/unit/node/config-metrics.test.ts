import { describe, expect, it } from 'vitest'
import { parseConfigText } from '../../../src/node/config.js'

describe('config: metrics', () => {
  it('serves /metrics on the JSON-RPC port only, by default', () => {
    expect(parseConfigText('{}', 'config.json').metrics).toEqual({ onRpcPort: true, host: '127.0.0.1' })
  })

  it('takes a separate listener and can turn the JSON-RPC port\'s /metrics off', () => {
    expect(parseConfigText('{"metrics":{"port":9545,"host":"0.0.0.0","onRpcPort":false}}', 'config.json').metrics).toEqual({ port: 9545, host: '0.0.0.0', onRpcPort: false })
  })

  it('refuses an unknown key or a bad port, naming the field', () => {
    expect(() => parseConfigText('{"metrics":{"prot":9545}}', 'config.json')).toThrow(/metrics/)
    expect(() => parseConfigText('{"metrics":{"port":70000}}', 'config.json')).toThrow(/metrics\.port/)
  })
})
