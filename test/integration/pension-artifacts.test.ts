/** The pension example's committed contract artifacts (ABIs, bytecode, approved code hashes) are what its sources compile to. */
import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { renderArtifacts } from '../../examples/pension/compile.js'

it('examples/pension/app/artifacts.ts is what examples/pension/contracts/*.sol compile to', async () => {
  expect(await readFile(new URL('../../examples/pension/app/artifacts.ts', import.meta.url), 'utf8')).toBe(await renderArtifacts())
}, 60_000)
