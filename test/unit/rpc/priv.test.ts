/**
 * priv_* params: objects refuse fields they do not know (naming the field and the one meant), and
 * docs/rpc.md documents exactly the priv_ methods that exist. The methods themselves run against
 * real nodes in test/integration/privacy*.test.ts.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatParamsIssues } from '../../../src/rpc/dispatch.js'
import { privMethods } from '../../../src/rpc/priv.js'
import type { PrivacyService } from '../../../src/privacy/service.js'

// Building the method table does not touch the service: only the params schemas are used here.
const methods = privMethods({} as PrivacyService)

function refusal(method: string, params: unknown[]): string {
  const parsed = methods[method]!.params.safeParse(params)
  expect(parsed.success).toBe(false)
  return formatParamsIssues(parsed.error!.issues, params.length)
}

const put = { collection: 'patients', key: 'p-1', subject: 'subj-1', purposes: ['billing'], data: 'x' }

describe('priv_ params', () => {
  it('refuse an unknown field, naming it and the field most likely meant', () => {
    expect(refusal('priv_putRecord', [{ ...put, retention: 60 }])).toMatch(/^invalid argument 0: unknown field "retention" \(did you mean "retentionSeconds"\?\); known fields: collection, key, subject, purposes, data, retentionSeconds$/)
    expect(refusal('priv_putRecord', [{ ...put, purpose: ['billing'] }])).toMatch(/unknown field "purpose" \(did you mean "purposes"\?\)/)
    expect(refusal('priv_putRecord', [{ ...put, subjct: 'x' }])).toMatch(/unknown field "subjct" \(did you mean "subject"\?\)/)
    expect(refusal('priv_putRecord', [{ ...put, colour: 'red' }])).toMatch(/unknown field "colour"; known fields/)
    expect(refusal('priv_requestErasure', [{ collection: 'patients', key: 'p-1', reason: 'asked' }])).toMatch(/unknown field "reason"/)
  })

  it('accept the documented fields', () => {
    expect(methods.priv_putRecord!.params.safeParse([{ ...put, retentionSeconds: 60 }]).success).toBe(true)
    expect(methods.priv_requestErasure!.params.safeParse([{ collection: 'patients', subject: 'subj-1' }]).success).toBe(true)
    expect(refusal('priv_requestErasure', [{ collection: 'patients', key: 'p-1', subject: 'subj-1' }])).toMatch(/name either "key" or "subject"/)
    expect(refusal('priv_requestErasure', [{ collection: 'patients' }])).toMatch(/name either "key" or "subject"/)
  })

  it('docs/rpc.md names exactly the priv_ methods that exist', async () => {
    const docs = await readFile(join(import.meta.dirname, '../../../docs/rpc.md'), 'utf8')
    const named = new Set([...docs.matchAll(/`(priv_[a-zA-Z]+)/g)].map((m) => m[1]!))
    expect([...named].sort()).toEqual(Object.keys(methods).sort())
  })
})
