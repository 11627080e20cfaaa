/**
 * The SDK's docs show only code that compiles and runs: every ```ts block of docs/sdk.md and of the
 * README's SDK section is a verbatim excerpt of examples/sdk/*.ts, which `npm run typecheck`
 * checks and test/integration/sdk-example.test.ts runs. The committed Counter artifact is what
 * Counter.sol compiles to.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { counterArtifact } from '../../../examples/sdk/counter.js'
import { compileSolidity } from '../../helpers/solc.js'

const squash = (s: string) => s.replace(/\s+/g, ' ').trim()
const examples = readdirSync('examples/sdk')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => squash(readFileSync(`examples/sdk/${f}`, 'utf8')))

function tsBlocks(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

describe('SDK docs and examples', () => {
  for (const file of ['docs/sdk.md', 'README.md']) {
    it(`every ts block of ${file} is an excerpt of a typechecked example`, () => {
      const blocks = tsBlocks(file)
      expect(blocks.length).toBeGreaterThan(0)
      for (const block of blocks) {
        const lines = block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('// …'))
        for (const line of lines) expect(examples.some((e) => e.includes(squash(line))), `${file}: not in examples/sdk: ${line}`).toBe(true)
      }
    })
  }

  it('the committed Counter artifact is what Counter.sol compiles to', () => {
    const { Counter } = compileSolidity({ 'Counter.sol': readFileSync('examples/sdk/Counter.sol', 'utf8') })
    expect(Counter!.bytecode).toBe(counterArtifact.bytecode)
    expect(Counter!.abi).toEqual(counterArtifact.abi)
  })
})
